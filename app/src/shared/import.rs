//! A CSV import as it crosses the wire: the columns an import understands, the limits of a
//! file and of each part the browser sends, and the answers to checking a part and to
//! sending one.

use serde::{Deserialize, Serialize};

/// Rows per request when the browser sends a file.
pub const ROWS_PER_PART: usize = 1000;
/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most parts one import may have.
pub const MAX_PARTS: i64 = (MAX_IMPORT_ROWS / ROWS_PER_PART) as i64;

/// An import's columns: the required ones, then the optional ones.
pub type Columns = (&'static [&'static str], &'static [&'static str]);

/// The columns of a people import: the required ones, then the optional ones.
pub const PEOPLE_COLUMNS: Columns = (
    &["name", "weekly_hours"],
    &["email", "title", "skills", "cost_rate", "bill_rate"],
);
/// The columns of a deals import: the required ones, then the optional ones.
pub const DEAL_COLUMNS: Columns = (
    &["title", "client", "value"],
    &[
        "stage",
        "probability",
        "owner_email",
        "expected_close_on",
        "planned_start_on",
        "planned_weeks",
    ],
);

/// The columns an import of `kind` understands (the first ones are required).
pub fn import_columns(kind: &str) -> Option<Columns> {
    match kind {
        "people" => Some(PEOPLE_COLUMNS),
        "deals" => Some(DEAL_COLUMNS),
        _ => None,
    }
}

/// A problem with one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based row of the file, the header being row 1.
    pub row: i64,
    /// The column at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The answer to checking part of a file (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedPart {
    /// Rows checked in this part.
    pub rows: i64,
    /// Problems, at most 200.
    pub errors: Vec<RowError>,
    /// The header as understood (the preview's column titles).
    pub header: Vec<String>,
    /// The first rows as they would be written (at most 5).
    pub preview: Vec<Vec<String>>,
}

/// The answer to one part of an upload: where the upload stands. A finished import's is
/// also kept, as JSON, so a resent last part gets it again; its fields' names and order
/// are therefore stored and must not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    /// Parts received so far.
    pub received: i64,
    /// Whether the import ran (all parts were in).
    pub done: bool,
    /// Rows written (0 unless done without errors).
    pub created: i64,
    /// Problems found when all parts were checked together (nothing was written).
    pub errors: Vec<RowError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_import_result_keeps_its_json_shape() {
        let result = ImportResult {
            received: 2,
            done: true,
            created: 0,
            errors: vec![RowError {
                row: 3,
                field: "value".into(),
                message: "must be an amount".into(),
            }],
        };
        let json = r#"{"received":2,"done":true,"created":0,"errors":[{"row":3,"field":"value","message":"must be an amount"}]}"#;
        assert_eq!(serde_json::to_string(&result).unwrap(), json);
        assert_eq!(serde_json::from_str::<ImportResult>(json).unwrap(), result);
    }
}
