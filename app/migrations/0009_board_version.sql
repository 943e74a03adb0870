-- Servers keep each workspace's board rows (stages, clients, live deals) in memory.
-- `board_version` moves with every deal written and stamps that deal (`board_rev`), so a
-- server re-reads only the deals stamped after the version it holds. `board_epoch` moves
-- on changes that touch many cards or take one away (a stage, client or user's name
-- changed, a deal deleted): the board is then read whole. Triggers keep both honest
-- whichever code writes.
ALTER TABLE workspaces ADD COLUMN board_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN board_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deals ADD COLUMN board_rev INTEGER NOT NULL DEFAULT 0;
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

CREATE TRIGGER board_user_update AFTER UPDATE OF name, workspace_id ON users
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1
    WHERE id IN (NEW.workspace_id, OLD.workspace_id);
END;

CREATE TRIGGER board_user_delete AFTER DELETE ON users
BEGIN
    UPDATE workspaces SET board_epoch = board_epoch + 1 WHERE id = OLD.workspace_id;
END;
