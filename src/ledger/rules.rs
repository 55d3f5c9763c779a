//! The numbers a jurisdiction sets, in one place. Defaults follow Vietnam's
//! Circular 26/2013/TT-BYT; another jurisdiction is another constant.

use std::ops::RangeInclusive;

use super::items::Product;

#[derive(Debug, Clone)]
pub struct Rules {
    /// A tally's total volume divided by its units must fall in this range:
    /// anything outside is a typing mistake (ml typed as litres, a zero too many).
    pub tally_ml_per_unit: RangeInclusive<u64>,
    /// A donor's age in whole years on the donation date.
    pub donor_age_years: RangeInclusive<u32>,
    /// The bags a whole-blood (or red-cell) collection may fill.
    pub whole_blood_volumes_ml: &'static [u64],
    /// The most one apheresis collection may take.
    pub apheresis_max_ml: u64,
    /// Below this weight nobody gives whole blood.
    pub min_weight_kg: u64,
    /// From `min_weight_kg` up to (not including) this weight, at most
    /// `light_donor_max_ml`.
    pub light_donor_below_kg: u64,
    pub light_donor_max_ml: u64,
    /// From `light_donor_below_kg` up: at most this many ml per kg, and at
    /// most `whole_blood_max_ml`.
    pub ml_per_kg: u64,
    pub whole_blood_max_ml: u64,
    /// Days from collection to expiry, by product.
    pub shelf_life_days: [(Product, u64); 4],
    /// Days after a donation of this product before the next; the most
    /// recent donation's product decides.
    pub interval_days: [(Product, u64); 4],
}

impl Rules {
    pub fn shelf_life_days(&self, product: Product) -> u64 {
        lookup(&self.shelf_life_days, product)
    }

    pub fn interval_days(&self, product: Product) -> u64 {
        lookup(&self.interval_days, product)
    }
}

fn lookup(table: &[(Product, u64)], product: Product) -> u64 {
    table.iter().find(|(p, _)| *p == product).map_or(0, |(_, days)| *days)
}

pub const VIETNAM: Rules = Rules {
    tally_ml_per_unit: 100..=650,
    donor_age_years: 18..=60,
    whole_blood_volumes_ml: &[250, 350, 450],
    apheresis_max_ml: 650,
    min_weight_kg: 42,
    light_donor_below_kg: 45,
    light_donor_max_ml: 250,
    ml_per_kg: 9,
    whole_blood_max_ml: 500,
    shelf_life_days: [
        (Product::WholeBlood, 35),
        (Product::RedCells, 42),
        (Product::PlateletsApheresis, 5),
        (Product::PlasmaApheresis, 365),
    ],
    interval_days: [
        (Product::WholeBlood, 84),
        (Product::RedCells, 84),
        (Product::PlateletsApheresis, 14),
        (Product::PlasmaApheresis, 14),
    ],
};
