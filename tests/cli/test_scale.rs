//! National scale (issue 5): the derived caches of migration 0004 (per-drive
//! unit and registration figures, units in stock) follow every writer, are
//! filled when an older ledger is upgraded, and `check` verifies them.

use serde_json::{Value, json};

use crate::common::{Ledger, entry_number};

const DRIVE: &str = "rj-a";

/// Units collected, registered, transferred, discarded and voided in every
/// way the caches must follow: an import, `unit collect`, `register`, a
/// transfer and a discard of ids, and voids of a collection, a transfer and
/// an import.
fn busy_ledger() -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    ledger.ok(&["drive", "plan", DRIVE, "--date", "2026-11-20"]);
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-21"]);
    let csv = ledger.dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "unit_id,drive,collected_on,blood_group,volume_ml\n\
         I-1,rj-a,2026-11-20,O+,350\nI-2,rj-a,2026-11-20,A+,250\nI-3,rj-b,2026-11-21,B+,450\n",
    )
    .expect("csv");
    ledger.ok(&["import", "units", csv.to_str().expect("utf-8")]);
    for (id, group) in [("U-1", "O+"), ("U-2", "O+"), ("U-3", "AB-"), ("U-4", "B+")] {
        ledger.ok(&[
            "unit", "collect", id, "--drive", DRIVE, "--group", group, "--volume", "350",
        ]);
    }
    ledger.ok(&[
        "donor",
        "add",
        "D-1",
        "--name",
        "A",
        "--born",
        "1990-01-01",
        "--sex",
        "F",
    ]);
    ledger.ok(&["register", DRIVE, "--donor", "D-1", "--deferred", "low haemoglobin"]);
    ledger.ok(&["transfer", "--to", "nihbt", "U-1", "U-2", "I-1", "--date", "2026-11-22"]);
    ledger.ok(&["discard", "U-3", "--reason", "damaged"]);
    let history = ledger.json(&["history"]);
    let number = |action: &str, text: &str| -> String {
        history["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["action"] == action && e["summary"].as_str().is_some_and(|s| s.contains(text)))
            .map(|e| e["number"].to_string())
            .unwrap_or_else(|| panic!("no {action} entry with {text}: {history}"))
    };
    // The transfer comes back into stock, then U-4's collection is voided.
    ledger.ok(&["void", &number("transfer", "3 units"), "--reason", "wrong facility"]);
    ledger.ok(&["void", &number("unit collect", "U-4"), "--reason", "typo"]);
    ledger.ok(&["transfer", "--to", "nihbt", "U-1", "--date", "2026-11-23"]);
    ledger
}

fn figures(ledger: &Ledger) -> (Value, Value, Value, Value, Value, Value) {
    (
        ledger.json(&["totals", "--by", "drive"]),
        ledger.json(&["stock"]),
        ledger.json(&["drive", "show", DRIVE]),
        ledger.json(&["totals", "--by", "group"]),
        ledger.json(&["totals"]),
        ledger.json(&["totals", "--by", "year"]),
    )
}

#[test]
fn the_caches_follow_collections_movements_and_voids() {
    let ledger = busy_ledger();
    ledger.ok(&["check"]);
    let totals = ledger.json(&["totals"]);
    // I-1..I-3 and U-1..U-3 live (U-4 voided); U-1 transferred, U-3 discarded.
    assert_eq!(totals["units"], 6, "{totals}");
    assert_eq!(totals["transferred"], 1, "{totals}");
    assert_eq!(totals["discarded"], 1, "{totals}");
    assert_eq!(totals["in_stock"], 4, "{totals}");
    let stock = ledger.json(&["stock"]);
    let ids: Vec<&str> = stock["stock"]
        .as_array()
        .expect("stock")
        .iter()
        .map(|u| u["unit_id"].as_str().expect("id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["I-1", "I-2", "I-3", "U-2"], "{stock}");
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(drive["units"], 5, "{drive}");
    assert_eq!(drive["deferred"], 1, "{drive}");
}

#[test]
fn an_upgraded_ledger_has_the_caches_of_a_fresh_one() {
    let ledger = busy_ledger();
    let fresh = ledger.dump();
    let reports = figures(&ledger);
    // Back to schema 3: the caches and their triggers gone, records kept.
    ledger
        .conn()
        .execute_batch(
            "DROP TRIGGER registrations_cache_i;
             DROP TABLE drive_unit_figures; DROP TABLE drive_registration_figures; DROP TABLE units_in_stock;
             DROP TABLE drives_to_summarise; DROP TABLE drive_summaries; DROP TABLE drive_summary_groups;
             DROP TABLE year_totals; DROP TABLE year_group_totals; DROP TABLE entry_units;
             DROP TRIGGER drive_versions_summary_i; DROP TRIGGER tallies_summary_i;
             DROP TRIGGER transfers_summary_i;
             DROP INDEX registrations_by_entry; DROP INDEX transfers_by_entry; DROP INDEX discards_by_entry;
             PRAGMA user_version = 3;",
        )
        .expect("schema 3");
    assert!(ledger.dump().starts_with("user_version 3\n"));
    ledger.ok(&["check"]);
    assert_eq!(ledger.dump(), fresh, "the upgrade filled the caches differently");
    assert_eq!(figures(&ledger), reports);
}

#[test]
fn check_reports_a_cache_that_differs_from_the_records() {
    let ledger = busy_ledger();
    ledger
        .conn()
        .execute_batch(
            "UPDATE drive_unit_figures SET units = units + 1 WHERE blood_group = 'A+';
             DELETE FROM units_in_stock WHERE unit = (SELECT id FROM units WHERE unit_id = 'I-3');
             UPDATE entry_units SET last_id = last_id - 1
             WHERE entry = (SELECT entry FROM units WHERE unit_id = 'I-3');",
        )
        .expect("tamper");
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("drive rj-a: its cached unit figures differ"),
        "{stdout}"
    );
    assert!(
        stdout.contains("drive rj-b: unit I-3: its cached stock status differs"),
        "{stdout}"
    );
    assert!(stdout.contains(": its cached range of units differs"), "{stdout}");
}

#[test]
fn a_merge_brings_the_caches_along() {
    let district = busy_ledger();
    let province = Ledger::new();
    province.ok(&["merge", district.path().to_str().expect("utf-8")]);
    province.ok(&["check"]);
    assert_eq!(figures(&province), figures(&district));
}

/// A merge of the district's ledger, then `change` there, then a second
/// merge, which brings only what `change` wrote; checked clean.
fn merged_again_after(change: impl FnOnce(&Ledger)) -> (Ledger, Ledger) {
    let district = busy_ledger();
    let province = Ledger::new();
    let from = district.path().to_str().expect("utf-8").to_string();
    province.ok(&["merge", &from]);
    change(&district);
    province.ok(&["merge", &from]);
    province.ok(&["check"]);
    (province, district)
}

/// The same figures in both ledgers, but for `drive show`, which lists
/// entry numbers, each ledger's own.
fn assert_same_figures(province: &Ledger, district: &Ledger) {
    let (by_drive, stock, _, by_group, totals, by_year) = figures(province);
    let (d_by_drive, d_stock, _, d_by_group, d_totals, d_by_year) = figures(district);
    assert_eq!(
        (by_drive, stock, by_group, totals, by_year),
        (d_by_drive, d_stock, d_by_group, d_totals, d_by_year)
    );
}

/// A merge that brings units alone (their drive came in an earlier merge,
/// so no version or tally of it comes along to mark it) still sends the
/// drive to be summarised again, and puts the units in stock.
#[test]
fn a_merge_of_units_alone_updates_their_drives_figures() {
    let (province, district) = merged_again_after(|district| {
        for id in ["U-5", "U-6"] {
            district.ok(&[
                "unit", "collect", id, "--drive", "rj-b", "--group", "A-", "--volume", "250",
            ]);
        }
    });
    assert_eq!(province.json(&["totals"])["units"], 8);
    assert_same_figures(&province, &district);
}

/// A voided collection comes off its drive's summary (which `totals`, not
/// `drive show`, reads), even with nothing else written at that drive since.
#[test]
fn a_voided_collection_comes_off_the_summaries() {
    let ledger = busy_ledger();
    let before = ledger.json(&["totals"])["units"].as_u64().expect("units");
    let collected = ledger.ok(&[
        "unit", "collect", "U-9", "--drive", "rj-b", "--group", "O-", "--volume", "250",
    ]);
    assert_eq!(ledger.json(&["totals"])["units"], before + 1);
    ledger.ok(&["void", &entry_number(&collected), "--reason", "wrong drive"]);
    assert_eq!(ledger.json(&["totals"])["units"], before);
    assert_eq!(ledger.json(&["totals", "--by", "year"])["units"], before);
    ledger.ok(&["check"]);
}

/// A merge that brings a discard alone (its drive and units came in an
/// earlier merge) still sends the drive to be summarised again.
#[test]
fn a_merge_of_a_discard_alone_updates_its_drives_figures() {
    let (province, district) = merged_again_after(|district| {
        district.ok(&["discard", "I-2", "--reason", "damaged"]);
    });
    assert_eq!(province.json(&["drive", "show", DRIVE])["discarded"], 2);
    assert_same_figures(&province, &district);
}

/// Unfiltered `totals` and `totals --by year` read the yearly rollups of
/// migration 0005; a filter that selects every drive counts from the drives.
/// The two must agree after logs, a drive moved to another year, a voided
/// log and a tally-only drive's stock.
#[test]
fn the_yearly_rollups_equal_the_totals_of_the_drives() {
    let ledger = busy_ledger();
    ledger.ok(&["drive", "plan", "rj-2020", "--date", "2020-06-01"]);
    for (slug, date, registered, collected) in [
        ("rj-2019", "2019-07-10", "120", "100"),
        // Planned for 2020, held (and logged) in 2019.
        ("rj-2020", "2019-08-01", "90", "80"),
        ("rj-2021", "2021-07-10", "50", "40"),
    ] {
        ledger.ok(&[
            "drive",
            "log",
            slug,
            "--date",
            date,
            "--registered",
            registered,
            "--collected",
            collected,
        ]);
    }
    ledger.ok(&["transfer", "--drive", "rj-2019", "--count", "60", "--to", "nihbt"]);
    // rj-2021's log is voided and logged again in 2019: 2021 has no drive left.
    let history = ledger.json(&["history", "--drive", "rj-2021"]);
    let number = history["entries"][0]["number"].to_string();
    ledger.ok(&["void", &number, "--reason", "wrong year"]);
    ledger.ok(&[
        "drive",
        "log",
        "rj-2021",
        "--date",
        "2019-09-01",
        "--registered",
        "50",
        "--collected",
        "40",
    ]);
    ledger.ok(&["check"]);
    let everything = ["--from", "1900-01-01"];
    for by in [&[][..], &["--by", "year"][..]] {
        let rolled = ledger.json(&[&["totals"], by].concat());
        let counted = ledger.json(&[&["totals"], by, &everything[..]].concat());
        assert_eq!(rolled, counted, "totals {by:?}");
    }
    let by_year = ledger.json(&["totals", "--by", "year"]);
    let keys: Vec<&str> = by_year["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["2019", "2026"], "{by_year}");
    assert_eq!(by_year["rows"][0]["units"], 220, "{by_year}");
    assert_eq!(by_year["rows"][0]["drives"], 3, "{by_year}");
    // The tally-only drives' stock: 100 − 60, 80 and 40, in date order.
    let stock = ledger.json(&["stock", "--by", "drive"]);
    let tallied: Vec<(String, u64)> = stock["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["tallied_units"].as_u64() > Some(0))
        .map(|r| {
            (
                r["key"].as_str().expect("key").to_string(),
                r["tallied_units"].as_u64().expect("n"),
            )
        })
        .collect();
    let expected = [("rj-2019", 40), ("rj-2020", 80), ("rj-2021", 40)].map(|(s, n)| (s.to_string(), n));
    assert_eq!(tallied, expected, "{stock}");
}

#[test]
fn check_reports_yearly_totals_that_differ_from_the_drives() {
    let ledger = busy_ledger();
    ledger
        .conn()
        .execute_batch(
            "UPDATE year_totals SET units = units + 1; UPDATE drive_summaries SET registered = 99 WHERE drive = 2;",
        )
        .expect("tamper");
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("the cached yearly totals differ"), "{stdout}");
    assert!(stdout.contains("drive rj-b: its cached summary differs"), "{stdout}");
}

/// `export units` merges the units with their live movements in one ordered
/// pass: a voided transfer puts a unit back in stock, a later one moves it,
/// a voided collection leaves the export.
#[test]
fn the_units_export_shows_each_units_live_movement() {
    let ledger = busy_ledger();
    let (code, stdout, stderr) = ledger.run(&["export", "units", "--format", "ndjson"]);
    assert_eq!(code, 0, "{stderr}");
    let units: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
        .collect();
    let row = |id: &str| -> Vec<Value> {
        units
            .iter()
            .filter(|u| u["unit_id"] == id)
            .map(|u| json!([u["status"], u["facility"], u["moved_on"], u["discard_reason"]]))
            .collect()
    };
    assert_eq!(row("U-1"), [json!(["transferred", "nihbt", "2026-11-23", null])]);
    assert_eq!(row("U-2"), [json!(["in-stock", null, null, null])]);
    assert_eq!(row("U-3"), [json!(["discarded", null, "2026-11-25", "damaged"])]);
    assert_eq!(row("I-1"), [json!(["in-stock", null, null, null])]);
    assert!(row("U-4").is_empty(), "a voided collection is not exported: {stdout}");
    let ids: Vec<&str> = units.iter().map(|u| u["unit_id"].as_str().expect("id")).collect();
    assert_eq!(ids, ["I-1", "I-2", "I-3", "U-1", "U-2", "U-3"]);
}

/// A ledger written by the previous schema (fixtures/ledger-schema5.db, made
/// with bloodledger at schema 5: three anonymous units by `unit collect`, one
/// donor's unit, three anonymous units by `import units`, a deferral, a
/// transfer and a discard of ids, a voided collection). Its anonymous
/// donations have registration rows and its units UUIDs; migration 0006
/// rebuilds the units without them. Every figure must come through the same,
/// and new anonymous units (without a registration row) count alike.
#[test]
fn a_schema_5_ledger_upgrades_to_compact_units_with_the_same_figures() {
    let ledger = Ledger::new();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ledger-schema5.db"),
        ledger.path(),
    )
    .expect("fixture");
    // What the schema-5 binary printed for this ledger.
    let totals = ledger.json(&["totals"]);
    for (figure, value) in [
        ("drives", 2),
        ("registered", 7),
        ("deferred", 1),
        ("units", 6),
        ("volume_ml", 2100),
        ("transferred", 2),
        ("discarded", 1),
        ("in_stock", 3),
    ] {
        assert_eq!(totals[figure], value, "{figure}: {totals}");
    }
    ledger.ok(&["check"]);
    assert_eq!(
        ledger
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .expect("version"),
        9
    );
    let units_columns: Vec<String> = ledger
        .conn()
        .prepare("SELECT name FROM pragma_table_info('units')")
        .expect("columns")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("names");
    assert!(!units_columns.iter().any(|c| c == "uuid"), "{units_columns:?}");
    let b = ledger.json(&["drive", "show", "rj-b"]);
    assert_eq!(
        (b["registered"].clone(), b["deferred"].clone(), b["units"].clone()),
        (json!(4), json!(1), json!(3))
    );
    let registrations = ledger.ok(&["export", "registrations", "--format", "csv"]);
    assert_eq!(registrations.lines().count(), 1 + 7, "{registrations}");
    assert_eq!(ledger.json(&["unit", "show", "U-3"])["status"], "transferred");

    // A new anonymous unit is its own registration; voiding it takes both back.
    let out = ledger.ok(&[
        "unit", "collect", "U-8", "--drive", "rj-b", "--group", "O+", "--volume", "350",
    ]);
    let anonymous_rows: i64 = ledger
        .conn()
        .query_row("SELECT count(*) FROM units WHERE registration IS NULL", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(anonymous_rows, 1);
    let b = ledger.json(&["drive", "show", "rj-b"]);
    assert_eq!((b["registered"].clone(), b["units"].clone()), (json!(5), json!(4)));
    let registrations = ledger.ok(&["export", "registrations", "--format", "csv"]);
    assert!(registrations.ends_with("rj-b,,donated,,U-8\n"), "{registrations}");
    ledger.ok(&["void", &crate::common::entry_number(&out), "--reason", "test"]);
    assert_eq!(ledger.json(&["drive", "show", "rj-b"])["registered"], 4);
    ledger.ok(&["check"]);

    // Another ledger merges both the old file (read as it is) and the upgraded one.
    let province = Ledger::new();
    let old = province.dir.path().join("old.db");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ledger-schema5.db"), &old).expect("fixture");
    province.ok(&["merge", old.to_str().expect("utf-8")]);
    province.ok(&["merge", ledger.path().to_str().expect("utf-8")]);
    province.ok(&["check"]);
    assert_eq!(province.json(&["totals"]), ledger.json(&["totals"]));
}

/// Coordinators and auditors open ledgers with the `sqlite3` shell of their
/// distribution (Debian 12: 3.40), older than the SQLite inside bloodledger:
/// every trigger and view must parse there, or the shell calls the whole
/// schema malformed. Runs where that shell is installed.
#[test]
fn the_distributions_sqlite3_shell_reads_the_schema() {
    let Ok(version) = std::process::Command::new("sqlite3").arg("--version").output() else {
        eprintln!("no sqlite3 shell here; skipped");
        return;
    };
    let ledger = busy_ledger();
    let out = std::process::Command::new("sqlite3")
        .arg(ledger.path())
        .arg("PRAGMA integrity_check; SELECT count(*) FROM units;")
        .output()
        .expect("sqlite3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.starts_with("ok\n"),
        "sqlite3 {}: {stdout}{}",
        String::from_utf8_lossy(&version.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
