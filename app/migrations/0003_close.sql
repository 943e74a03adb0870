-- Closing a deal is idempotent: the project remembers the key of the close that created
-- it (projects.close_key) and a digest of what that close asked for, so a retry returns
-- the same project and the same key with different arguments is refused.
ALTER TABLE projects ADD COLUMN close_fingerprint TEXT NULL;
