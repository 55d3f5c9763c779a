//! What comes from the environment: today's date, the ledger path, the user.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;

use crate::cli::ColorChoice;
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

/// The ledger as the environment names it (`BLOODLEDGER_DB`, else the
/// default), for when clap has not parsed `--db`: completing at Tab.
pub fn ledger_path_from_env() -> Result<PathBuf> {
    ledger_path(
        std::env::var_os("BLOODLEDGER_DB")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
    )
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

/// `--lang`, else the language of the locale (`LC_ALL`, then `LC_MESSAGES`,
/// then `LANG`, the first one set, as POSIX orders them), else English.
pub fn sentence_language(given: Option<&str>) -> &'static str {
    let from_env = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default();
    match given.unwrap_or(&from_env).get(..2).unwrap_or("") {
        "vi" => "vi",
        "nb" | "no" | "nn" => "nb",
        _ => "en",
    }
}

/// Whether to colour a stream: `--color always|never` decide; `auto` colours
/// a terminal unless `NO_COLOR` is set (non-empty) or `TERM=dumb`.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// `--color` as typed, read before clap parses so that clap's own help and
/// usage errors follow it too. The last one wins, as clap would have it.
pub fn color_in_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> ColorChoice {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    let mut choice = ColorChoice::Auto;
    for (i, arg) in args.iter().enumerate() {
        let value = match arg.strip_prefix("--color") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        choice = match value {
            Some("always") => ColorChoice::Always,
            Some("never") => ColorChoice::Never,
            Some("auto") => ColorChoice::Auto,
            _ => choice,
        };
    }
    choice
}

/// Prompts need someone at a terminal: keys come from stdin, questions go to
/// stderr. Otherwise nothing may ever wait for input.
pub fn can_prompt() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Columns for a chart: `COLUMNS`, else the terminal's width, else 80.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .unwrap_or(80)
}

/// The program a shell's completion script calls at Tab: as it was invoked
/// when by a path (`./target/x86_64-unknown-linux-gnu/release/bloodledger`),
/// else by name on `PATH`.
pub fn completer_program() -> String {
    let invoked = std::env::args_os().next().map(PathBuf::from);
    match invoked {
        Some(path) if path.components().count() > 1 => {
            std::env::current_exe().unwrap_or(path).to_string_lossy().into_owned()
        }
        _ => "bloodledger".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<std::ffi::OsString> {
        text.split(' ').map(Into::into).collect()
    }

    #[test]
    fn color_is_read_from_the_arguments_before_clap() {
        assert_eq!(color_in_args(args("bloodledger --help")), ColorChoice::Auto);
        assert_eq!(
            color_in_args(args("bloodledger --color never drive")),
            ColorChoice::Never
        );
        assert_eq!(color_in_args(args("bloodledger --color=always")), ColorChoice::Always);
        assert_eq!(
            color_in_args(args("bloodledger --color=always x --color never")),
            ColorChoice::Never
        );
        assert_eq!(color_in_args(args("bloodledger -- --color=never")), ColorChoice::Auto);
        assert_eq!(color_in_args(args("bloodledger --colorful")), ColorChoice::Auto);
    }

    #[test]
    fn never_and_always_override_the_terminal() {
        assert!(!use_color(ColorChoice::Never, true));
        assert!(use_color(ColorChoice::Always, false));
        assert!(!use_color(ColorChoice::Auto, false));
    }
}
