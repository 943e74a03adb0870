-- Delivery: decisions on change requests, client share links, staged CSV imports.

-- The verdicts when a change request was decided (JSON), why a blocked one was approved,
-- and whether its suggested staffing was booked.
ALTER TABLE change_requests ADD COLUMN check_report TEXT NULL;
ALTER TABLE change_requests ADD COLUMN override_reason TEXT NULL;
ALTER TABLE change_requests ADD COLUMN allocations_added INTEGER NOT NULL DEFAULT 0;

-- Read-only links for clients. Only the token's SHA-256 is kept; `hint` is its last six
-- characters, to tell links apart.
CREATE TABLE share_links (
    id              INTEGER PRIMARY KEY,
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
CREATE INDEX share_links_project ON share_links (project_id);

-- A CSV import arrives in parts (each under the request size limit) and is written in
-- one transaction when the last part is in; parts are deleted then.
CREATE TABLE import_parts (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    upload        TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('people', 'deals')),
    part          INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (upload, part)
);
