//! Multi-site ledgers (issue 7): district ledgers merged into a provincial
//! one, by ledger file or bundle; conflicts refused all or nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use crate::common::{Ledger, add_donor};

/// A district ledger with a facility and one logged drive.
fn district(slug: &str, date: &str, registered: u64, collected: u64) -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    log(&ledger, slug, date, registered, collected);
    ledger
}

fn log(ledger: &Ledger, slug: &str, date: &str, registered: u64, collected: u64) -> String {
    let (registered, collected) = (registered.to_string(), collected.to_string());
    ledger.ok(&[
        "drive",
        "log",
        slug,
        "--date",
        date,
        "--campaign",
        "red-journey",
        "--province",
        "Sơn La",
        "--registered",
        &registered,
        "--collected",
        &collected,
    ])
}

fn path(ledger: &Ledger) -> String {
    ledger.path().display().to_string()
}

fn site_id(ledger: &Ledger) -> String {
    ledger.json(&["sites"])["site_id"]
        .as_str()
        .expect("site_id")
        .to_string()
}

fn totals(ledger: &Ledger) -> Value {
    let mut totals = ledger.json(&["totals"]);
    totals.as_object_mut().map(|t| t.remove("summary"));
    totals
}

/// The last entry number, as `history` numbers it.
fn last_entry(ledger: &Ledger) -> u64 {
    ledger.history().last().and_then(|e| e["number"].as_u64()).unwrap_or(0)
}

/// Writes a bundle of the ledger (with extra `export` arguments); its path.
fn bundle(ledger: &Ledger, name: &str, more: &[&str]) -> String {
    let file = ledger.dir.path().join(name).display().to_string();
    let mut args = vec!["export", "bundle", "--include-pii", "--out", &file];
    args.extend(more);
    ledger.ok(&args);
    file
}

/// What the ledger holds, independent of its local numbering: every entry
/// with its records, as a full bundle carries them, sorted by id; the
/// ledger's own `merge` entries left out (they differ with the merge order).
fn content(ledger: &Ledger) -> Vec<Value> {
    let own = site_id(ledger);
    let file = bundle(ledger, "content.bundle", &[]);
    let text = std::fs::read_to_string(file).expect("bundle");
    let mut entries: Vec<Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON line"))
        .filter(|e| e.get("end").is_none())
        .filter(|e| !(e["site_id"] == own.as_str() && e["action"] == "merge"))
        .collect();
    entries.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    entries
}

#[test]
fn two_districts_merge_into_the_sum_of_their_totals_and_merging_again_changes_nothing() {
    let a = district("rj-sonla-2021", "2021-07-10", 978, 838);
    let b = district("rj-muongla-2022", "2022-07-16", 310, 265);
    let province = Ledger::new();
    let out = province.ok(&["merge", &path(&a)]);
    assert!(out.starts_with("Merged 3 entries from ledger.db"), "{out}");
    province.ok(&["merge", &path(&b)]);

    let (ta, tb, tp) = (totals(&a), totals(&b), totals(&province));
    for field in ["drives", "registered", "deferred", "units", "transferred", "in_stock"] {
        assert_eq!(
            tp[field].as_u64(),
            Some(ta[field].as_u64().unwrap() + tb[field].as_u64().unwrap()),
            "{field}"
        );
    }
    assert_eq!(tp["units"], 838 + 265);
    assert_eq!(
        province.json(&["totals", "--campaign", "red-journey", "--province", "son la"])["units"],
        1103
    );
    province.ok(&["check"]);

    // Again, from the file and from a bundle: nothing changes, nothing is written.
    let before = province.dump();
    let again = province.ok(&["merge", &path(&a)]);
    assert!(again.starts_with("Nothing new in ledger ledger.db"), "{again}");
    assert!(again.contains("3 already present"), "{again}");
    let doc = province.json(&["merge", &bundle(&b, "b.bundle", &[])]);
    assert_eq!(
        (doc["new"].as_u64(), doc["already_present"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(doc["entry"], Value::Null);
    assert_eq!(province.dump(), before, "merging again changed the ledger");

    // A bundle of B gives the same province as B's ledger file.
    let by_bundle = Ledger::new();
    by_bundle.ok(&["merge", &path(&a)]);
    by_bundle.ok(&["merge", &bundle(&b, "b2.bundle", &[])]);
    assert_eq!(totals(&by_bundle), totals(&province));
    assert_eq!(content(&by_bundle), content(&province));
}

#[test]
fn entries_keep_their_id_site_time_and_actor() {
    let a = district("rj-a", "2026-07-10", 10, 8);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    let theirs = a.history();
    let ours = province.history();
    for (t, o) in theirs.iter().zip(&ours) {
        for field in ["id", "at", "actor", "action", "summary", "drive"] {
            assert_eq!(t[field], o[field], "{field}");
        }
    }
    let merge = ours.last().expect("the merge entry");
    assert_eq!(merge["action"], "merge");
    assert_eq!(ours.len(), theirs.len() + 1);
    let rows = province.json(&["totals", "--by", "site"])["rows"].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
    assert_eq!(rows[0]["key"], site_id(&a).as_str());
    assert_eq!(rows[0]["units"], 8);
    // A merge entry cannot be voided: it wrote no records of its own.
    let number = merge["number"].to_string();
    let stderr = province.refused(&["void", &number, "--reason", "oops"], 1);
    assert!(stderr.contains("records a merge"), "{stderr}");
}

#[test]
fn merging_a_then_b_equals_b_then_a() {
    let a = district("rj-a", "2026-07-10", 10, 8);
    let b = district("rj-b", "2026-07-12", 20, 18);
    b.ok(&[
        "transfer",
        "--drive",
        "rj-b",
        "--count",
        "5",
        "--to",
        "nihbt",
        "--date",
        "2026-07-13",
    ]);
    let (ab, ba) = (Ledger::new(), Ledger::new());
    ab.ok(&["merge", &path(&a)]);
    ab.ok(&["merge", &path(&b)]);
    ba.ok(&["merge", &path(&b)]);
    ba.ok(&["merge", &path(&a)]);
    assert_eq!(totals(&ab), totals(&ba));
    assert_eq!(content(&ab), content(&ba));
    assert_eq!(
        ab.json(&["totals", "--by", "site"])["rows"],
        ba.json(&["totals", "--by", "site"])["rows"]
    );
}

#[test]
fn a_void_made_at_a_district_after_the_first_merge_reaches_the_province_with_the_next() {
    let a = district("rj-sonla-2021", "2021-07-10", 978, 883);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    assert_eq!(province.json(&["totals"])["units"], 883);
    let sent = last_entry(&a).to_string();

    // The coordinator typed 883 for 838: void and log again, at the district.
    a.ok(&["void", &sent, "--reason", "typed 883 for 838"]);
    log(&a, "rj-sonla-2021", "2021-07-10", 978, 838);
    let since = format!("#{sent}");
    let small = bundle(&a, "since.bundle", &["--since", &since]);
    let lines = std::fs::read_to_string(&small).unwrap().lines().count();
    assert_eq!(lines, 4, "header, the void, the new log, end");

    let doc = province.json(&["merge", &small]);
    assert_eq!(doc["new"], 2);
    assert_eq!(province.json(&["totals"])["units"], 838);
    assert_eq!(totals(&province), totals(&a));
    let history = province.history();
    let voided = history
        .iter()
        .find(|e| e["action"] == "drive log" && e["voided_by"].is_number())
        .expect("the voided log");
    assert!(voided["summary"].as_str().unwrap().contains("883"));
    province.ok(&["check"]);
}

#[test]
fn a_drive_slug_created_at_both_sites_is_refused_naming_it_and_the_province_is_unchanged() {
    let a = district("rj-x", "2026-07-10", 10, 8);
    let b = district("rj-x", "2026-07-12", 20, 18);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    let stderr = province.refused(&["merge", &path(&b)], 1);
    assert!(stderr.contains("1 conflict; nothing was written"), "{stderr}");
    assert!(stderr.contains("drive `rj-x` was created independently"), "{stderr}");
    assert!(
        stderr.contains(&site_id(&a)) && stderr.contains(&site_id(&b)),
        "{stderr}"
    );
    let b_log = b.history().last().unwrap()["id"].as_str().unwrap().to_string();
    assert!(stderr.contains(&b_log), "names B's entry: {stderr}");
    assert!(stderr.contains("bloodledger void"), "says how to fix it: {stderr}");
    // Also by bundle, and with --dry-run.
    province.refused(&["merge", &bundle(&b, "b.bundle", &[])], 1);
    province.refused(&["merge", &path(&b), "--dry-run"], 1);

    // Resolved at B: void its drive, log it under another slug, merge again.
    b.ok(&["void", &b_log, "--reason", "rj-x is the other district's"]);
    log(&b, "rj-x-b", "2026-07-12", 20, 18);
    province.ok(&["merge", &path(&b)]);
    assert_eq!(province.json(&["totals"])["units"], 8 + 18);
    province.ok(&["check"]);
}

/// A district whose drive is itemised: unit U-1 collected there.
fn itemised(unit: &str) -> Ledger {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    ledger.ok(&["drive", "plan", "rj-u", "--date", "2026-11-20"]);
    add_donor(&ledger);
    ledger.ok(&[
        "unit", "collect", unit, "--drive", "rj-u", "--group", "O+", "--volume", "350", "--donor", "D-1",
    ]);
    ledger
}

#[test]
fn the_same_unit_id_collected_at_two_sites_is_refused() {
    let a = itemised("U-1");
    let b = Ledger::new();
    b.ok(&["drive", "plan", "rj-v", "--date", "2026-11-21"]);
    b.ok(&[
        "unit", "collect", "U-1", "--drive", "rj-v", "--group", "A+", "--volume", "250",
    ]);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    let stderr = province.refused(&["merge", &path(&b)], 1);
    assert!(stderr.contains("unit U-1 was collected at site"), "{stderr}");
    assert!(
        stderr.contains(&site_id(&a)) && stderr.contains(&site_id(&b)),
        "{stderr}"
    );
}

#[test]
fn a_transfer_of_the_same_unit_at_two_sites_is_refused() {
    let a = itemised("U-1");
    // B works from a copy of A's records, then both send the bag somewhere.
    let b = Ledger::new();
    b.ok(&["merge", &path(&a)]);
    b.ok(&["facility", "add", "bv-sonla", "--name", "BV Sơn La"]);
    a.ok(&["transfer", "--to", "nihbt", "U-1", "--date", "2026-11-21"]);
    b.ok(&["transfer", "--to", "bv-sonla", "U-1", "--date", "2026-11-22"]);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    let stderr = province.refused(&["merge", &path(&b)], 1);
    assert!(stderr.contains("unit U-1 left stock twice"), "{stderr}");
    assert!(
        stderr.contains(&site_id(&a)) && stderr.contains(&site_id(&b)),
        "{stderr}"
    );
    // And the other way round.
    let other = Ledger::new();
    other.ok(&["merge", &path(&b)]);
    other.refused(&["merge", &path(&a)], 1);
}

#[test]
fn the_same_entry_id_with_different_content_is_refused() {
    let a = district("rj-a", "2026-07-10", 10, 8);
    let province = Ledger::new();
    province.ok(&["merge", &path(&a)]);
    // Someone edits A's journal behind bloodledger's back.
    let conn = a.conn();
    conn.execute_batch(
        "DROP TRIGGER entries_append_only_u;
         UPDATE entries SET summary = 'Logged rj-a: 80 units' WHERE action = 'drive log';",
    )
    .expect("tamper");
    drop(conn);
    let stderr = province.refused(&["merge", &path(&a)], 1);
    assert!(stderr.contains("differs"), "{stderr}");
    assert!(stderr.contains("altered outside bloodledger"), "{stderr}");
}

#[test]
fn an_incremental_bundle_without_its_earlier_entries_is_refused() {
    let a = district("rj-a", "2026-07-10", 10, 8);
    let since = format!("#{}", last_entry(&a));
    a.ok(&[
        "transfer",
        "--drive",
        "rj-a",
        "--count",
        "3",
        "--to",
        "nihbt",
        "--date",
        "2026-07-11",
    ]);
    let small = bundle(&a, "small.bundle", &["--since", &since]);
    let province = Ledger::new();
    province.ok(&["campaign", "add", "other", "--name", "Other"]);
    let stderr = province.refused(&["merge", &small], 1);
    assert!(stderr.contains("which this ledger does not have"), "{stderr}");
    assert!(stderr.contains("without --since"), "{stderr}");
    // With the full ledger first, the same bundle is already present.
    province.ok(&["merge", &path(&a)]);
    let doc = province.json(&["merge", &small]);
    assert_eq!(
        (doc["new"].as_u64(), doc["already_present"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn a_bundle_is_private_self_describing_and_checked_whole() {
    let a = itemised("U-1");
    let file = a.dir.path().join("a.bundle");
    // Donors' personal data leaves only when asked for (DESIGN §7).
    let stderr = a.refused(&["export", "bundle", "--out", file.to_str().unwrap()], 1);
    assert!(
        stderr.contains("personal data of 1 donor") && stderr.contains("--include-pii"),
        "{stderr}"
    );
    assert!(!file.exists(), "a refused bundle leaves no file");
    let out = a.ok(&["export", "bundle", "--out", file.to_str().unwrap(), "--include-pii"]);
    assert!(out.contains("personal data of 1 donor"), "{out}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a bundle holds personal data");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["format"], "bloodledger-bundle");
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(lines[0]["site_id"], site_id(&a).as_str());
    assert!(lines[0]["created_at"].is_string());
    let count = lines.len() - 2;
    assert_eq!(lines.last().unwrap()["end"]["entries"], count);
    assert_eq!(count as u64, last_entry(&a));
    // Donors travel whole: the province needs them for eligibility.
    assert!(text.contains("Nguyễn Thị Hoa"));

    let province = Ledger::new();
    province.ok(&["merge", file.to_str().unwrap(), "--dry-run"]);
    assert_eq!(province.dump(), "<no ledger>", "a dry run creates nothing");

    // Cut short in copying: refused, nothing written.
    let cut = a.dir.path().join("cut.bundle");
    let short: Vec<&str> = text.lines().take(3).collect();
    std::fs::write(&cut, short.join("\n")).unwrap();
    let stderr = province.refused(&["merge", cut.to_str().unwrap()], 1);
    assert!(stderr.contains("cut short"), "{stderr}");
    // Written before units were named by their unit id: refused, with the way round.
    let old = a.dir.path().join("old.bundle");
    std::fs::write(&old, text.replacen("\"version\":2", "\"version\":1", 1)).unwrap();
    let stderr = province.refused(&["merge", old.to_str().unwrap()], 1);
    assert!(
        stderr.contains("older bloodledger (bundle version 1") && stderr.contains("merge that site's ledger file"),
        "{stderr}"
    );
    // Not a bundle or a ledger at all.
    let csv = a.dir.path().join("drives.csv");
    std::fs::write(&csv, "slug,date\nrj-a,2026-07-10\n").unwrap();
    let stderr = province.refused(&["merge", csv.to_str().unwrap()], 1);
    assert!(stderr.contains("neither a bloodledger ledger nor a bundle"), "{stderr}");
    let stderr = province.refused(&["merge", "/nonexistent/ledger.db"], 1);
    assert!(stderr.contains("cannot read /nonexistent/ledger.db"), "{stderr}");
    // --since a day: entries recorded on or after it (UTC).
    let all = bundle(&a, "all.bundle", &["--since", "2000-01-01"]);
    assert_eq!(
        std::fs::read_to_string(all).unwrap().lines().count(),
        text.lines().count()
    );
    let none = bundle(&a, "none.bundle", &["--since", "2999-01-01"]);
    assert_eq!(
        std::fs::read_to_string(none).unwrap().lines().count(),
        2,
        "header and end"
    );
    a.refused(&["export", "bundle", "--out", "x.bundle", "--since", "#999"], 1);
    // --out is required; --since belongs to bundles.
    a.refused(&["export", "bundle"], 2);
    a.refused(&["export", "drives", "--since", "2026-01-01"], 2);
    a.refused(&["export", "bundle", "--out", "x.bundle", "--since", "last week"], 2);
    a.refused(&["merge", &path(&a)], 1);
}

#[test]
fn sites_lists_each_site_with_its_entries_and_last_merge() {
    let a = district("rj-a", "2026-07-10", 10, 8);
    let b = district("rj-b", "2026-07-12", 20, 18);
    let province = Ledger::new();
    province.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    province.ok(&["merge", &path(&a)]);
    province.ok(&["merge", &path(&b)]);
    let doc = province.json(&["sites"]);
    let own = doc["site_id"].as_str().unwrap().to_string();
    let sites = doc["sites"].as_array().unwrap();
    let find = |id: &str| sites.iter().find(|s| s["site_id"] == id).cloned().expect(id);
    let (sa, sb, sp) = (find(&site_id(&a)), find(&site_id(&b)), find(&own));
    assert_eq!((sa["entries"].as_u64(), sb["entries"].as_u64()), (Some(3), Some(3)));
    assert_eq!(sp["entries"], 3, "the campaign and two merges");
    assert_eq!(sp["this_ledger"], true);
    assert_eq!(sa["this_ledger"], false);
    assert!(sa["last_merge_at"].is_string() && sb["last_merge_at"].is_string());
    assert_eq!(sp["last_merge_at"], Value::Null);
    let table = province.ok(&["sites"]);
    assert!(table.contains("(this ledger)"), "{table}");

    // The province's bundle carries A's and B's entries up to the nation.
    let nation = Ledger::new();
    nation.ok(&["merge", &bundle(&province, "p.bundle", &[])]);
    assert_eq!(totals(&nation), totals(&province));
    let sites = nation.json(&["sites"])["sites"].as_array().unwrap().len();
    assert_eq!(sites, 4, "A, B, the province (its merges) and the nation's own merge");
    let rows = nation.json(&["totals", "--by", "site"])["rows"].clone();
    let keys: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert!(
        keys.contains(&site_id(&a).as_str()) && keys.contains(&site_id(&b).as_str()),
        "{keys:?}"
    );
}

// ---- Order independence, as a property over random multi-site histories.

#[derive(Debug, Clone)]
enum Op {
    /// Log a new drive: registered, collected.
    Log(u64, u64),
    /// Transfer from the n-th drive this site logged.
    Transfer(usize, u64),
    Close(usize),
    /// Void the site's last entry (refusals are part of the history too).
    VoidLast,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..60, 0u64..60).prop_map(|(r, c)| Op::Log(r.max(c), c.min(r))),
        2 => (0usize..3, 1u64..20).prop_map(|(d, n)| Op::Transfer(d, n)),
        1 => (0usize..3).prop_map(Op::Close),
        1 => Just(Op::VoidLast),
    ]
}

fn apply(ledger: &Ledger, name: &str, ops: &[Op], logged: &mut Vec<String>) {
    for op in ops {
        match op {
            Op::Log(registered, collected) => {
                let slug = format!("{name}-{}", logged.len());
                let day = format!("2026-0{}-1{}", 1 + logged.len() % 9, logged.len() % 10);
                let (r, c) = (registered.to_string(), collected.to_string());
                let args = [
                    "drive",
                    "log",
                    &slug,
                    "--date",
                    &day,
                    "--registered",
                    &r,
                    "--collected",
                    &c,
                ];
                if ledger.run(&args).0 == 0 {
                    logged.push(slug);
                }
            }
            Op::Transfer(i, n) => {
                if let Some(slug) = logged.get(*i) {
                    let n = n.to_string();
                    ledger.run(&[
                        "transfer",
                        "--drive",
                        slug,
                        "--count",
                        &n,
                        "--to",
                        "nihbt",
                        "--date",
                        "2026-10-01",
                    ]);
                }
            }
            Op::Close(i) => {
                if let Some(slug) = logged.get(*i) {
                    ledger.run(&["drive", "close", slug]);
                }
            }
            Op::VoidLast => {
                let last = last_entry(ledger).to_string();
                ledger.run(&["void", &last, "--reason", "test"]);
            }
        }
    }
}

fn merged_in(order: &[&Path]) -> Ledger {
    let province = Ledger::new();
    for source in order {
        province.ok(&["merge", source.to_str().unwrap()]);
    }
    province
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Sites A and B write independently; C merges A part-way through its own
    /// history (so C carries A's older entries, and A goes on, voids
    /// included). Every order of merging the three gives the same totals and
    /// the same entries, and merging any of them again changes nothing.
    #[test]
    fn any_merge_order_gives_the_same_totals(
        a_before in prop::collection::vec(op(), 1..5),
        a_after in prop::collection::vec(op(), 0..4),
        b_ops in prop::collection::vec(op(), 1..5),
        c_ops in prop::collection::vec(op(), 0..4),
    ) {
        let (a, b, c) = (Ledger::new(), Ledger::new(), Ledger::new());
        for site in [&a, &b, &c] {
            site.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
        }
        let mut logged = Vec::new();
        apply(&a, "a", &a_before, &mut logged);
        c.ok(&["merge", &path(&a)]);
        apply(&a, "a", &a_after, &mut logged);
        apply(&b, "b", &b_ops, &mut Vec::new());
        apply(&c, "c", &c_ops, &mut Vec::new());

        let (pa, pb, pc) = (a.path(), b.path(), c.path());
        let orders: [[&Path; 3]; 6] = [
            [&pa, &pb, &pc], [&pa, &pc, &pb], [&pb, &pa, &pc],
            [&pb, &pc, &pa], [&pc, &pa, &pb], [&pc, &pb, &pa],
        ];
        let first = merged_in(&orders[0]);
        let (expected_totals, expected_content) = (totals(&first), content(&first));
        for order in &orders[1..] {
            let province = merged_in(order);
            prop_assert_eq!(&totals(&province), &expected_totals, "order {:?}", order);
            prop_assert_eq!(&content(&province), &expected_content, "order {:?}", order);
        }
        let before = first.dump();
        for source in [&pa, &pb, &pc] {
            first.ok(&["merge", source.to_str().unwrap()]);
        }
        prop_assert_eq!(first.dump(), before, "merging again changed the ledger");
        first.ok(&["check"]);
    }
}
