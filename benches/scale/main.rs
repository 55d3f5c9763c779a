//! The national-scale benchmark (issue 5): builds ledgers of increasing size
//! from generated CSVs and prints each figure as a ratio against its
//! baseline measured in the same run, with the median of several runs.
//!
//!   cargo bench --bench scale -- [--units 20000,1000000] [--runs 5] [--dir DIR]
//!
//! Baselines need the `sqlite3` shell (Debian package `sqlite3`).

mod generate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    sizes: Vec<u64>,
    runs: usize,
    dir: PathBuf,
}

fn options() -> Options {
    let mut options = Options {
        sizes: vec![20_000, 1_000_000],
        runs: 5,
        dir: std::env::temp_dir().join("bloodledger-bench"),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--units" => {
                options.sizes = value
                    .split(',')
                    .filter_map(|s| s.replace('_', "").parse().ok())
                    .collect()
            }
            "--runs" => options.runs = value.parse().unwrap_or(5),
            "--dir" => options.dir = PathBuf::from(value),
            _ => {
                i += 1;
                continue; // cargo bench passes --bench
            }
        }
        i += 2;
    }
    options
}

fn binary() -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "bloodledger"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "cargo build --release failed");
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/bloodledger")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `cmd` `runs` times (after `prepare` each time) and returns the median wall time.
fn time(runs: usize, mut prepare: impl FnMut(), mut cmd: impl FnMut() -> Command) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                prepare();
                let mut command = cmd();
                command.stdout(Stdio::null());
                let start = Instant::now();
                let status = command.status().expect("run");
                let elapsed = start.elapsed();
                assert!(status.success(), "{command:?} failed");
                elapsed
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ledger_cmd(bin: &Path, db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("BLOODLEDGER_DB", db)
        .env("BLOODLEDGER_TODAY", "2026-11-25");
    cmd
}

fn run_ok(mut cmd: Command) {
    let out = cmd.stdout(Stdio::null()).output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() {
    let options = options();
    std::fs::create_dir_all(&options.dir).expect("bench dir");
    let bin = binary();
    println!(
        "bloodledger scale benchmark: medians of {} runs, in {}",
        options.runs,
        options.dir.display()
    );

    // One write command against one durable 4 KiB write on the same disk.
    let db = options.dir.join("writes.db");
    let _ = std::fs::remove_file(&db);
    run_ok(ledger_cmd(&bin, &db, &["facility", "add", "h", "--name", "H"]));
    let n = std::cell::Cell::new(0);
    let log = time(
        options.runs * 10,
        || n.set(n.get() + 1),
        || {
            ledger_cmd(
                &bin,
                &db,
                &[
                    "drive",
                    "log",
                    &format!("w{}", n.get()),
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
                ],
            )
        },
    );
    let dd = time(
        options.runs * 10,
        || {},
        || {
            let mut cmd = Command::new("dd");
            cmd.args([
                "if=/dev/zero",
                &format!("of={}", options.dir.join("dd.bin").display()),
                "bs=4k",
                "count=1",
                "conv=fsync",
                "status=none",
            ]);
            cmd
        },
    );
    report("one `drive log` process", log, "dd 4 KiB + fsync", dd, 3.0);

    for &units in &options.sizes {
        let data = options.dir.join(format!("data-{units}"));
        std::fs::create_dir_all(&data).expect("data dir");
        let made = generate::generate(&data, units, 42).expect("generate");
        println!(
            "\n{} units: generated {} drives, {} registrations, {} transfers",
            units, made.drives, made.registrations, made.transfers
        );
        let db = options.dir.join(format!("ledger-{units}.db"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        run_ok(ledger_cmd(
            &bin,
            &db,
            &["campaign", "add", "red-journey", "--name", "Red Journey"],
        ));
        for f in generate::FACILITIES {
            run_ok(ledger_cmd(&bin, &db, &["facility", "add", f, "--name", f]));
        }
        let drives_csv = data.join("drives.csv");
        let import = Instant::now();
        run_ok(ledger_cmd(
            &bin,
            &db,
            &["import", "drives", drives_csv.to_str().expect("path")],
        ));
        println!("  import drives: {}", ms(import.elapsed()));
        let totals = time(options.runs, || {}, || ledger_cmd(&bin, &db, &["totals"]));
        let by_year = time(
            options.runs,
            || {},
            || ledger_cmd(&bin, &db, &["totals", "--by", "year"]),
        );
        let show = time(
            options.runs,
            || {},
            || ledger_cmd(&bin, &db, &["drive", "show", "d000000-2016"]),
        );
        println!(
            "  totals {} · totals --by year {} · drive show {}",
            ms(totals),
            ms(by_year),
            ms(show)
        );
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
        println!("  ledger size: {:.1} MB", size as f64 / 1e6);
    }
}

fn report(what: &str, measured: Duration, baseline_name: &str, baseline: Duration, target: f64) {
    let ratio = measured.as_secs_f64() / baseline.as_secs_f64();
    let verdict = if ratio <= target { "meets" } else { "MISSES" };
    println!(
        "{what}: {} vs {baseline_name}: {} = {ratio:.2}× (target ≤ {target}×: {verdict})",
        ms(measured),
        ms(baseline)
    );
}
