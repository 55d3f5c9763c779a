//! Itemised records end to end (issue 3): donors, registrations, units with
//! ISBT 128 ids, unit-level transfers and discards, stock, traceability,
//! tally and items side by side, privacy.

use serde_json::Value;

use crate::common::{Ledger, add_donor, entry_number};

const FACILITY: &str = "nihbt";
const DRIVE: &str = "rj-a"; // held 2026-11-20, five days before TODAY

/// A facility and a held drive with no tally.
fn ledger() -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&[
        "facility",
        "add",
        FACILITY,
        "--name",
        "National Institute of Hematology and Blood Transfusion",
    ]);
    ledger.ok(&["drive", "plan", DRIVE, "--date", "2026-11-20"]);
    ledger
}

fn collect(ledger: &Ledger, id: &str, drive: &str, group: &str, volume: &str, more: &[&str]) {
    let mut args = vec![
        "unit", "collect", id, "--drive", drive, "--group", group, "--volume", volume,
    ];
    args.extend(more);
    ledger.ok(&args);
}

/// The drive of the issue's first "done when": four units (an ISBT id with
/// its check character, a 13-character ISBT id, a local id, and one more),
/// two transferred, one discarded.
fn four_units() -> Ledger {
    let ledger = ledger();
    collect(&ledger, "G123417654321A", DRIVE, "O+", "350", &[]);
    collect(&ledger, "A999820123456", DRIVE, "A pos", "450", &[]);
    collect(&ledger, "SL-0042", DRIVE, "B neg", "250", &[]);
    collect(&ledger, "A999917345628*", DRIVE, "ORh+", "350", &[]);
    ledger.ok(&[
        "transfer",
        "--to",
        FACILITY,
        "G123417654321A",
        "A999820123456",
        "--date",
        "2026-11-21",
    ]);
    ledger.ok(&["discard", "SL-0042", "--reason", "damaged", "--date", "2026-11-22"]);
    ledger
}

#[test]
fn a_drive_of_four_units_two_transferred_one_discarded() {
    let ledger = four_units();
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(drive["units"], 4);
    assert_eq!(drive["transferred"], 2);
    assert_eq!(drive["discarded"], 1);
    assert_eq!(drive["in_stock"], 1);
    assert_eq!(drive["volume_ml"], 350 + 450 + 250 + 350);
    // Each anonymous unit is one anonymous donation.
    assert_eq!(drive["registered"], 4);
    assert_eq!(drive["status"], "held");
    assert_eq!(drive["by_group"]["O+"], 2);
    assert_eq!(drive["by_group"]["A+"], 1);
    assert_eq!(drive["by_group"]["B-"], 1);
    assert_eq!(drive["transfers"][0]["units"], 2);
    ledger.ok(&["check"]);

    // The totals take the same figures from the items.
    let totals = ledger.json(&["totals"]);
    assert_eq!(totals["units"], 4);
    assert_eq!(totals["volume_ml"], 1400);
    assert_eq!(totals["in_stock"], 1);
    let by_group = ledger.json(&["totals", "--by", "group"]);
    let rows = by_group["rows"].as_array().expect("rows");
    let o_pos = rows.iter().find(|r| r["key"] == "O+").expect("O+ row");
    assert_eq!(o_pos["units"], 2);
}

#[test]
fn isbt_ids_are_stored_without_their_check_character() {
    let ledger = four_units();
    // The id with its check character, without it, and lower-case all find the unit.
    for typed in ["G123417654321A", "G123417654321", "g123417654321a"] {
        let unit = ledger.json(&["unit", "show", typed]);
        assert_eq!(unit["unit_id"], "G123417654321", "{typed}");
        assert_eq!(unit["check_character"], "A");
    }
    let local = ledger.json(&["unit", "show", "SL-0042"]);
    assert_eq!(local["unit_id"], "SL-0042");
    assert_eq!(local["check_character"], Value::Null);
}

#[test]
fn the_published_check_characters_are_accepted_and_a_wrong_one_refused() {
    let ledger = ledger();
    for (i, id) in [
        "G123417654321A",
        "A9999211234563",
        "A999820123456E",
        "A999917123654Y",
        "A999917345628*",
    ]
    .into_iter()
    .enumerate()
    {
        collect(&ledger, id, DRIVE, "O+", "350", &[]);
        assert_eq!(ledger.json(&["drive", "show", DRIVE])["units"], i + 1);
    }
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-21"]);
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "A999917123654Z",
            "--drive",
            "rj-b",
            "--group",
            "O+",
            "--volume",
            "350",
        ],
        2,
    );
    assert!(stderr.contains("check character `Z`"), "{stderr}");
    assert!(stderr.contains("needs `Y`"), "{stderr}");
    // A one-character slip that breaks the shape is caught too, not taken as a local id.
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "A99991712X654Y",
            "--drive",
            "rj-b",
            "--group",
            "O+",
            "--volume",
            "350",
        ],
        2,
    );
    assert!(stderr.contains("should be a digit"), "{stderr}");
}

#[test]
fn a_unit_id_is_unique_for_all_time_voided_ones_too() {
    let ledger = four_units();
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-21"]);
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "A999917345628",
            "--drive",
            "rj-b",
            "--group",
            "O+",
            "--volume",
            "350",
        ],
        1,
    );
    assert!(stderr.contains("already collected at drive `rj-a`"), "{stderr}");

    // Void the collection of A999917345628 (entry #7): the id stays taken.
    let history = ledger.json(&["history"]);
    let entry = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["summary"].as_str().is_some_and(|s| s.contains("A999917345628")))
        .expect("the collection")["number"]
        .to_string();
    ledger.ok(&["void", &entry, "--reason", "wrong drive"]);
    assert_eq!(ledger.json(&["drive", "show", DRIVE])["units"], 3);
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "A999917345628*",
            "--drive",
            "rj-b",
            "--group",
            "O+",
            "--volume",
            "350",
        ],
        1,
    );
    assert!(stderr.contains("since voided"), "{stderr}");
    assert_eq!(ledger.json(&["unit", "show", "A999917345628"])["status"], "voided");
}

#[test]
fn a_unit_leaves_stock_once_and_the_refusal_says_where_it_went() {
    let ledger = four_units();
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "G123417654321"], 1);
    assert!(stderr.contains("already went to nihbt"), "{stderr}");
    assert!(stderr.contains("2026-11-21"), "{stderr}");

    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "SL-0042"], 1);
    assert!(stderr.contains("discarded (damaged) on 2026-11-22"), "{stderr}");

    let stderr = ledger.refused(&["discard", "A999820123456", "--reason", "expired"], 1);
    assert!(stderr.contains("already went to nihbt"), "{stderr}");

    // The one still in stock, named twice in one command.
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "A999917345628", "A999917345628*"], 1);
    assert!(stderr.contains("given twice"), "{stderr}");
    // A count on a drive with itemised units could not say which units left.
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "--drive", DRIVE, "--count", "1"], 1);
    assert!(stderr.contains("by id"), "{stderr}");
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "NO-SUCH-UNIT"], 1);
    assert!(stderr.contains("no unit NO-SUCH-UNIT"), "{stderr}");
}

#[test]
fn unit_show_tells_the_whole_path() {
    let ledger = four_units();
    let unit = ledger.json(&["unit", "show", "G123417654321A"]);
    assert_eq!(unit["status"], "transferred");
    assert_eq!(unit["drive"], DRIVE);
    assert_eq!(unit["collected_on"], "2026-11-20");
    assert_eq!(unit["expires_on"], "2026-12-25"); // whole blood: 35 days
    assert_eq!(unit["blood_group"], "O+");
    assert_eq!(unit["volume_ml"], 350);
    assert_eq!(unit["product"], "whole-blood");
    assert_eq!(unit["movement"]["kind"], "transfer");
    assert_eq!(unit["movement"]["facility"], FACILITY);
    assert_eq!(unit["movement"]["date"], "2026-11-21");
    let discarded = ledger.json(&["unit", "show", "SL-0042"]);
    assert_eq!(discarded["status"], "discarded");
    assert_eq!(discarded["movement"]["reason"], "damaged");
    assert_eq!(ledger.json(&["unit", "show", "A999917345628"])["status"], "in stock");

    insta::assert_snapshot!(ledger.ok(&["unit", "show", "G123417654321A"]), @r"
    ┌───────────┬────────────────────────────────────────────────────────────────────────────────────────────┐
    │ unit      │ G123417654321 (check character A)                                                          │
    ├───────────┼────────────────────────────────────────────────────────────────────────────────────────────┤
    │ status    │ transferred                                                                                │
    │ collected │ 2026-11-20 at drive rj-a (entry #3)                                                        │
    │ donor     │ anonymous                                                                                  │
    │ group     │ O+                                                                                         │
    │ product   │ whole-blood, 350 ml                                                                        │
    │ expires   │ 2026-12-25                                                                                 │
    │ went      │ to nihbt (National Institute of Hematology and Blood Transfusion) on 2026-11-21 (entry #7) │
    └───────────┴────────────────────────────────────────────────────────────────────────────────────────────┘
    ");
}

#[test]
fn voiding_a_transfer_puts_its_units_back_in_stock() {
    let ledger = four_units();
    let stderr = ledger.refused(&["void", "3", "--reason", "typo"], 1);
    assert!(stderr.contains("still used by entries #7"), "{stderr}");
    ledger.ok(&["void", "7", "--reason", "the van never left"]);
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(drive["transferred"], 0);
    assert_eq!(drive["in_stock"], 3);
    assert_eq!(ledger.json(&["unit", "show", "G123417654321A"])["status"], "in stock");
    // Now it may go again.
    ledger.ok(&["transfer", "--to", FACILITY, "G123417654321A"]);
    ledger.ok(&["check"]);
}

#[test]
fn no_transfer_after_expiry() {
    let ledger = ledger();
    ledger.ok(&["drive", "plan", "rj-june", "--date", "2026-06-01"]);
    collect(
        &ledger,
        "PLT-1",
        "rj-june",
        "O+",
        "300",
        &["--product", "platelets-apheresis"],
    );
    assert_eq!(ledger.json(&["unit", "show", "PLT-1"])["expires_on"], "2026-06-06");
    ledger.ok(&["transfer", "--to", FACILITY, "PLT-1", "--date", "2026-06-06"]);
    collect(
        &ledger,
        "PLT-2",
        "rj-june",
        "O+",
        "300",
        &["--product", "platelets-apheresis"],
    );
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "PLT-2", "--date", "2026-06-07"], 1);
    assert!(stderr.contains("expired on 2026-06-06"), "{stderr}");
    assert!(stderr.contains("--reason expired"), "{stderr}");
    ledger.ok(&["discard", "PLT-2", "--reason", "expired"]);
}

#[test]
fn a_donor_back_before_the_interval_is_refused_with_the_next_eligible_date() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&["drive", "plan", "rj-june", "--date", "2026-06-01"]);
    ledger.ok(&["drive", "plan", "rj-july", "--date", "2026-07-15"]);
    ledger.ok(&["drive", "plan", "rj-sept", "--date", "2026-09-01"]);
    collect(&ledger, "U-1", "rj-june", "O+", "350", &["--donor", "D-1"]);

    let stderr = ledger.refused(
        &[
            "unit", "collect", "U-2", "--drive", "rj-july", "--group", "O+", "--volume", "350", "--donor", "D-1",
        ],
        1,
    );
    assert!(stderr.contains("2026-08-24"), "{stderr}");
    let stderr = ledger.refused(&["register", "rj-july", "--donor", "D-1", "--donated"], 1);
    assert!(stderr.contains("2026-08-24"), "{stderr}");

    // The recall list: eligible on 1 September, not on 1 August.
    let eligible = ledger.json(&["donor", "eligible", "--on", "2026-09-01"]);
    assert_eq!(eligible["donors"][0]["donor_id"], "D-1");
    assert_eq!(eligible["donors"][0]["next_eligible"], "2026-08-24");
    let too_soon = ledger.json(&["donor", "eligible", "--on", "2026-08-01"]);
    assert_eq!(too_soon["donors"].as_array().map(Vec::len), Some(0));

    collect(&ledger, "U-3", "rj-sept", "O+", "350", &["--donor", "D-1"]);
    let donor = ledger.json(&["donor", "show", "D-1"]);
    assert_eq!(donor["donations"], 2);
    assert_eq!(donor["next_eligible"], "2026-11-24");
}

#[test]
fn after_apheresis_the_interval_is_fourteen_days() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&["drive", "plan", "rj-1", "--date", "2026-10-01"]);
    ledger.ok(&["drive", "plan", "rj-2", "--date", "2026-10-14"]);
    ledger.ok(&["drive", "plan", "rj-3", "--date", "2026-10-15"]);
    collect(
        &ledger,
        "P-1",
        "rj-1",
        "O+",
        "600",
        &["--donor", "D-1", "--product", "plasma-apheresis"],
    );
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "P-2",
            "--drive",
            "rj-2",
            "--group",
            "O+",
            "--volume",
            "600",
            "--donor",
            "D-1",
            "--product",
            "plasma",
        ],
        1,
    );
    assert!(stderr.contains("2026-10-15"), "{stderr}");
    collect(
        &ledger,
        "P-3",
        "rj-3",
        "O+",
        "600",
        &["--donor", "D-1", "--product", "plasma"],
    );
}

#[test]
fn age_and_volume_rules_refuse_and_an_override_lets_a_physician_through() {
    let ledger = ledger();
    ledger.ok(&[
        "donor",
        "add",
        "TEEN",
        "--name",
        "A Teen",
        "--born",
        "2009-01-01",
        "--sex",
        "M",
    ]);
    ledger.ok(&[
        "donor",
        "add",
        "OLD",
        "--name",
        "An Elder",
        "--born",
        "1966-01-01",
        "--sex",
        "M",
    ]);
    ledger.ok(&[
        "donor",
        "add",
        "LIGHT",
        "--name",
        "A Light One",
        "--born",
        "1990-01-01",
        "--sex",
        "F",
        "--weight",
        "44",
    ]);
    let base = ["unit", "collect", "X", "--drive", DRIVE, "--group", "O+"];
    let attempt = |id: &str, volume: &str, more: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args[2] = id;
        args.extend(["--volume", volume]);
        args.extend(more);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let refused = |args: Vec<String>, wanted: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stderr = ledger.refused(&args, 1);
        assert!(stderr.contains(wanted), "{stderr}");
    };
    refused(attempt("T-1", "350", &["--donor", "TEEN"]), "is 17 on 2026-11-20");
    // 60 is allowed (OLD is 60 on the drive's date); 61 is not.
    ledger.ok(&[
        "donor",
        "add",
        "OLDER",
        "--name",
        "An Elder",
        "--born",
        "1965-11-19",
        "--sex",
        "M",
    ]);
    refused(attempt("O-2", "350", &["--donor", "OLDER"]), "is 61");
    refused(attempt("L-1", "350", &["--donor", "LIGHT"]), "at most 250 ml");
    refused(attempt("W-1", "300", &[]), "not a whole-blood bag");
    refused(attempt("A-1", "700", &["--product", "platelets-apheresis"]), "650 ml");

    // The 60-year-old may give; a physician may let the 17-year-old through.
    collect(&ledger, "O-1", DRIVE, "O+", "350", &["--donor", "OLD"]);
    collect(
        &ledger,
        "T-1",
        DRIVE,
        "O+",
        "350",
        &["--donor", "TEEN", "--override", "Dr Lan: 17y11m, parental consent"],
    );
    let unit = ledger.json(&["unit", "show", "T-1"]);
    assert_eq!(unit["override"], "Dr Lan: 17y11m, parental consent");
    let history = ledger.ok(&["history"]);
    assert!(history.contains("override: Dr Lan"), "{history}");
    collect(&ledger, "L-1", DRIVE, "O+", "250", &["--donor", "LIGHT"]);
}

#[test]
fn collecting_for_a_donor_records_or_reuses_the_registration() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&[
        "donor",
        "add",
        "D-2",
        "--name",
        "Trần Văn Bình",
        "--born",
        "1985-03-03",
        "--sex",
        "M",
    ]);
    ledger.ok(&[
        "donor",
        "add",
        "D-3",
        "--name",
        "Lê Văn Cường",
        "--born",
        "1980-03-03",
        "--sex",
        "M",
    ]);
    ledger.ok(&["register", DRIVE, "--donor", "D-1", "--donated"]);
    collect(&ledger, "U-1", DRIVE, "O+", "350", &["--donor", "D-1"]);
    collect(&ledger, "U-2", DRIVE, "O+", "350", &["--donor", "D-2"]);
    ledger.ok(&["register", DRIVE, "--donor", "D-3", "--deferred", "low haemoglobin"]);
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(drive["registered"], 3);
    assert_eq!(drive["deferred"], 1);
    assert_eq!(drive["units"], 2);

    let stderr = ledger.refused(
        &[
            "unit", "collect", "U-3", "--drive", DRIVE, "--group", "O+", "--volume", "350", "--donor", "D-1",
        ],
        1,
    );
    assert!(stderr.contains("already gave unit U-1"), "{stderr}");
    let stderr = ledger.refused(
        &[
            "unit", "collect", "U-3", "--drive", DRIVE, "--group", "O+", "--volume", "350", "--donor", "D-3",
        ],
        1,
    );
    assert!(stderr.contains("as deferred"), "{stderr}");
    let stderr = ledger.refused(&["register", DRIVE, "--donor", "D-2", "--did-not-bleed"], 1);
    assert!(stderr.contains("already registered"), "{stderr}");
    // The registration under a unit cannot be voided from beneath it.
    let stderr = ledger.refused(&["void", "6", "--reason", "x"], 1);
    assert!(stderr.contains("still used by entries #7"), "{stderr}");
    // Nor the donor under their registrations.
    let stderr = ledger.refused(&["void", "3", "--reason", "x"], 1);
    assert!(stderr.contains("still used"), "{stderr}");
}

/// A voided registration comes off its drive's figures and summary, in
/// every report (the void marks the drive to be summarised again).
#[test]
fn a_voided_deferral_comes_off_its_drives_figures() {
    let ledger = ledger();
    add_donor(&ledger);
    let registered = ledger.ok(&["register", DRIVE, "--donor", "D-1", "--deferred", "low haemoglobin"]);
    // `totals` reads the drive's summary: the registration itself marked it.
    assert_eq!(ledger.json(&["totals"])["deferred"], 1);
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(
        (drive["registered"].clone(), drive["deferred"].clone()),
        (1.into(), 1.into())
    );
    ledger.ok(&["void", &entry_number(&registered), "--reason", "wrong donor"]);
    let drive = ledger.json(&["drive", "show", DRIVE]);
    assert_eq!(
        (drive["registered"].clone(), drive["deferred"].clone()),
        (0.into(), 0.into())
    );
    let totals = ledger.json(&["totals"]);
    assert_eq!(
        (totals["registered"].clone(), totals["deferred"].clone()),
        (0.into(), 0.into())
    );
    ledger.ok(&["check"]);
}

#[test]
fn a_permanent_deferral_keeps_a_donor_off_the_recall_list() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&[
        "register",
        DRIVE,
        "--donor",
        "D-1",
        "--deferred",
        "hepatitis B",
        "--permanent",
    ]);
    let donor = ledger.json(&["donor", "show", "D-1"]);
    assert_eq!(donor["permanently_deferred"], true);
    let eligible = ledger.json(&["donor", "eligible", "--on", "2027-01-01"]);
    assert_eq!(eligible["donors"].as_array().map(Vec::len), Some(0));
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-24"]);
    let stderr = ledger.refused(&["register", "rj-b", "--donor", "D-1", "--donated"], 1);
    assert!(stderr.contains("permanently deferred"), "{stderr}");
}

#[test]
fn donor_list_counts_repeat_donors() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&[
        "donor",
        "add",
        "D-2",
        "--name",
        "Trần Văn Bình",
        "--born",
        "1985-03-03",
        "--sex",
        "M",
    ]);
    ledger.ok(&["drive", "plan", "rj-0", "--date", "2026-05-01"]);
    collect(&ledger, "U-0", "rj-0", "O+", "350", &["--donor", "D-1"]);
    collect(&ledger, "U-1", DRIVE, "O+", "350", &["--donor", "D-1"]);
    collect(&ledger, "U-2", DRIVE, "O+", "350", &["--donor", "D-2"]);
    let all = ledger.json(&["donor", "list"]);
    assert_eq!(all["donors"].as_array().map(Vec::len), Some(2));
    let repeat = ledger.json(&["donor", "list", "--min-donations", "2"]);
    assert_eq!(repeat["donors"].as_array().map(Vec::len), Some(1));
    assert_eq!(repeat["donors"][0]["donor_id"], "D-1");
    assert_eq!(repeat["donors"][0]["donations"], 2);
    assert_eq!(repeat["donors"][0]["last_donation"], "2026-11-20");
}

#[test]
fn personal_data_stays_out_of_every_report_unless_asked_for() {
    let ledger = ledger();
    add_donor(&ledger);
    collect(&ledger, "U-1", DRIVE, "O+", "350", &["--donor", "D-1"]);
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-21"]);
    ledger.ok(&["register", "rj-b", "--donor", "D-1", "--deferred", "just gave"]);
    let pii = ["Nguyễn Thị Hoa", "Hoa", "0912345678", "001190012345", "1990-05-20"];
    let reports: &[&[&str]] = &[
        &["drive", "show", DRIVE],
        &["drive", "list"],
        &["totals"],
        &["totals", "--by", "group"],
        &["unit", "show", "U-1"],
        &["donor", "list"],
        &["donor", "eligible", "--on", "2027-01-01"],
        &["donor", "show", "D-1"],
        &["history"],
        &["stock"],
    ];
    for report in reports {
        for format in ["json", "csv"] {
            let mut args = report.to_vec();
            args.extend(["--format", format]);
            let out = ledger.ok(&args);
            for secret in pii {
                assert!(!out.contains(secret), "`{}` shows {secret}:\n{out}", args.join(" "));
            }
        }
    }
    // The human history and drive pages name the donor by id only.
    for report in [&["history"][..], &["drive", "show", DRIVE], &["unit", "show", "U-1"]] {
        let out = ledger.ok(report);
        for secret in pii {
            assert!(!out.contains(secret), "`{}` shows {secret}:\n{out}", report.join(" "));
        }
    }
    // donor show is the place to see them; JSON only when asked.
    let table = ledger.ok(&["donor", "show", "D-1"]);
    assert!(
        table.contains("Nguyễn Thị Hoa") && table.contains("0912345678"),
        "{table}"
    );
    let with = ledger.json(&["donor", "show", "D-1", "--include-pii"]);
    assert_eq!(with["name"], "Nguyễn Thị Hoa");
    assert_eq!(with["born"], "1990-05-20");
    assert_eq!(with["national_id"], "001190012345");
    let list = ledger.json(&["donor", "list", "--include-pii"]);
    assert_eq!(list["donors"][0]["phone"], "0912345678");
}

#[test]
fn tally_and_items_side_by_side() {
    let ledger = ledger();
    ledger.ok(&[
        "drive",
        "log",
        "rj-t",
        "--date",
        "2026-11-20",
        "--registered",
        "10",
        "--collected",
        "5",
        "--deferred",
        "2",
        "--volume-ml",
        "1750",
    ]);
    // Before any item the tally stands, and check is silent.
    assert_eq!(ledger.json(&["drive", "show", "rj-t"])["units"], 5);
    ledger.ok(&["check"]);

    collect(&ledger, "T-1", "rj-t", "O+", "350", &[]);
    collect(&ledger, "T-2", "rj-t", "A+", "450", &[]);
    let drive = ledger.json(&["drive", "show", "rj-t"]);
    assert_eq!(drive["units"], 2);
    assert_eq!(drive["volume_ml"], 800);
    assert_eq!(drive["tally"]["collected"], 5);
    assert_eq!(drive["tally"]["volume_ml"], 1750);
    assert_eq!(drive["items"]["units"], 2);

    let output = ledger.cmd(&["check"]).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("drive rj-t: itemised records give 2 units, the tally 5"),
        "{stdout}"
    );
    assert!(stdout.contains("800 ml, the tally 1750"), "{stdout}");
    assert!(!stdout.contains("rj-a"), "{stdout}");

    let show = ledger.ok(&["drive", "show", "rj-t"]);
    let figures = show
        .lines()
        .skip_while(|l| !l.contains("figure"))
        .take(10)
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(figures, @r"
    │ figure      │  count │    tally │
    ├─────────────┼────────┼──────────┤
    │ registered  │      2 │       10 │
    │ deferred    │      0 │        2 │
    │ units       │      2 │        5 │
    │ volume      │ 800 ml │ 1 750 ml │
    │ transferred │      0 │          │
    │ discarded   │      0 │          │
    │ in stock    │      2 │          │
    └─────────────┴────────┴──────────┘
    ");

    // Enter the rest and the tally balances: check is silent again.
    ledger.ok(&[
        "donor",
        "add",
        "D-9",
        "--name",
        "X Y",
        "--born",
        "1990-01-01",
        "--sex",
        "M",
    ]);
    ledger.ok(&[
        "donor",
        "add",
        "D-8",
        "--name",
        "X Z",
        "--born",
        "1990-01-01",
        "--sex",
        "M",
    ]);
    collect(&ledger, "T-3", "rj-t", "O+", "350", &[]);
    collect(&ledger, "T-4", "rj-t", "O+", "350", &[]);
    collect(&ledger, "T-5", "rj-t", "B+", "250", &[]);
    for (i, donor) in ["D-9", "D-8"].iter().enumerate() {
        let reason = format!("reason {i}");
        ledger.ok(&["register", "rj-t", "--donor", donor, "--deferred", &reason]);
    }
    for i in 0..3 {
        let id = format!("N-{i}");
        ledger.ok(&["donor", "add", &id, "--name", "N", "--born", "1990-01-01", "--sex", "F"]);
        ledger.ok(&["register", "rj-t", "--donor", &id, "--did-not-bleed"]);
    }
    let drive = ledger.json(&["drive", "show", "rj-t"]);
    assert_eq!(
        (drive["registered"].clone(), drive["deferred"].clone()),
        (10.into(), 2.into())
    );
    ledger.ok(&["check"]);
}

#[test]
fn stock_lists_units_in_stock_expiring_and_grouped() {
    let ledger = four_units();
    ledger.ok(&["drive", "plan", "rj-p", "--date", "2026-11-22"]);
    collect(
        &ledger,
        "PLT-1",
        "rj-p",
        "AB+",
        "300",
        &["--product", "platelets-apheresis"],
    );
    ledger.ok(&[
        "drive",
        "log",
        "rj-tally",
        "--date",
        "2026-11-01",
        "--registered",
        "10",
        "--collected",
        "8",
    ]);
    let stock = ledger.json(&["stock"]);
    assert_eq!(stock["itemised_units"], 2);
    assert_eq!(stock["tallied_units"], 8);
    assert_eq!(stock["units"], 10);
    assert_eq!(stock["volume_ml"], 650);
    // Soonest expiry first: the platelets expire 2026-11-27.
    assert_eq!(stock["stock"][0]["unit_id"], "PLT-1");
    assert_eq!(stock["stock"][0]["expires_on"], "2026-11-27");

    let drive = ledger.json(&["drive", "show", "rj-p"]);
    assert_eq!(drive["items"]["by_product"]["platelets-apheresis"], 1);
    let soon = ledger.json(&["stock", "--expiring-within", "3"]);
    assert_eq!(soon["units"], 1);
    assert_eq!(soon["stock"][0]["unit_id"], "PLT-1");
    assert_eq!(soon["expiring_by"], "2026-11-28");
    let none = ledger.ok(&["stock", "--expiring-within", "0"]);
    assert_eq!(none.trim(), "No unit in stock expires by 2026-11-25.");

    let by_group = ledger.json(&["stock", "--by", "group"]);
    let rows = by_group["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .any(|r| r["key"] == "AB+" && r["units"] == 1 && r["volume_ml"] == 300)
    );
    let by_drive = ledger.json(&["stock", "--by", "drive"]);
    let tally_row = by_drive["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["key"] == "rj-tally")
        .expect("tally drive")
        .clone();
    assert_eq!(tally_row["units"], 8);
    assert_eq!(tally_row["tallied_units"], 8);
}

#[test]
fn transfer_needs_exactly_one_form() {
    let ledger = four_units();
    ledger.refused(&["transfer", "--to", FACILITY], 2);
    ledger.refused(
        &[
            "transfer",
            "--to",
            FACILITY,
            "A999917345628",
            "--drive",
            DRIVE,
            "--count",
            "1",
        ],
        2,
    );
    ledger.refused(&["transfer", "--to", FACILITY, "--drive", DRIVE], 2);
    ledger.refused(&["discard", "--reason", "damaged"], 2);
    ledger.refused(&["register", DRIVE, "--donor", "D-1"], 2);
    ledger.refused(
        &["register", DRIVE, "--donor", "D-1", "--donated", "--did-not-bleed"],
        2,
    );
}

#[test]
fn units_of_two_drives_move_in_two_entries() {
    let ledger = four_units();
    ledger.ok(&["drive", "plan", "rj-b", "--date", "2026-11-21"]);
    collect(&ledger, "B-1", "rj-b", "O+", "350", &[]);
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "A999917345628", "B-1"], 1);
    assert!(stderr.contains("different drives"), "{stderr}");
}

#[test]
fn records_need_a_held_open_drive_and_known_names() {
    let ledger = ledger();
    add_donor(&ledger);
    ledger.ok(&["drive", "plan", "rj-future", "--date", "2027-07-16"]);
    let stderr = ledger.refused(
        &[
            "unit",
            "collect",
            "F-1",
            "--drive",
            "rj-future",
            "--group",
            "O+",
            "--volume",
            "350",
        ],
        1,
    );
    assert!(stderr.contains("after today"), "{stderr}");
    collect(&ledger, "C-1", DRIVE, "O+", "350", &[]);
    ledger.ok(&["drive", "close", DRIVE]);
    let stderr = ledger.refused(
        &[
            "unit", "collect", "C-2", "--drive", DRIVE, "--group", "O+", "--volume", "350",
        ],
        1,
    );
    assert!(stderr.contains("closed"), "{stderr}");
    let stderr = ledger.refused(&["transfer", "--to", FACILITY, "C-1"], 1);
    assert!(stderr.contains("closed"), "{stderr}");
    let stderr = ledger.refused(&["register", DRIVE, "--donor", "D-1", "--donated"], 1);
    assert!(stderr.contains("closed"), "{stderr}");
    ledger.ok(&["drive", "reopen", DRIVE]);
    let stderr = ledger.refused(&["register", DRIVE, "--donor", "D-2", "--donated"], 1);
    assert!(stderr.contains("no donor `D-2`"), "{stderr}");
    let stderr = ledger.refused(
        &[
            "donor",
            "add",
            "d-1",
            "--name",
            "Someone",
            "--born",
            "1990-01-01",
            "--sex",
            "M",
        ],
        1,
    );
    assert!(stderr.contains("already exists"), "{stderr}");
    ledger.refused(
        &[
            "donor",
            "add",
            "D-5",
            "--name",
            "X",
            "--born",
            "1990-01-01",
            "--sex",
            "X",
        ],
        2,
    );
    ledger.refused(
        &[
            "unit", "collect", "C-3", "--drive", DRIVE, "--group", "C+", "--volume", "350",
        ],
        2,
    );
    ledger.refused(
        &[
            "unit", "collect", "C-3", "--drive", DRIVE, "--group", "O+", "--volume", "0",
        ],
        2,
    );
}

#[test]
fn item_tables_are_append_only_in_sqlite_itself() {
    let ledger = four_units();
    add_donor(&ledger);
    // A registration row: the four anonymous units have none of their own.
    ledger.ok(&["register", DRIVE, "--donor", "D-1", "--deferred", "low haemoglobin"]);
    let conn = rusqlite::Connection::open(ledger.path()).expect("open");
    for sql in [
        "UPDATE units SET volume_ml = 1",
        "DELETE FROM units",
        "UPDATE registrations SET outcome = 'deferred'",
        "DELETE FROM transfer_units",
        "DELETE FROM discard_units",
        "UPDATE donors SET name = 'x'",
    ] {
        let error = conn.execute(sql, []).expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    // Unique for all time, whatever the code does.
    let error = conn
        .execute(
            "INSERT INTO units (entry, unit_id, drive, registration, blood_group, volume_ml, product, collected_on, expires_on)
             SELECT entry, unit_id, drive, registration, blood_group, volume_ml, product, collected_on, expires_on FROM units LIMIT 1",
            [],
        )
        .expect_err("duplicate unit id")
        .to_string();
    assert!(error.contains("UNIQUE"), "{error}");
}

#[test]
fn a_ledger_of_schema_1_is_upgraded_in_place() {
    let ledger = Ledger::new();
    {
        let conn = rusqlite::Connection::open(ledger.path()).expect("create");
        conn.execute_batch(include_str!("../../migrations/0001_ledger.sql"))
            .expect("schema 1");
        conn.execute_batch(
            "INSERT INTO ledger_meta (key, value) VALUES ('site_id', 'old-site'), ('created_at', '2025-01-01T00:00:00Z');
             PRAGMA user_version = 1;",
        )
        .expect("meta");
    }
    ledger.ok(&["drive", "plan", DRIVE, "--date", "2026-11-20"]);
    collect(&ledger, "U-1", DRIVE, "O+", "350", &[]);
    assert_eq!(ledger.json(&["drive", "show", DRIVE])["units"], 1);
    let conn = rusqlite::Connection::open(ledger.path()).expect("open");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 9);
}

#[test]
fn a_drive_with_items_keeps_its_date() {
    let ledger = ledger();
    collect(&ledger, "U-1", DRIVE, "O+", "350", &[]);
    let stderr = ledger.refused(
        &[
            "drive",
            "log",
            DRIVE,
            "--date",
            "2026-11-19",
            "--registered",
            "1",
            "--collected",
            "1",
        ],
        1,
    );
    assert!(stderr.contains("cannot change"), "{stderr}");
    // Logging the tally without moving the date is fine.
    ledger.ok(&[
        "drive",
        "log",
        DRIVE,
        "--registered",
        "1",
        "--collected",
        "1",
        "--volume-ml",
        "350",
    ]);
    ledger.ok(&["check"]);
}
