//! What comes from the environment: today's date, the ledger path, the user.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;

use crate::error::UserError;
use crate::ledger::values::parse_iso_date;

/// Today, or `BLOODLEDGER_TODAY` (a date) so that tests are deterministic.
pub fn today() -> Result<NaiveDate> {
    match std::env::var("BLOODLEDGER_TODAY") {
        Ok(text) if !text.is_empty() => parse_iso_date(&text).map_err(|e| {
            UserError::new(format!("BLOODLEDGER_TODAY: {e}"))
                .hint("set it to a date like 2026-11-25, or unset it")
                .into()
        }),
        _ => Ok(chrono::Local::now().date_naive()),
    }
}

/// How long a writer waits for the ledger's write lock: [`BUSY_TIMEOUT`], or
/// `BLOODLEDGER_BUSY_TIMEOUT_MS` (milliseconds; undocumented in `--help`, for
/// tests that prove the "busy" refusal without waiting ten seconds).
///
/// [`BUSY_TIMEOUT`]: crate::store::BUSY_TIMEOUT
pub fn busy_timeout() -> std::time::Duration {
    std::env::var("BLOODLEDGER_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|ms| ms.trim().parse::<u64>().ok())
        .map_or(crate::store::BUSY_TIMEOUT, std::time::Duration::from_millis)
}

pub fn ledger_path(given: Option<PathBuf>) -> Result<PathBuf> {
    given.or_else(crate::store::default_path).ok_or_else(|| {
        UserError::new("cannot find a data directory for the ledger")
            .hint("give --db PATH or set BLOODLEDGER_DB")
            .into()
    })
}

/// The operating-system user, for the journal: `USER`/`LOGNAME` as the
/// shell has them, else the account database (cron jobs may set neither).
pub fn os_user() -> String {
    ["USER", "LOGNAME"]
        .into_iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .or_else(|| whoami::username().ok())
        .unwrap_or_else(|| "unknown".into())
}

/// `--lang`, else the language of `LANG`, else English.
pub fn sentence_language(given: Option<&str>) -> &'static str {
    let from_env = std::env::var("LANG").unwrap_or_default();
    match given.unwrap_or(&from_env).get(..2).unwrap_or("") {
        "vi" => "vi",
        "nb" | "no" | "nn" => "nb",
        _ => "en",
    }
}
