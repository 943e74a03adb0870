//! The pipeline board as it crosses the wire: stages as columns, deals as cards, with
//! column totals, and how the browser narrows and updates it.

use crate::domain::money::Currency;
use crate::domain::pipeline::{self, ColumnTotals, StageKind};
use crate::domain::DomainError;
use serde::{Deserialize, Serialize};

/// Everything the board shows, for one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// The workspace's display name.
    pub workspace_name: String,
    /// The workspace's currency.
    pub currency: Currency,
    /// Columns in stage order.
    pub columns: Vec<BoardColumn>,
    /// The workspace's latest event number when this was loaded: the live stream resumes
    /// after it.
    pub seq: i64,
    /// Every client of the workspace, for adding deals: (id, name).
    pub clients: Vec<Named>,
    /// What the viewer may do with deals: the board shows only the controls they can use.
    #[serde(default)]
    pub rights: DealRights,
}

/// What a viewer may do with deals, from their role. The server refuses the rest anyway;
/// screens use it to show only controls that work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRights {
    /// Add, edit, move, mark lost and archive deals ("edit deals").
    pub edit: bool,
    /// Close deals as won ("close deals").
    pub close: bool,
    /// Let a blocked close go ahead with a written reason ("override checks").
    pub approve_blocked: bool,
}

impl DealRights {
    /// The rights a set of permissions gives.
    pub fn of(permissions: crate::domain::permissions::PermissionSet) -> Self {
        use crate::domain::permissions::Permission;
        Self {
            edit: permissions.contains(Permission::EditDeals),
            close: permissions.contains(Permission::CloseDeals),
            approve_blocked: permissions.contains(Permission::OverrideChecks),
        }
    }

    /// Whether the viewer can open a deal's close dialog: to close it, or to approve a
    /// blocked close.
    pub fn opens_close_dialog(self) -> bool {
        self.close || self.approve_blocked
    }
}

/// One stage's column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardColumn {
    /// The stage.
    pub stage: StageSummary,
    /// Its deals, soonest expected close first.
    pub cards: Vec<DealCard>,
    /// Number of cards.
    pub count: i64,
    /// Sum of the cards' values, minor units; `None` for viewers who may not see values.
    pub value_minor: Option<i64>,
    /// Sum of value × probability, minor units; `None` likewise.
    pub weighted_minor: Option<i64>,
}

/// A stage as the board needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSummary {
    /// Stage id.
    pub id: i64,
    /// Stage name, e.g. `Proposal`.
    pub name: String,
    /// Default win probability in percent.
    pub probability_pct: i64,
    /// Open, won or lost (`"open"`, `"won"`, `"lost"` on the wire and in the database).
    pub kind: StageKind,
    /// Days before a deal here is flagged as rotting.
    pub rotting_days: Option<i64>,
}

/// A deal as a card on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealCard {
    /// Deal id.
    pub id: i64,
    /// The stage (column) it is in.
    pub stage_id: i64,
    /// Deal title.
    pub title: String,
    /// Client id.
    pub client_id: i64,
    /// Client name.
    pub client_name: String,
    /// Owner's user id.
    pub owner_user_id: i64,
    /// Value in minor units; `None` for viewers who may not see deal values.
    pub value_minor: Option<i64>,
    /// Effective win probability in percent.
    pub probability_pct: i64,
    /// Owner's name.
    pub owner_name: String,
    /// Owner's initials for the avatar.
    pub owner_initials: String,
    /// Whole days since the deal last entered its stage.
    pub days_in_stage: i64,
    /// Whole days since the deal last made progress (`pipeline::Progress`): at least
    /// `days_in_stage`, more when it moved back or was reopened since.
    #[serde(default)]
    pub days_without_progress: i64,
    /// Whether it is in an open stage and has gone without progress for longer than the
    /// stage allows.
    pub rotting: bool,
    /// Expected close date, `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Row version (for later edits).
    pub version: i64,
    /// Whether the deal's estimate fits the team's free capacity at its planned start
    /// (open deals with an estimate and a start; confirmed work only).
    #[serde(default)]
    pub fit: Option<crate::domain::capacity::CapacityVerdict>,
}

/// A deal row as loaded for the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct BoardDealRow {
    /// Deal id.
    pub id: i64,
    /// Deal title.
    pub title: String,
    /// Client id.
    pub client_id: i64,
    /// Client name.
    pub client_name: String,
    /// Owner's user id.
    pub owner_user_id: i64,
    /// Value in minor units.
    pub value_minor: i64,
    /// Stage id.
    pub stage_id: i64,
    /// Probability override, if any.
    pub probability_override_pct: Option<i64>,
    /// Owner's name.
    pub owner_name: String,
    /// When the deal last entered its stage, Unix ms.
    pub stage_entered_at: i64,
    /// When the deal last made progress (`pipeline::Progress`), Unix ms.
    pub progressed_at: i64,
    /// Expected close date.
    pub expected_close_on: Option<String>,
    /// Row version.
    pub version: i64,
}

impl DealCard {
    /// The card of a deal row in `stage` at `now_ms`.
    pub fn from_row(stage: &StageSummary, deal: BoardDealRow, now_ms: i64) -> Self {
        let kind = stage.kind;
        let probability = pipeline::effective_probability(
            kind,
            stage.probability_pct,
            deal.probability_override_pct,
        );
        let days = pipeline::days_in_stage(deal.stage_entered_at, now_ms);
        let stalled =
            pipeline::days_without_progress(deal.progressed_at, deal.stage_entered_at, now_ms);
        DealCard {
            id: deal.id,
            stage_id: stage.id,
            owner_initials: pipeline::initials(&deal.owner_name),
            title: deal.title,
            client_id: deal.client_id,
            client_name: deal.client_name,
            owner_user_id: deal.owner_user_id,
            value_minor: Some(deal.value_minor),
            probability_pct: probability,
            owner_name: deal.owner_name,
            days_in_stage: days,
            days_without_progress: stalled,
            rotting: pipeline::is_rotting(kind, stalled, stage.rotting_days),
            expected_close_on: deal.expected_close_on,
            version: deal.version,
            fit: None,
        }
    }

    /// Its age in words, both clocks when they differ or it is rotting: `In this stage
    /// 2 days; no progress for 23 days`.
    pub fn age_text(&self) -> String {
        if self.rotting || self.days_without_progress != self.days_in_stage {
            self.clocks_text()
        } else {
            format!("In this stage {}", days_text(self.days_in_stage))
        }
    }

    /// Both clocks in words: `In this stage 2 days; no progress for 23 days`.
    pub fn clocks_text(&self) -> String {
        format!(
            "In this stage {}; no progress for {}",
            days_text(self.days_in_stage),
            days_text(self.days_without_progress)
        )
    }

    /// Why it is flagged, if it is rotting: `Rotting: no progress for 23 days`.
    pub fn rot_text(&self) -> Option<String> {
        self.rotting.then(|| {
            format!(
                "Rotting: no progress for {}",
                days_text(self.days_without_progress)
            )
        })
    }

    /// The order cards stand in a column: soonest expected close first, undated last.
    pub fn sort_key(&self) -> (bool, Option<String>, i64) {
        (
            self.expected_close_on.is_none(),
            self.expected_close_on.clone(),
            self.id,
        )
    }
}

impl BoardColumn {
    /// Recomputes count and totals from the cards (totals only when every value is known).
    pub fn recount(&mut self) {
        self.count = self.cards.len() as i64;
        let values: Option<Vec<(i64, i64)>> = self
            .cards
            .iter()
            .map(|c| c.value_minor.map(|v| (v, c.probability_pct)))
            .collect();
        match values.and_then(|v| ColumnTotals::of(v).ok()) {
            Some(t) => {
                self.value_minor = Some(t.value_minor);
                self.weighted_minor = Some(t.weighted_minor);
            }
            None => {
                self.value_minor = None;
                self.weighted_minor = None;
            }
        }
    }
}

/// Whole days in words: `1 day`, `23 days`.
pub fn days_text(days: i64) -> String {
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

/// An id and the name to show for it.
pub type Named = (i64, String);

/// What the board is narrowed to; kept in the URL (`?owner=&client=&q=&mine=1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardFilter {
    /// Only deals owned by this user.
    pub owner_user_id: Option<i64>,
    /// Only deals of this client.
    pub client_id: Option<i64>,
    /// Only deals whose title or client contains this text (any case).
    pub text: String,
}

impl BoardFilter {
    /// Whether a card passes.
    pub fn admits(&self, card: &DealCard) -> bool {
        let text = self.text.trim().to_lowercase();
        self.owner_user_id.is_none_or(|o| o == card.owner_user_id)
            && self.client_id.is_none_or(|c| c == card.client_id)
            && (text.is_empty()
                || card.title.to_lowercase().contains(&text)
                || card.client_name.to_lowercase().contains(&text))
    }

    /// Whether it narrows anything.
    pub fn is_active(&self) -> bool {
        self.owner_user_id.is_some() || self.client_id.is_some() || !self.text.trim().is_empty()
    }
}

impl Board {
    /// The board with only the cards `filter` admits, totals recomputed.
    pub fn filtered(&self, filter: &BoardFilter) -> Board {
        let mut board = self.clone();
        if filter.is_active() {
            for column in &mut board.columns {
                column.cards.retain(|c| filter.admits(c));
                column.recount();
            }
        }
        board
    }

    /// The owners and clients that appear on the board, by name: (id, name).
    pub fn owners_and_clients(&self) -> (Vec<Named>, Vec<Named>) {
        let mut owners: Vec<(i64, String)> = Vec::new();
        let mut clients: Vec<(i64, String)> = Vec::new();
        for card in self.columns.iter().flat_map(|c| &c.cards) {
            if !owners.iter().any(|o| o.0 == card.owner_user_id) {
                owners.push((card.owner_user_id, card.owner_name.clone()));
            }
            if !clients.iter().any(|c| c.0 == card.client_id) {
                clients.push((card.client_id, card.client_name.clone()));
            }
        }
        owners.sort_by(|a, b| a.1.cmp(&b.1));
        clients.sort_by(|a, b| a.1.cmp(&b.1));
        (owners, clients)
    }

    /// Puts `card` where it now belongs (its stage's column, in order), replacing any older
    /// copy; cards of stages not on the board are dropped.
    pub fn upsert(&mut self, card: DealCard) {
        self.remove(card.id);
        if let Some(column) = self
            .columns
            .iter_mut()
            .find(|c| c.stage.id == card.stage_id)
        {
            let key = card.sort_key();
            let at = column.cards.partition_point(|c| c.sort_key() < key);
            column.cards.insert(at, card);
            column.recount();
        }
    }

    /// Takes a deal off the board.
    pub fn remove(&mut self, deal_id: i64) {
        for column in &mut self.columns {
            let before = column.cards.len();
            column.cards.retain(|c| c.id != deal_id);
            if column.cards.len() != before {
                column.recount();
            }
        }
    }

    /// The card of a deal, if it is on the board.
    pub fn card(&self, deal_id: i64) -> Option<&DealCard> {
        self.columns
            .iter()
            .flat_map(|c| &c.cards)
            .find(|c| c.id == deal_id)
    }

    /// Builds the board from its stages (in order) and deals (in card order) at `now_ms`.
    pub fn assemble(
        workspace_name: String,
        currency: Currency,
        stages: Vec<StageSummary>,
        deals: Vec<BoardDealRow>,
        now_ms: i64,
    ) -> Result<Self, DomainError> {
        let mut columns: Vec<(BoardColumn, ColumnTotals)> = stages
            .into_iter()
            .map(|stage| {
                let column = BoardColumn {
                    stage,
                    cards: Vec::new(),
                    count: 0,
                    value_minor: None,
                    weighted_minor: None,
                };
                (column, ColumnTotals::default())
            })
            .collect();
        for deal in deals {
            let Some((column, totals)) = columns.iter_mut().find(|c| c.0.stage.id == deal.stage_id)
            else {
                continue;
            };
            let card = DealCard::from_row(&column.stage, deal, now_ms);
            totals.add(card.value_minor.unwrap_or(0), card.probability_pct)?;
            column.cards.push(card);
        }
        let columns = columns
            .into_iter()
            .map(|(mut column, totals)| {
                column.count = totals.count;
                column.value_minor = Some(totals.value_minor);
                column.weighted_minor = Some(totals.weighted_minor);
                column
            })
            .collect();
        Ok(Self {
            workspace_name,
            currency,
            columns,
            seq: 0,
            clients: Vec::new(),
            rights: DealRights::default(),
        })
    }

    /// Removes every deal value and total, for viewers without "view deal values".
    pub fn hide_values(&mut self) {
        for column in &mut self.columns {
            column.value_minor = None;
            column.weighted_minor = None;
            for card in &mut column.cards {
                card.value_minor = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::MS_PER_DAY;

    fn stage(id: i64, name: &str, pct: i64, kind: &str, rot: Option<i64>) -> StageSummary {
        StageSummary {
            id,
            name: name.into(),
            probability_pct: pct,
            kind: StageKind::parse(kind).unwrap(),
            rotting_days: rot,
        }
    }

    fn deal(id: i64, stage_id: i64, value: i64, over: Option<i64>, entered: i64) -> BoardDealRow {
        BoardDealRow {
            id,
            title: format!("Deal {id}"),
            client_id: 1,
            client_name: "Acme".into(),
            owner_user_id: 1,
            value_minor: value,
            stage_id,
            probability_override_pct: over,
            owner_name: "Ada Lovelace".into(),
            stage_entered_at: entered,
            progressed_at: entered,
            expected_close_on: None,
            version: 1,
        }
    }

    #[test]
    fn cards_land_in_their_columns_with_totals() {
        let stages = vec![
            stage(1, "Proposal", 50, "open", Some(10)),
            stage(2, "Won", 100, "won", None),
        ];
        let now = 100 * MS_PER_DAY;
        let deals = vec![
            deal(10, 1, 1_000_000, None, now - 11 * MS_PER_DAY),
            deal(11, 1, 500_000, Some(80), now - 2 * MS_PER_DAY),
            deal(12, 2, 300_000, Some(10), 0),
            deal(13, 99, 1, None, 0), // a stage not shown is skipped
        ];
        let board = Board::assemble("W".into(), Currency::new("EUR"), stages, deals, now).unwrap();
        let proposal = &board.columns[0];
        assert_eq!(proposal.cards.len(), 2);
        assert_eq!(proposal.count, 2);
        assert_eq!(proposal.value_minor, Some(1_500_000));
        assert_eq!(proposal.weighted_minor, Some(500_000 + 400_000));
        assert!(proposal.cards[0].rotting);
        assert_eq!(proposal.cards[0].days_in_stage, 11);
        assert!(!proposal.cards[1].rotting);
        assert_eq!(proposal.cards[1].owner_initials, "AL");
        let won = &board.columns[1];
        assert_eq!(won.cards[0].probability_pct, 100);
        assert_eq!(won.weighted_minor, Some(300_000));
        assert!(!won.cards[0].rotting);
    }

    #[test]
    fn a_card_rots_on_the_time_without_progress_not_in_its_stage() {
        let stages = vec![stage(1, "Qualified", 25, "open", Some(21))];
        let now = 100 * MS_PER_DAY;
        // Back in Qualified two days ago; no progress for 23 days.
        let mut bounced = deal(1, 1, 1_000, None, now - 2 * MS_PER_DAY);
        bounced.progressed_at = now - 23 * MS_PER_DAY;
        // Moved on recently: fresh on both clocks.
        let fresh = deal(2, 1, 1_000, None, now - 3 * MS_PER_DAY);
        let board = Board::assemble(
            "W".into(),
            Currency::new("EUR"),
            stages,
            vec![bounced, fresh],
            now,
        )
        .unwrap();
        let (bounced, fresh) = (&board.columns[0].cards[0], &board.columns[0].cards[1]);
        assert_eq!(
            (bounced.days_in_stage, bounced.days_without_progress),
            (2, 23)
        );
        assert!(bounced.rotting);
        assert_eq!(
            bounced.age_text(),
            "In this stage 2 days; no progress for 23 days"
        );
        assert_eq!(
            bounced.rot_text().as_deref(),
            Some("Rotting: no progress for 23 days")
        );
        assert!(!fresh.rotting);
        assert_eq!(fresh.age_text(), "In this stage 3 days");
        assert_eq!(fresh.rot_text(), None);
    }

    #[test]
    fn filters_narrow_cards_and_totals_follow() {
        let stages = vec![stage(1, "Lead", 50, "open", None)];
        let mut a = deal(1, 1, 1_000, None, 0);
        a.title = "Website redesign".into();
        let mut b = deal(2, 1, 3_000, None, 0);
        b.owner_user_id = 7;
        b.client_name = "Harbor Health".into();
        let board =
            Board::assemble("W".into(), Currency::new("EUR"), stages, vec![a, b], 0).unwrap();
        let only = |f: BoardFilter| {
            let fb = board.filtered(&f);
            (fb.columns[0].count, fb.columns[0].value_minor)
        };
        assert_eq!(only(BoardFilter::default()), (2, Some(4_000)));
        assert_eq!(
            only(BoardFilter {
                owner_user_id: Some(7),
                ..Default::default()
            }),
            (1, Some(3_000))
        );
        assert_eq!(
            only(BoardFilter {
                text: "WEBSITE".into(),
                ..Default::default()
            }),
            (1, Some(1_000))
        );
        assert_eq!(
            only(BoardFilter {
                text: "harbor".into(),
                ..Default::default()
            }),
            (1, Some(3_000))
        );
        assert_eq!(
            only(BoardFilter {
                client_id: Some(99),
                ..Default::default()
            }),
            (0, Some(0))
        );
    }

    #[test]
    fn hidden_values_leave_no_amount_behind() {
        let stages = vec![stage(1, "Lead", 10, "open", None)];
        let deals = vec![deal(1, 1, 123_456, None, 0)];
        let mut board =
            Board::assemble("W".into(), Currency::new("EUR"), stages, deals, 0).unwrap();
        board.hide_values();
        let json = serde_json::to_string(&board).unwrap();
        assert!(
            !json.contains("123456") && !json.contains("12346"),
            "{json}"
        );
        assert_eq!(board.columns[0].count, 1);
    }
}
