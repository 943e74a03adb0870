-- Ids are never handed out twice. A table whose id is a plain `INTEGER PRIMARY KEY` gives a
-- new row the largest id in the table plus one, so once the newest row was deleted
-- (reopening a deal deletes its project) the next row took its id, and bookmarks, share
-- links and the audit log named another row. With AUTOINCREMENT SQLite remembers the
-- largest id each table ever had (`sqlite_sequence`) and never goes back below it.
-- PostgreSQL's identity columns never reuse a number: nothing changes there.
--
-- SQLite cannot add AUTOINCREMENT to a table, so every table with an integer id is rebuilt
-- as SQLite documents for other schema changes
-- (https://www.sqlite.org/lang_altertable.html#otheralter): create new_X, copy the rows
-- with their ids, drop X, rename new_X to X, recreate X's indexes and triggers (there are
-- no views). Columns, constraints, rows, indexes and triggers stay as they were.
--
-- How it runs: sqlx applies each SQLite migration in one transaction (sqlx 0.8 honours
-- `-- no-transaction` on PostgreSQL only), on the connection `db::migrate_sqlite` opens
-- with foreign keys off. They must be off: `PRAGMA foreign_keys` does nothing inside a
-- transaction, and with them on, dropping a table would delete the rows of the tables
-- that reference it (ON DELETE CASCADE). The first statements refuse to go on otherwise.
-- The renames use the legacy behaviour, which leaves other tables' triggers and
-- references alone: the current one re-checks every trigger and fails on those naming X
-- while X is briefly missing. Before commit every foreign key is checked; a broken one
-- rolls the whole migration back.

CREATE TEMP TABLE rebuild_checks (
    foreign_keys_on  INTEGER NULL CONSTRAINT foreign_keys_must_be_off CHECK (foreign_keys_on = 0),
    broken_keys      INTEGER NULL CONSTRAINT foreign_keys_must_hold CHECK (broken_keys = 0)
);
INSERT INTO rebuild_checks (foreign_keys_on) SELECT foreign_keys FROM pragma_foreign_keys;

PRAGMA legacy_alter_table = ON;

-- workspaces
CREATE TABLE new_workspaces (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    slug              TEXT    NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
    name              TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency          TEXT    NOT NULL CHECK (length(currency) = 3),
    -- ISO weekday the week starts on: 1 = Monday ... 7 = Sunday.
    week_start        INTEGER NOT NULL DEFAULT 1 CHECK (week_start BETWEEN 1 AND 7),
    margin_target_bp  INTEGER NOT NULL DEFAULT 3500 CHECK (margin_target_bp BETWEEN -100000 AND 10000),
    margin_floor_bp   INTEGER NOT NULL DEFAULT 1500 CHECK (margin_floor_bp BETWEEN -100000 AND 10000),
    created_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    capacity_version  INTEGER NOT NULL DEFAULT 0,
    rates_version     INTEGER NOT NULL DEFAULT 0,
    board_version     INTEGER NOT NULL DEFAULT 0,
    board_epoch       INTEGER NOT NULL DEFAULT 0,
    time_zone         TEXT    NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64),
    CHECK (margin_floor_bp <= margin_target_bp)
);
INSERT INTO new_workspaces (id, slug, name, currency, week_start, margin_target_bp, margin_floor_bp, created_at,
    version, capacity_version, rates_version, board_version, board_epoch, time_zone)
SELECT id, slug, name, currency, week_start, margin_target_bp, margin_floor_bp, created_at,
    version, capacity_version, rates_version, board_version, board_epoch, time_zone
FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE new_workspaces RENAME TO workspaces;

-- roles
CREATE TABLE new_roles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- The preset a built-in role came from ('admin', 'account_manager', ...), NULL for custom roles.
    preset        TEXT    NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);
INSERT INTO new_roles (id, workspace_id, name, preset, version)
SELECT id, workspace_id, name, preset, version
FROM roles;
DROP TABLE roles;
ALTER TABLE new_roles RENAME TO roles;

-- people
CREATE TABLE new_people (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_people (id, workspace_id, name, email, title, weekly_capacity_minutes, cost_rate_minor,
    bill_rate_minor, active, created_at, version)
SELECT id, workspace_id, name, email, title, weekly_capacity_minutes, cost_rate_minor,
    bill_rate_minor, active, created_at, version
FROM people;
DROP TABLE people;
ALTER TABLE new_people RENAME TO people;
CREATE INDEX people_workspace ON people (workspace_id, active);
CREATE TRIGGER capacity_people_insert AFTER INSERT ON people
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_people_update AFTER UPDATE ON people
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_people_delete AFTER DELETE ON people
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = OLD.workspace_id;
END;
CREATE TRIGGER rates_people_update AFTER UPDATE OF bill_rate_minor, cost_rate_minor ON people
BEGIN
    UPDATE workspaces SET rates_version = rates_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;

-- users
CREATE TABLE new_users (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces (id),
    person_id          INTEGER NULL REFERENCES people (id),
    email              TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name               TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- PHC string (argon2id); NULL until the user sets a password from an invite.
    password_hash      TEXT    NULL,
    role_id            INTEGER NOT NULL REFERENCES roles (id),
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    invite_token_hash  TEXT    NULL,
    invite_expires_at  INTEGER NULL,
    UNIQUE (workspace_id, email)
);
INSERT INTO new_users (id, workspace_id, person_id, email, name, password_hash, role_id, active, created_at,
    version, invite_token_hash, invite_expires_at)
SELECT id, workspace_id, person_id, email, name, password_hash, role_id, active, created_at,
    version, invite_token_hash, invite_expires_at
FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
CREATE INDEX users_workspace ON users (workspace_id);
CREATE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_invite ON users (invite_token_hash) WHERE invite_token_hash IS NOT NULL;
CREATE TRIGGER board_user_update AFTER UPDATE OF name, workspace_id ON users
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;
CREATE TRIGGER board_user_delete AFTER DELETE ON users
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = OLD.workspace_id;
END;

-- skills
CREATE TABLE new_skills (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (workspace_id, name)
);
INSERT INTO new_skills (id, workspace_id, name, version)
SELECT id, workspace_id, name, version
FROM skills;
DROP TABLE skills;
ALTER TABLE new_skills RENAME TO skills;

-- time_off
CREATE TABLE new_time_off (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_time_off (id, workspace_id, person_id, starts_on, ends_on, minutes_per_day, reason, created_at,
    version)
SELECT id, workspace_id, person_id, starts_on, ends_on, minutes_per_day, reason, created_at,
    version
FROM time_off;
DROP TABLE time_off;
ALTER TABLE new_time_off RENAME TO time_off;
CREATE INDEX time_off_person ON time_off (person_id, starts_on);
CREATE INDEX time_off_workspace ON time_off (workspace_id, starts_on);
CREATE TRIGGER capacity_time_off_insert AFTER INSERT ON time_off
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_time_off_update AFTER UPDATE ON time_off
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_time_off_delete AFTER DELETE ON time_off
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = OLD.workspace_id;
END;

-- clients
CREATE TABLE new_clients (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_clients (id, workspace_id, name, owner_user_id, health, contact_name, contact_email, created_at,
    version)
SELECT id, workspace_id, name, owner_user_id, health, contact_name, contact_email, created_at,
    version
FROM clients;
DROP TABLE clients;
ALTER TABLE new_clients RENAME TO clients;
CREATE TRIGGER board_client_insert AFTER INSERT ON clients
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER board_client_update AFTER UPDATE OF name, workspace_id ON clients
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;
CREATE TRIGGER board_client_delete AFTER DELETE ON clients
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = OLD.workspace_id;
END;

-- stages
CREATE TABLE new_stages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_stages (id, workspace_id, name, position, probability_pct, kind, rotting_days, version)
SELECT id, workspace_id, name, position, probability_pct, kind, rotting_days, version
FROM stages;
DROP TABLE stages;
ALTER TABLE new_stages RENAME TO stages;
CREATE INDEX stages_workspace ON stages (workspace_id, position);
CREATE TRIGGER board_stage_insert AFTER INSERT ON stages
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER board_stage_update AFTER UPDATE ON stages
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;
CREATE TRIGGER board_stage_delete AFTER DELETE ON stages
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = OLD.workspace_id;
END;

-- deals
CREATE TABLE new_deals (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
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
    version                   INTEGER NOT NULL DEFAULT 1,
    board_rev                 INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_deals (id, workspace_id, client_id, title, value_minor, stage_id, probability_override_pct,
    owner_user_id, expected_close_on, planned_start_on, planned_weeks, brief_goals,
    brief_priorities, brief_context, notes, stage_entered_at, created_at, updated_at,
    closed_at, lost_reason, archived_at, version, board_rev)
SELECT id, workspace_id, client_id, title, value_minor, stage_id, probability_override_pct,
    owner_user_id, expected_close_on, planned_start_on, planned_weeks, brief_goals,
    brief_priorities, brief_context, notes, stage_entered_at, created_at, updated_at,
    closed_at, lost_reason, archived_at, version, board_rev
FROM deals;
DROP TABLE deals;
ALTER TABLE new_deals RENAME TO deals;
CREATE INDEX deals_board ON deals (workspace_id, stage_id) WHERE archived_at IS NULL;
CREATE INDEX deals_client ON deals (client_id);
CREATE INDEX deals_owner ON deals (workspace_id, owner_user_id);
CREATE INDEX deals_board_rev ON deals (workspace_id, board_rev);
CREATE TRIGGER board_deal_insert AFTER INSERT ON deals
BEGIN
    UPDATE workspaces SET board_version = board_version + 1 WHERE id = NEW.workspace_id;
    UPDATE deals SET board_rev = (SELECT board_version FROM workspaces WHERE id = NEW.workspace_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER board_deal_update AFTER UPDATE ON deals
WHEN NEW.board_rev IS OLD.board_rev
BEGIN
    UPDATE workspaces SET board_version = board_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
    UPDATE deals SET board_rev = (SELECT board_version FROM workspaces WHERE id = NEW.workspace_id)
    WHERE id = NEW.id;
END;
CREATE TRIGGER board_deal_delete AFTER DELETE ON deals
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = OLD.workspace_id;
END;

-- deal_estimate_lines
CREATE TABLE new_deal_estimate_lines (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    deal_id       INTEGER NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    skill_id      INTEGER NOT NULL REFERENCES skills (id),
    minutes       INTEGER NOT NULL CHECK (minutes > 0),
    UNIQUE (deal_id, skill_id)
);
INSERT INTO new_deal_estimate_lines (id, workspace_id, deal_id, skill_id, minutes)
SELECT id, workspace_id, deal_id, skill_id, minutes
FROM deal_estimate_lines;
DROP TABLE deal_estimate_lines;
ALTER TABLE new_deal_estimate_lines RENAME TO deal_estimate_lines;

-- projects
CREATE TABLE new_projects (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
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
    close_fingerprint TEXT    NULL,
    burn_rev          INTEGER NOT NULL DEFAULT 0,
    CHECK (starts_on <= ends_on)
);
INSERT INTO new_projects (id, workspace_id, deal_id, client_id, name, budget_minor, starts_on, ends_on,
    pm_user_id, status, brief_goals, brief_priorities, brief_context, check_report,
    override_reason, close_key, created_at, version, close_fingerprint, burn_rev)
SELECT id, workspace_id, deal_id, client_id, name, budget_minor, starts_on, ends_on,
    pm_user_id, status, brief_goals, brief_priorities, brief_context, check_report,
    override_reason, close_key, created_at, version, close_fingerprint, burn_rev
FROM projects;
DROP TABLE projects;
ALTER TABLE new_projects RENAME TO projects;
CREATE INDEX projects_workspace ON projects (workspace_id, status);

-- allocations
CREATE TABLE new_allocations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_allocations (id, workspace_id, person_id, project_id, deal_id, week, minutes, created_at, version)
SELECT id, workspace_id, person_id, project_id, deal_id, week, minutes, created_at, version
FROM allocations;
DROP TABLE allocations;
ALTER TABLE new_allocations RENAME TO allocations;
CREATE UNIQUE INDEX allocations_project_cell ON allocations (person_id, project_id, week) WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX allocations_deal_cell ON allocations (person_id, deal_id, week) WHERE deal_id IS NOT NULL;
CREATE INDEX allocations_week ON allocations (workspace_id, week);
CREATE INDEX allocations_project ON allocations (project_id);
CREATE INDEX allocations_deal ON allocations (deal_id);
CREATE TRIGGER capacity_allocation_insert AFTER INSERT ON allocations
WHEN NEW.project_id IS NOT NULL
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_allocation_update AFTER UPDATE ON allocations
WHEN NEW.project_id IS NOT NULL OR OLD.project_id IS NOT NULL
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER capacity_allocation_delete AFTER DELETE ON allocations
WHEN OLD.project_id IS NOT NULL
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = OLD.workspace_id;
END;
CREATE TRIGGER burn_rev_allocation_insert AFTER INSERT ON allocations
WHEN NEW.project_id IS NOT NULL
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id = NEW.project_id;
END;
CREATE TRIGGER burn_rev_allocation_update AFTER UPDATE ON allocations
WHEN NEW.project_id IS NOT NULL OR OLD.project_id IS NOT NULL
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id IN (NEW.project_id, OLD.project_id);
END;
CREATE TRIGGER burn_rev_allocation_delete AFTER DELETE ON allocations
WHEN OLD.project_id IS NOT NULL
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id = OLD.project_id;
END;

-- time_entries
CREATE TABLE new_time_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_time_entries (id, workspace_id, project_id, person_id, worked_on, minutes, note, billable, created_at,
    version)
SELECT id, workspace_id, project_id, person_id, worked_on, minutes, note, billable, created_at,
    version
FROM time_entries;
DROP TABLE time_entries;
ALTER TABLE new_time_entries RENAME TO time_entries;
CREATE INDEX time_entries_project ON time_entries (project_id, worked_on);
CREATE INDEX time_entries_person ON time_entries (person_id, worked_on);
CREATE TRIGGER burn_rev_time_insert AFTER INSERT ON time_entries
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id = NEW.project_id;
END;
CREATE TRIGGER burn_rev_time_update AFTER UPDATE ON time_entries
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id IN (NEW.project_id, OLD.project_id);
END;
CREATE TRIGGER burn_rev_time_delete AFTER DELETE ON time_entries
BEGIN
    UPDATE projects SET burn_rev = burn_rev + 1 WHERE id = OLD.project_id;
END;

-- change_requests
CREATE TABLE new_change_requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
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
    version            INTEGER NOT NULL DEFAULT 1,
    check_report       TEXT    NULL,
    override_reason    TEXT    NULL,
    allocations_added  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_change_requests (id, workspace_id, project_id, description, extra_value_minor, status, proposed_by,
    decided_by, decided_at, decision_reason, created_at, version, check_report,
    override_reason, allocations_added)
SELECT id, workspace_id, project_id, description, extra_value_minor, status, proposed_by,
    decided_by, decided_at, decision_reason, created_at, version, check_report,
    override_reason, allocations_added
FROM change_requests;
DROP TABLE change_requests;
ALTER TABLE new_change_requests RENAME TO change_requests;
CREATE INDEX change_requests_project ON change_requests (project_id);

-- change_request_lines
CREATE TABLE new_change_request_lines (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id        INTEGER NOT NULL REFERENCES workspaces (id),
    change_request_id   INTEGER NOT NULL REFERENCES change_requests (id) ON DELETE CASCADE,
    skill_id            INTEGER NOT NULL REFERENCES skills (id),
    minutes             INTEGER NOT NULL CHECK (minutes > 0),
    UNIQUE (change_request_id, skill_id)
);
INSERT INTO new_change_request_lines (id, workspace_id, change_request_id, skill_id, minutes)
SELECT id, workspace_id, change_request_id, skill_id, minutes
FROM change_request_lines;
DROP TABLE change_request_lines;
ALTER TABLE new_change_request_lines RENAME TO change_request_lines;

-- status_updates
CREATE TABLE new_status_updates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    author_user_id  INTEGER NOT NULL REFERENCES users (id),
    rag             TEXT    NOT NULL CHECK (rag IN ('green', 'amber', 'red')),
    summary         TEXT    NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
    next_steps      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
INSERT INTO new_status_updates (id, workspace_id, project_id, author_user_id, rag, summary, next_steps, created_at)
SELECT id, workspace_id, project_id, author_user_id, rag, summary, next_steps, created_at
FROM status_updates;
DROP TABLE status_updates;
ALTER TABLE new_status_updates RENAME TO status_updates;
CREATE INDEX status_updates_project ON status_updates (project_id, created_at);

-- events
CREATE TABLE new_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO new_events (id, workspace_id, seq, actor_user_id, entity, entity_id, action, before_json,
    after_json, created_at)
SELECT id, workspace_id, seq, actor_user_id, entity, entity_id, action, before_json,
    after_json, created_at
FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
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

-- share_links
CREATE TABLE new_share_links (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id),
    project_id      INTEGER NOT NULL REFERENCES projects (id),
    token_hash      TEXT    NOT NULL UNIQUE,
    hint            TEXT    NOT NULL,
    show_budget     INTEGER NOT NULL DEFAULT 0 CHECK (show_budget IN (0, 1)),
    created_by      INTEGER NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER NULL,
    last_opened_at  INTEGER NULL
);
INSERT INTO new_share_links (id, workspace_id, project_id, token_hash, hint, show_budget, created_by, created_at,
    revoked_at, last_opened_at)
SELECT id, workspace_id, project_id, token_hash, hint, show_budget, created_by, created_at,
    revoked_at, last_opened_at
FROM share_links;
DROP TABLE share_links;
ALTER TABLE new_share_links RENAME TO share_links;
CREATE INDEX share_links_project ON share_links (project_id);

-- import_parts
CREATE TABLE new_import_parts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    upload        TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('people', 'deals')),
    part          INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (upload, part)
);
INSERT INTO new_import_parts (id, workspace_id, user_id, upload, kind, part, body, created_at)
SELECT id, workspace_id, user_id, upload, kind, part, body, created_at
FROM import_parts;
DROP TABLE import_parts;
ALTER TABLE new_import_parts RENAME TO import_parts;

PRAGMA legacy_alter_table = OFF;

-- Where each table's ids go on from. Copying the rows left the largest id of each table
-- in `sqlite_sequence`; an id already gone when this ran is remembered too where the
-- audit log names it (a project deleted by reopening its deal, a deleted role), so links
-- to it do not come to name a new row. (The log's `allocation` entries name a person, and
-- `import` ones no row: they are left out.)
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence (name, seq)
SELECT tables.name,
       max(COALESCE(tables.largest, 0),
           COALESCE((SELECT MAX(e.entity_id) FROM events e WHERE e.entity = tables.entity), 0))
FROM (
    SELECT 'workspaces' AS name, (SELECT MAX(id) FROM workspaces) AS largest, 'workspace' AS entity
    UNION ALL SELECT 'roles', (SELECT MAX(id) FROM roles), 'role'
    UNION ALL SELECT 'people', (SELECT MAX(id) FROM people), 'person'
    UNION ALL SELECT 'users', (SELECT MAX(id) FROM users), 'user'
    UNION ALL SELECT 'skills', (SELECT MAX(id) FROM skills), NULL
    UNION ALL SELECT 'time_off', (SELECT MAX(id) FROM time_off), 'time_off'
    UNION ALL SELECT 'clients', (SELECT MAX(id) FROM clients), 'client'
    UNION ALL SELECT 'stages', (SELECT MAX(id) FROM stages), NULL
    UNION ALL SELECT 'deals', (SELECT MAX(id) FROM deals), 'deal'
    UNION ALL SELECT 'deal_estimate_lines', (SELECT MAX(id) FROM deal_estimate_lines), NULL
    UNION ALL SELECT 'projects', (SELECT MAX(id) FROM projects), 'project'
    UNION ALL SELECT 'allocations', (SELECT MAX(id) FROM allocations), NULL
    UNION ALL SELECT 'time_entries', (SELECT MAX(id) FROM time_entries), 'time_entry'
    UNION ALL SELECT 'change_requests', (SELECT MAX(id) FROM change_requests), NULL
    UNION ALL SELECT 'change_request_lines', (SELECT MAX(id) FROM change_request_lines), NULL
    UNION ALL SELECT 'status_updates', (SELECT MAX(id) FROM status_updates), NULL
    UNION ALL SELECT 'events', (SELECT MAX(id) FROM events), NULL
    UNION ALL SELECT 'share_links', (SELECT MAX(id) FROM share_links), NULL
    UNION ALL SELECT 'import_parts', (SELECT MAX(id) FROM import_parts), NULL
) AS tables;

INSERT INTO rebuild_checks (broken_keys) SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE rebuild_checks;
