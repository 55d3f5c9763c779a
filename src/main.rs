//! Parse, run, and map errors to exit codes: nothing else.

mod cli;
mod commands;
mod config;
mod error;
mod ledger;
mod output;
mod store;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::CommandFactory;

use crate::error::UserError;

fn main() -> ExitCode {
    // A shell completing a word (BLOODLEDGER_COMPLETE=bash …, from the
    // `completions` script) is answered here, and the process exits.
    clap_complete::CompleteEnv::with_factory(cli::Cli::command)
        .var(commands::COMPLETE_VAR)
        .complete();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let color = match config::color_in_args(args.iter().cloned()) {
        cli::ColorChoice::Auto => clap::ColorChoice::Auto,
        cli::ColorChoice::Always => clap::ColorChoice::Always,
        cli::ColorChoice::Never => clap::ColorChoice::Never,
    };
    let cli = match cli::parse(&args, color) {
        Ok(cli) => cli,
        // Usage errors exit 2; --help and --version exit 0.
        Err(e) => e.exit(),
    };
    let db = cli.global.db.clone();
    let stderr_color = config::use_color(cli.global.color, io::stderr().is_terminal());
    let result = (|| {
        let today = config::today()?;
        let path = config::ledger_path(cli.global.db.clone())?;
        let (format, ndjson) = cli.global.format();
        let out = output::Out::stdout(format, cli.global.quiet)
            .with_color(config::use_color(cli.global.color, io::stdout().is_terminal()));
        // This process runs one command and exits: its exit closes the ledger.
        store::leave_open_at_exit();
        let mut ctx = commands::Context::new(path, today, out, ndjson);
        ctx.stderr_color = stderr_color;
        commands::run_or_overview(&mut ctx, cli.command)?;
        ctx.out.finish()
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(error, db.as_deref(), stderr_color),
    }
}

fn report(error: anyhow::Error, db: Option<&std::path::Path>, color: bool) -> ExitCode {
    // A reader that stopped reading (`| head`) is not an error.
    if is_broken_pipe(&error) {
        return ExitCode::SUCCESS;
    }
    let ledger = db.map_or("the ledger".to_string(), |p| format!("the ledger {}", p.display()));
    let user = error
        .downcast_ref::<UserError>()
        .map(|e| (e.kind.code(), e.message.clone(), e.hint.clone()));
    let sqlite = error
        .chain()
        .find_map(|e| e.downcast_ref::<rusqlite::Error>())
        .and_then(|e| e.sqlite_error_code());
    let (code, message, hint) = match (user, sqlite) {
        (Some(user), _) => user,
        (None, Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)) => (
            1,
            format!(
                "{ledger} is busy: another bloodledger kept it locked for over {}; nothing was changed",
                waited(config::busy_timeout())
            ),
            Some("try again in a moment".into()),
        ),
        (None, Some(rusqlite::ErrorCode::ReadOnly)) => (
            1,
            format!("{ledger} is read-only here, so nothing can be recorded; nothing was changed"),
            Some("reads still work; to write, use a copy you may write to or fix the file's permissions".into()),
        ),
        (None, Some(rusqlite::ErrorCode::DiskFull)) => (
            1,
            format!("the disk is full; nothing was written to {ledger}"),
            Some("free some space and run the command again".into()),
        ),
        // Found while reading, past the checks made on opening (a truncated file).
        (None, Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)) => (
            1,
            format!("{ledger} is damaged (SQLite reports corruption); nothing was changed"),
            Some("restore it from a backup (`bloodledger backup` makes one)".into()),
        ),
        // A write that failed half-way (e.g. a file size limit) rolls the transaction back.
        (None, Some(rusqlite::ErrorCode::SystemIoFailure)) => (
            1,
            format!("could not read or write {ledger} ({error:#}); nothing was changed"),
            Some(
                "check the disk, its free space and any file size limit (`ulimit -f`), then run the command again"
                    .into(),
            ),
        ),
        (None, _) => (1, format!("{error:#}"), None),
    };
    let _ = io::stderr()
        .lock()
        .write_all(output::style::error_lines(&message, hint.as_deref(), color).as_bytes());
    ExitCode::from(code)
}

/// "10 s", or "250 ms" under a shortened test timeout.
fn waited(timeout: std::time::Duration) -> String {
    if timeout.as_millis().is_multiple_of(1000) {
        format!("{} s", timeout.as_secs())
    } else {
        format!("{} ms", timeout.as_millis())
    }
}

/// JSON and CSV writers wrap the io::Error in their own error types, which
/// do not expose it as a source, so look inside each of them.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        let kind = if let Some(io) = e.downcast_ref::<io::Error>() {
            Some(io.kind())
        } else if let Some(json) = e.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = e.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}
