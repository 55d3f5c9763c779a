//! Exports (`export drives|summary`), backups and imports: the documents
//! other tools read. Their shapes are a contract, written down in README.md.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::drive::DriveJson;
use super::number::grouped;
use super::totals::{FIELDS, figure_cells, row_cells};
use super::{Out, SCHEMA_VERSION, opt};
use crate::cli::Format;
use crate::ledger::Drive;
use crate::ledger::totals::{Figures, Row};
use crate::store::Cell;

/// The CSV columns of `export drives`: what describes a drive, then its figures.
const DRIVE_COLUMNS: [&str; 16] = [
    "slug",
    "name",
    "date",
    "status",
    "campaign",
    "province",
    "district",
    "venue",
    "registered",
    "deferred",
    "units",
    "volume_ml",
    "transferred",
    "discarded",
    "in_stock",
    "organiser",
];

pub fn export_drives(out: &mut Out, drives: &[Drive], ndjson: bool) -> Result<()> {
    match out.format {
        Format::Json if ndjson => {
            let w = out.raw();
            for drive in drives {
                serde_json::to_writer(&mut *w, &DriveJson::of(drive))?;
                w.write_all(b"\n")?;
            }
            Ok(())
        }
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "drives": drives.iter().map(DriveJson::of).collect::<Vec<_>>(),
        })),
        Format::Csv | Format::Table => out.csv(
            &DRIVE_COLUMNS,
            drives.iter().map(|d| {
                vec![
                    d.slug.clone(),
                    opt(&d.attrs.name),
                    d.date.to_string(),
                    d.status.as_str().into(),
                    opt(&d.attrs.campaign),
                    opt(&d.attrs.province),
                    opt(&d.attrs.district),
                    opt(&d.attrs.venue),
                    d.registered().to_string(),
                    d.deferred().to_string(),
                    d.units().to_string(),
                    d.volume_ml().to_string(),
                    d.transferred().to_string(),
                    d.discarded().to_string(),
                    d.in_stock().to_string(),
                    opt(&d.attrs.organiser),
                ]
            }),
        ),
    }
}

/// The nightly document.
#[derive(Serialize)]
pub struct SummaryJson<'a> {
    pub schema_version: u32,
    pub generated_at: String,
    pub site_id: &'a str,
    pub totals: &'a Figures,
    pub summary: String,
    pub by_campaign: &'a [Row],
    pub by_year: &'a [Row],
    pub by_drive: &'a [Row],
}

pub fn export_summary(out: &mut Out, summary: &SummaryJson, ndjson: bool) -> Result<()> {
    match out.format {
        Format::Json if ndjson => {
            let w = out.raw();
            serde_json::to_writer(&mut *w, summary)?;
            w.write_all(b"\n")?;
            Ok(())
        }
        Format::Json => out.json(summary),
        Format::Csv | Format::Table => {
            let mut all = vec!["all".to_string(), String::new()];
            all.extend(figure_cells(summary.totals));
            let mut rows = vec![all];
            for (scope, scoped) in [
                ("campaign", summary.by_campaign),
                ("year", summary.by_year),
                ("drive", summary.by_drive),
            ] {
                for r in scoped {
                    let mut row = vec![scope.to_string()];
                    row.extend(row_cells(r));
                    rows.push(row);
                }
            }
            let mut columns = vec!["scope", "key"];
            columns.extend(FIELDS);
            out.csv(&columns, rows)
        }
    }
}

pub fn backed_up(out: &mut Out, path: &Path) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({"schema_version": SCHEMA_VERSION, "backup": path})),
        Format::Csv => out.csv(&["backup"], [vec![path.display().to_string()]]),
        Format::Table if out.quiet => Ok(()),
        Format::Table => out.line(&format!("Backed up the ledger to {}", path.display())),
    }
}

/// What an import added, or with `--dry-run` would add.
pub fn imported(out: &mut Out, kind: &str, new: u64, present: u64, dry_run: bool, entry: Option<i64>) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "kind": kind,
            "new": new,
            "already_present": present,
            "dry_run": dry_run,
            "entry": entry,
        })),
        Format::Csv => out.csv(
            &["kind", "new", "already_present", "dry_run", "entry"],
            [vec![
                kind.into(),
                new.to_string(),
                present.to_string(),
                dry_run.to_string(),
                opt(&entry),
            ]],
        ),
        Format::Table if out.quiet => Ok(()),
        Format::Table => {
            let (new, present) = (grouped(new), grouped(present));
            let line = match entry {
                _ if dry_run => {
                    format!("Dry run, nothing written: {kind} would be {new} new, {present} already present")
                }
                Some(number) => format!("Imported {kind}: {new} new, {present} already present — entry #{number}"),
                None => format!("Imported {kind}: {new} new, {present} already present"),
            };
            out.line(&line)
        }
    }
}

/// Streams records of `export units|registrations|transfers`: JSON as one
/// document written record by record, NDJSON one record a line, or CSV.
pub struct RecordWriter<'a> {
    out: &'a mut Out,
    ndjson: bool,
    written: u64,
    csv: Option<csv::Writer<Vec<u8>>>,
    /// Each column's `"name":`, escaped once, after the `{` or `,` before it.
    keys: Vec<Vec<u8>>,
    /// Records are written here and handed on in large pieces: a million
    /// small writes cost more than the query that feeds them.
    buffer: Vec<u8>,
}

/// How much output is gathered before it is handed on: large enough that
/// writes are few, small enough that memory stays flat.
const CHUNK: usize = 1 << 16;

impl<'a> RecordWriter<'a> {
    pub fn start(out: &'a mut Out, kind: &str, columns: Vec<&'static str>, ndjson: bool) -> Result<RecordWriter<'a>> {
        let keys = columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let mut key = vec![if i == 0 { b'{' } else { b',' }];
                serde_json::to_writer(&mut key, name)?;
                key.push(b':');
                Ok(key)
            })
            .collect::<Result<_>>()?;
        let mut writer = RecordWriter {
            csv: None,
            keys,
            buffer: Vec::with_capacity(CHUNK + (1 << 12)),
            ndjson,
            written: 0,
            out,
        };
        match writer.out.format {
            Format::Json if ndjson => {}
            Format::Json => write!(writer.out.raw(), "{{\"schema_version\":{SCHEMA_VERSION},\"{kind}\":[")?,
            Format::Csv | Format::Table => {
                let mut csv = csv::Writer::from_writer(Vec::with_capacity(CHUNK + (1 << 12)));
                csv.write_record(&columns)?;
                writer.csv = Some(csv);
                writer.drain_csv()?;
            }
        }
        Ok(writer)
    }

    pub fn write(&mut self, cells: &[Cell]) -> Result<()> {
        self.written += 1;
        if let Some(csv) = &mut self.csv {
            let mut number = itoa::Buffer::new();
            for cell in cells {
                match *cell {
                    Cell::Null => csv.write_field(b"")?,
                    Cell::Int(n) => csv.write_field(number.format(n))?,
                    // Text may hold a formula typed by anyone; numbers cannot.
                    Cell::Text(text) => csv.write_field(super::spreadsheet_safe(text).as_bytes())?,
                    Cell::Real(_) | Cell::Bytes(_) => {
                        csv.write_field(super::spreadsheet_safe(&odd_text(cell)).as_bytes())?
                    }
                }
            }
            csv.write_record(None::<&[u8]>)?;
            // The csv writer hands its own buffer to ours every 8 KiB.
            if csv.get_ref().len() >= CHUNK {
                self.drain_csv()?;
            }
            return Ok(());
        }
        let w = &mut self.buffer;
        if !self.ndjson {
            w.extend_from_slice(if self.written > 1 { b",\n" } else { b"\n" });
        }
        // Written by hand so the keys keep the documented column order.
        for (key, cell) in self.keys.iter().zip(cells) {
            w.extend_from_slice(key);
            match *cell {
                Cell::Null => w.extend_from_slice(b"null"),
                Cell::Int(n) => w.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                Cell::Text(text) => json_string(w, text)?,
                Cell::Real(_) | Cell::Bytes(_) => json_string(w, &odd_text(cell))?,
            }
        }
        w.push(b'}');
        if self.ndjson {
            w.push(b'\n');
        }
        if w.len() >= CHUNK {
            self.out.raw().write_all(w)?;
            w.clear();
        }
        Ok(())
    }

    fn drain_csv(&mut self) -> Result<()> {
        if let Some(csv) = self.csv.take() {
            let mut buffer = csv.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
            self.out.raw().write_all(&buffer)?;
            buffer.clear();
            self.csv = Some(csv::Writer::from_writer(buffer));
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<u64> {
        self.drain_csv()?;
        self.out.raw().write_all(&self.buffer)?;
        match self.out.format {
            Format::Json if self.ndjson => {}
            Format::Json => self.out.raw().write_all(b"\n]}\n")?,
            _ => {}
        }
        Ok(self.written)
    }
}

/// A real or non-UTF-8 text (found only in a ledger written by another
/// program) as the text that stands for it.
fn odd_text<'a>(cell: &Cell<'a>) -> std::borrow::Cow<'a, str> {
    match *cell {
        Cell::Real(x) => x.to_string().into(),
        Cell::Bytes(bytes) => String::from_utf8_lossy(bytes),
        Cell::Null | Cell::Int(_) => "".into(),
        Cell::Text(text) => text.into(),
    }
}

/// The bytes that JSON strings escape: `"`, `\\` and the control characters.
const ESCAPED: [bool; 256] = {
    let mut escaped = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        escaped[b] = true;
        b += 1;
    }
    escaped[b'"' as usize] = true;
    escaped[b'\\' as usize] = true;
    escaped
};

/// `text` as a JSON string, exactly as serde_json writes it: most text needs
/// no escaping and is copied as it is; the rest goes through serde_json.
#[inline]
fn json_string(w: &mut Vec<u8>, text: &str) -> Result<()> {
    if text.bytes().any(|b| ESCAPED[b as usize]) {
        serde_json::to_writer(&mut *w, text)?;
    } else {
        w.push(b'"');
        w.extend_from_slice(text.as_bytes());
        w.push(b'"');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for text in [
            "",
            "O+",
            "Sơn La 😀",
            "quote \" and backslash \\",
            "tab\tnewline\n\r\u{1}\u{1f}",
            "\u{7f} delete is left as it is",
            "/slash",
        ] {
            let mut ours = Vec::new();
            json_string(&mut ours, text).expect("into a Vec");
            assert_eq!(
                String::from_utf8(ours).expect("utf-8"),
                serde_json::to_string(text).expect("json")
            );
        }
    }
}
