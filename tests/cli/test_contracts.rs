//! The JSON shapes written down in README.md are a contract: every field a
//! table there lists must be present in the real output.

use serde_json::Value;

use crate::common::Ledger;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");

/// The backticked names in the first column of the table after
/// `<!-- contract: NAME -->` in README.md.
fn documented(name: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let marker = format!("<!-- contract: {name} -->");
    let start = readme.find(&marker).unwrap_or_else(|| panic!("README has no {marker}"));
    let fields: Vec<String> = readme[start..]
        .lines()
        .skip(3) // marker, header, separator
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.split('|').nth(1))
        .filter_map(|cell| cell.trim().strip_prefix('`')?.split('`').next().map(String::from))
        .collect();
    assert!(fields.len() >= 5, "{name}: only {fields:?}");
    fields
}

fn assert_has(name: &str, value: &Value) {
    for field in documented(name) {
        assert!(
            value.get(&field).is_some(),
            "{name}: `{field}` is documented but missing from {value}"
        );
    }
}

fn ledger() -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    for kind in ["drives", "units", "registrations", "transfers"] {
        ledger.ok(&["import", kind, &format!("{FIXTURES}/{kind}.csv")]);
    }
    ledger
}

#[test]
fn every_documented_field_is_present() {
    let ledger = ledger();
    assert_has("totals", &ledger.json(&["totals"]));
    assert_has("drive show", &ledger.json(&["drive", "show", "rj-sonla-2024"]));
    let history = ledger.json(&["history"]);
    assert_has("history", &history["entries"][0]);
    assert_has("export summary", &ledger.json(&["export", "summary"]));
    for (kind, name) in [
        ("units", "export units"),
        ("registrations", "export registrations"),
        ("transfers", "export transfers"),
    ] {
        let doc = ledger.json(&["export", kind]);
        assert_eq!(doc["schema_version"], 1);
        let first = &doc[kind][0];
        assert_has(name, first);
        // NDJSON and CSV carry the same fields, in the documented order.
        let line = ledger.ok(&["export", kind, "--format", "ndjson"]);
        let record: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
        assert_has(name, &record);
        let csv = ledger.ok(&["export", kind, "--format", "csv"]);
        assert_eq!(csv.lines().next().unwrap(), documented(name).join(","));
    }
}

#[test]
fn the_fixtures_import_cleanly_and_add_up() {
    let ledger = ledger();
    let drive = ledger.json(&["drive", "show", "rj-sonla-2024"]);
    // Itemised units win over the tally of 3 800 for this drive.
    assert_eq!(drive["units"], 5);
    assert_eq!(drive["transferred"], 3);
    assert_eq!(drive["in_stock"], 2);
    assert_eq!(drive["volume_ml"], 350 + 450 + 250 + 350 + 450);
    assert_eq!(drive["deferred"], 2);
}
