-- A counter per workspace that moves whenever anything a project's burn reads changes
-- that `capacity_version` does not already follow: time entries, projects, people's
-- rates. Servers keep every project's burn in memory and recompute it only when either
-- counter (or the day) moved. Triggers keep it honest whichever code writes.
ALTER TABLE workspaces ADD COLUMN burn_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER burn_time_insert AFTER INSERT ON time_entries
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER burn_time_update AFTER UPDATE ON time_entries
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;

CREATE TRIGGER burn_time_delete AFTER DELETE ON time_entries
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1 WHERE id = OLD.workspace_id;
END;

CREATE TRIGGER burn_project_insert AFTER INSERT ON projects
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER burn_project_update AFTER UPDATE ON projects
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;

CREATE TRIGGER burn_project_delete AFTER DELETE ON projects
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1 WHERE id = OLD.workspace_id;
END;

CREATE TRIGGER burn_people_update AFTER UPDATE ON people
BEGIN
    UPDATE workspaces SET burn_version = burn_version + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;
