//! Multi-site ledgers: the bundle file, and what `merge`, `export bundle`
//! and `sites` answer.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::atomic::AtomicFile;
use super::number::grouped;
use super::table::Table;
use super::{Out, SCHEMA_VERSION, opt};
use crate::cli::Format;
use crate::ledger::merge::{BundleCount, BundleEnd, BundleHeader, TravellingEntry};
use crate::store::{EntryRef, SiteRow};

/// "1 entry", "14 entries".
pub fn entries(n: u64) -> String {
    if n == 1 {
        "1 entry".into()
    } else {
        format!("{} entries", grouped(n))
    }
}

/// What one merge did, or with `--dry-run` would do.
pub struct MergeReport {
    pub file: String,
    pub kind: &'static str,
    pub site_id: String,
    pub own_site: String,
    pub dry_run: bool,
    pub new: u64,
    pub present: u64,
    pub sites: Vec<SiteCount>,
    /// The merge's own journal entry, when it wrote one.
    pub entry: Option<(EntryRef, String)>,
}

pub struct SiteCount {
    pub site_id: String,
    pub new: u64,
    pub present: u64,
}

pub fn merged(out: &mut Out, report: &MergeReport) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "action": "merge",
            "dry_run": report.dry_run,
            "source": {"file": report.file, "kind": report.kind, "site_id": report.site_id},
            "site_id": report.own_site,
            "new": report.new,
            "already_present": report.present,
            "sites": report.sites.iter().map(|s| serde_json::json!({
                "site_id": s.site_id, "new": s.new, "already_present": s.present,
            })).collect::<Vec<_>>(),
            "entry": report.entry.as_ref().map(|(e, _)| serde_json::json!({"id": e.id, "number": e.number})),
        })),
        Format::Csv => out.csv(
            &["site_id", "new", "already_present", "dry_run", "entry"],
            report.sites.iter().map(|s| {
                vec![
                    s.site_id.clone(),
                    s.new.to_string(),
                    s.present.to_string(),
                    report.dry_run.to_string(),
                    opt(&report.entry.as_ref().map(|(e, _)| e.number)),
                ]
            }),
        ),
        Format::Table if out.quiet => Ok(()),
        Format::Table => {
            let (new, present) = (entries(report.new), grouped(report.present));
            let from = format!("{} {} (site {})", report.kind, report.file, report.site_id);
            let line = match &report.entry {
                _ if report.dry_run => {
                    format!("Dry run, nothing written: from {from}, {new} would be new, {present} already present")
                }
                Some((entry, summary)) => format!("{summary} — entry #{}", entry.number),
                None => format!("Nothing new in {from}: {present} already present; nothing was written"),
            };
            out.line(&line)
        }
    }
}

/// Writes a bundle whole or not at all, readable by its owner only (the
/// temporary file is 0600 and keeps its mode through the rename): one JSON
/// header line, one line per entry, and an end line that counts them.
pub fn write_bundle(path: &Path, header: &BundleHeader, entries: &[TravellingEntry]) -> Result<()> {
    let file = AtomicFile::create(path)?;
    let mut w = file.writer()?;
    serde_json::to_writer(&mut w, header)?;
    w.write_all(b"\n")?;
    for entry in entries {
        serde_json::to_writer(&mut w, entry)?;
        w.write_all(b"\n")?;
    }
    let end = BundleEnd {
        end: BundleCount {
            entries: entries.len() as u64,
        },
    };
    serde_json::to_writer(&mut w, &end)?;
    w.write_all(b"\n")?;
    w.flush()?;
    drop(w);
    file.commit()
}

pub fn bundle_written(out: &mut Out, path: &Path, site_id: &str, written: &[TravellingEntry], last: i64) -> Result<()> {
    let donors: usize = written.iter().map(TravellingEntry::donors).sum();
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "bundle": path,
            "site_id": site_id,
            "entries": written.len(),
            "donors": donors,
            "last_entry": last,
        })),
        Format::Csv => out.csv(
            &["bundle", "site_id", "entries", "donors", "last_entry"],
            [vec![
                path.display().to_string(),
                site_id.into(),
                written.len().to_string(),
                donors.to_string(),
                last.to_string(),
            ]],
        ),
        Format::Table if out.quiet => Ok(()),
        Format::Table => {
            let mut line = format!(
                "Wrote {} of site {site_id} to {}; next time, `--since #{last}` sends only what is newer",
                entries(written.len() as u64),
                path.display()
            );
            if donors > 0 {
                line.push_str(&format!(
                    "\nIt holds personal data of {} (names, birth dates, phones, national ids): keep the file private and delete it once merged",
                    if donors == 1 { "1 donor".to_string() } else { format!("{} donors", grouped(donors as u64)) }
                ));
            }
            out.line(&line)
        }
    }
}

pub fn sites(out: &mut Out, own_site: &str, rows: &[SiteRow]) -> Result<()> {
    match out.format {
        Format::Json => out.json(&serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "site_id": own_site,
            "sites": rows.iter().map(|r| serde_json::json!({
                "site_id": r.site_id,
                "this_ledger": r.site_id == own_site,
                "entries": r.entries,
                "last_entry_at": r.last_entry_at,
                "last_merge_at": r.last_merge_at,
                "last_merge_via": r.last_merge_via,
            })).collect::<Vec<_>>(),
        })),
        Format::Csv => out.csv(
            &[
                "site_id",
                "this_ledger",
                "entries",
                "last_entry_at",
                "last_merge_at",
                "last_merge_via",
            ],
            rows.iter().map(|r| {
                vec![
                    r.site_id.clone(),
                    (r.site_id == own_site).to_string(),
                    r.entries.to_string(),
                    r.last_entry_at.clone(),
                    opt(&r.last_merge_at),
                    opt(&r.last_merge_via),
                ]
            }),
        ),
        Format::Table => {
            if rows.is_empty() {
                return out.line(&format!("The journal is empty (this ledger is site {own_site})."));
            }
            let minute = |at: &str| at.get(..16).unwrap_or(at).replace('T', " ");
            let mut table = Table::new(&["site", "entries", "last entry (UTC)", "last merge (UTC)"]).numeric([1]);
            for r in rows {
                let site = if r.site_id == own_site {
                    format!("{} (this ledger)", r.site_id)
                } else {
                    r.site_id.clone()
                };
                let merge = match (&r.last_merge_at, &r.last_merge_via) {
                    (Some(at), Some(via)) if via != &r.site_id => format!("{} via {via}", minute(at)),
                    (Some(at), _) => minute(at),
                    _ => "–".into(),
                };
                table.row(vec![site, grouped(r.entries), minute(&r.last_entry_at), merge]);
            }
            out.line(&table.render())
        }
    }
}
