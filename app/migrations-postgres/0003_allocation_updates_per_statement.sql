-- PostgreSQL only (SQLite has no statement triggers, and its row triggers are cheap).
-- An UPDATE of many allocations at once (a new week start moves every allocation of the
-- workspace to the new weeks) bumped the workspace's capacity_version, and each
-- project's burn_rev, once per row: one workspace row updated some 40,000 times in one
-- transaction, each update walking that row's growing chain of versions (21 s for the
-- 500-person agency's 39,462 allocations, against 0.8 s for the rows themselves).
-- Per statement, with the changed rows as transition tables, each counter moves once
-- per statement that changed what it counts. A one-row UPDATE (the planner's edits)
-- moves them exactly as before; INSERT and DELETE keep their row triggers.
DROP TRIGGER capacity_allocation_update ON allocations;
DROP TRIGGER burn_rev_allocation_update ON allocations;

CREATE FUNCTION capacity_version_bump_allocations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1
    WHERE id IN (SELECT workspace_id FROM new_rows WHERE project_id IS NOT NULL
                 UNION SELECT workspace_id FROM old_rows WHERE project_id IS NOT NULL);
    RETURN NULL;
END;
$$;

CREATE TRIGGER capacity_allocation_update AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION capacity_version_bump_allocations_updated();

CREATE FUNCTION burn_rev_bump_allocations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1
    WHERE id IN (SELECT project_id FROM new_rows UNION SELECT project_id FROM old_rows);
    RETURN NULL;
END;
$$;

CREATE TRIGGER burn_rev_allocation_update AFTER UPDATE ON allocations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION burn_rev_bump_allocations_updated();
