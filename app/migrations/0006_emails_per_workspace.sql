-- Emails are unique within a workspace, not across them: an admin adding a user learns
-- nothing about other agencies' users, and one person may belong to two agencies. The
-- table is rebuilt (SQLite cannot drop a column constraint); rows, ids, sessions and every
-- reference to users are kept. Migrations run with foreign keys off (`db::migrate`, which
-- checks every key afterwards) and the legacy rename, so tables that reference `users`
-- keep pointing at the name, which the new table takes; the old one is dropped with
-- nothing referring to it.
PRAGMA legacy_alter_table = ON;
ALTER TABLE users RENAME TO users_old;
CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
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
INSERT INTO users (id, workspace_id, person_id, email, name, password_hash, role_id, active,
                   created_at, version, invite_token_hash, invite_expires_at)
SELECT id, workspace_id, person_id, email, name, password_hash, role_id, active,
       created_at, version, invite_token_hash, invite_expires_at
FROM users_old;
DROP TABLE users_old;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX users_workspace ON users (workspace_id);
CREATE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_invite ON users (invite_token_hash) WHERE invite_token_hash IS NOT NULL;
