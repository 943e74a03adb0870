-- A deal's progress (domain::pipeline::Progress): the furthest stage of its current run
-- and when it last reached new ground. Rotting counts from `progressed_at`, so moving a
-- deal back and forth, or closing and reopening it, resets its days in stage
-- (`stage_entered_at`) but not the clock that flags it. Only the furthest stage is kept,
-- not its position: stages are compared where the pipeline has them at each move, so
-- reordering stages never rewrites a clock. NULL reads as the deal's own stage and
-- `stage_entered_at` (rows written by code that predates these columns).
ALTER TABLE deals ADD COLUMN furthest_stage_id INTEGER NULL REFERENCES stages (id);
ALTER TABLE deals ADD COLUMN progressed_at INTEGER NULL;

-- Backfill from each deal's history: every event that put it in a stage (the stage is
-- named in `after_json`), whether it reopened the deal (from won or lost), in order.
CREATE TEMP TABLE deal_entries AS
SELECT e.entity_id AS deal_id, e.seq, e.created_at AS at, s.id AS stage_id, s.position,
       s.kind,
       (e.action = 'reopened' OR (e.action = 'stage_changed' AND b.kind IN ('won', 'lost')))
           AS reopens
FROM events e
JOIN deals d ON d.id = e.entity_id AND d.workspace_id = e.workspace_id
JOIN stages s ON s.workspace_id = e.workspace_id
             AND s.name = CASE WHEN json_valid(e.after_json)
                               THEN json_extract(e.after_json, '$.stage') END
LEFT JOIN stages b ON b.workspace_id = e.workspace_id
                  AND b.name = CASE WHEN json_valid(e.before_json)
                                    THEN json_extract(e.before_json, '$.stage') END
WHERE e.entity = 'deal' AND e.action IN ('created', 'stage_changed', 'won', 'lost', 'reopened');

-- The current run starts at the latest reopening (or the first event).
CREATE TEMP TABLE deal_runs AS
SELECT deal_id, COALESCE(MAX(CASE WHEN reopens THEN seq END), 0) AS started
FROM deal_entries GROUP BY deal_id;

-- The furthest stage the run reached (lost is not progress), and when it first got there
-- (a run that never got past the stage it was reopened into counts from the reopening).
UPDATE deals SET
    furthest_stage_id = (
        SELECT x.stage_id FROM deal_entries x JOIN deal_runs r ON r.deal_id = x.deal_id
        WHERE x.deal_id = deals.id AND x.seq >= r.started AND x.kind <> 'lost'
        ORDER BY x.position DESC, x.stage_id DESC, x.seq LIMIT 1),
    progressed_at = (
        SELECT x.at FROM deal_entries x JOIN deal_runs r ON r.deal_id = x.deal_id
        WHERE x.deal_id = deals.id AND x.seq >= r.started AND x.kind <> 'lost'
        ORDER BY x.position DESC, x.stage_id DESC, x.seq LIMIT 1)
WHERE id IN (SELECT deal_id FROM deal_runs);

-- No history, or a stage further than its history shows: the deal's own stage, since it
-- entered it.
UPDATE deals SET furthest_stage_id = stage_id, progressed_at = stage_entered_at
WHERE furthest_stage_id IS NULL OR progressed_at IS NULL
   OR EXISTS (SELECT 1 FROM stages c JOIN stages f ON f.id = deals.furthest_stage_id
              WHERE c.id = deals.stage_id AND c.kind <> 'lost'
                AND (c.position, c.id) > (f.position, f.id));

-- Progress happens as a stage is entered, never after.
UPDATE deals SET progressed_at = stage_entered_at WHERE progressed_at > stage_entered_at;

DROP TABLE deal_runs;
DROP TABLE deal_entries;
