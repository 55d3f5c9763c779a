use anyhow::Result;
use serde::Serialize;

use super::table::Table;
use super::{Out, SCHEMA_VERSION, opt};
use crate::cli::Format;
use crate::ledger::check::Problem;
use crate::store::{EntryRef, HistoryEntry};

#[derive(Serialize)]
struct EntryJson<'a> {
    id: &'a str,
    number: i64,
    at: &'a str,
    actor: &'a str,
    action: &'a str,
    drive: Option<&'a str>,
    summary: &'a str,
    voids: Option<i64>,
    reason: Option<&'a str>,
    voided_by: Option<i64>,
}

/// The one line a write command answers with.
pub fn written(out: &mut Out, action: &str, entry: &EntryRef, summary: &str) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "action": action,
            "entry": { "id": entry.id, "number": entry.number },
            "summary": summary,
        })),
        Format::Csv => out.csv(
            &["entry_number", "entry_id", "action", "summary"],
            [vec![
                entry.number.to_string(),
                entry.id.clone(),
                action.into(),
                summary.into(),
            ]],
        ),
        Format::Table if out.quiet => Ok(()),
        Format::Table => out.line(&format!("{summary} — entry #{}", entry.number)),
    }
}

pub fn history(out: &mut Out, entries: &[HistoryEntry]) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "entries": entries.iter().map(|e| EntryJson {
                id: &e.id,
                number: e.number,
                at: &e.at,
                actor: &e.actor,
                action: &e.action,
                drive: e.drive.as_deref(),
                summary: &e.summary,
                voids: e.voids,
                reason: e.reason.as_deref(),
                voided_by: e.voided_by,
            }).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(
            &[
                "number",
                "id",
                "at",
                "actor",
                "action",
                "drive",
                "summary",
                "voids",
                "reason",
                "voided_by",
            ],
            entries.iter().map(|e| {
                vec![
                    e.number.to_string(),
                    e.id.clone(),
                    e.at.clone(),
                    e.actor.clone(),
                    e.action.clone(),
                    opt(&e.drive),
                    e.summary.clone(),
                    opt(&e.voids),
                    opt(&e.reason),
                    opt(&e.voided_by),
                ]
            }),
        ),
        Format::Table => {
            if entries.is_empty() {
                return out.line("The journal is empty.");
            }
            let mut table = Table::new(&["#", "at (UTC)", "by", "action", "summary", "voided"]).numeric([0]);
            for e in entries {
                let at = e.at.get(..16).unwrap_or(&e.at).replace('T', " ");
                let summary = match (&e.voids, &e.reason) {
                    (Some(_), Some(reason)) => format!("{} — {reason}", e.summary),
                    _ => e.summary.clone(),
                };
                table.row(vec![
                    e.number.to_string(),
                    at,
                    e.actor.clone(),
                    e.action.clone(),
                    summary,
                    e.voided_by.map(|n| format!("by #{n}")).unwrap_or_default(),
                ]);
            }
            out.line(&table.render())
        }
    }
}

/// What `check` found; nothing at all when it found nothing.
pub fn problems(out: &mut Out, problems: &[Problem]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "problems": problems.iter().map(|p| serde_json::json!({"drive": p.drive, "problem": p.message})).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(
            &["drive", "problem"],
            problems.iter().map(|p| vec![p.drive.clone(), p.message.clone()]),
        ),
        Format::Table => {
            for p in problems {
                out.line(&format!("drive {}: {}", p.drive, p.message))?;
                out.line(&format!("  investigate: bloodledger drive show {0}; bloodledger history --drive {0}", p.drive))?;
            }
            Ok(())
        }
    }
}
