//! `import KIND FILE|-`: RFC 4180 CSV with a header row, columns matched by
//! name in any order. One pass, one transaction: every line is checked and,
//! if good, written; any bad line rolls the whole import back and every bad
//! line is reported. Rows already in the ledger with the same content are
//! counted, not added, so importing twice adds nothing.

mod drives;
mod registrations;
mod transfers;
mod units;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Read};
use std::rc::Rc;
use std::str::FromStr;

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use csv::{ByteRecord, StringRecord};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Context, actor};
use crate::cli::{ImportArgs, ImportKind};
use crate::error::UserError;
use crate::ledger::{DriveStatus, Slug};
use crate::output;
use crate::refuse;
use crate::store::{Access, NewEntry, Txn};

/// How many bad lines an error lists before it only counts them.
const SHOWN_ERRORS: usize = 20;

pub fn run(ctx: &mut Context, args: ImportArgs) -> Result<()> {
    let actor = actor(&args.actor);
    // `Send`: `import units` reads the file on a second thread (so `Stdin`,
    // not its lock).
    let input: Box<dyn Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        // Opening a directory succeeds; reading it would fail with no name.
        if args.file.is_dir() {
            refuse!(
                hint = "give the CSV file inside it",
                "{} is a directory, not a CSV file",
                args.file.display()
            );
        }
        Box::new(File::open(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?)
    };
    let progress = progress_bar(&args, ctx.out.quiet);
    let input: Box<dyn Read + Send> = match &progress {
        Some(bar) => Box::new(bar.wrap_read(input)),
        None => input,
    };
    let mut rows = Rows::new(BufReader::with_capacity(1 << 16, input))?;
    let mut store = ctx.open(if args.dry_run { Access::Read } else { Access::BulkWrite })?;
    // Every reference an import writes comes from a lookup in this same
    // transaction; SQLite's own check of each one cost a seventh of an import.
    store.without_foreign_key_checks()?;
    let txn = store.begin()?;
    let entry = txn.reserve_entry()?;
    let (kind, tally) = match args.kind {
        ImportKind::Drives => ("drives", drives::import(ctx, &txn, &mut rows, entry)?),
        ImportKind::Units => ("units", units::import(ctx, &txn, &mut rows, entry)?),
        ImportKind::Registrations => ("registrations", registrations::import(ctx, &txn, &mut rows, entry)?),
        ImportKind::Transfers => ("transfers", transfers::import(ctx, &txn, &mut rows, entry)?),
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    rows.problems.into_result()?;
    if args.dry_run {
        // Dropping the transaction rolls back whatever was checked.
        return output::imported(&mut ctx.out, kind, tally.new, tally.present, true, None);
    }
    if tally.new > 0 {
        let file = if args.file.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            args.file.display().to_string()
        };
        txn.append_entry_as(
            Some(entry),
            NewEntry {
                actor: &actor,
                action: "import",
                drive_uuid: None,
                summary: format!("Imported {kind} from {file}: {} new, {} already present", tally.new, tally.present),
                payload: serde_json::json!({"import": {"kind": kind, "file": file, "new": tally.new, "already_present": tally.present}}),
                voids: None,
                reason: None,
            },
        )?;
        txn.commit()?;
    }
    output::imported(
        &mut ctx.out,
        kind,
        tally.new,
        tally.present,
        false,
        (tally.new > 0).then_some(entry),
    )
}

/// A bar on stderr when it is a terminal (bytes of the file read, or a
/// spinner for standard input); nothing for scripts and pipes.
fn progress_bar(args: &ImportArgs, quiet: bool) -> Option<ProgressBar> {
    if quiet || !io::stderr().is_terminal() {
        return None;
    }
    let size = std::fs::metadata(&args.file)
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let bar = match size {
        Some(size) => ProgressBar::new(size).with_style(
            ProgressStyle::with_template("{spinner} importing {msg} {wide_bar} {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} importing {msg} {bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar.set_message(format!("{:?}", args.kind).to_lowercase());
    Some(bar)
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub new: u64,
    pub present: u64,
}

/// A bad line: where, which column, what value, and why.
struct Problem {
    line: u64,
    column: String,
    value: String,
    reason: String,
}

#[derive(Default)]
pub struct Problems {
    shown: Vec<Problem>,
    count: u64,
}

impl Problems {
    pub fn add(&mut self, line: u64, column: &str, value: &str, reason: impl Into<String>) {
        self.count += 1;
        if self.shown.len() < SHOWN_ERRORS {
            let mut value: String = value.chars().take(60).collect();
            value = value.escape_debug().to_string();
            self.shown.push(Problem {
                line,
                column: column.to_string(),
                value,
                reason: shortened(reason.into()),
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Adds problems found later, as if each had been added here.
    pub fn append(&mut self, later: Problems) {
        // Most lines have none: nothing to move.
        if later.count == 0 {
            return;
        }
        self.count += later.count;
        let room = SHOWN_ERRORS.saturating_sub(self.shown.len());
        self.shown.extend(later.shown.into_iter().take(room));
    }

    fn into_result(self) -> Result<()> {
        if self.count == 0 {
            return Ok(());
        }
        let mut message = format!(
            "the import was refused: {} bad line{}; nothing was written",
            self.count,
            if self.count == 1 { "" } else { "s" }
        );
        for p in &self.shown {
            let column = if p.column.is_empty() {
                String::new()
            } else {
                format!(", column {}", p.column)
            };
            message.push_str(&format!("\n  line {}{column}: `{}`: {}", p.line, p.value, p.reason));
        }
        if self.count > self.shown.len() as u64 {
            message.push_str(&format!("\n  … and {} more", self.count - self.shown.len() as u64));
        }
        Err(UserError::new(message)
            .hint("fix those lines and import the file again; lines already in the ledger are skipped")
            .into())
    }
}

/// A reason quotes the value it refuses, and a cell may be a megabyte long:
/// keep each reported line readable.
fn shortened(reason: String) -> String {
    const MAX: usize = 300;
    if reason.chars().count() <= MAX {
        return reason;
    }
    let mut short: String = reason.chars().take(MAX).collect();
    short.push('…');
    short
}

/// The rows of a CSV file with its header, and the problems found so far.
pub struct Rows<R: Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    record: ByteRecord,
    pub problems: Problems,
}

impl<R: Read> Rows<R> {
    fn new(input: R) -> Result<Rows<R>> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let raw = reader.byte_headers().map_err(|e| csv_error(&e))?.clone();
        let headers = raw
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let h = String::from_utf8_lossy(h);
                let h = if i == 0 { h.trim_start_matches('\u{feff}') } else { &h };
                h.trim().to_ascii_lowercase()
            })
            .collect();
        Ok(Rows {
            reader,
            headers,
            record: ByteRecord::new(),
            problems: Problems::default(),
        })
    }

    /// Checks the header against a kind's columns: every required one
    /// present, nothing unknown, nothing twice.
    pub fn columns(&self, required: &[&'static str], optional: &[&'static str]) -> Result<Columns> {
        let known = || required.iter().chain(optional).copied().collect::<Vec<_>>().join(",");
        let mut index = Vec::new();
        for (i, name) in self.headers.iter().enumerate() {
            let Some(column) = required.iter().chain(optional).find(|c| **c == name) else {
                return Err(
                    UserError::new(shortened(format!("line 1: `{name}` is not a column of this import")))
                        .hint(format!("the columns are: {}", known()))
                        .into(),
                );
            };
            if index.iter().any(|(c, _)| c == column) {
                return Err(UserError::new(format!("line 1: column `{name}` is given twice"))
                    .hint("give each column once")
                    .into());
            }
            index.push((*column, i));
        }
        if let Some(missing) = required.iter().find(|c| !index.iter().any(|(i, _)| i == *c)) {
            return Err(UserError::new(format!("line 1: the header has no `{missing}` column"))
                .hint(format!("the columns are: {} (the first line of the file)", known()))
                .into());
        }
        Ok(Columns { index })
    }

    /// The next data line, or `None` at the end. Lines that are not valid
    /// UTF-8 are reported and skipped.
    pub fn next_line(&mut self) -> Result<Option<Line>> {
        loop {
            if !self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(&e))?
            {
                return Ok(None);
            }
            let number = self.record.position().map_or(0, |p| p.line());
            match StringRecord::from_byte_record(self.record.clone()) {
                Ok(record) => return Ok(Some(Line { number, record })),
                Err(e) => {
                    let field = e.utf8_error().field();
                    let column = self.headers.get(field).cloned().unwrap_or_default();
                    let value = String::from_utf8_lossy(self.record.get(field).unwrap_or_default()).to_string();
                    self.problems
                        .add(number, &column, &value, "not valid UTF-8; save the file as UTF-8");
                }
            }
        }
    }
}

fn csv_error(e: &csv::Error) -> anyhow::Error {
    let line = e.position().map(|p| format!("line {}: ", p.line())).unwrap_or_default();
    let what = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    };
    UserError::new(format!("{line}{what}; nothing was written"))
        .hint("the file must be CSV (RFC 4180) with a header row; quote fields that contain commas")
        .into()
}

pub struct Columns {
    index: Vec<(&'static str, usize)>,
}

pub struct Line {
    pub number: u64,
    record: StringRecord,
}

impl Line {
    /// The trimmed cell, `None` when empty or when the file has no such column.
    pub fn get(&self, columns: &Columns, column: &str) -> Option<&str> {
        let (_, i) = columns.index.iter().find(|(c, _)| *c == column)?;
        Some(self.record.get(*i)?.trim()).filter(|v| !v.is_empty())
    }

    /// Records a problem for each required column left empty.
    pub fn require(&self, columns: &Columns, required: &[&str], problems: &mut Problems) {
        for column in required {
            if self.get(columns, column).is_none() {
                problems.add(self.number, column, "", "this column needs a value");
            }
        }
    }

    /// Parses a cell with the same types the command line uses; a bad value
    /// is recorded as a problem and gives `Err(())`.
    pub fn parse<T: FromStr<Err = String>>(
        &self,
        columns: &Columns,
        column: &str,
        problems: &mut Problems,
    ) -> Result<Option<T>, ()> {
        match self.get(columns, column) {
            None => Ok(None),
            Some(value) => value.parse().map(Some).map_err(|reason| {
                problems.add(self.number, column, value, reason);
            }),
        }
    }
}

/// The drives an import names, looked up once each.
#[derive(Default)]
pub struct Drives {
    known: HashMap<String, Option<Rc<DriveInfo>>>,
    /// The last drive cell found recordable, as typed: files list a drive's
    /// lines together, so most lines need neither parsing nor folding.
    last: Option<(String, Rc<DriveInfo>)>,
}

#[derive(Clone)]
pub struct DriveInfo {
    pub id: i64,
    pub slug: String,
    pub date: NaiveDate,
}

impl Drives {
    const REMEMBERED: usize = 4096;

    /// The drive of the previous recordable line, if `cell` names it exactly
    /// as that line did.
    pub fn same_as_last(&self, cell: Option<&str>) -> Option<Rc<DriveInfo>> {
        match (&self.last, cell) {
            (Some((last, drive)), Some(cell)) if last == cell => Some(drive.clone()),
            _ => None,
        }
    }

    /// Remembers `cell` as naming `drive`, for [`Drives::same_as_last`].
    pub fn remember(&mut self, cell: Option<&str>, drive: &Rc<DriveInfo>) {
        if let Some(cell) = cell {
            self.last = Some((cell.to_string(), drive.clone()));
        }
    }

    /// The drive, if it exists and takes records (held, not closed, not in
    /// the future); otherwise a problem on this line.
    pub fn recordable(
        &mut self,
        ctx: &Context,
        txn: &Txn,
        slug: &Slug,
        line: u64,
        problems: &mut Problems,
    ) -> Result<Option<Rc<DriveInfo>>> {
        let key = slug.key();
        if !self.known.contains_key(&key) {
            let info = match txn.find_drive(&key)? {
                None => Err("no such drive; import the drives first".to_string()),
                Some(found) => {
                    let drive = txn.drive(found.id)?;
                    if drive.status == DriveStatus::Closed {
                        Err(format!(
                            "drive is closed; reopen it with `bloodledger drive reopen {}`",
                            drive.slug
                        ))
                    } else if drive.date > ctx.today {
                        Err(format!("the drive is on {}, after today ({})", drive.date, ctx.today))
                    } else {
                        Ok(DriveInfo {
                            id: found.id,
                            slug: drive.slug,
                            date: drive.date,
                        })
                    }
                }
            };
            match info {
                Ok(info) => {
                    // A national file names 100 000 drives: remember a bounded
                    // number, so memory stays flat (files group a drive's lines).
                    if self.known.len() >= Self::REMEMBERED {
                        self.known.clear();
                    }
                    self.known.insert(key.clone(), Some(Rc::new(info)));
                }
                Err(reason) => {
                    problems.add(line, "drive", slug.as_str(), reason);
                    return Ok(None);
                }
            }
        }
        Ok(self.known.get(&key).cloned().flatten())
    }
}
