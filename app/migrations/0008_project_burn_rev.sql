-- Burns are kept per project: a counter on each project that moves whenever its time
-- entries or its planned allocations change, and one per workspace for people's rates
-- (which every burn reads). A server recomputes only the projects whose counter (or
-- budget or dates) moved, instead of every project whenever anything in the workspace
-- changed. Triggers keep the counters honest whichever code writes.
ALTER TABLE projects ADD COLUMN burn_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN rates_version INTEGER NOT NULL DEFAULT 0;

-- The workspace-wide counter these replace.
DROP TRIGGER burn_time_insert;
DROP TRIGGER burn_time_update;
DROP TRIGGER burn_time_delete;
DROP TRIGGER burn_project_insert;
DROP TRIGGER burn_project_update;
DROP TRIGGER burn_project_delete;
DROP TRIGGER burn_people_update;
ALTER TABLE workspaces DROP COLUMN burn_version;

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

CREATE TRIGGER rates_people_update AFTER UPDATE OF bill_rate_minor, cost_rate_minor ON people
BEGIN
    UPDATE workspaces SET rates_version = rates_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;
