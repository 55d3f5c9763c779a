//! Import, export and backup (issue 4): the files other tools and people hand us.

use std::os::unix::fs::PermissionsExt;

use crate::common::{Ledger, dump};

const DRIVES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/drives.csv");

fn with_campaign() -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    ledger
}

#[test]
fn importing_drives_twice_adds_nothing_the_second_time() {
    let ledger = with_campaign();
    let first = ledger.json(&["import", "drives", DRIVES]);
    assert_eq!(
        (first["new"].as_u64(), first["already_present"].as_u64()),
        (Some(10), Some(0))
    );
    let totals = ledger.json(&["totals", "--campaign", "red-journey", "--province", "son la"]);
    assert_eq!(totals["units"], 40544);
    assert_eq!(totals["years"], 8);
    assert_eq!(totals["summary"], "40 544 units over eight years");

    let before = ledger.dump();
    let again = ledger.ok(&["import", "drives", DRIVES]);
    assert_eq!(again, "Imported drives: 0 new, 10 already present\n");
    let again = ledger.json(&["import", "drives", DRIVES]);
    assert_eq!(
        (again["new"].as_u64(), again["dry_run"].as_bool()),
        (Some(0), Some(false))
    );
    let from_stdin = ledger
        .cmd(&["import", "drives", "-"])
        .write_stdin(std::fs::read(DRIVES).unwrap())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout),
        "Imported drives: 0 new, 10 already present\n"
    );
    assert_eq!(ledger.dump(), before, "a repeated import changed the ledger");
}

#[test]
fn a_dry_run_writes_nothing() {
    let ledger = with_campaign();
    let before = ledger.dump();
    let out = ledger.ok(&["import", "drives", DRIVES, "--dry-run"]);
    assert_eq!(
        out,
        "Dry run, nothing written: drives would be 10 new, 0 already present\n"
    );
    assert_eq!(ledger.dump(), before);
}

#[test]
fn a_bad_line_refuses_the_whole_import_and_names_line_column_and_value() {
    let ledger = with_campaign();
    let mut csv = std::fs::read_to_string(DRIVES).unwrap();
    csv.push_str("rj-bad,,2025-02-30,red-journey,Sơn La,,,10,0,5\n");
    csv.push_str("rj-bad-2,,2025-03-01,red-journey,Sơn La,,,10,0,11\n");
    let file = ledger.dir.path().join("bad.csv");
    std::fs::write(&file, csv).unwrap();
    let stderr = ledger.refused(&["import", "drives", file.to_str().unwrap()], 1);
    assert!(stderr.contains("2 bad lines"), "{stderr}");
    assert!(stderr.contains("line 12, column date: `2025-02-30`"), "{stderr}");
    assert!(
        stderr.contains("line 13, column collected: `11`: 11 collected is more than 10 registered"),
        "{stderr}"
    );
    assert!(
        ledger.ok(&["drive", "list"]).contains("No drives"),
        "nothing of the good lines may land"
    );
}

#[test]
fn unknown_and_missing_columns_are_refused_by_name() {
    let ledger = with_campaign();
    let file = ledger.dir.path().join("x.csv");
    std::fs::write(&file, "slug,date,colour\nx,2024-01-01,red\n").unwrap();
    let stderr = ledger.refused(&["import", "drives", file.to_str().unwrap()], 1);
    assert!(stderr.contains("`colour` is not a column"), "{stderr}");
    std::fs::write(&file, "slug,name\nx,X\n").unwrap();
    let stderr = ledger.refused(&["import", "drives", file.to_str().unwrap()], 1);
    assert!(stderr.contains("no `date` column"), "{stderr}");
}

#[test]
fn the_same_slug_with_different_content_is_refused() {
    let ledger = with_campaign();
    ledger.ok(&["import", "drives", DRIVES]);
    let changed = std::fs::read_to_string(DRIVES)
        .unwrap()
        .replace("2019-07-10", "2019-07-11");
    let file = ledger.dir.path().join("changed.csv");
    std::fs::write(&file, changed).unwrap();
    let stderr = ledger.refused(&["import", "drives", file.to_str().unwrap()], 1);
    assert!(stderr.contains("line 4, column slug: `rj-sonla-2019`"), "{stderr}");
    assert!(stderr.contains("different date"), "{stderr}");
}

#[test]
fn a_refused_first_write_leaves_no_ledger_file() {
    let ledger = Ledger::new();
    ledger.refused(&["import", "drives", DRIVES], 1);
    assert!(!ledger.path().exists());
}

#[test]
fn voiding_an_import_takes_all_its_drives_back() {
    let ledger = with_campaign();
    let imported = ledger.json(&["import", "drives", DRIVES]);
    let entry = imported["entry"].as_i64().unwrap().to_string();
    ledger.ok(&["void", &entry, "--reason", "wrong file"]);
    assert_eq!(ledger.json(&["totals"])["units"], 0);
    assert!(ledger.ok(&["drive", "list"]).contains("No drives"));
}

#[test]
fn export_summary_out_leaves_exactly_that_file_and_it_is_versioned_json() {
    let ledger = with_campaign();
    ledger.ok(&["import", "drives", DRIVES]);
    let reports = tempfile::tempdir().unwrap();
    let nightly = reports.path().join("nightly.json");
    std::fs::write(&nightly, "old").unwrap();
    let stdout = ledger.ok(&["export", "summary", "--out", nightly.to_str().unwrap()]);
    assert_eq!(stdout, "");
    let names: Vec<_> = std::fs::read_dir(reports.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("nightly.json")]);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&nightly).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["totals"]["units"], 40544);
    assert_eq!(doc["summary"], "40 544 units over eight years");
    assert_eq!(doc["by_year"].as_array().unwrap().len(), 8);
    assert_eq!(doc["by_campaign"][0]["key"], "red-journey");
    assert_eq!(doc["by_drive"].as_array().unwrap().len(), 9);
    assert!(doc["site_id"].as_str().is_some_and(|s| s.len() == 36));
    assert!(doc["generated_at"].as_str().is_some());
}

#[test]
fn a_failed_export_leaves_the_old_file() {
    let ledger = with_campaign();
    let nightly = ledger.dir.path().join("nightly.json");
    std::fs::write(&nightly, "yesterday's").unwrap();
    // A ledger that is not a ledger makes the export fail after --out is known.
    let broken = ledger.dir.path().join("broken.db");
    std::fs::write(&broken, "not a database at all, not even close........").unwrap();
    let output = ledger
        .cmd(&[
            "export",
            "summary",
            "--out",
            nightly.to_str().unwrap(),
            "--db",
            broken.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&nightly).unwrap(), "yesterday's");
}

#[test]
fn export_drives_as_ndjson_and_csv() {
    let ledger = with_campaign();
    ledger.ok(&["import", "drives", DRIVES]);
    let ndjson = ledger.ok(&["export", "drives", "--format", "ndjson"]);
    let records: Vec<serde_json::Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 10);
    assert_eq!(records.iter().map(|r| r["units"].as_u64().unwrap()).sum::<u64>(), 40544);
    let csv = ledger.ok(&["export", "drives", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("slug,name,date,status,campaign,province")
    );
    assert_eq!(lines.count(), 10);
}

#[test]
fn ndjson_is_only_for_export() {
    let ledger = Ledger::new();
    let stderr = ledger.refused(&["totals", "--format", "ndjson"], 2);
    assert!(stderr.contains("ndjson"), "{stderr}");
}

#[test]
fn a_backup_opens_as_a_ledger_with_the_same_totals() {
    let ledger = with_campaign();
    ledger.ok(&["import", "drives", DRIVES]);
    let copy = ledger.dir.path().join("copy.db");
    ledger.ok(&["backup", copy.to_str().unwrap()]);
    assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    let totals = |db: &str| ledger.json(&["totals", "--db", db]);
    assert_eq!(totals(copy.to_str().unwrap()), totals(ledger.path().to_str().unwrap()));
    assert_eq!(dump(&copy), ledger.dump());
    let stderr = ledger.refused(&["backup", copy.to_str().unwrap()], 1);
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[test]
fn the_summary_as_csv_is_tidy() {
    let ledger = with_campaign();
    ledger.ok(&["import", "drives", DRIVES]);
    let csv = ledger.ok(&["export", "summary", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "scope,key,drives,registered,deferred,units,volume_ml,transferred,discarded,in_stock,years,first_year,last_year"
    );
    assert_eq!(lines[1], "all,,9,47028,5800,40544,0,0,0,40544,8,2017,2024");
    assert_eq!(
        lines[2],
        "campaign,red-journey,9,47028,5800,40544,0,0,0,40544,8,2017,2024"
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("year,")).count(), 8);
    assert_eq!(lines.iter().filter(|l| l.starts_with("drive,")).count(), 9);
}
