//! `AppError`: the one error every server function answers with.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a user can act on, or `Internal` for everything else (logged with its cause
/// on the server, shown as a plain sentence).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// The thing does not exist in the caller's workspace.
    #[error("not found")]
    NotFound,
    /// The caller is not signed in.
    #[error("please sign in")]
    Unauthorized,
    /// The caller lacks a permission.
    #[error("you do not have permission to do that")]
    Forbidden,
    /// A sign-in with an unknown email or a wrong password (the same answer for both).
    #[error("the email or password is not right")]
    BadCredentials,
    /// Too many failed sign-ins; try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited {
        /// Seconds until another attempt is accepted.
        retry_after_secs: i64,
    },
    /// The thing changed since the caller loaded it; reload and try again.
    #[error("{0}")]
    Conflict(String),
    /// The deal changed since the caller loaded it; here it is now.
    #[error("someone else changed this deal meanwhile; it now shows their change")]
    DealChanged {
        /// The deal as it is now.
        current: Box<crate::shared::board::DealCard>,
    },
    /// Input that fails validation, naming the field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The input field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server is too busy to take this request now (every connection in use past the
    /// wait, sign-ins queued to the limit); nothing was written. Try again in a moment.
    #[error("Baton is busy right now; nothing was changed, please try again in a moment")]
    Unavailable,
    /// Something failed on the server; details are in the server log only.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The request never reached the server function, or its answer could not be read.
    #[error("could not reach Baton: {0}")]
    Transport(String),
}

impl AppError {
    /// An `Invalid` error for `field`.
    pub fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Unauthorized | Self::BadCredentials => 401,
            Self::Forbidden => 403,
            Self::RateLimited { .. } => 429,
            Self::Conflict(_) | Self::DealChanged { .. } => 409,
            Self::Invalid { .. } => 422,
            Self::Unavailable => 503,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A request whose body does not decode into the function's arguments: bad
            // input (422), not a server fault. The decoder does not say which field.
            ServerFnErrorErr::Args(reason) | ServerFnErrorErr::MissingArg(reason) => {
                Self::Invalid {
                    field: "request".into(),
                    reason: format!("the arguments could not be read: {reason}"),
                }
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

impl From<crate::domain::DomainError> for AppError {
    fn from(value: crate::domain::DomainError) -> Self {
        match value {
            crate::domain::DomainError::OutOfRange { field, reason } => {
                Self::Invalid { field, reason }
            }
            crate::domain::DomainError::Overflow => {
                Self::invalid("amount", "is too large to compute")
            }
            crate::domain::DomainError::NotAllowed => Self::Forbidden,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("no database connection free within the acquire timeout");
                Self::Unavailable
            }
            sqlx::Error::Database(db) => {
                if crate::server::db::is_busy_code(db.code().as_deref()) {
                    tracing::warn!(error = %db, "database busy");
                    return Self::Unavailable;
                }
                let message = db.message().to_string();
                let constraint_field = |message: &str| {
                    crate::server::db::postgres_constraint_field(&*db)
                        .unwrap_or_else(|| constraint_field(message))
                };
                match db.kind() {
                    ErrorKind::UniqueViolation => {
                        Self::invalid(&constraint_field(&message), "is already taken")
                    }
                    ErrorKind::ForeignKeyViolation => Self::invalid(
                        "reference",
                        "refers to something that does not exist (any more)",
                    ),
                    ErrorKind::NotNullViolation => {
                        Self::invalid(&constraint_field(&message), "is required")
                    }
                    ErrorKind::CheckViolation => {
                        Self::invalid(&constraint_field(&message), "is out of range")
                    }
                    _ => {
                        tracing::error!(error = %db, "database error");

                        Self::Internal
                    }
                }
            }
            other => {
                tracing::error!(error = %other, "database error");

                Self::Internal
            }
        }
    }
}

/// The field a constraint message is about: the last column SQLite names
/// (`UNIQUE constraint failed: clients.workspace_id, clients.name` is `name`), or the
/// constraint's own name for a CHECK.
#[cfg(feature = "ssr")]
fn constraint_field(message: &str) -> String {
    let detail = message.rsplit(':').next().unwrap_or("").trim();
    let last = detail.rsplit(',').next().unwrap_or("").trim();
    let column = last.rsplit('.').next().unwrap_or("").trim();
    let field: String = column
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if field.is_empty() {
        "request".into()
    } else {
        field
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn constraint_messages_name_their_field() {
        assert_eq!(
            constraint_field("UNIQUE constraint failed: clients.workspace_id, clients.name"),
            "name"
        );
        assert_eq!(
            constraint_field("NOT NULL constraint failed: deals.title"),
            "title"
        );
        assert_eq!(
            constraint_field("CHECK constraint failed: minutes_range"),
            "minutes_range"
        );
        assert_eq!(
            constraint_field("CHECK constraint failed: minutes > 0"),
            "minutes"
        );
        assert_eq!(constraint_field("something else"), "something");
        assert_eq!(constraint_field(""), "request");
    }

    #[test]
    fn pool_timeouts_are_unavailable_not_internal() {
        assert_eq!(
            AppError::from(sqlx::Error::PoolTimedOut),
            AppError::Unavailable
        );
        assert_eq!(AppError::Unavailable.status(), 503);
    }
}
