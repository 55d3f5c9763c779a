//! Multi-site ledgers (DESIGN §3): a journal entry as it travels between
//! ledgers, the bundle that carries entries by USB or e-mail, and the
//! conflicts a merge refuses.
//!
//! An entry travels with every record it wrote. Local integer keys (entry
//! numbers, row ids) never leave a ledger: references are by UUID, so the
//! same entry has the same content in every ledger that holds it.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::values::DateArg;

/// The first line of a bundle names its format; a reader refuses other names.
pub const BUNDLE_FORMAT: &str = "bloodledger-bundle";
/// Bumped only for changes an older reader would misread. Version 2: units
/// are named by their unit_id, not a UUID (schema 0006).
pub const BUNDLE_VERSION: u32 = 2;

/// One record row, column name → value (integers, text or null); references
/// to other rows are their UUIDs (a unit's, its unit_id).
pub type Record = Map<String, Value>;

/// A journal entry with its records, as every ledger holding it sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravellingEntry {
    pub id: String,
    pub site_id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub drive: Option<String>,
    pub summary: String,
    /// The JSON payload exactly as stored, so that it compares byte for byte.
    pub payload: String,
    /// The id (not the local number) of the entry this one voids.
    pub voids: Option<String>,
    pub reason: Option<String>,
    /// Table name → rows this entry wrote, in a canonical order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, Vec<Record>>,
}

impl TravellingEntry {
    /// The values of `column` in the rows of `table` this entry wrote.
    pub fn values<'a>(&'a self, table: &str, column: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.records
            .get(table)
            .into_iter()
            .flatten()
            .filter_map(move |row| row.get(column).and_then(Value::as_str))
    }

    /// Whether the entry carries personal data (a donor's record).
    pub fn donors(&self) -> usize {
        self.records.get("donors").map_or(0, Vec::len)
    }
}

/// The first line of a bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleHeader {
    pub format: String,
    pub version: u32,
    /// The site of the ledger the bundle was exported from.
    pub site_id: String,
    pub created_at: String,
    /// `--since` as given, when the bundle is incremental.
    pub since: Option<String>,
}

/// The last line of a bundle: a truncated file lacks it or miscounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleEnd {
    pub end: BundleCount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleCount {
    pub entries: u64,
}

/// Where an entry stands, for naming it in a conflict: its id, its site,
/// and its one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryAt {
    pub id: String,
    pub site_id: String,
    pub summary: String,
}

/// Something that stops a merge. Each names both sides and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// The same entry id with different content in the two ledgers.
    SameIdDifferentContent { ours: EntryAt, theirs: EntryAt },
    /// Two live drives with the same slug, created independently.
    DriveSlug {
        slug: String,
        ours: EntryAt,
        theirs: EntryAt,
    },
    /// The same unit id collected at two sites.
    UnitId {
        unit_id: String,
        ours: EntryAt,
        theirs: EntryAt,
    },
    /// One unit leaving stock twice (transferred or discarded at two sites).
    UnitMovedTwice {
        unit_id: String,
        ours: EntryAt,
        theirs: EntryAt,
    },
    /// Two live tallies of one drive.
    DriveResultsTwice {
        slug: String,
        ours: EntryAt,
        theirs: EntryAt,
    },
    /// The same entry voided independently at two sites.
    VoidedTwice {
        voided: String,
        ours: EntryAt,
        theirs: EntryAt,
    },
    /// An incoming entry rests on a record this ledger does not have.
    Missing { entry: EntryAt, what: String },
    /// The merged drive would break the rules `check` enforces.
    Inconsistent { slug: String, problem: String },
}

impl Conflict {
    /// What is wrong, naming both sides; then how to resolve it.
    pub fn describe(&self) -> (String, String) {
        let at = |e: &EntryAt| format!("site {} (entry {}: {})", e.site_id, e.id, e.summary);
        let void_one = "void one of the two entries at its own site (`bloodledger void ENTRY-ID --reason \"…\"`), export it again and merge again";
        match self {
            Conflict::SameIdDifferentContent { ours, theirs } => (
                format!(
                    "entry {} differs: this ledger has it from {} but the merged file has {}",
                    ours.id,
                    at(ours),
                    at(theirs)
                ),
                "entries never change once written, so one of the two ledgers was altered outside bloodledger: restore it from a backup, or have its site export a new bundle".into(),
            ),
            Conflict::DriveSlug { slug, ours, theirs } => (
                format!(
                    "drive `{slug}` was created independently at {} and at {}",
                    at(ours),
                    at(theirs)
                ),
                "at one of the two sites, void that entry (`bloodledger void ENTRY-ID --reason \"…\"`) and record the drive again under another slug; then export it again and merge again".into(),
            ),
            Conflict::UnitId { unit_id, ours, theirs } => (
                format!("unit {unit_id} was collected at {} and at {}", at(ours), at(theirs)),
                "check both bags' labels: a unit id is unique for all time, voided units too, so one ledger cannot hold both records; merge the ledger whose record is right and leave the other until its site has corrected it".into(),
            ),
            Conflict::UnitMovedTwice { unit_id, ours, theirs } => (
                format!("unit {unit_id} left stock twice: at {} and at {}", at(ours), at(theirs)),
                void_one.into(),
            ),
            Conflict::DriveResultsTwice { slug, ours, theirs } => (
                format!("drive `{slug}` has results logged at {} and at {}", at(ours), at(theirs)),
                void_one.into(),
            ),
            Conflict::VoidedTwice { voided, ours, theirs } => (
                format!("entry {voided} was voided at {} and again at {}", at(ours), at(theirs)),
                "a void cannot itself be voided, so one ledger cannot hold both: the two sites must agree which void stands; merge the other ledger once its site has restored it from a backup taken before its void".into(),
            ),
            Conflict::Missing { entry, what } => (
                format!("entry {} from {} rests on {what}, which this ledger does not have", entry.id, at(entry)),
                "merge the earlier entries first: the site's full ledger, or a bundle without --since (or from an earlier --since)".into(),
            ),
            Conflict::Inconsistent { slug, problem } => (
                format!("drive `{slug}` would be inconsistent after the merge: {problem}"),
                format!("see `bloodledger drive show {slug}` and `bloodledger history --drive {slug}` at the sites that recorded it; {void_one}"),
            ),
        }
    }
}

/// `--since` of `export bundle`: a day (entries recorded on or after it, UTC)
/// or an entry (those after it: `#42`, `42` or its id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinceArg {
    Date(DateArg),
    EntryNumber(i64),
    EntryId(String),
}

impl FromStr for SinceArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let number = text.strip_prefix('#').unwrap_or(text);
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            return number
                .parse()
                .map(SinceArg::EntryNumber)
                .map_err(|_| format!("`{s}` is too large for an entry number"));
        }
        if let Ok(id) = uuid::Uuid::parse_str(text) {
            return Ok(SinceArg::EntryId(id.to_string()));
        }
        text.parse::<DateArg>().map(SinceArg::Date).map_err(|_| {
            format!("`{s}` is neither a date (YYYY-MM-DD, today, yesterday) nor an entry (#42, or an entry id from `bloodledger history --json`)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_day_an_entry_number_or_an_entry_id() {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 7, 1).map(DateArg::On);
        assert_eq!("2027-07-01".parse::<SinceArg>().ok(), day.map(SinceArg::Date));
        assert_eq!("#42".parse::<SinceArg>(), Ok(SinceArg::EntryNumber(42)));
        assert_eq!("42".parse::<SinceArg>(), Ok(SinceArg::EntryNumber(42)));
        let id = "0192f0c1-2b3c-7d4e-8f90-a1b2c3d4e5f6";
        assert_eq!(id.parse::<SinceArg>(), Ok(SinceArg::EntryId(id.into())));
        assert!("2027-02-30".parse::<SinceArg>().is_err());
        assert!("last week".parse::<SinceArg>().is_err());
    }
}
