//! Bulk import and streaming export of itemised records (issue 4).

use std::fmt::Write as _;

use crate::common::Ledger;

const GROUPS: [&str; 8] = ["O+", "B+", "A+", "AB+", "O-", "B-", "A-", "AB-"];

/// 100 drives of 200 units each, written as the README's CSV formats.
fn files(ledger: &Ledger) -> (String, String, String) {
    files_of(ledger, 100)
}

/// `drive_count` drives (at most 1 000) of 200 units each, every fourth
/// unit transferred to nihbt on its drive's day.
fn files_of(ledger: &Ledger, drive_count: usize) -> (String, String, String) {
    let (mut drives, mut units, mut transfers) = (
        String::from("slug,name,date,campaign,province,district,venue\n"),
        String::from("unit_id,drive,collected_on,blood_group,volume_ml,product,donor_id\n"),
        String::from("unit_id,facility,date\n"),
    );
    for d in 0..drive_count {
        let date = format!("2026-{:02}-{:02}", 1 + d % 10, 1 + d % 28);
        writeln!(drives, "d{d:03},Drive {d},{date},,Sơn La,Mường La,").unwrap();
        for u in 0..200 {
            let id = format!("SL-{d:03}-{u:03}");
            let volume = [250, 350, 450][u % 3];
            writeln!(units, "{id},d{d:03},{date},{},{volume},,", GROUPS[(d + u) % 8]).unwrap();
            if u % 4 == 0 {
                writeln!(transfers, "{id},nihbt,{date}").unwrap();
            }
        }
    }
    let write = |name: &str, text: &str| {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    (
        write("drives.csv", &drives),
        write("units.csv", &units),
        write("transfers.csv", &transfers),
    )
}

/// A ledger with the 100 drives of [`files`] and none of their units yet:
/// the ledger, the path of the units file and its text.
fn with_drives() -> (Ledger, String, String) {
    let ledger = Ledger::new();
    let (drives, units, _) = files(&ledger);
    ledger.ok(&["import", "drives", &drives]);
    let text = std::fs::read_to_string(&units).unwrap();
    (ledger, units, text)
}

fn loaded() -> (Ledger, String) {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    let (drives, units, transfers) = files(&ledger);
    ledger.ok(&["import", "drives", &drives]);
    let first = ledger.json(&["import", "units", &units]);
    assert_eq!(first["new"], 20_000);
    ledger.ok(&["import", "transfers", &transfers]);
    (ledger, units)
}

#[test]
fn twenty_thousand_units_import_once_and_only_once() {
    let (ledger, units) = loaded();
    let totals = ledger.json(&["totals"]);
    assert_eq!(totals["units"], 20_000);
    assert_eq!(totals["drives"], 100);
    assert_eq!(totals["transferred"], 5_000);
    // Per drive: 67 × 250 + 67 × 350 + 66 × 450 ml.
    assert_eq!(totals["volume_ml"], 100 * (67 * 250 + 67 * 350 + 66 * 450));
    assert_eq!(totals["by_group"]["O+"], 2_500);

    let before = ledger.dump();
    assert_eq!(
        ledger.ok(&["import", "units", &units]),
        "Imported units: 0 new, 20 000 already present\n"
    );
    let from_stdin = ledger
        .cmd(&["import", "units", "-"])
        .write_stdin(std::fs::read(&units).unwrap())
        .output()
        .unwrap();
    assert!(from_stdin.status.success());
    assert_eq!(
        String::from_utf8_lossy(&from_stdin.stdout),
        "Imported units: 0 new, 20 000 already present\n"
    );
    assert_eq!(ledger.dump(), before, "re-importing changed the ledger");
    ledger.ok(&["check"]);
}

#[test]
fn a_bad_blood_group_on_line_12345_refuses_the_whole_file() {
    let (ledger, units, text) = with_drives();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[12_344] = {
        let mut cells: Vec<&str> = lines[12_344].split(',').collect();
        cells[3] = "Q+";
        cells.join(",")
    };
    std::fs::write(&units, lines.join("\n") + "\n").unwrap();
    let stderr = ledger.refused(&["import", "units", &units], 1);
    assert!(stderr.contains("1 bad line"), "{stderr}");
    assert!(stderr.contains("line 12345, column blood_group: `Q+`"), "{stderr}");
    assert_eq!(ledger.json(&["totals"])["units"], 0);
}

/// The CSV is parsed on a second thread, a few thousand lines at a time:
/// what it finds (bad cells, lines not UTF-8) and what the database finds
/// (unknown drives) must still be reported in line order, across batches.
#[test]
fn problems_found_while_parsing_and_writing_keep_their_line_order() {
    let (ledger, units, text) = with_drives();
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    let set = |line: &mut Vec<u8>, cell: usize, value: &str| {
        let text = String::from_utf8(line.clone()).unwrap();
        let mut cells: Vec<&str> = text.split(',').collect();
        cells[cell] = value;
        *line = cells.join(",").into_bytes();
    };
    let mut expected = Vec::new();
    let bad = [
        (2, "group"),
        (3, "drive"),
        (2047, "utf8"),
        (2048, "group"),
        (2049, "drive"),
        (2050, "utf8"),
        (2051, "product and drive"),
        (2052, "group"),
        (4096, "drive"),
        (4097, "utf8"),
        (4098, "group"),
        (4099, "drive"),
        (8000, "product and drive"),
        (10_000, "utf8"),
        (12_000, "drive"),
        (14_000, "group"),
        (16_000, "drive"),
        (18_000, "group"),
        (19_999, "drive"),
        (20_000, "utf8"),
        (20_001, "group"),
    ];
    for (number, kind) in bad {
        let line = &mut lines[number - 1];
        match kind {
            "group" => set(line, 3, "Q+"),
            "drive" => set(line, 1, "d999"),
            "utf8" => line[0] = 0xff,
            _ => {
                set(line, 5, "zz");
                set(line, 1, "d999");
            }
        }
        let columns: &[&str] = match kind {
            "group" => &["blood_group"],
            "drive" => &["drive"],
            "utf8" => &["unit_id"],
            _ => &["product", "drive"],
        };
        expected.extend(columns.iter().map(|c| format!("  line {number}, column {c}: ")));
    }
    std::fs::write(&units, lines.join(&b'\n')).unwrap();

    let stderr = ledger.refused(&["import", "units", &units], 1);
    assert!(stderr.contains("23 bad lines"), "{stderr}");
    let reported: Vec<&str> = stderr.lines().filter(|l| l.starts_with("  line ")).collect();
    assert_eq!(reported.len(), 20, "{stderr}");
    for (line, prefix) in reported.iter().zip(&expected) {
        assert!(line.starts_with(prefix.as_str()), "{line} is not {prefix}…\n{stderr}");
    }
    assert!(stderr.contains("… and 3 more"), "{stderr}");
    assert_eq!(ledger.json(&["totals"])["units"], 0);
}

#[test]
fn units_export_one_record_per_unit_as_ndjson_json_and_csv() {
    let (ledger, _) = loaded();
    let ndjson = ledger.ok(&["export", "units", "--format", "ndjson"]);
    let records: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record a line"))
        .collect();
    assert_eq!(records.len(), 20_000);
    assert_eq!(records.iter().filter(|r| r["status"] == "transferred").count(), 5_000);
    assert_eq!(records[0]["unit_id"], "SL-000-000");
    assert_eq!(records[0]["facility"], "nihbt");
    assert_eq!(records[1]["status"], "in-stock");
    // Streamed in 64 KiB pieces, yet whole and in order.
    let ids: Vec<&str> = records.iter().map(|r| r["unit_id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..100)
        .flat_map(|d| (0..200).map(move |u| format!("SL-{d:03}-{u:03}")))
        .collect();
    assert_eq!(ids, expected);

    let json: serde_json::Value = serde_json::from_str(&ledger.ok(&["export", "units"])).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["units"].as_array().unwrap(), &records);

    let csv = ledger.ok(&["export", "units", "--format", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "unit_id,drive,collected_on,expires_on,blood_group,volume_ml,product,donor_id,status,facility,moved_on,discard_reason"
        )
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 20_000);
    assert!(
        rows.iter()
            .zip(&expected)
            .all(|(row, id)| row.starts_with(&format!("{id},")))
    );

    let transfers = ledger.ok(&["export", "transfers", "--format", "csv"]);
    assert_eq!(transfers.lines().count(), 5_001);
}

#[test]
fn transfers_import_twice_and_refuse_a_unit_moved_elsewhere() {
    let (ledger, _) = loaded();
    let file = ledger.dir.path().join("again.csv");
    std::fs::write(
        &file,
        "unit_id,facility,date\nSL-000-000,nihbt,2026-01-01\nSL-000-001,nihbt,2026-01-01\n",
    )
    .unwrap();
    assert_eq!(
        ledger.ok(&["import", "transfers", file.to_str().unwrap()]),
        "Imported transfers: 1 new, 1 already present — entry #5\n"
    );
    ledger.ok(&["facility", "add", "cho-ray", "--name", "Chợ Rẫy"]);
    std::fs::write(&file, "unit_id,facility,date\nSL-000-000,cho-ray,2026-01-02\n").unwrap();
    let stderr = ledger.refused(&["import", "transfers", file.to_str().unwrap()], 1);
    assert!(
        stderr.contains("already transferred to nihbt on 2026-01-01"),
        "{stderr}"
    );
    // Never to a facility after expiry (35 days for whole blood).
    std::fs::write(&file, "unit_id,facility,date\nSL-000-002,cho-ray,2026-02-06\n").unwrap();
    let stderr = ledger.refused(&["import", "transfers", file.to_str().unwrap()], 1);
    assert!(
        stderr.contains("line 2, column date: `2026-02-06`: unit SL-000-002 expired on 2026-02-05"),
        "{stderr}"
    );
}

#[test]
fn anonymous_deferrals_import_idempotently() {
    let (ledger, _) = loaded();
    let file = ledger.dir.path().join("registrations.csv");
    std::fs::write(
        &file,
        "drive,donor_id,outcome,reason\nd000,,deferred,low haemoglobin\nd000,,deferred,low haemoglobin\nd001,,did-not-bleed,\n",
    )
    .unwrap();
    let first = ledger.json(&["import", "registrations", file.to_str().unwrap()]);
    assert_eq!(
        (first["new"].as_u64(), first["already_present"].as_u64()),
        (Some(3), Some(0))
    );
    let again = ledger.json(&["import", "registrations", file.to_str().unwrap()]);
    assert_eq!(
        (again["new"].as_u64(), again["already_present"].as_u64()),
        (Some(0), Some(3))
    );
    let drive = ledger.json(&["drive", "show", "d000"]);
    assert_eq!(drive["deferred"], 2);
    assert_eq!(drive["registered"], 202);
}

#[test]
fn exports_leave_personal_data_out_unless_asked() {
    let ledger = Ledger::new();
    ledger.ok(&["drive", "plan", "d1", "--date", "2026-11-20"]);
    ledger.ok(&[
        "donor",
        "add",
        "VN-1",
        "--name",
        "Nguyễn Thị Hoa",
        "--born",
        "1990-03-04",
        "--sex",
        "F",
        "--phone",
        "0912000111",
        "--national-id",
        "001190000111",
    ]);
    ledger.ok(&[
        "unit", "collect", "SL-1", "--drive", "d1", "--group", "O+", "--volume", "350", "--donor", "VN-1",
    ]);
    for kind in ["units", "registrations"] {
        for format in ["json", "ndjson", "csv"] {
            let plain = ledger.ok(&["export", kind, "--format", format]);
            for secret in ["Nguyễn Thị Hoa", "1990-03-04", "0912000111", "001190000111"] {
                assert!(
                    !plain.contains(secret),
                    "export {kind} --format {format} leaks {secret}"
                );
            }
            let with = ledger.ok(&["export", kind, "--format", format, "--include-pii"]);
            assert!(with.contains("Nguyễn Thị Hoa") && with.contains("0912000111"), "{with}");
        }
    }
}

/// Text is copied into JSON as it is only when it needs no escaping: a name
/// with quotes and a backslash comes back exactly, in every format.
#[test]
fn exported_text_is_escaped_exactly() {
    let ledger = Ledger::new();
    let name = r#"Lê "Bé" Na \ =1"#;
    ledger.ok(&["drive", "plan", "d1", "--date", "2026-11-20"]);
    ledger.ok(&[
        "donor",
        "add",
        "VN-2",
        "--name",
        name,
        "--born",
        "1990-03-04",
        "--sex",
        "F",
    ]);
    ledger.ok(&[
        "unit", "collect", "SL-2", "--drive", "d1", "--group", "A-", "--volume", "250", "--donor", "VN-2",
    ]);
    let line = ledger.ok(&["export", "units", "--format", "ndjson", "--include-pii"]);
    let record: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
    assert_eq!(record["donor_name"], name);
    assert_eq!(record["blood_group"], "A-");
    assert_eq!(record["volume_ml"], 250);
    let json = ledger.json(&["export", "units", "--include-pii"]);
    assert_eq!(json["units"][0], record);
    let csv = ledger.ok(&["export", "units", "--format", "csv", "--include-pii"]);
    assert!(csv.contains(r#","Lê ""Bé"" Na \ =1","#), "{csv}");
}

/// From 50 000 units the export reads the units on a second connection and
/// thread, in batches of 2 048, while the first merges the movements: at
/// 60 000 units (29 batches and a part), every live unit comes back once, in
/// order, with its own movement, and a voided unit does not.
#[test]
fn an_export_of_sixty_thousand_units_is_whole_and_in_order() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    let (drives, units, transfers) = files_of(&ledger, 300);
    for (kind, file) in [("drives", &drives), ("units", &units), ("transfers", &transfers)] {
        ledger.ok(&["import", kind, file]);
        if kind == "units" {
            // Its -wal, past 4 MiB, is not kept for reuse: it gives the space back.
            let wal = std::fs::metadata(ledger.beside("-wal"));
            assert_eq!(wal.map(|m| m.len()).unwrap_or(0), 0, "the -wal after 60 000 units");
        }
    }
    let out = ledger.ok(&[
        "unit", "collect", "EXTRA-1", "--drive", "d299", "--group", "O+", "--volume", "350",
    ]);
    ledger.ok(&["void", &crate::common::entry_number(&out), "--reason", "wrong bag"]);
    ledger.ok(&["discard", "SL-299-001", "--reason", "damaged", "--date", "2026-10-28"]);

    let ndjson = ledger.ok(&["export", "units", "--format", "ndjson"]);
    let records: Vec<serde_json::Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ids: Vec<&str> = records.iter().map(|r| r["unit_id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..300)
        .flat_map(|d| (0..200).map(move |u| format!("SL-{d:03}-{u:03}")))
        .collect();
    assert_eq!(ids, expected, "every live unit once, in order, the voided one left out");
    for (i, record) in records.iter().enumerate() {
        let (d, u) = (i / 200, i % 200);
        let status = match (d, u) {
            (299, 1) => "discarded",
            (_, u) if u % 4 == 0 => "transferred",
            _ => "in-stock",
        };
        assert_eq!(record["status"], status, "{record}");
        assert_eq!(record["drive"], format!("d{d:03}"), "{record}");
        assert_eq!(record["blood_group"], GROUPS[(d + u) % 8], "{record}");
        assert_eq!(record["volume_ml"], [250, 350, 450][u % 3], "{record}");
        assert_eq!(
            record["facility"].as_str(),
            (status == "transferred").then_some("nihbt"),
            "{record}"
        );
    }
    assert_eq!(records[59_801]["discard_reason"], "damaged");
    // The same records as CSV, cell for cell.
    let csv = ledger.ok(&["export", "units", "--format", "csv"]);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 60_000);
    for (row, record) in rows.iter().zip(&records) {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[0], record["unit_id"].as_str().unwrap());
        assert_eq!(cells[3], record["expires_on"].as_str().unwrap());
        assert_eq!(cells[8], record["status"].as_str().unwrap());
    }
}

/// Clean lines are written 64 to a statement; a statement with one taken or
/// repeated id writes nothing and its lines go in one at a time. A file that
/// overlaps the ledger, and repeats one of its own new lines, must import
/// exactly its new units, count the rest, and refuse a repeat that differs.
#[test]
fn a_file_overlapping_the_ledger_imports_exactly_its_new_units() {
    let (ledger, _, text) = with_drives();
    let lines: Vec<&str> = text.lines().collect();
    let (header, body) = (lines[0], &lines[1..]);
    let write = |name: &str, rows: &[&str]| {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        path.to_str().unwrap().to_string()
    };
    // 5 000 units, then 5 000 more of which the first 1 000 are there
    // already, and one new line given twice (in the same batch of 64).
    let first = write("first.csv", &body[..5_000]);
    assert_eq!(ledger.json(&["import", "units", &first])["new"], 5_000);
    let mut second: Vec<&str> = body[4_000..9_000].to_vec();
    // body[7 000] is the first line of its drive here (index 3 000): its
    // repeat at 3 010 falls in the same batch.
    second.insert(3_010, body[7_000]);
    let second_file = write("second.csv", &second);
    let imported = ledger.json(&["import", "units", &second_file]);
    assert_eq!(
        (imported["new"].clone(), imported["already_present"].clone()),
        (4_000.into(), 1_001.into())
    );
    ledger.ok(&["check"]);

    // The same units imported at once give the same ledger records.
    let once = Ledger::new();
    let (drives, _, _) = files(&once);
    once.ok(&["import", "drives", &drives]);
    let all = write("all.csv", &body[..9_000]);
    assert_eq!(once.json(&["import", "units", &all])["new"], 9_000);
    let export = |l: &Ledger| l.ok(&["export", "units", "--format", "ndjson"]);
    assert_eq!(export(&ledger), export(&once));
    assert_eq!(ledger.json(&["totals"]), once.json(&["totals"]));

    // A repeat that differs (another group) is refused by its line number,
    // and nothing of the file is written.
    let before = ledger.dump();
    let changed = {
        let mut cells: Vec<&str> = body[9_500].split(',').collect();
        cells[3] = if cells[3] == "O-" { "A-" } else { "O-" };
        cells.join(",")
    };
    let mut third: Vec<&str> = body[9_000..10_000].to_vec();
    third.insert(510, &changed);
    let third_file = write("third.csv", &third);
    let stderr = ledger.refused(&["import", "units", &third_file], 1);
    let id = body[9_500].split(',').next().unwrap();
    // Line 1 is the header; the twin is the 501st line of the 1 000 (line
    // 502), the repeat the 511th (line 512, after it within one batch).
    assert!(
        stderr.contains(&format!("line 512, column unit_id: `{id}`")),
        "{stderr}"
    );
    assert!(stderr.contains("1 bad line"), "{stderr}");
    assert_eq!(ledger.dump(), before);
}

/// The `units` that `totals` reports while `args` runs in another process,
/// once that process has spilled 1 MiB of its transaction into the WAL;
/// the report may wait 200 ms at most. Asserts that both succeed and that
/// the other process was still running when the report was done.
fn units_reported_while(ledger: &Ledger, args: &[&str]) -> serde_json::Value {
    let wal = ledger.beside("-wal");
    let wal_bytes = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let before = wal_bytes();
    let mut writer = ledger
        .std_cmd(args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the writer");
    while wal_bytes() < before + (1 << 20) {
        assert!(
            writer.try_wait().expect("writer").is_none(),
            "{args:?} ended before it wrote 1 MiB"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let output = ledger
        .cmd(&["totals", "--json"])
        .env("BLOODLEDGER_BUSY_TIMEOUT_MS", "200")
        .output()
        .expect("totals");
    let still_writing = writer.try_wait().expect("writer").is_none();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        still_writing,
        "{args:?} ended before the report: the test proved nothing"
    );
    assert!(writer.wait().expect("writer").success());
    let totals: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    totals["units"].clone()
}

/// An import may write for minutes, and so may its void: they share the
/// ledger, so a report run meanwhile does not wait for them (here with a
/// busy timeout far shorter than either) and sees the ledger as it was.
#[test]
fn reports_go_on_while_an_import_writes_and_while_it_is_voided() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    let (drives, units, _) = files_of(&ledger, 1000);
    ledger.ok(&["import", "drives", &drives]);
    let during = units_reported_while(&ledger, &["import", "units", &units]);
    assert_eq!(during, 0, "the import is not visible before it commits");
    assert_eq!(ledger.json(&["totals"])["units"], 200_000);

    let history = ledger.history();
    let number = history.last().expect("the import's entry")["number"].to_string();
    let during = units_reported_while(&ledger, &["void", &number, "--reason", "wrong file"]);
    assert_eq!(during, 200_000, "the void is not visible before it commits");
    assert_eq!(ledger.json(&["totals"])["units"], 0);
}
