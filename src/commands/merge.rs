//! `merge PATH`, `export bundle` and `sites`: district ledgers merged into a
//! provincial and a national one (DESIGN §3).
//!
//! A merge copies every entry it does not have yet, by id, with its original
//! site, time, actor and records; entries it has are compared and skipped.
//! It is one transaction: any conflict rolls everything back and the report
//! names each one. A merge that brings nothing new writes nothing, so merging
//! twice is a no-op; one that brings entries writes one `merge` entry of its
//! own, and `site_merges` rows for `bloodledger sites`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use super::{Context, actor};
use crate::cli::{ExportArgs, MergeArgs};
use crate::error::UserError;
use crate::ledger::check::drive_problems;
use crate::ledger::merge::{
    BUNDLE_FORMAT, BUNDLE_VERSION, BundleEnd, BundleHeader, Conflict, EntryAt, SinceArg, TravellingEntry,
};
use crate::output;
use crate::output::merge::{MergeReport, SiteCount};
use crate::refuse;
use crate::store::{Access, NewEntry, Placed, Since, Store, Txn};

/// How many conflicts a refusal lists before it only counts them.
const SHOWN_CONFLICTS: usize = 20;

/// What `merge` reads: a ledger file or a bundle, as entries.
struct Source {
    kind: &'static str,
    site_id: String,
    since: Option<String>,
    entries: Vec<TravellingEntry>,
}

pub fn run(ctx: &mut Context, args: MergeArgs) -> Result<()> {
    let actor = actor(&args.actor);
    if same_file(&args.path, &ctx.db) {
        refuse!(
            hint = "give another site's ledger or bundle; --db (or BLOODLEDGER_DB) names the ledger merged into",
            "{} is this ledger itself; nothing was changed",
            args.path.display()
        );
    }
    // Read the whole source before taking the write lock on ours.
    let source = read_source(&args.path)?;
    let mut store = ctx.open(if args.dry_run { Access::Read } else { Access::BulkWrite })?;
    let own_site = store.site_id().to_string();
    let txn = store.begin()?;
    let mut merge = Merge::default();
    for entry in &source.entries {
        merge.entry(&txn, entry)?;
    }
    merge.check_touched(ctx, &txn)?;
    let file = args
        .path
        .file_name()
        .map_or_else(|| args.path.display().to_string(), |n| n.to_string_lossy().to_string());
    if !merge.conflicts.is_empty() {
        return Err(refusal(&merge, &args.path));
    }
    let mut report = MergeReport {
        file,
        kind: source.kind,
        site_id: source.site_id.clone(),
        own_site,
        dry_run: args.dry_run,
        new: merge.new_entries(),
        present: merge.present_entries(),
        sites: merge
            .sites
            .iter()
            .map(|(site, (new, present))| SiteCount {
                site_id: site.clone(),
                new: *new,
                present: *present,
            })
            .collect(),
        entry: None,
    };
    // A dry run, or nothing new: the transaction rolls back, and nothing was written.
    if args.dry_run || report.new == 0 {
        drop(txn);
        return output::merge::merged(&mut ctx.out, &report);
    }
    let summary = format!(
        "Merged {} from {} (site {}), {} already present",
        output::merge::entries(report.new),
        report.file,
        report.site_id,
        report.present
    );
    let entry = txn.append_entry(NewEntry {
        actor: &actor,
        action: "merge",
        drive_uuid: None,
        summary: summary.clone(),
        payload: json!({"merge": {
            "source": {"file": report.file, "kind": source.kind, "site_id": source.site_id, "since": source.since},
            "new": report.new, "already_present": report.present,
            "sites": merge.sites.iter().map(|(site, (new, present))| (site.clone(), json!({"new": new, "already_present": present}))).collect::<serde_json::Map<_, _>>(),
        }}),
        voids: None,
        reason: None,
    })?;
    for (site, (new, present)) in &merge.sites {
        txn.record_site_merge(entry.number, site, &source.site_id, *new, *present)?;
    }
    txn.commit()?;
    report.entry = Some((entry, summary));
    output::merge::merged(&mut ctx.out, &report)
}

/// What a merge has done so far inside its transaction.
#[derive(Default)]
struct Merge {
    conflicts: Vec<Conflict>,
    /// Entries that rest on something missing: reported only when nothing
    /// else was refused (they may rest on an entry refused above).
    missing: Vec<Conflict>,
    /// Site → (new, already present).
    sites: BTreeMap<String, (u64, u64)>,
    placed: HashSet<String>,
    drives: BTreeSet<String>,
    units: BTreeSet<String>,
}

impl Merge {
    fn new_entries(&self) -> u64 {
        self.sites.values().map(|(new, _)| new).sum()
    }

    fn present_entries(&self) -> u64 {
        self.sites.values().map(|(_, present)| present).sum()
    }

    fn entry(&mut self, txn: &Txn, entry: &TravellingEntry) -> Result<()> {
        let theirs = entry_at(entry);
        if let Some(number) = txn.entry_number(&entry.id)? {
            let ours = txn.travelling_entry(number)?;
            if ours == *entry {
                self.sites.entry(entry.site_id.clone()).or_default().1 += 1;
            } else {
                self.conflicts.push(Conflict::SameIdDifferentContent {
                    ours: entry_at(&ours),
                    theirs,
                });
            }
            return Ok(());
        }
        let before = self.conflicts.len();
        if let Some(voided) = &entry.voids
            && let Some(ours) = txn.void_of(voided)?
        {
            self.conflicts.push(Conflict::VoidedTwice {
                voided: voided.clone(),
                ours,
                theirs: theirs.clone(),
            });
        }
        for unit in entry.records.get("units").into_iter().flatten() {
            let Some(unit_id) = unit.get("unit_id").and_then(Value::as_str) else {
                continue;
            };
            if let Some(ours) = txn.unit_with_id(unit_id)? {
                self.conflicts.push(Conflict::UnitId {
                    unit_id: unit_id.to_string(),
                    ours,
                    theirs: theirs.clone(),
                });
            }
        }
        if self.conflicts.len() > before {
            return Ok(());
        }
        match txn.place_entry(entry)? {
            Placed::Missing(what) => self.missing.push(Conflict::Missing { entry: theirs, what }),
            Placed::Entry(_) => {
                self.sites.entry(entry.site_id.clone()).or_default().0 += 1;
                self.placed.insert(entry.id.clone());
                self.drives.extend(entry.drive.iter().cloned());
                for table in entry.records.keys() {
                    self.drives.extend(entry.values(table, "drive").map(String::from));
                }
                if let Some(voided) = &entry.voids
                    && let Some(number) = txn.entry_number(voided)?
                {
                    self.drives.extend(txn.drives_of_entry(number)?);
                }
                for table in ["transfer_units", "discard_units"] {
                    self.units.extend(entry.values(table, "unit").map(String::from));
                }
            }
        }
        Ok(())
    }

    /// The rules that only the merged whole can break: one live drive per
    /// slug, a unit leaves stock once, one live tally per drive, and every
    /// touched drive passes `check`.
    fn check_touched(&mut self, ctx: &Context, txn: &Txn) -> Result<()> {
        let mut slugs = BTreeSet::new();
        for uuid in &self.drives {
            let Some(_) = txn.drive_id_by_uuid(uuid)? else { continue };
            let live = txn.live_drives_like(uuid)?;
            let Some((_, slug, _)) = live.first().cloned() else {
                continue;
            };
            if live.len() > 1
                && slugs.insert(crate::ledger::fold(&slug))
                && let Some((ours, theirs)) = self.split(live.into_iter().map(|(_, _, at)| at).collect())
            {
                self.conflicts.push(Conflict::DriveSlug { slug, ours, theirs });
            }
        }
        for unit_id in &self.units {
            let movements = txn.live_movements_of_unit(unit_id)?;
            if let Some((ours, theirs)) = self.split(movements) {
                self.conflicts.push(Conflict::UnitMovedTwice {
                    unit_id: unit_id.clone(),
                    ours,
                    theirs,
                });
            }
        }
        for uuid in &self.drives {
            let Some(_) = txn.drive_id_by_uuid(uuid)? else { continue };
            let (slug, tallies) = txn.live_tallies_of_drive(uuid)?;
            if let Some((ours, theirs)) = self.split(tallies) {
                self.conflicts.push(Conflict::DriveResultsTwice { slug, ours, theirs });
            }
        }
        if self.conflicts.is_empty() {
            self.conflicts.append(&mut self.missing);
        }
        if !self.conflicts.is_empty() {
            return Ok(());
        }
        for uuid in &self.drives {
            let Some(id) = txn.drive_id_by_uuid(uuid)? else {
                continue;
            };
            let Some(drive) = txn.drives(Some(id))?.pop() else {
                continue;
            };
            for problem in drive_problems(&drive, ctx.rules) {
                self.conflicts.push(Conflict::Inconsistent {
                    slug: drive.slug.clone(),
                    problem: problem.message,
                });
            }
        }
        Ok(())
    }

    /// Two sides of a conflict, when there are two or more: what this
    /// ledger had, then what came in.
    fn split(&self, mut sides: Vec<EntryAt>) -> Option<(EntryAt, EntryAt)> {
        if sides.len() < 2 {
            return None;
        }
        sides.sort_by_key(|e| self.placed.contains(&e.id));
        let theirs = sides.pop()?;
        let ours = sides.into_iter().next()?;
        Some((ours, theirs))
    }
}

fn entry_at(entry: &TravellingEntry) -> EntryAt {
    EntryAt {
        id: entry.id.clone(),
        site_id: entry.site_id.clone(),
        summary: entry.summary.clone(),
    }
}

fn refusal(merge: &Merge, path: &Path) -> anyhow::Error {
    let count = merge.conflicts.len();
    let mut message = format!(
        "the merge of {} was refused: {count} conflict{}; nothing was written",
        path.display(),
        if count == 1 { "" } else { "s" }
    );
    for conflict in merge.conflicts.iter().take(SHOWN_CONFLICTS) {
        let (what, fix) = conflict.describe();
        message.push_str(&format!("\n  {what}\n    fix: {fix}"));
    }
    if count > SHOWN_CONFLICTS {
        message.push_str(&format!("\n  … and {} more", count - SHOWN_CONFLICTS));
    }
    UserError::new(message)
        .hint(
            "resolve each conflict at the site that recorded it, then merge again; entries already merged are skipped",
        )
        .into()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A ledger file or a bundle, told apart by their first bytes.
fn read_source(path: &Path) -> Result<Source> {
    let mut file = File::open(path).map_err(|e| {
        UserError::new(format!("cannot read {}: {e}", path.display()))
            .hint("give the path of another site's ledger file or of a bundle from `bloodledger export bundle`")
    })?;
    let mut head = [0u8; 16];
    let read = file.read(&mut head).unwrap_or(0);
    if &head[..read] == b"SQLite format 3\0" {
        drop(file);
        let mut store = Store::open_source(path)?;
        let site_id = store.site_id().to_string();
        let txn = store.begin()?;
        let entries = txn.travelling_entries(&Since::All)?;
        return Ok(Source {
            kind: "ledger",
            site_id,
            since: None,
            entries,
        });
    }
    if head[..read].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        drop(file);
        return read_bundle(path);
    }
    Err(UserError::new(format!(
        "{} is neither a bloodledger ledger nor a bundle; nothing was changed",
        path.display()
    ))
    .hint("give another site's ledger file, or a bundle it wrote with `bloodledger export bundle --out FILE`")
    .into())
}

fn read_bundle(path: &Path) -> Result<Source> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let damaged = |line: usize, what: String| -> anyhow::Error {
        UserError::new(format!(
            "the bundle {} is damaged at line {line}: {what}; nothing was changed",
            path.display()
        ))
        .hint("copy the bundle again from its source, or have its site export it again")
        .into()
    };
    let mut lines = BufReader::with_capacity(1 << 16, file).lines().enumerate();
    let header: BundleHeader = match lines.next() {
        Some((_, Ok(line))) => {
            serde_json::from_str(&line).map_err(|e| damaged(1, format!("not a bundle header ({e})")))?
        }
        _ => return Err(damaged(1, "no header".into())),
    };
    if header.format != BUNDLE_FORMAT {
        refuse!(
            hint = "give a bundle from `bloodledger export bundle`, or a ledger file",
            "{} is a `{}` file, not a bloodledger bundle; nothing was changed",
            path.display(),
            header.format
        );
    }
    if header.version > BUNDLE_VERSION {
        refuse!(
            hint = "merge it with the newer bloodledger that wrote it",
            "the bundle {} was written by a newer bloodledger (bundle version {}; this one reads up to {BUNDLE_VERSION}); nothing was changed",
            path.display(),
            header.version
        );
    }
    if header.version < BUNDLE_VERSION {
        refuse!(
            hint = "merge that site's ledger file instead (`bloodledger merge LEDGER`), or export the bundle again with this version of bloodledger",
            "the bundle {} was written by an older bloodledger (bundle version {}; this one reads version {BUNDLE_VERSION}, which names units by their unit id); nothing was changed",
            path.display(),
            header.version
        );
    }
    let mut entries = Vec::new();
    let mut end = None;
    for (i, line) in lines {
        let line = line.map_err(|e| damaged(i + 1, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(damaged(i + 1, "text after the end line".into()));
        }
        let value: Value = serde_json::from_str(&line).map_err(|e| damaged(i + 1, e.to_string()))?;
        if value.get("end").is_some() {
            let last: BundleEnd = serde_json::from_value(value).map_err(|e| damaged(i + 1, e.to_string()))?;
            end = Some((i + 1, last.end.entries));
            continue;
        }
        let entry: TravellingEntry = serde_json::from_value(value).map_err(|e| damaged(i + 1, e.to_string()))?;
        if entry.site_id.is_empty() || entry.id.is_empty() {
            return Err(damaged(i + 1, "an entry without its id or site".into()));
        }
        entries.push(entry);
    }
    match end {
        None => Err(damaged(
            entries.len() + 2,
            "it ends before its end line (cut short in copying?)".into(),
        )),
        Some((line, count)) if count != entries.len() as u64 => Err(damaged(
            line,
            format!("it holds {} entries but says {count}", entries.len()),
        )),
        Some(_) => Ok(Source {
            kind: "bundle",
            site_id: header.site_id,
            since: header.since,
            entries,
        }),
    }
}

/// `export bundle --out FILE [--since DATE|ENTRY]`: this ledger's entries
/// with their records, for `merge` at another site.
pub fn export_bundle(ctx: &mut Context, args: ExportArgs) -> Result<()> {
    let Some(out) = &args.out else {
        return Err(UserError::usage("export bundle needs --out FILE")
            .hint("e.g. `bloodledger export bundle --out muongla.bundle`; a bundle holds donors' personal data, so it goes to a private file (mode 0600), never to the terminal")
            .into());
    };
    if !ctx.db.exists() {
        refuse!(
            hint = "check --db or BLOODLEDGER_DB",
            "there is no ledger at {} to export",
            ctx.db.display()
        );
    }
    let mut store = ctx.open(Access::Read)?;
    let site_id = store.site_id().to_string();
    let txn = store.begin()?;
    let since = match &args.since {
        None => Since::All,
        Some(SinceArg::Date(date)) => Since::Day(date.resolve(ctx.today).to_string()),
        Some(SinceArg::EntryNumber(number)) => match txn.entry_action(*number)? {
            Some(_) => Since::AfterEntry(*number),
            None => no_entry(&format!("#{number}"))?,
        },
        Some(SinceArg::EntryId(id)) => match txn.entry_number(id)? {
            Some(number) => Since::AfterEntry(number),
            None => no_entry(id)?,
        },
    };
    let entries = txn.travelling_entries(&since)?;
    // DESIGN §7: personal data leaves the ledger only with --include-pii.
    let donors: usize = entries.iter().map(TravellingEntry::donors).sum();
    if donors > 0 && !args.include_pii {
        refuse!(
            hint = "add --include-pii to carry it (the file is written readable by you only), or export with --since after the donors were added",
            "this bundle would carry personal data of {donors} donor{} (names, birth dates, phones, national ids)",
            if donors == 1 { "" } else { "s" }
        );
    }
    let header = BundleHeader {
        format: BUNDLE_FORMAT.into(),
        version: BUNDLE_VERSION,
        site_id: site_id.clone(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        since: args.since.as_ref().map(|_| match &since {
            Since::Day(day) => day.clone(),
            Since::AfterEntry(number) => format!("#{number}"),
            Since::All => String::new(),
        }),
    };
    output::merge::write_bundle(out, &header, &entries)?;
    let last = txn.last_entry_number()?;
    output::merge::bundle_written(&mut ctx.out, out, &site_id, &entries, last)
}

fn no_entry(typed: &str) -> Result<Since> {
    Err(UserError::new(format!("no entry `{typed}` for --since"))
        .hint("give an entry number as in `bloodledger history`, an entry id, or a date")
        .into())
}

/// `sites`: every site whose entries this ledger holds.
pub fn sites(ctx: &mut Context) -> Result<()> {
    let mut store = ctx.open(Access::Read)?;
    let own_site = store.site_id().to_string();
    let txn = store.begin()?;
    let rows = txn.sites()?;
    output::merge::sites(&mut ctx.out, &own_site, &rows)
}
