-- A counter per workspace that moves whenever anything the capacity engine reads changes:
-- confirmed allocations, people (capacity, cost rate, active), their skills, time off.
-- Servers keep the engine's state in memory and reload it only when the counter they
-- hold differs from this one, so a close does not re-read the whole team every time.
-- Triggers keep it honest whichever code (or person with a SQL shell) writes.
ALTER TABLE workspaces ADD COLUMN capacity_version INTEGER NOT NULL DEFAULT 0;

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

CREATE TRIGGER capacity_skills_insert AFTER INSERT ON person_skills
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER capacity_skills_delete AFTER DELETE ON person_skills
BEGIN
    UPDATE workspaces SET capacity_version = capacity_version + 1 WHERE id = OLD.workspace_id;
END;

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
