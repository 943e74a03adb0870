-- Sign-in: server-side sessions and one-time invite links.

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
-- leaked database does not hand out live sessions.
CREATE TABLE sessions (
    token_hash    TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- An invited user sets their password through a one-time link; again only a hash is kept.
ALTER TABLE users ADD COLUMN invite_token_hash TEXT NULL;
ALTER TABLE users ADD COLUMN invite_expires_at INTEGER NULL;
CREATE UNIQUE INDEX users_invite ON users (invite_token_hash) WHERE invite_token_hash IS NOT NULL;
