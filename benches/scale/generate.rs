//! A deterministic generator of realistic drive data in bloodledger's import
//! formats (README, "Importing CSV"): part of the benchmark, not of the CLI.
//!
//! Shares of blood groups follow Vietnam's (O+ ~42 %, B+ ~30 %, A+ ~21 %,
//! AB+ ~6 %, Rh− ~1 %); volumes 250/350/450 ml; about 200 units a drive;
//! about 15 % of registrants deferred.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// SplitMix64: tiny, seeded, and the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Picks by weight (per mille).
    pub fn weighted<'a, T>(&mut self, table: &'a [(T, u64)]) -> &'a T {
        let total: u64 = table.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, weight) in table {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        &table[table.len() - 1].0
    }
}

const PROVINCES: &[(&str, &[&str])] = &[
    (
        "Sơn La",
        &[
            "Thành phố Sơn La",
            "Mường La",
            "Mộc Châu",
            "Mai Sơn",
            "Thuận Châu",
            "Yên Châu",
        ],
    ),
    (
        "Hà Nội",
        &["Ba Đình", "Hoàn Kiếm", "Đống Đa", "Cầu Giấy", "Long Biên", "Hà Đông"],
    ),
    (
        "Thành phố Hồ Chí Minh",
        &["Quận 1", "Quận 3", "Bình Thạnh", "Gò Vấp", "Thủ Đức", "Tân Bình"],
    ),
    ("Điện Biên", &["Thành phố Điện Biên Phủ", "Mường Chà", "Tuần Giáo"]),
    ("Lai Châu", &["Thành phố Lai Châu", "Tam Đường", "Phong Thổ"]),
    ("Lào Cai", &["Thành phố Lào Cai", "Sa Pa", "Bát Xát", "Bảo Thắng"]),
    ("Thái Nguyên", &["Thành phố Thái Nguyên", "Phổ Yên", "Đại Từ"]),
    ("Nghệ An", &["Thành phố Vinh", "Cửa Lò", "Diễn Châu", "Quỳnh Lưu"]),
    ("Thừa Thiên Huế", &["Thành phố Huế", "Hương Thủy", "Phú Vang"]),
    ("Đà Nẵng", &["Hải Châu", "Thanh Khê", "Sơn Trà", "Liên Chiểu"]),
    ("Khánh Hòa", &["Nha Trang", "Cam Ranh", "Ninh Hòa"]),
    ("Cần Thơ", &["Ninh Kiều", "Bình Thủy", "Cái Răng"]),
    ("Đắk Lắk", &["Buôn Ma Thuột", "Buôn Hồ", "Ea Kar"]),
    ("Quảng Ninh", &["Hạ Long", "Cẩm Phả", "Uông Bí", "Móng Cái"]),
];

const GROUPS: &[(&str, u64)] = &[
    ("O+", 415),
    ("B+", 296),
    ("A+", 207),
    ("AB+", 59),
    ("O-", 10),
    ("B-", 6),
    ("A-", 5),
    ("AB-", 2),
];

const VOLUMES: &[(u64, u64)] = &[(250, 300), (350, 550), (450, 150)];

pub const FACILITIES: &[&str] = &["nihbt", "cho-ray", "hue-central", "can-tho-bth", "son-la-general"];

pub struct Generated {
    pub drives: u64,
    pub units: u64,
    pub registrations: u64,
    pub transfers: u64,
}

/// Writes drives.csv, units.csv, registrations.csv and transfers.csv for
/// about `target_units` units into `dir`, streaming (constant memory).
pub fn generate(dir: &Path, target_units: u64, seed: u64) -> std::io::Result<Generated> {
    let mut rng = Rng::new(seed);
    let open = |name: &str| -> std::io::Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?))
    };
    let mut drives = open("drives.csv")?;
    let mut units = open("units.csv")?;
    let mut registrations = open("registrations.csv")?;
    let mut transfers = open("transfers.csv")?;
    writeln!(drives, "slug,name,date,campaign,province,district,venue")?;
    writeln!(
        units,
        "unit_id,drive,collected_on,blood_group,volume_ml,product,donor_id"
    )?;
    writeln!(registrations, "drive,donor_id,outcome,reason")?;
    writeln!(transfers, "unit_id,facility,date")?;

    let mut made = Generated {
        drives: 0,
        units: 0,
        registrations: 0,
        transfers: 0,
    };
    let drive_count = (target_units / 200).max(1);
    for d in 0..drive_count {
        let (province, districts) = PROVINCES[rng.below(PROVINCES.len() as u64) as usize];
        let district = districts[rng.below(districts.len() as u64) as usize];
        // Ten years, 2016–2025, spread over the days of each year.
        let year = 2016 + (d * 10 / drive_count);
        let day = 1 + rng.below(360);
        let date = ymd(year, day);
        let slug = format!("d{d:06}-{year}");
        let campaign = if rng.below(100) < 6 { "red-journey" } else { "" };
        writeln!(
            drives,
            "{slug},Drive {d} {district},{date},{campaign},{province},{district},"
        )?;
        made.drives += 1;

        // 150–250 units around what is left per drive, so the total is exact
        // and the last drive is no bigger than the others (it keeps stock).
        let left = target_units.saturating_sub(made.units);
        let unit_count = if d + 1 == drive_count {
            left
        } else {
            let mean = left / (drive_count - d);
            (mean.saturating_sub(50) + rng.below(101)).min(left)
        };
        let deferred = unit_count * 15 / 85;
        // A drive sends its units to one facility, in one or two shipments
        // within three days. Stock does not grow with history: only the last
        // few drives keep about 3 % of their units (as a service's stock
        // holds weeks of collection, not years).
        let facility = FACILITIES[rng.below(FACILITIES.len() as u64) as usize];
        let shipped = [ymd(year, day + 1), ymd(year, day + 1 + rng.below(3))];
        let recent = d + 5 >= drive_count;
        for u in 0..unit_count {
            let group = rng.weighted(GROUPS);
            let volume = rng.weighted(VOLUMES);
            // No donor registry: each unit is an anonymous donation (its own
            // registration); the deferrals are in registrations.csv.
            let unit_id = format!("U{d:06}{u:04}");
            writeln!(units, "{unit_id},{slug},{date},{group},{volume},whole-blood,")?;
            made.units += 1;
            made.registrations += 1;
            if !recent || rng.below(100) < 97 {
                let date = &shipped[usize::from(u * 2 >= unit_count)];
                writeln!(transfers, "{unit_id},{facility},{date}")?;
                made.transfers += 1;
            }
        }
        for _ in 0..deferred {
            let reason = ["low haemoglobin", "blood pressure", "recent illness", "low weight"][rng.below(4) as usize];
            writeln!(registrations, "{slug},,deferred,{reason}")?;
            made.registrations += 1;
        }
    }
    for w in [&mut drives, &mut units, &mut registrations, &mut transfers] {
        w.flush()?;
    }
    Ok(made)
}

/// Day `day` (1-based, at most 365) of `year` as YYYY-MM-DD.
fn ymd(year: u64, day: u64) -> String {
    const MONTHS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut day = day.min(365);
    for (m, len) in MONTHS.iter().enumerate() {
        if day <= *len {
            return format!("{year}-{:02}-{day:02}", m + 1);
        }
        day -= len;
    }
    format!("{year}-12-31")
}
