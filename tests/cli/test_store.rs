//! The ledger file: permissions, migrations, refusing what is not ours, and
//! append-only enforced by SQLite itself.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{Ledger, dump};

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn a_new_ledger_is_readable_by_its_owner_only() {
    let ledger = Ledger::new();
    ledger.ok(&["campaign", "add", "red-journey", "--name", "Hành trình Đỏ"]);
    for suffix in ["", "-wal", "-shm"] {
        let path = ledger.beside(suffix);
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", path.display());
        }
    }
    let site: String = ledger
        .conn()
        .query_row("SELECT value FROM ledger_meta WHERE key = 'site_id'", [], |r| r.get(0))
        .expect("site id");
    assert_eq!(site.len(), 36, "a UUID: {site}");
}

#[test]
fn a_ledger_in_a_new_directory_is_created_on_first_write() {
    let ledger = Ledger::new();
    let path = ledger.dir.path().join("deep").join("er").join("ledger.db");
    let db = path.to_str().expect("utf-8");
    ledger.ok(&["--db", db, "campaign", "add", "rj", "--name", "RJ"]);
    assert!(path.exists());
    assert_eq!(
        std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn migrating_twice_is_a_no_op() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let first = ledger.dump();
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    assert!(first.starts_with(&format!("user_version {migrations}\n")), "{first}");
    ledger.ok(&["totals"]);
    assert_eq!(ledger.dump(), first);
    ledger.ok(&["drive", "list"]);
    assert_eq!(ledger.dump(), first);
    // And a write after the reads adds its entry to the same schema.
    ledger.ok(&["drive", "close", "rj-sonla-city-2021"]);
    assert!(ledger.dump().starts_with(&format!("user_version {migrations}\n")));
}

#[test]
fn a_ledger_newer_than_the_binary_is_refused_unchanged() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let conn = ledger.conn();
    conn.pragma_update(None, "user_version", 99).expect("user_version");
    // Fold the WAL into the main file, so that the file is the whole ledger.
    conn.pragma_update(None, "journal_mode", "DELETE")
        .expect("journal mode");
    drop(conn);
    let before = bytes(&ledger.path());
    for args in [
        &["totals"][..],
        &["history"],
        &["campaign", "add", "x", "--name", "X"],
        &[
            "drive",
            "log",
            "x-2022",
            "--date",
            "2022-01-01",
            "--registered",
            "1",
            "--collected",
            "1",
        ],
    ] {
        let (code, stdout, stderr) = ledger.run(args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert_eq!(stdout, "");
        assert!(
            stderr.contains("newer bloodledger") && stderr.contains("schema 99"),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert_eq!(bytes(&ledger.path()), before, "{args:?} touched the file");
    }
}

#[test]
fn files_that_are_not_ledgers_are_refused_untouched() {
    let ledger = Ledger::new();
    let other = ledger.dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&other).expect("other");
        conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("notes");
    }
    let random: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        ("empty.db", Vec::new(), "empty file"),
        ("random.db", random, "not an SQLite database"),
        ("short.db", b"not a ledger at all".to_vec(), "not an SQLite database"),
        ("other.db", bytes(&other), "not a bloodledger ledger"),
    ];
    for (name, content, message) in cases {
        let path = ledger.dir.path().join(name);
        std::fs::write(&path, &content).expect("write");
        let db = path.to_str().expect("utf-8");
        for args in [
            &["--db", db, "totals"][..],
            &["--db", db, "campaign", "add", "x", "--name", "X"],
        ] {
            let (code, stdout, stderr) = ledger.run(args);
            assert_eq!(code, 1, "{name} {args:?}: {stderr}");
            assert_eq!(stdout, "", "{name}");
            assert!(stderr.contains(message), "{name}: {stderr}");
            assert!(stderr.contains("nothing was changed"), "{name}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert_eq!(bytes(&path), content, "{name} {args:?} changed the file");
        }
        assert!(!ledger.dir.path().join(format!("{name}-wal")).exists(), "{name}");
    }
}

#[test]
fn update_and_delete_fail_inside_sqlite() {
    let ledger = Ledger::new();
    ledger.with_son_la();
    let before = ledger.dump();
    let conn = ledger.conn();
    for sql in [
        "UPDATE entries SET actor = 'mallory'",
        "DELETE FROM entries WHERE number = 3",
        "UPDATE tallies SET collected = 883",
        "DELETE FROM tallies",
        "UPDATE transfers SET units = 1",
        "DELETE FROM transfers",
        "DELETE FROM drives",
        "UPDATE drive_versions SET province = 'Hà Nội'",
        "UPDATE ledger_meta SET value = 'other-site'",
    ] {
        let error = conn.execute(sql, []).expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    drop(conn);
    assert_eq!(ledger.dump(), before);
}

#[test]
fn reads_of_a_missing_ledger_are_empty_and_create_nothing() {
    let ledger = Ledger::new();
    let path = ledger.dir.path().join("not").join("yet").join("ledger.db");
    let db = path.to_str().expect("utf-8");
    for args in [
        &["totals"][..],
        &["totals", "--by", "year"],
        &["drive", "list"],
        &["history"],
        &["campaign", "list"],
        &["facility", "list"],
        &["check"],
    ] {
        let mut all = vec!["--db", db];
        all.extend(args);
        ledger.ok(&all);
        all.extend(["--format", "json"]);
        let out = ledger.ok(&all);
        if !out.is_empty() {
            let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(doc["schema_version"], 1, "{args:?}");
        }
    }
    assert_eq!(ledger.json(&["--db", db, "totals"])["units"], 0);
    assert_eq!(ledger.json(&["--db", db, "history"])["entries"], serde_json::json!([]));
    let stderr = ledger.refused(&["--db", db, "drive", "show", "x"], 1);
    assert!(stderr.contains("no drive `x`"), "{stderr}");
    assert!(
        !ledger.dir.path().join("not").exists(),
        "a read created a file or directory"
    );
    assert_eq!(dump(&path), "<no ledger>");
}

/// The file-system calls that write or sync, of one run of the binary under
/// strace, one a line, each file named by its path. `None` without strace:
/// then the caller proves nothing, and says so.
fn traced_writes(ledger: &Ledger, args: &[&str]) -> Option<String> {
    let trace = ledger.dir.path().join("strace.out");
    let status = std::process::Command::new("strace")
        .args(["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,pwrite64,write", "-o"])
        .arg(&trace)
        .arg(assert_cmd::cargo::cargo_bin("bloodledger"))
        .args(args)
        .env("BLOODLEDGER_DB", ledger.path())
        .env("BLOODLEDGER_TODAY", crate::common::TODAY)
        .env("USER", "tester")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    assert!(status.success(), "{args:?} under strace: {status}");
    Some(std::fs::read_to_string(&trace).expect("trace"))
}

/// What one run of the binary does to the disk, in order: `dir` for a sync
/// of the ledger's directory, `wal` for a sync of the `-wal`, `write` for a
/// run of writes into the `-wal`.
fn disk_steps(ledger: &Ledger, args: &[&str]) -> Option<Vec<&'static str>> {
    let trace = traced_writes(ledger, args)?;
    // strace -y names each file descriptor by its real path.
    let dir = std::fs::canonicalize(ledger.dir.path()).expect("canonical dir");
    let dir = format!("<{}>)", dir.display());
    let mut steps = Vec::new();
    for line in trace.lines() {
        let step = if line.contains("sync(") && line.contains(&dir) {
            "dir"
        } else if line.contains("sync(") && line.contains("ledger.db-wal>") {
            "wal"
        } else if line.contains("write") && line.contains("ledger.db-wal>") {
            "write"
        } else {
            continue;
        };
        if steps.last() != Some(&step) || step != "write" {
            steps.push(step);
        }
    }
    Some(steps)
}

/// SQLite writes each frame of the WAL as two calls (its header, then its
/// page); bloodledger's VFS holds a run of them and writes it in one call
/// before the sync, so a command's frames are one `pwrite`, and what it
/// wrote reads back whole, by SQLite's own reader too.
#[test]
fn a_commands_frames_go_into_the_wal_in_one_write() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "h", "--name", "H"]);
    ledger.ok(&drive_log("a"));
    let Some(trace) = traced_writes(&ledger, &drive_log("b")) else {
        eprintln!("strace is not installed: the writes are not counted");
        return;
    };
    let writes: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("write") && l.contains("ledger.db-wal>"))
        .collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    // About 22 frames, each a page and its 24-byte header.
    let bytes: usize = writes[0]
        .rsplit("= ")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("bytes written");
    let page: usize = ledger
        .conn()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page size");
    assert_eq!(bytes % (page + 24), 0, "{}", writes[0]);
    assert!(bytes / (page + 24) >= 15, "{}", writes[0]);
    assert_eq!(ledger.json(&["drive", "show", "b"])["transferred"], 838);
    let drives: usize = ledger
        .conn()
        .query_row("SELECT count(*) FROM drives", [], |r| r.get(0))
        .expect("count");
    assert_eq!(drives, 2, "SQLite's own reader");
}

/// A new ledger is made with 2 KiB pages (SQLite's default is 4 KiB): what
/// a command reads, writes and syncs is counted in pages. A ledger made
/// before keeps the page size it has (changing it would rewrite the whole
/// file) and goes on working.
#[test]
fn a_new_ledger_has_2_kib_pages_and_an_older_one_keeps_its_own() {
    let page_size = |ledger: &Ledger| -> i64 {
        ledger
            .conn()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size")
    };
    let new = Ledger::new();
    new.ok(&["facility", "add", "h", "--name", "H"]);
    assert_eq!(page_size(&new), 2048);

    let old = Ledger::new();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/ledger-schema5.db"),
        old.path(),
    )
    .expect("fixture");
    assert_eq!(page_size(&old), 4096);
    old.ok(&["facility", "add", "h", "--name", "H"]);
    old.ok(&drive_log("after-upgrade"));
    assert_eq!(page_size(&old), 4096);
    assert_eq!(old.json(&["drive", "show", "after-upgrade"])["units"], 838);
    old.ok(&["check"]);
}

/// A commit is only durable once the `-wal`'s directory entry is on disk,
/// so its directory is synced before the first frame goes into a `-wal` that
/// is new or empty; a `-wal` that already holds frames is not synced again
/// (one fsync per command, not two).
#[test]
fn the_directory_is_synced_once_per_wal_before_its_first_frame() {
    let ledger = Ledger::new();
    let log = |slug: &str| disk_steps(&ledger, &drive_log(slug));
    let Some(first) = disk_steps(&ledger, &["facility", "add", "h", "--name", "H"]) else {
        eprintln!("strace is not installed: the sync order is not checked");
        return;
    };
    let before_first_frame = |steps: &[&str]| {
        let write = steps.iter().position(|s| *s == "write").expect("a write into the -wal");
        steps[..write].contains(&"dir")
    };
    assert!(before_first_frame(&first), "new ledger: {first:?}");
    assert_eq!(log("a"), Some(vec!["write", "wal"]), "a -wal with frames");

    // Stock SQLite checkpoints and removes the -wal when it closes last.
    ledger
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    assert!(!ledger.beside("-wal").exists());
    let steps = log("b").expect("strace");
    assert!(before_first_frame(&steps), "a missing -wal: {steps:?}");
    assert_eq!(log("c"), Some(vec!["write", "wal"]));

    // An empty -wal, as a reader leaves one: its name may not be on disk yet.
    ledger
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    std::fs::File::create(ledger.beside("-wal")).expect("empty -wal");
    let steps = log("d").expect("strace");
    assert!(before_first_frame(&steps), "an empty -wal: {steps:?}");
    assert_eq!(log("e"), Some(vec!["write", "wal"]));
    assert_eq!(ledger.json(&["totals"])["drives"], 5);
}

/// A writer that leaves more than 256 frames in the `-wal` checkpoints and
/// empties it by zeroing its header, keeping its blocks for the next
/// commands to overwrite; frames from before the checkpoint are never read
/// again, by us or by SQLite's own reader.
#[test]
fn a_checkpointed_wal_keeps_its_blocks_and_its_old_frames_stay_dead() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "h", "--name", "H"]);
    let wal = ledger.beside("-wal");
    let mut emptied = Vec::new();
    let mut logged = 0;
    while emptied.len() < 2 {
        assert!(logged < 60, "two checkpoints in 60 drive logs: {emptied:?}");
        ledger.ok(&drive_log(&format!("d{logged}")));
        let wal_bytes = bytes(&wal);
        assert!(
            wal_bytes.len() > 32,
            "after d{logged}: a -wal of {} bytes",
            wal_bytes.len()
        );
        if wal_bytes[..32] == [0; 32] {
            emptied.push(logged);
        }
        logged += 1;
    }
    // About 22 frames a drive log: not every command checkpoints.
    assert!(
        (5..=20).contains(&(emptied[1] - emptied[0])),
        "checkpointed after {emptied:?}"
    );
    assert!(std::fs::metadata(&wal).expect("-wal").len() < 2 << 20);

    // The command after a checkpoint writes a new header over the old one
    // and syncs it before its frames; the file's name is on disk already.
    let next = format!("d{logged}");
    match disk_steps(&ledger, &drive_log(&next)) {
        Some(steps) => assert_eq!(steps, ["write", "wal", "write", "wal"], "header, then frames"),
        None => _ = ledger.ok(&drive_log(&next)),
    }
    logged += 1;
    assert_eq!(ledger.json(&["totals"])["drives"], logged);
    ledger.ok(&["check"]);
    let conn = ledger.conn();
    let drives: usize = conn
        .query_row("SELECT count(*) FROM drives", [], |r| r.get(0))
        .expect("count");
    assert_eq!(drives, logged, "SQLite's own reader");
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(integrity, "ok");
}

/// A drive's results, its units all transferred to facility `h` (which the
/// test adds first): about 22 pages of the WAL.
fn drive_log(slug: &str) -> [&str; 13] {
    [
        "drive",
        "log",
        slug,
        "--date",
        "2021-07-10",
        "--registered",
        "978",
        "--collected",
        "838",
        "--transferred",
        "838",
        "--to",
        "h",
    ]
}

/// A writer alone with the ledger keeps SQLite's WAL index in its own
/// memory (exclusive locking) and sets up no shared -shm file; the next
/// reader, in the usual shared mode, sees everything it wrote.
#[test]
fn a_writer_alone_with_the_ledger_sets_up_no_shared_memory() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "h", "--name", "H"]);
    ledger.ok(&drive_log("a"));
    ledger.ok(&drive_log("b"));
    assert!(!ledger.beside("-shm").exists(), "a lone writer made a -shm file");
    assert_eq!(ledger.json(&["totals"])["units"], 2 * 838);
    assert!(
        ledger.beside("-shm").exists(),
        "a reader shares the ledger through its -shm file"
    );
    ledger.ok(&drive_log("c"));
    assert_eq!(ledger.json(&["totals"])["units"], 3 * 838);
    ledger.ok(&["check"]);
}

/// A writer that finds the ledger open elsewhere (here a reader in the
/// middle of a read) does not wait for it: it shares the ledger, writes
/// alongside, and the reader keeps its snapshot.
#[test]
fn a_writer_shares_a_ledger_another_process_is_reading() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "h", "--name", "H"]);
    ledger.ok(&drive_log("a"));
    let reader = ledger.conn();
    reader.execute_batch("BEGIN").expect("begin");
    let drives = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM drives", [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(drives(&reader), 1);
    let output = ledger
        .cmd(&drive_log("b"))
        .env("BLOODLEDGER_BUSY_TIMEOUT_MS", "300")
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(drives(&reader), 1, "the reader's snapshot");
    reader.execute_batch("COMMIT").expect("end the read");
    assert_eq!(drives(&reader), 2);
}

/// `BLOODLEDGER_DB` set empty (as a script's unset variable often arrives)
/// is refused, `--db` or not, before the subcommand or after it: the
/// command must not write to some other ledger than the one meant.
#[test]
fn an_empty_ledger_variable_is_refused_wherever_db_is_given() {
    let ledger = Ledger::new();
    ledger.ok(&["facility", "add", "h", "--name", "H"]);
    let path = ledger.path();
    let db = path.to_str().expect("utf-8");
    for args in [vec!["totals"], vec!["--db", db, "totals"], vec!["totals", "--db", db]] {
        let output = ledger.cmd(&args).env("BLOODLEDGER_DB", "").output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("a value is required for '--db <PATH>'"),
            "{args:?}: {stderr}"
        );
    }
}
