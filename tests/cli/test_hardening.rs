//! Hardening (issue 6): kill -9 in the middle of writes, many writers at
//! once, a full disk, read-only files and directories, files that are not
//! ledgers, append-only in SQLite itself, private files, personal data and
//! spreadsheet formulas.
//!
//! Kill points are chosen by how far a process has got (the size of its
//! WAL) or by short sleeps; no assertion depends on timing: after every
//! kill the ledger must be exactly "before" or exactly "after".

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{D1_PII, Ledger, TODAY, d1_args};

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("bloodledger")
}

/// The binary as a plain process (to kill it), pointed at `ledger`.
fn process(ledger: &Ledger, args: &[&str]) -> Command {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env("BLOODLEDGER_DB", ledger.path())
        .env("BLOODLEDGER_TODAY", TODAY)
        .env("USER", "tester")
        .env("NO_COLOR", "1")
        .env_remove("BLOODLEDGER_BY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Waits until `ready()` or the child has ended, then SIGKILLs it (a no-op
/// when it has already ended). Returns whether the kill came first.
fn kill_when(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    // Generous: a stuck child fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        if ready() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = child.kill().is_ok();
    let status = child.wait().expect("wait");
    killed && status.code().is_none()
}

/// `check` is silent and exits 0.
fn assert_clean(ledger: &Ledger) {
    let (code, stdout, stderr) = ledger.run(&["check"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "check: {stderr}");
}

/// A drives CSV of `n` drives with tallies: the import "merge-sized" write.
fn drives_csv(dir: &Path, n: usize) -> PathBuf {
    let mut csv = String::from("slug,name,date,province,district,registered,deferred,collected\n");
    for i in 0..n {
        csv.push_str(&format!(
            "crash-{i},Drive {i},2025-{:02}-{:02},Sơn La,Mường La,{},{},{}\n",
            i % 12 + 1,
            i % 28 + 1,
            100 + i % 50,
            i % 7,
            90 + i % 10
        ));
    }
    let path = dir.join("drives.csv");
    std::fs::write(&path, csv).expect("write csv");
    path
}

fn drive_count(ledger: &Ledger) -> u64 {
    ledger.json(&["totals"])["drives"].as_u64().expect("drives")
}

#[test]
fn a_killed_import_is_wholly_there_or_wholly_absent() {
    const DRIVES: usize = 5000;
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    let csv = drives_csv(ledger.dir.path(), DRIVES);
    let csv = csv.to_str().expect("utf-8");
    let before = ledger.dump();
    // Kill before it starts, while the transaction spills to the WAL at
    // several sizes, and (when it gets there) around the commit and checkpoint.
    let mut killed = 0;
    for wal_bytes in [0, 32 << 10, 512 << 10, 1 << 20, 2 << 20] {
        let start = file_len(&ledger.beside("-wal"));
        let mut child = process(&ledger, &["import", "drives", csv]).spawn().expect("spawn");
        let was_killed = kill_when(&mut child, || file_len(&ledger.beside("-wal")) > start + wal_bytes);
        killed += u32::from(was_killed);
        assert_clean(&ledger);
        match drive_count(&ledger) {
            0 => assert_eq!(ledger.dump(), before, "a killed import left something behind"),
            n => {
                assert_eq!(n, DRIVES as u64, "a killed import is partly there");
                break;
            }
        }
    }
    assert!(killed >= 2, "the import ended before it could be killed twice");
    // Whatever the kills did, the import then runs to its end exactly once.
    let done = ledger.json(&["import", "drives", csv]);
    let total = done["new"].as_u64().unwrap() + done["already_present"].as_u64().unwrap();
    assert_eq!(total, DRIVES as u64);
    assert_eq!(drive_count(&ledger), DRIVES as u64);
    assert_clean(&ledger);
    let entries = ledger.history();
    let imports = entries.iter().filter(|e| e["action"] == "import").count();
    assert_eq!(imports, 1, "one import entry: {entries:?}");
}

/// Three hundred thousand units in one import, killed while its
/// transaction is spilling to the WAL at several sizes (a debug build writes
/// a few thousand units a second, so the kills come early in the file):
/// after each, not one unit is in the ledger and it checks clean.
#[test]
fn a_killed_import_of_300_000_units_leaves_none() {
    const UNITS: usize = 300_000;
    let ledger = Ledger::new();
    ledger.ok(&["drive", "plan", "rj-bulk", "--date", "2026-11-20"]);
    let mut csv = String::with_capacity(UNITS * 40);
    csv.push_str("unit_id,drive,collected_on,blood_group,volume_ml,product\n");
    let groups = ["O+", "A+", "B+", "AB+", "O-"];
    for i in 0..UNITS {
        csv.push_str(&format!(
            "SL-{i:07},rj-bulk,2026-11-20,{},350,whole-blood\n",
            groups[i % 5]
        ));
    }
    let path = ledger.dir.path().join("units.csv");
    std::fs::write(&path, csv).expect("csv");
    let before = ledger.dump();
    for wal_bytes in [0, 256 << 10, 1 << 20, 4 << 20] {
        let start = file_len(&ledger.beside("-wal"));
        let mut child = process(&ledger, &["import", "units", path.to_str().unwrap()])
            .spawn()
            .expect("spawn");
        let killed = kill_when(&mut child, || file_len(&ledger.beside("-wal")) > start + wal_bytes);
        assert!(
            killed,
            "the import of {UNITS} units ended before the kill at {wal_bytes} bytes"
        );
        assert_clean(&ledger);
        assert_eq!(ledger.json(&["drive", "show", "rj-bulk"])["units"], 0);
        assert_eq!(ledger.dump(), before, "a killed import left something behind");
    }
}

/// A merge of another site's 3 000 drives, killed as it writes: the
/// other site's entries are all there or none is.
#[test]
fn a_killed_merge_is_wholly_there_or_wholly_absent() {
    const DRIVES: usize = 3000;
    let other = Ledger::new();
    let csv = drives_csv(other.dir.path(), DRIVES);
    other.ok(&["import", "drives", csv.to_str().unwrap()]);
    let ledger = Ledger::new();
    ledger.with_son_la();
    let before = ledger.dump();
    let source = other.path();
    let source = source.to_str().unwrap();
    for wal_bytes in [0, 128 << 10, 512 << 10, 1 << 20] {
        let start = file_len(&ledger.beside("-wal"));
        let mut child = process(&ledger, &["merge", source]).spawn().expect("spawn");
        kill_when(&mut child, || file_len(&ledger.beside("-wal")) > start + wal_bytes);
        assert_clean(&ledger);
        match drive_count(&ledger) {
            1 => assert_eq!(ledger.dump(), before, "a killed merge left something behind"),
            n => {
                assert_eq!(n, DRIVES as u64 + 1, "a killed merge is partly there");
                break;
            }
        }
    }
    ledger.ok(&["merge", source]);
    assert_eq!(drive_count(&ledger), DRIVES as u64 + 1);
    assert_clean(&ledger);
}

#[test]
fn a_killed_drive_log_is_there_or_absent() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    let mut landed = 0;
    for i in 0..24u64 {
        let slug = format!("kill-{i}");
        let before = ledger.dump();
        let mut child = process(
            &ledger,
            &[
                "drive",
                "log",
                &slug,
                "--date",
                "2025-07-16",
                "--registered",
                "978",
                "--collected",
                "838",
                "--deferred",
                "140",
                "--group",
                "O+=400",
                "--group",
                "A+=438",
                "--transferred",
                "838",
                "--to",
                "nihbt",
            ],
        )
        .spawn()
        .expect("spawn");
        // From "at once" to "after it is done", a little later each time.
        std::thread::sleep(Duration::from_micros(i * 600));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        assert_clean(&ledger);
        let (code, _, _) = ledger.run(&["drive", "show", &slug]);
        if code == 0 {
            let drive = ledger.json(&["drive", "show", &slug]);
            assert_eq!(
                (
                    drive["registered"].as_u64(),
                    drive["units"].as_u64(),
                    drive["transferred"].as_u64()
                ),
                (Some(978), Some(838), Some(838)),
                "{drive}"
            );
            landed += 1;
        } else {
            assert!(status.code().is_none(), "a drive log that exited is missing");
            assert_eq!(ledger.dump(), before, "a killed drive log left something behind");
        }
    }
    assert_eq!(drive_count(&ledger), landed);
}

#[test]
fn a_killed_export_leaves_the_old_file_whole() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let csv = drives_csv(ledger.dir.path(), 1500);
    ledger.ok(&["import", "drives", csv.to_str().unwrap()]);
    let out = ledger.dir.path().join("summary.json");
    let old = b"{\"old\": true}\n".to_vec();
    std::fs::write(&out, &old).expect("old file");
    let out_arg = out.to_str().unwrap();
    for i in 0..16u64 {
        let mut child = process(&ledger, &["export", "summary", "--out", out_arg])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(i * 8));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(&out).expect("the file is still there");
        if now != old {
            let doc: Value = serde_json::from_slice(&now).expect("a whole JSON document");
            assert_eq!(doc["totals"]["drives"], 1508);
            std::fs::write(&out, &old).expect("old file");
        }
    }
    // Sanity: an export left to finish does replace it.
    ledger.ok(&["export", "summary", "--out", out_arg]);
    assert_ne!(std::fs::read(&out).unwrap(), old);
}

#[test]
fn eight_writers_and_an_exporter_at_once_all_land() {
    const WRITERS: usize = 8;
    const EACH: usize = 25;
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "nihbt", "--name", "NIHBT"]);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let exporter = scope.spawn(|| {
            let mut exports = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || exports == 0 {
                let output = process(&ledger, &["export", "summary", "--format", "csv"])
                    .output()
                    .expect("export");
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(output.status.success(), "export: {stderr}");
                exports += 1;
            }
            exports
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let ledger = &ledger;
                scope.spawn(move || {
                    for i in 0..EACH {
                        let slug = format!("w{w}-{i}");
                        let output = process(
                            ledger,
                            &[
                                "drive",
                                "log",
                                &slug,
                                "--date",
                                "2025-07-16",
                                "--registered",
                                "10",
                                "--collected",
                                "8",
                                "--transferred",
                                "8",
                                "--to",
                                "nihbt",
                            ],
                        )
                        .output()
                        .expect("drive log");
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        assert!(output.status.success(), "{slug}: {stderr}");
                        assert!(!stderr.contains("locked"), "{stderr}");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(exporter.join().expect("exporter") > 0);
    });
    let totals = ledger.json(&["totals"]);
    assert_eq!(totals["drives"], (WRITERS * EACH) as u64);
    assert_eq!(totals["units"], (WRITERS * EACH * 8) as u64);
    assert_eq!(ledger.history().len(), WRITERS * EACH + 1);
    assert_clean(&ledger);
}

#[test]
fn a_writer_that_cannot_get_the_lock_says_the_ledger_is_busy() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let holder = ledger.conn();
    holder.execute_batch("BEGIN IMMEDIATE").expect("hold the write lock");
    let log = [
        "drive",
        "log",
        "rj-busy",
        "--date",
        "2025-07-16",
        "--registered",
        "10",
        "--collected",
        "8",
    ];
    let before = ledger.dump();
    let output = ledger
        .cmd(&log)
        .env("BLOODLEDGER_BUSY_TIMEOUT_MS", "300")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is busy"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert!(!stderr.contains("database is locked"), "{stderr}");
    // Readers are not held up by a writer.
    assert_eq!(ledger.json(&["totals"])["units"], 838);
    holder.execute_batch("ROLLBACK").expect("release");
    drop(holder);
    assert_eq!(ledger.dump(), before);
    // Once the lock is free the same command goes through.
    ledger.ok(&log);
}

/// Runs the binary with a file size limit of `kib` KiB (as `ulimit -f`),
/// SIGXFSZ ignored so that a write past it fails with EFBIG instead of
/// killing the process: what a full disk looks like to SQLite.
fn with_file_limit(ledger: &Ledger, kib: u64, args: &[&str]) -> (i32, String) {
    let mut cmd = process(ledger, &[]);
    cmd.env_clear()
        .env("BLOODLEDGER_DB", ledger.path())
        .env("BLOODLEDGER_TODAY", TODAY)
        .env("USER", "tester")
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    // bash counts `ulimit -f` in KiB; sh (dash) in 512-byte blocks: say which.
    let script = format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\"");
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(binary())
        .args(args)
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn an_import_that_runs_out_of_space_changes_nothing() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let csv = drives_csv(ledger.dir.path(), 4000);
    let csv = csv.to_str().unwrap();
    let before = ledger.dump();
    let (code, stderr) = with_file_limit(&ledger, 512, &["import", "drives", csv]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("nothing was"), "{stderr}");
    assert!(
        stderr.contains("disk is full") || stderr.contains("file size limit"),
        "{stderr}"
    );
    assert_eq!(ledger.dump(), before);
    assert_clean(&ledger);
    // With room again, the same import goes through whole.
    assert_eq!(ledger.json(&["import", "drives", csv])["new"], 4000);
    assert_clean(&ledger);

    // An export or a backup that runs out of space leaves no half file.
    let out = ledger.dir.path().join("drives.json");
    std::fs::write(&out, "old").unwrap();
    let (code, stderr) = with_file_limit(&ledger, 64, &["export", "drives", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
    let copy = ledger.dir.path().join("copy.db");
    let (code, stderr) = with_file_limit(&ledger, 64, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!copy.exists());
    let leftovers: Vec<_> = std::fs::read_dir(ledger.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "temporary files left behind");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// Runs the binary as a user the permission bits apply to: as root (CI),
/// the unprivileged `nobody` (65534), since bits do not stop root;
/// otherwise as ourselves.
fn as_unprivileged(ledger: &Ledger, args: &[&str]) -> (i32, String, String) {
    let mut cmd = process(ledger, args);
    cmd.stdout(Stdio::piped());
    if is_root() {
        // A copy beside the ledger: the checkout may sit where `nobody`
        // cannot reach (e.g. under /root).
        let copy = ledger.dir.path().join("bloodledger-as-nobody");
        if !copy.exists() {
            std::fs::copy(binary(), &copy).expect("copy the binary");
            chmod(&copy, 0o755);
        }
        let mut as_nobody = Command::new(copy);
        as_nobody.args(args);
        for (key, value) in cmd.get_envs() {
            if let Some(value) = value {
                as_nobody.env(key, value);
            }
        }
        cmd = as_nobody;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.uid(65534).gid(65534);
    }
    // The copy may still be open for writing in a child another test
    // forked while it was being written (until that child execs): retry.
    let mut tries = 0;
    let output = loop {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            result => break result.expect("run"),
        }
    };
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn ledger_files(ledger: &Ledger) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| ledger.beside(s))
        .filter(|p| p.exists())
        .collect()
}

fn assert_reads_work_and_writes_are_refused(ledger: &Ledger, what: &str) {
    let (code, stdout, stderr) = as_unprivileged(ledger, &["totals", "--format", "json"]);
    assert_eq!(code, 0, "{what}: a read failed: {stderr}");
    let totals: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(totals["units"], 838, "{what}");
    let (code, _, stderr) = as_unprivileged(ledger, &["history", "--format", "csv"]);
    assert_eq!(code, 0, "{what}: {stderr}");
    let (code, _, stderr) = as_unprivileged(
        ledger,
        &[
            "drive",
            "log",
            "rj-ro",
            "--date",
            "2025-07-16",
            "--registered",
            "1",
            "--collected",
            "1",
        ],
    );
    assert_eq!(code, 1, "{what}: {stderr}");
    assert!(stderr.contains("read-only"), "{what}: {stderr}");
    assert!(stderr.contains("nothing was changed"), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_read_only_ledger_serves_reads_and_refuses_writes() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let before = ledger.dump();
    let dir = ledger.dir.path();
    // The file is read-only, the directory writable.
    for file in ledger_files(&ledger) {
        chmod(&file, 0o444);
    }
    chmod(dir, 0o777);
    assert_reads_work_and_writes_are_refused(&ledger, "read-only file");
    // The directory read-only too, with the WAL and its index beside the ledger.
    chmod(dir, 0o555);
    assert_reads_work_and_writes_are_refused(&ledger, "read-only directory");
    // And with everything checkpointed into the main file and no -wal or
    // -shm (as `sqlite3` or a copy leaves it): SQLite cannot create the
    // -shm file here, so the ledger is opened as immutable.
    chmod(dir, 0o755);
    {
        let conn = ledger.conn();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("ledger.db{suffix}")));
    }
    chmod(&ledger.path(), 0o444);
    chmod(dir, 0o555);
    assert_reads_work_and_writes_are_refused(&ledger, "read-only directory, no WAL");
    assert_eq!(ledger_files(&ledger), vec![ledger.path()], "a file appeared");
    chmod(dir, 0o755);
    chmod(&ledger.path(), 0o600);
    assert_eq!(ledger.dump(), before);
}

#[test]
fn a_truncated_ledger_is_refused_and_left_as_it_is() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    let csv = drives_csv(ledger.dir.path(), 1500);
    ledger.ok(&["import", "drives", csv.to_str().unwrap()]);
    {
        let conn = ledger.conn();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    let whole = std::fs::read(ledger.path()).unwrap();
    assert!(whole.len() > 200_000, "{}", whole.len());
    for keep in [100, 4096, whole.len() / 2, whole.len() - 4096] {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(ledger.beside(suffix));
        }
        std::fs::write(ledger.path(), &whole[..keep]).unwrap();
        for args in [
            &["totals"][..],
            &["check"],
            &["campaign", "add", "x", "--name", "X"],
            &[
                "drive",
                "log",
                "crash-1",
                "--date",
                "2025-01-02",
                "--registered",
                "1",
                "--collected",
                "1",
            ],
        ] {
            let (code, stdout, stderr) = ledger.run(args);
            assert_eq!(code, 1, "{keep} {args:?}: {stderr}");
            assert_eq!(stdout, "", "{keep} {args:?}");
            assert!(
                stderr.contains("damaged") || stderr.contains("not a bloodledger ledger"),
                "{keep} {args:?}: {stderr}"
            );
            assert!(stderr.contains("nothing was changed"), "{stderr}");
            assert_eq!(
                std::fs::read(ledger.path()).unwrap(),
                &whole[..keep],
                "{keep} {args:?} changed the file"
            );
        }
    }
}

/// Every table of a ledger where every table has rows: the schema carries
/// BEFORE UPDATE and BEFORE DELETE triggers for each, and SQLite itself
/// aborts an UPDATE or DELETE on any of them.
#[test]
fn every_table_is_append_only_in_sqlite_itself() {
    let ledger = Ledger::new();
    ledger.with_red_journey();
    crate::common::add_donor(&ledger);
    ledger.ok(&["drive", "plan", "rj-items", "--date", "2026-11-20"]);
    for id in ["U-1", "U-2", "U-3"] {
        ledger.ok(&[
            "unit", "collect", id, "--drive", "rj-items", "--group", "O+", "--volume", "350",
        ]);
    }
    ledger.ok(&["register", "rj-items", "--donor", "D-1", "--donated"]);
    ledger.ok(&["transfer", "--to", "nihbt", "U-1", "--date", "2026-11-21"]);
    ledger.ok(&["discard", "U-2", "--reason", "damaged", "--date", "2026-11-22"]);
    ledger.ok(&["drive", "close", "rj-sonla-2017"]);
    let entry = ledger.history().len().to_string();
    ledger.ok(&["void", &entry, "--reason", "typed the wrong drive"]);
    // A merge from another site's ledger, for the merge bookkeeping tables.
    let other = Ledger::new();
    other.ok(&[
        "drive",
        "log",
        "rj-other",
        "--date",
        "2025-07-16",
        "--registered",
        "5",
        "--collected",
        "4",
    ]);
    ledger.ok(&["merge", other.path().to_str().unwrap()]);
    let before = ledger.dump();
    let conn = ledger.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() >= 16, "{tables:?}");
    // Derived caches kept by triggers and on commit (migrations 0004, 0005, 0008):
    // not records, so written in place; `check` recomputes them from the records.
    let caches = [
        "drive_registration_figures",
        "drive_unit_figures",
        "units_in_stock",
        "drives_to_summarise",
        "drive_summaries",
        "drive_summary_groups",
        "year_totals",
        "year_group_totals",
        "entry_units",
    ];
    for table in tables.iter().filter(|t| !caches.contains(&t.as_str())) {
        for event in ["UPDATE", "DELETE"] {
            let sql: Option<String> = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1
                     AND sql LIKE '%BEFORE ' || ?2 || ' ON%' AND sql LIKE '%RAISE(ABORT%'",
                    (table, event),
                    |r| r.get(0),
                )
                .ok();
            assert!(sql.is_some(), "{table} has no BEFORE {event} trigger that aborts");
        }
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get(0))
            .unwrap();
        assert!(rows > 0, "{table} has no rows to test with");
        let column: String = conn
            .query_row(
                &format!("SELECT name FROM pragma_table_info('{table}') LIMIT 1"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        for sql in [
            format!("UPDATE \"{table}\" SET \"{column}\" = \"{column}\""),
            format!("DELETE FROM \"{table}\""),
        ] {
            let error = conn.execute(&sql, []).expect_err(&sql).to_string();
            assert!(error.contains("append-only"), "{sql}: {error}");
        }
    }
    // Nor can a transaction slip one through and commit.
    conn.execute_batch("BEGIN").unwrap();
    assert!(conn.execute("DELETE FROM entries", []).is_err());
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    assert_eq!(ledger.dump(), before);
    // Tampering with a cache is not hidden: `check` finds it.
    ledger
        .conn()
        .execute_batch("UPDATE drive_unit_figures SET units = units + 1")
        .expect("tamper");
    let (code, out, err) = ledger.run(&["check"]);
    assert_eq!(code, 1, "check missed a tampered cache: {out}{err}");
}

#[test]
fn ledgers_backups_and_exports_are_private_files() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let dir = ledger.dir.path();
    let backup = dir.join("backup.db");
    ledger.ok(&["backup", backup.to_str().unwrap()]);
    let export = dir.join("drives.csv");
    ledger.ok(&["export", "drives", "--format", "csv", "--out", export.to_str().unwrap()]);
    for file in [ledger.path(), backup, export] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    for file in ledger_files(&ledger) {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

/// Personal data leaves only with `--include-pii`: over every export, in
/// every format, and over the JSON of every command that shows records.
#[test]
fn personal_data_leaves_only_with_include_pii() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let pii = D1_PII;
    let added = ledger.json(&d1_args());
    ledger.ok(&["drive", "plan", "rj-items", "--date", "2026-11-20"]);
    let collected = ledger.json(&[
        "unit", "collect", "U-1", "--drive", "rj-items", "--group", "O+", "--volume", "350", "--donor", "D-1",
    ]);
    ledger.ok(&["drive", "plan", "rj-later", "--date", "2026-11-24"]);
    let registered = ledger.json(&[
        "register",
        "rj-later",
        "--donor",
        "D-1",
        "--deferred",
        "low haemoglobin",
    ]);
    for (what, doc) in [
        ("donor add", &added),
        ("unit collect", &collected),
        ("register", &registered),
    ] {
        for secret in pii {
            assert!(!doc.to_string().contains(secret), "`{what}` echoes {secret}: {doc}");
        }
    }
    let mut outputs = Vec::new();
    for kind in ["drives", "summary", "units", "registrations", "transfers"] {
        for format in [&["--format", "json"][..], &["--format", "ndjson"], &["--format", "csv"]] {
            let mut args = vec!["export", kind];
            args.extend(format);
            outputs.push((args.join(" "), ledger.ok(&args)));
        }
    }
    for args in [
        &["drive", "show", "rj-items"][..],
        &["drive", "list"],
        &["unit", "show", "U-1"],
        &["donor", "show", "D-1"],
        &["donor", "list"],
        &["donor", "eligible", "--on", "2027-06-01"],
        &["history"],
        &["history", "--drive", "rj-items"],
        &["stock"],
        &["totals", "--by", "drive"],
    ] {
        for format in ["json", "csv"] {
            let mut all = args.to_vec();
            all.extend(["--format", format]);
            outputs.push((all.join(" "), ledger.ok(&all)));
        }
    }
    for (args, out) in &outputs {
        for secret in pii {
            assert!(!out.contains(secret), "`{args}` shows {secret}:\n{out}");
        }
    }
    // A bundle carries donors to another ledger (`merge`): only with
    // --include-pii, and only to a 0600 file.
    let bundle = ledger.dir.path().join("out.bundle");
    ledger.refused(&["export", "bundle", "--out", bundle.to_str().unwrap()], 1);
    ledger.ok(&["export", "bundle", "--out", bundle.to_str().unwrap(), "--include-pii"]);
    let mode = std::fs::metadata(&bundle).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Asked for, they are there.
    let with = ledger.json(&["donor", "show", "D-1", "--include-pii"]);
    assert_eq!(with["name"], pii[0]);
    for kind in ["units", "registrations"] {
        for format in ["json", "ndjson", "csv"] {
            let out = ledger.ok(&["export", kind, "--include-pii", "--format", format]);
            for secret in pii {
                assert!(
                    out.contains(secret),
                    "`export {kind} --include-pii --format {format}` lacks {secret}:\n{out}"
                );
            }
        }
    }
}

/// Text that a spreadsheet would run as a formula comes out of every CSV
/// as text (a leading `'`), while dates and numbers are untouched.
#[test]
fn csv_output_cannot_run_a_formula_in_a_spreadsheet() {
    let ledger = Ledger::new();
    let formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
    ledger.ok(&["campaign", "add", "rj", "--name", "+cmd|' /C calc'!A0"]);
    ledger.ok(&[
        "facility",
        "add",
        "nihbt",
        "--name",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "--by=-2+3",
    ]);
    ledger.ok(&[
        "drive",
        "log",
        "rj-f",
        "--date",
        "2025-07-16",
        "--name",
        formula,
        "--province=-1+1",
        "--venue",
        "\u{a0}=1",
        "--registered",
        "10",
        "--collected",
        "8",
        "--campaign",
        "rj",
        "--by",
        "=1+1",
    ]);
    // Itemised records with text a spreadsheet would run, for the streamed exports.
    ledger.ok(&["facility", "add", "bv", "--name", "BV"]);
    ledger.ok(&["drive", "plan", "rj-items", "--date", "2026-11-20"]);
    ledger.ok(&[
        "unit", "collect", "=2+5", "--drive", "rj-items", "--group", "O+", "--volume", "350",
    ]);
    ledger.ok(&[
        "unit", "collect", "@U-2", "--drive", "rj-items", "--group", "O+", "--volume", "350",
    ]);
    ledger.ok(&["transfer", "--to", "bv", "=2+5", "--date", "2026-11-21"]);
    ledger.ok(&["discard", "@U-2", "--reason", "other", "--date", "2026-11-21"]);
    let mut cells = Vec::new();
    for args in [
        &["export", "drives", "--format", "csv"][..],
        &["export", "summary", "--format", "csv"],
        &["drive", "list", "--format", "csv"],
        &["drive", "show", "rj-f", "--format", "csv"],
        &["campaign", "list", "--format", "csv"],
        &["facility", "list", "--format", "csv"],
        &["history", "--format", "csv"],
        &["totals", "--by", "drive", "--format", "csv"],
        &["export", "units", "--format", "csv"],
        &["export", "registrations", "--format", "csv"],
        &["export", "transfers", "--format", "csv"],
    ] {
        let out = ledger.ok(args);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_bytes());
        for record in reader.records() {
            for cell in record.expect("RFC 4180").iter() {
                cells.push((args.join(" "), cell.to_string()));
            }
        }
    }
    for (args, cell) in &cells {
        let first = cell.chars().next();
        assert!(
            !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')) || cell.parse::<f64>().is_ok(),
            "`{args}` has a cell a spreadsheet would run: {cell:?}"
        );
    }
    let has = |want: &str| cells.iter().any(|(_, c)| c == want);
    assert!(has(&format!("'{formula}")), "{cells:?}");
    assert!(has("'-1+1") && has("'=1+1") && has("'+cmd|' /C calc'!A0"), "{cells:?}");
    assert!(has("'=2+5") && has("'@U-2"), "{cells:?}");
    assert!(has("2025-07-16") && has("8"), "dates and numbers stay as they are");
    // JSON is for programs: the text comes out as typed.
    assert_eq!(ledger.json(&["drive", "show", "rj-f"])["name"], formula);
}
