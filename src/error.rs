//! The error model: what went wrong, the value, and how to fix it.
//!
//! Commands return `anyhow::Result`. A [`UserError`] is a refusal the user can
//! act on (exit 1, or 2 for usage); anything else is reported as an internal
//! error. `main` maps them to exit codes; nothing here prints.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// A data or user error: unknown drive, stock would go negative, …
    Data,
    /// The command line itself is wrong (missing option, …).
    Usage,
}

impl ExitKind {
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Data => 1,
            ExitKind::Usage => 2,
        }
    }
}

#[derive(Debug)]
pub struct UserError {
    pub kind: ExitKind,
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            kind: ExitKind::Data,
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        UserError {
            kind: ExitKind::Usage,
            ..UserError::new(message)
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// Return early with a [`UserError`]: `refuse!("no drive `{slug}`")` or
/// `refuse!(hint = "see `bloodledger drive list`", "no drive `{slug}`")`.
#[macro_export]
macro_rules! refuse {
    (hint = $hint:expr, $($arg:tt)+) => {
        return Err($crate::error::UserError::new(format!($($arg)+)).hint($hint).into())
    };
    ($($arg:tt)+) => {
        return Err($crate::error::UserError::new(format!($($arg)+)).into())
    };
}
