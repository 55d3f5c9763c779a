//! Rendering: every result leaves as a table, JSON or CSV from here, and
//! nothing else in the program prints to stdout.

mod atomic;
mod catalog;
mod drive;
mod export;
mod journal;
pub mod number;
mod records;
mod table;
mod totals;
// Itemised records (issue 3).
pub mod items;
// The coordinator's experience: overview, charts, prompts, colour.
mod chart;
mod overview;
pub mod prompt;
pub mod style;
// Multi-site ledgers (issue 7).
pub mod merge;

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

pub use catalog::{campaigns, facilities};
pub use chart::totals_chart;
pub use drive::{drive_list, drive_show};
pub use export::{SummaryJson, backed_up, export_drives, export_summary, imported};
pub use journal::{history, problems, written};
pub use overview::overview;
pub use records::RecordWriter;
pub use totals::totals;

use crate::cli::Format;

/// Every JSON document carries this; bump it only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

pub struct Out {
    pub format: Format,
    pub quiet: bool,
    w: Box<dyn Write>,
    file: Option<atomic::AtomicFile>,
}

impl Out {
    pub fn stdout(format: Format, quiet: bool) -> Out {
        Out {
            format,
            quiet,
            w: Box::new(io::BufWriter::new(io::stdout().lock())),
            file: None,
        }
    }

    /// From now on write to `path` instead of stdout; [`Out::finish`] puts
    /// the file in place whole, and an error before it leaves the old one.
    pub fn redirect(&mut self, path: &std::path::Path) -> Result<()> {
        let file = atomic::AtomicFile::create(path)?;
        self.w = Box::new(file.writer()?);
        self.file = Some(file);
        Ok(())
    }

    /// The raw writer, for streaming records one by one.
    pub fn raw(&mut self) -> &mut dyn Write {
        &mut self.w
    }

    /// Colour for this output (decided by the caller from `--color`, the
    /// environment and the stream): bold table headers.
    pub fn with_color(self, on: bool) -> Out {
        style::set_table_headers(on && self.format == Format::Table);
        self
    }

    /// Bytes made elsewhere (a completion script, a man page), as they are.
    pub fn bytes(&mut self, bytes: &[u8]) -> Result<()> {
        self.w.write_all(bytes)?;
        Ok(())
    }

    pub fn line(&mut self, text: &str) -> Result<()> {
        writeln!(self.w, "{text}")?;
        Ok(())
    }

    pub fn json<T: Serialize>(&mut self, document: &T) -> Result<()> {
        serde_json::to_writer_pretty(&mut self.w, document)?;
        writeln!(self.w)?;
        Ok(())
    }

    pub fn csv(&mut self, headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<()> {
        let mut writer = csv::Writer::from_writer(&mut self.w);
        writer.write_record(headers)?;
        for row in rows {
            writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()))?;
        }
        writer.flush()?;
        Ok(())
    }

    pub fn finish(&mut self) -> Result<()> {
        self.w.flush()?;
        if let Some(file) = self.file.take() {
            file.commit()?;
        }
        Ok(())
    }
}

/// A CSV cell that a spreadsheet will show, never run (OWASP "CSV
/// injection"): text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'`, which spreadsheets take as "this is text". A
/// number (`-12`, `+3.5`) stays as it is: it cannot be a formula, and a
/// quote would turn it into text. Dates (`2026-07-16`) start with a digit
/// and are never touched. Every CSV the program writes goes through here.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    if risky && !is_plain_number(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// `-12`, `+3`, `-0.5`: an optional sign, digits, at most one `.` between digits.
fn is_plain_number(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn dash<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_else(|| "–".into())
}

#[cfg(test)]
mod spreadsheet_tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_become_text_and_numbers_and_dates_stay() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1e3", "'-1e3"),
            ("-12", "-12"),
            ("+3", "+3"),
            ("-0.5", "-0.5"),
            ("2026-07-16", "2026-07-16"),
            ("O-", "O-"),
            ("Sơn La", "Sơn La"),
            ("", ""),
            ("'=1", "'=1"),
        ] {
            assert_eq!(spreadsheet_safe(cell), safe, "{cell:?}");
        }
    }
}
