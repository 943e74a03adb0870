-- SQLite 0010: a workspace's time zone (an IANA name such as 'Europe/Berlin'): which day
-- it is there, and so "today", "this week" and "not in the future", follow it. Instants
-- stay UTC Unix milliseconds; only the day and week derived from them change. Workspaces
-- that existed before keep UTC days. The week start (`week_start`, ISO weekday 1–7) was
-- already here.
ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC'
    CHECK (char_length(time_zone) BETWEEN 1 AND 64);
