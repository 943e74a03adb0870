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
        current: Box<crate::api::board::DealCard>,
    },
    /// Input that fails validation, naming the field.
    #[error("{field}: {reason}")]
    Invalid {
        /// The input field at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
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
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            other => {
                tracing::error!(error = %other, "database error");
                Self::Internal
            }
        }
    }
}
