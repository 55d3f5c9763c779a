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
