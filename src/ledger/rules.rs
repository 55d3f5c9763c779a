//! The numbers a jurisdiction sets, in one place. Defaults follow Vietnam's
//! Circular 26/2013/TT-BYT; another jurisdiction is another constant.

use std::ops::RangeInclusive;

#[derive(Debug, Clone)]
pub struct Rules {
    /// A tally's total volume divided by its units must fall in this range:
    /// anything outside is a typing mistake (ml typed as litres, a zero too many).
    pub tally_ml_per_unit: RangeInclusive<u64>,
}

pub const VIETNAM: Rules = Rules {
    tally_ml_per_unit: 100..=650,
};
