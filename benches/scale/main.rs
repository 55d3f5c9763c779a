//! The national-scale benchmark (issue 5): builds ledgers of increasing size
//! from generated CSVs and prints each figure as a ratio against its
//! baseline measured in the same run, with the median of several runs.
//!
//!   cargo bench --bench scale -- [--units 20000,1000000] [--runs 5] [--dir DIR]
//!
//! The 20-million-unit ledger is opt-in: `--units 20000,1000000,20000000`
//! (it needs about 6 GB in DIR and the best part of an hour; `--generate-only`
//! writes the CSVs ahead). Generated CSVs are kept in DIR and reused by later
//! runs. Imports and exports of a million units run at most three times
//! each; the national ledger (10 M units or more) is built once, without the
//! sqlite3 baselines, whose ratios are targets at 1 M.
//!
//! Baselines need the `sqlite3` shell (Debian package `sqlite3`) and peak
//! memory needs GNU time (`/usr/bin/time`, Debian package `time`).

mod generate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    sizes: Vec<u64>,
    runs: usize,
    dir: PathBuf,
    /// Only write the CSVs (to build them ahead of a long run).
    generate_only: bool,
}

fn options() -> Options {
    let mut options = Options {
        sizes: vec![20_000, 1_000_000],
        runs: 5,
        dir: std::env::temp_dir().join("bloodledger-bench"),
        generate_only: false,
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
            "--generate-only" => {
                options.generate_only = true;
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                continue; // cargo bench passes --bench
            }
        }
        i += 2;
    }
    options
}

/// The release binary cargo built for this benchmark (benchmarks are built
/// with the release profile's settings).
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bloodledger"))
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
                once(cmd())
            })
            .collect(),
    )
}

/// The medians of two commands run in turns, so that a stretch of a busier
/// disk or machine weighs on both sides of the ratio alike.
fn time_in_turns(
    runs: usize,
    mut first: impl FnMut() -> Command,
    mut second: impl FnMut() -> Command,
) -> (Duration, Duration) {
    let (mut a, mut b) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        a.push(once(first()));
        b.push(once(second()));
    }
    (median(a), median(b))
}

fn once(mut command: Command) -> Duration {
    command.stdout(Stdio::null());
    let start = Instant::now();
    let status = command.status().expect("run");
    let elapsed = start.elapsed();
    assert!(status.success(), "{command:?} failed");
    elapsed
}

/// One run of a command: wall time and peak resident memory (GNU time's %M).
struct Sample {
    wall: Duration,
    rss_kb: u64,
}

fn sample(dir: &Path, cmd: &Command) -> Sample {
    let rss_file = dir.join("rss.txt");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(Stdio::null());
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            timed.env(key, value);
        }
    }
    let start = Instant::now();
    let out = timed.output().expect("run /usr/bin/time");
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss_kb = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    Sample { wall, rss_kb }
}

/// `runs` samples (after `prepare` each time): median wall time, largest peak memory.
fn samples(dir: &Path, runs: usize, mut prepare: impl FnMut(), cmd: impl Fn() -> Command) -> Sample {
    let all: Vec<Sample> = (0..runs)
        .map(|_| {
            prepare();
            sample(dir, &cmd())
        })
        .collect();
    Sample {
        wall: median(all.iter().map(|s| s.wall).collect()),
        rss_kb: all.iter().map(|s| s.rss_kb).max().unwrap_or(0),
    }
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn copy_db(from: &Path, to: &Path) {
    remove_db(to);
    for suffix in ["", "-wal"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).expect("copy ledger");
        }
    }
}

fn db_bytes(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// The generated CSVs for `units`, made on first use and kept in `dir`.
fn data_for(dir: &Path, units: u64) -> PathBuf {
    let data = dir.join(format!("data-{units}"));
    std::fs::create_dir_all(&data).expect("data dir");
    let marker = data.join("generated");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some("seed 42 v3") {
        let made = generate::generate(&data, units, 42).expect("generate");
        std::fs::write(&marker, "seed 42 v3").expect("marker");
        println!(
            "\n{} units: generated {} drives, {} registrations, {} transfers",
            units, made.drives, made.registrations, made.transfers
        );
    } else {
        println!("\n{units} units: CSVs from an earlier run in {}", data.display());
    }
    data
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

/// The baseline table: what `import units` reads, with a text primary key.
const BASELINE_SCHEMA: &str =
    "CREATE TABLE units (unit_id TEXT PRIMARY KEY, drive TEXT NOT NULL, collected_on TEXT NOT NULL,
    blood_group TEXT NOT NULL, volume_ml INTEGER NOT NULL, product TEXT, donor_id TEXT)";

/// What one ledger size measured.
struct Size {
    units: u64,
    queries: Vec<(&'static str, Duration)>,
    import_rss: u64,
    export_rss: u64,
    bytes: u64,
}

const QUERIES: [&str; 5] = ["totals", "totals --by year", "drive show", "stock", "unit show"];

fn main() {
    let options = options();
    std::fs::create_dir_all(&options.dir).expect("bench dir");
    if options.generate_only {
        for &units in &options.sizes {
            data_for(&options.dir, units);
        }
        return;
    }
    let bin = binary();
    println!(
        "bloodledger scale benchmark: medians of {} runs, in {}",
        options.runs,
        options.dir.display()
    );
    let mut summary: Vec<String> = Vec::new();

    // One write command against one durable 4 KiB write on the same disk.
    let db = options.dir.join("writes.db");
    remove_db(&db);
    run_ok(ledger_cmd(&bin, &db, &["facility", "add", "h", "--name", "H"]));
    let mut n = 0;
    let (log, dd) = time_in_turns(
        options.runs * 20,
        || {
            n += 1;
            ledger_cmd(
                &bin,
                &db,
                &[
                    "drive",
                    "log",
                    &format!("w{n}"),
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
    summary.push(report("one `drive log` process", log, "dd 4 KiB + fsync", dd, 3.0));

    let mut sizes: Vec<Size> = Vec::new();
    for &units in &options.sizes {
        let data = data_for(&options.dir, units);
        let csv = |name: &str| data.join(name).to_str().expect("utf-8 path").to_string();
        // The import and export ratios are targets at 1 M units; the
        // 20 M ledger is built once (its figures are the queries, memory
        // and size), without the sqlite3 baselines.
        let national = units >= 10_000_000;
        let runs = if national {
            1
        } else if units >= 1_000_000 {
            options.runs.min(3)
        } else {
            options.runs
        };

        // A ledger with the drives, copied before each import of the units.
        let template = options.dir.join(format!("template-{units}.db"));
        remove_db(&template);
        run_ok(ledger_cmd(
            &bin,
            &template,
            &["campaign", "add", "red-journey", "--name", "Red Journey"],
        ));
        for f in generate::FACILITIES {
            run_ok(ledger_cmd(&bin, &template, &["facility", "add", f, "--name", f]));
        }
        let import = Instant::now();
        run_ok(ledger_cmd(&bin, &template, &["import", "drives", &csv("drives.csv")]));
        println!("  import drives: {}", ms(import.elapsed()));

        let db = options.dir.join(format!("ledger-{units}.db"));
        let imported = samples(
            &options.dir,
            runs,
            || copy_db(&template, &db),
            || ledger_cmd(&bin, &db, &["import", "units", &csv("units.csv")]),
        );
        let base = options.dir.join(format!("baseline-{units}.db"));
        if national {
            println!(
                "  import units: {} ({:.0} units/s, peak {})",
                ms(imported.wall),
                units as f64 / imported.wall.as_secs_f64(),
                mb(imported.rss_kb)
            );
        } else {
            let baseline = samples(
                &options.dir,
                runs,
                || remove_db(&base),
                || {
                    let mut cmd = Command::new("sqlite3");
                    cmd.arg(&base)
                        .arg(BASELINE_SCHEMA)
                        .arg(format!(".import --csv --skip 1 {} units", csv("units.csv")));
                    cmd
                },
            );
            println!(
                "  import units: {} ({:.0} units/s, peak {}); sqlite3 .import: {}",
                ms(imported.wall),
                units as f64 / imported.wall.as_secs_f64(),
                mb(imported.rss_kb),
                ms(baseline.wall)
            );
            summary.push(report(
                &format!("import units, {units}"),
                imported.wall,
                "sqlite3 .import",
                baseline.wall,
                1.0,
            ));
        }
        for kind in ["registrations", "transfers"] {
            let s = sample(
                &options.dir,
                &ledger_cmd(&bin, &db, &["import", kind, &csv(&format!("{kind}.csv"))]),
            );
            println!("  import {kind}: {} (peak {})", ms(s.wall), mb(s.rss_kb));
        }
        let bytes = db_bytes(&db);
        println!(
            "  ledger size: {:.1} MB, {:.1} MB per million units",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / (units as f64 / 1e6)
        );

        let exported = samples(
            &options.dir,
            runs,
            || {},
            || ledger_cmd(&bin, &db, &["export", "units", "--format", "ndjson"]),
        );
        if national {
            println!(
                "  export units --format ndjson: {} (peak {})",
                ms(exported.wall),
                mb(exported.rss_kb)
            );
        } else {
            let json = samples(
                &options.dir,
                runs,
                || {},
                || {
                    let mut cmd = Command::new("sqlite3");
                    cmd.arg("-json").arg(&base).arg(
                        "SELECT unit_id, drive, collected_on, blood_group, volume_ml, product, donor_id FROM units",
                    );
                    cmd
                },
            );
            println!(
                "  export units --format ndjson: {} (peak {}); sqlite3 -json: {}",
                ms(exported.wall),
                mb(exported.rss_kb),
                ms(json.wall)
            );
            summary.push(report(
                &format!("export units ndjson, {units}"),
                exported.wall,
                "sqlite3 -json",
                json.wall,
                0.7,
            ));
        }

        // The first drive and its first unit exist at every size.
        let args: [&[&str]; 5] = [
            &["totals"],
            &["totals", "--by", "year"],
            &["drive", "show", "d000000-2016"],
            &["stock"],
            &["unit", "show", "U0000000000"],
        ];
        let mut queries = Vec::new();
        for (name, args) in QUERIES.iter().zip(args) {
            let t = time(options.runs, || {}, || ledger_cmd(&bin, &db, args));
            println!("  {name}: {}", ms(t));
            queries.push((*name, t));
        }
        // A coordinator's correction: collect one unit, then time its void
        // (the void reads the voided entry's records, wherever they sit).
        let voids: Vec<Duration> = (0..options.runs)
            .map(|i| {
                let out = ledger_cmd(
                    &bin,
                    &db,
                    &[
                        "unit",
                        "collect",
                        &format!("BENCH-VOID-{i}"),
                        "--drive",
                        "d000000-2016",
                        "--group",
                        "O+",
                        "--volume",
                        "350",
                    ],
                )
                .output()
                .expect("unit collect");
                let stdout = String::from_utf8_lossy(&out.stdout);
                let entry = stdout
                    .rsplit('#')
                    .next()
                    .map(|n| n.trim().to_string())
                    .unwrap_or_default();
                assert!(out.status.success() && !entry.is_empty(), "unit collect: {stdout}");
                let mut void = ledger_cmd(&bin, &db, &["void", &entry, "--reason", "benchmark"]);
                void.stdout(Stdio::null());
                let start = Instant::now();
                assert!(void.status().expect("void").success(), "void #{entry}");
                start.elapsed()
            })
            .collect();
        let void = median(voids);
        println!(
            "  void of one unit's collection: {} (not a target of the issue)",
            ms(void)
        );
        sizes.push(Size {
            units,
            queries,
            import_rss: imported.rss_kb,
            export_rss: exported.rss_kb,
            bytes,
        });
    }

    if let Some(small) = sizes.first() {
        for large in sizes.iter().skip(1) {
            for ((name, big), (_, little)) in large.queries.iter().zip(&small.queries) {
                summary.push(report(
                    &format!("{name} at {}", large.units),
                    *big,
                    &format!("at {}", small.units),
                    *little,
                    2.0,
                ));
            }
        }
    }
    for size in &sizes {
        let verdict = |kb: u64| if kb <= 100 * 1024 { "meets" } else { "MISSES" };
        summary.push(format!(
            "peak memory at {}: import {} ({}), export {} ({}) (target ≤ 100 MB)",
            size.units,
            mb(size.import_rss),
            verdict(size.import_rss),
            mb(size.export_rss),
            verdict(size.export_rss)
        ));
        let per_million = size.bytes as f64 / 1e6 / (size.units as f64 / 1e6);
        summary.push(format!(
            "ledger size at {}: {:.1} MB per million units (target ≤ 200 MB: {})",
            size.units,
            per_million,
            if per_million <= 200.0 { "meets" } else { "MISSES" }
        ));
    }
    println!("\nSummary");
    for line in summary {
        println!("  {line}");
    }
}

fn report(what: &str, measured: Duration, baseline_name: &str, baseline: Duration, target: f64) -> String {
    let ratio = measured.as_secs_f64() / baseline.as_secs_f64();
    let verdict = if ratio <= target { "meets" } else { "MISSES" };
    let line = format!(
        "{what}: {} vs {baseline_name}: {} = {ratio:.2}× (target ≤ {target}×: {verdict})",
        ms(measured),
        ms(baseline)
    );
    println!("{line}");
    line
}
