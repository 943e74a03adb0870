-- Baton's core data model (SQLite dialect, written to port to PostgreSQL).
--
-- Conventions:
--   * every tenant row carries workspace_id; nothing crosses workspaces;
--   * ids are 64-bit integers; money is integer minor units (*_minor);
--   * durations are integer minutes (*_minutes); percentages are integer 0..100,
--     margins integer basis points (*_bp);
--   * calendar dates are ISO-8601 TEXT 'YYYY-MM-DD' (*_on, week = the week's first day);
--   * instants are integer Unix milliseconds (*_at);
--   * every row a user edits has a version, bumped on each update (optimistic locking).

CREATE TABLE workspaces (
    id                INTEGER PRIMARY KEY,
    slug              TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency          TEXT    NOT NULL CHECK (length(currency) = 3),
    -- ISO weekday the week starts on: 1 = Monday ... 7 = Sunday.
    week_start        INTEGER NOT NULL DEFAULT 1 CHECK (week_start BETWEEN 1 AND 7),
    margin_target_bp  INTEGER NOT NULL DEFAULT 3500 CHECK (margin_target_bp BETWEEN -100000 AND 10000),
    margin_floor_bp   INTEGER NOT NULL DEFAULT 1500 CHECK (margin_floor_bp BETWEEN -100000 AND 10000),
    created_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK (margin_floor_bp <= margin_target_bp)
);

CREATE TABLE roles (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- The preset a built-in role came from ('admin', 'account_manager', ...), NULL for custom roles.
    preset        TEXT    NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);

CREATE TABLE role_permissions (
    role_id       INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    permission    TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE people (
    id                       INTEGER PRIMARY KEY,
    workspace_id             INTEGER NOT NULL REFERENCES workspaces (id),
    name                     TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email                    TEXT    NULL,
    title                    TEXT    NULL,
    weekly_capacity_minutes  INTEGER NOT NULL CHECK (weekly_capacity_minutes BETWEEN 0 AND 10080),
    -- Hourly rates in minor units. cost_rate_minor is sensitive (see permissions).
    cost_rate_minor          INTEGER NOT NULL CHECK (cost_rate_minor >= 0),
    bill_rate_minor          INTEGER NOT NULL CHECK (bill_rate_minor >= 0),
    active                   INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at               INTEGER NOT NULL,
    version                  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX people_workspace ON people (workspace_id, active);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces (id),
    person_id      INTEGER NULL REFERENCES people (id),
    email          TEXT    NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- PHC string (argon2id); NULL until the user sets a password from an invite.
    password_hash  TEXT    NULL,
    role_id        INTEGER NOT NULL REFERENCES roles (id),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_workspace ON users (workspace_id);

CREATE TABLE skills (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);

CREATE TABLE person_skills (
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    skill_id      INTEGER NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    PRIMARY KEY (person_id, skill_id)
);
CREATE INDEX person_skills_skill ON person_skills (skill_id);

CREATE TABLE time_off (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id),
    person_id         INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    starts_on         TEXT    NOT NULL,
    ends_on           TEXT    NOT NULL,
    -- Minutes off on each working day of the range (a full day = capacity / 5).
    minutes_per_day   INTEGER NOT NULL CHECK (minutes_per_day BETWEEN 0 AND 1440),
    reason            TEXT    NULL,
    created_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK (starts_on <= ends_on)
);
CREATE INDEX time_off_person ON time_off (person_id, starts_on);
CREATE INDEX time_off_workspace ON time_off (workspace_id, starts_on);

CREATE TABLE clients (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    owner_user_id   INTEGER NULL REFERENCES users (id),
    health          TEXT    NOT NULL DEFAULT 'good' CHECK (health IN ('good', 'watch', 'at_risk')),
    contact_name    TEXT    NULL,
    contact_email   TEXT    NULL,
    created_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);

CREATE TABLE stages (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id),
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    position         INTEGER NOT NULL CHECK (position >= 0),
    probability_pct  INTEGER NOT NULL CHECK (probability_pct BETWEEN 0 AND 100),
    kind             TEXT    NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    -- Days a deal may sit in this stage before it is flagged as rotting; NULL = never.
    rotting_days     INTEGER NULL CHECK (rotting_days IS NULL OR rotting_days > 0),
    version          INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);
CREATE INDEX stages_workspace ON stages (workspace_id, position);

CREATE TABLE deals (
    id                        INTEGER PRIMARY KEY,
    workspace_id              INTEGER NOT NULL REFERENCES workspaces (id),
    client_id                 INTEGER NOT NULL REFERENCES clients (id),
    title                     TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    value_minor               INTEGER NOT NULL CHECK (value_minor >= 0),
    stage_id                  INTEGER NOT NULL REFERENCES stages (id),
    -- NULL: the stage's probability applies.
    probability_override_pct  INTEGER NULL CHECK (probability_override_pct BETWEEN 0 AND 100),
    owner_user_id             INTEGER NOT NULL REFERENCES users (id),
    expected_close_on         TEXT    NULL,
    planned_start_on          TEXT    NULL,
    planned_weeks             INTEGER NOT NULL DEFAULT 4 CHECK (planned_weeks BETWEEN 1 AND 104),
    brief_goals               TEXT    NOT NULL DEFAULT '',
    brief_priorities          TEXT    NOT NULL DEFAULT '',
    brief_context             TEXT    NOT NULL DEFAULT '',
    notes                     TEXT    NOT NULL DEFAULT '',
    stage_entered_at          INTEGER NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    closed_at                 INTEGER NULL,
    lost_reason               TEXT    NULL,
    archived_at               INTEGER NULL,
    version                   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX deals_board ON deals (workspace_id, stage_id) WHERE archived_at IS NULL;
CREATE INDEX deals_client ON deals (client_id);
CREATE INDEX deals_owner ON deals (workspace_id, owner_user_id);

CREATE TABLE deal_estimate_lines (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    deal_id       INTEGER NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    skill_id      INTEGER NOT NULL REFERENCES skills (id),
    minutes       INTEGER NOT NULL CHECK (minutes > 0),
    UNIQUE (deal_id, skill_id)
);

CREATE TABLE projects (
    id                INTEGER PRIMARY KEY,
    workspace_id      INTEGER NOT NULL REFERENCES workspaces (id),
    -- At most one project per deal: a won deal spawns exactly one.
    deal_id           INTEGER NULL UNIQUE REFERENCES deals (id),
    client_id         INTEGER NOT NULL REFERENCES clients (id),
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    budget_minor      INTEGER NOT NULL CHECK (budget_minor >= 0),
    starts_on         TEXT    NOT NULL,
    ends_on           TEXT    NOT NULL,
    pm_user_id        INTEGER NULL REFERENCES users (id),
    status            TEXT    NOT NULL DEFAULT 'active'
                      CHECK (status IN ('planned', 'active', 'on_hold', 'done', 'cancelled')),
    brief_goals       TEXT    NOT NULL DEFAULT '',
    brief_priorities  TEXT    NOT NULL DEFAULT '',
    brief_context     TEXT    NOT NULL DEFAULT '',
    -- The capacity and margin report computed at close (JSON), and any override of a block.
    check_report      TEXT    NULL,
    override_reason   TEXT    NULL,
    close_key         TEXT    NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    CHECK (starts_on <= ends_on)
);
CREATE INDEX projects_workspace ON projects (workspace_id, status);

CREATE TABLE allocations (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    person_id     INTEGER NOT NULL REFERENCES people (id),
    -- Confirmed work on a project, or tentative work on an open deal: exactly one is set.
    project_id    INTEGER NULL REFERENCES projects (id) ON DELETE CASCADE,
    deal_id       INTEGER NULL REFERENCES deals (id) ON DELETE CASCADE,
    week          TEXT    NOT NULL,
    minutes       INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 10080),
    created_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    CHECK ((project_id IS NULL) <> (deal_id IS NULL))
);
CREATE UNIQUE INDEX allocations_project_cell ON allocations (person_id, project_id, week) WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX allocations_deal_cell ON allocations (person_id, deal_id, week) WHERE deal_id IS NOT NULL;
CREATE INDEX allocations_week ON allocations (workspace_id, week);
CREATE INDEX allocations_project ON allocations (project_id);
CREATE INDEX allocations_deal ON allocations (deal_id);

CREATE TABLE time_entries (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    project_id    INTEGER NOT NULL REFERENCES projects (id),
    person_id     INTEGER NOT NULL REFERENCES people (id),
    worked_on     TEXT    NOT NULL,
    minutes       INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    note          TEXT    NOT NULL DEFAULT '',
    billable      INTEGER NOT NULL DEFAULT 1 CHECK (billable IN (0, 1)),
    created_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX time_entries_project ON time_entries (project_id, worked_on);
CREATE INDEX time_entries_person ON time_entries (person_id, worked_on);

CREATE TABLE change_requests (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces (id),
    project_id         INTEGER NOT NULL REFERENCES projects (id),
    description        TEXT    NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    extra_value_minor  INTEGER NOT NULL CHECK (extra_value_minor >= 0),
    status             TEXT    NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'approved', 'rejected')),
    proposed_by        INTEGER NOT NULL REFERENCES users (id),
    decided_by         INTEGER NULL REFERENCES users (id),
    decided_at         INTEGER NULL,
    decision_reason    TEXT    NULL,
    created_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX change_requests_project ON change_requests (project_id);

CREATE TABLE change_request_lines (
    id                  INTEGER PRIMARY KEY,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces (id),
    change_request_id   INTEGER NOT NULL REFERENCES change_requests (id) ON DELETE CASCADE,
    skill_id            INTEGER NOT NULL REFERENCES skills (id),
    minutes             INTEGER NOT NULL CHECK (minutes > 0),
    UNIQUE (change_request_id, skill_id)
);

CREATE TABLE status_updates (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    author_user_id  INTEGER NOT NULL REFERENCES users (id),
    rag             TEXT    NOT NULL CHECK (rag IN ('green', 'amber', 'red')),
    summary         TEXT    NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
    next_steps      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX status_updates_project ON status_updates (project_id, created_at);

-- Every change, append-only: the audit log, the activity feeds and the live stream.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    workspace_id   INTEGER NOT NULL REFERENCES workspaces (id),
    -- Strictly increasing per workspace; the live stream resumes from it.
    seq            INTEGER NOT NULL,
    actor_user_id  INTEGER NULL REFERENCES users (id),
    entity         TEXT    NOT NULL,
    entity_id      INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    before_json    TEXT    NULL,
    after_json     TEXT    NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (workspace_id, seq)
);
CREATE INDEX events_entity ON events (workspace_id, entity, entity_id);
CREATE INDEX events_actor ON events (workspace_id, actor_user_id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
