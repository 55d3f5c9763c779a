//! Who may give, when, and how much: the donor rules of [`Rules`] applied.

use chrono::{Datelike, Days, NaiveDate};

use super::drive::Refusal;
use super::items::Product;
use super::rules::Rules;

/// A past donation of a donor (a unit, or a `register --donated` without one,
/// taken as whole blood: the longer interval is the safe guess).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Donation {
    pub date: NaiveDate,
    pub product: Product,
    pub drive: String,
}

/// What the rules need to know about a donor.
#[derive(Debug, Clone, Default)]
pub struct DonorFacts {
    pub id: String,
    pub born: Option<NaiveDate>,
    /// Live donations at other drives, any order.
    pub donations: Vec<Donation>,
    /// The drive and reason of a permanent deferral, if any.
    pub permanent_deferral: Option<(String, String)>,
}

/// Whole years between `born` and `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i64 {
    let mut age = on.year() as i64 - born.year() as i64;
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

pub fn add_days(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
}

impl DonorFacts {
    /// The most recent donation on or before `on`.
    pub fn last_donation(&self, on: NaiveDate) -> Option<&Donation> {
        self.donations.iter().filter(|d| d.date <= on).max_by_key(|d| d.date)
    }

    /// The first day after the most recent donation (up to `on`) that the
    /// donor may give again; None if they never gave.
    pub fn next_eligible(&self, rules: &Rules, on: NaiveDate) -> Option<NaiveDate> {
        self.last_donation(on)
            .map(|last| add_days(last.date, rules.interval_days(last.product)))
    }

    /// Why the donor may not give `product` on `date`, if they may not.
    pub fn may_give(&self, rules: &Rules, date: NaiveDate, product: Product) -> Result<(), Refusal> {
        if let Some((drive, reason)) = &self.permanent_deferral {
            return Err(Refusal {
                message: format!(
                    "donor {} was permanently deferred at drive `{drive}` ({reason})",
                    self.id
                ),
                hint: "a physician may let a donation through with --override \"REASON\"".into(),
            });
        }
        if let Some(born) = self.born {
            let age = age_on(born, date);
            let range = &rules.donor_age_years;
            if age < i64::from(*range.start()) || age > i64::from(*range.end()) {
                return Err(Refusal {
                    message: format!(
                        "donor {} is {age} on {date} (born {born}); donors are {}–{} years old",
                        self.id,
                        range.start(),
                        range.end()
                    ),
                    hint: "check the donor's birth date and the drive's date, or record a physician's decision with --override \"REASON\"".into(),
                });
            }
        }
        if let Some(last) = self.last_donation(date) {
            let next = add_days(last.date, rules.interval_days(last.product));
            if date < next {
                return Err(Refusal {
                    message: format!(
                        "donor {} gave {} on {} (drive `{}`) and may give again on {next}, not on {date}",
                        self.id, last.product, last.date, last.drive
                    ),
                    hint: format!(
                        "after {} the interval is {} days; invite them from {next}, or record a physician's decision with --override \"REASON\"",
                        last.product,
                        rules.interval_days(last.product)
                    ),
                });
            }
        }
        // Back-entry: a later donation already recorded must keep its distance.
        let interval = rules.interval_days(product);
        if let Some(later) = self
            .donations
            .iter()
            .filter(|d| d.date > date)
            .min_by_key(|d| d.date)
            .filter(|later| later.date < add_days(date, interval))
        {
            return Err(Refusal {
                message: format!(
                    "donor {} gave again on {} (drive `{}`), less than {interval} days after {date}",
                    self.id, later.date, later.drive
                ),
                hint: "check the drive and the donor id, or record a physician's decision with --override \"REASON\""
                    .into(),
            });
        }
        Ok(())
    }
}

impl Rules {
    /// Whether `volume_ml` of `product` may be taken from a donor weighing
    /// `weight_kg` (unknown for anonymous units and donors without a weight).
    pub fn allowed_volume(&self, product: Product, volume_ml: u64, weight_kg: Option<u64>) -> Result<(), Refusal> {
        if product.is_apheresis() {
            if volume_ml > self.apheresis_max_ml {
                return Err(Refusal {
                    message: format!(
                        "{volume_ml} ml of {product} is more than the {} ml an apheresis collection may take",
                        self.apheresis_max_ml
                    ),
                    hint: "check --volume, or record a physician's decision with --override \"REASON\"".into(),
                });
            }
            return Ok(());
        }
        let bags = self
            .whole_blood_volumes_ml
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if !self.whole_blood_volumes_ml.contains(&volume_ml) {
            return Err(Refusal {
                message: format!("{volume_ml} ml is not a {product} bag; the bags are {bags} ml"),
                hint: "check --volume (and --product for apheresis), or record a physician's decision with --override \"REASON\"".into(),
            });
        }
        let Some(kg) = weight_kg else { return Ok(()) };
        let limit = if kg < self.min_weight_kg {
            0
        } else if kg < self.light_donor_below_kg {
            self.light_donor_max_ml
        } else {
            (self.ml_per_kg * kg).min(self.whole_blood_max_ml)
        };
        if volume_ml > limit {
            let why = if limit == 0 {
                format!(
                    "a donor of {kg} kg may not give {product} (at least {} kg)",
                    self.min_weight_kg
                )
            } else {
                format!("a donor of {kg} kg may give at most {limit} ml, not {volume_ml} ml")
            };
            return Err(Refusal {
                message: why,
                hint: "take a smaller bag, or record a physician's decision with --override \"REASON\"".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::rules::VIETNAM;
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn donor(donations: &[(&str, Product)]) -> DonorFacts {
        DonorFacts {
            id: "D-1".into(),
            born: Some(day("1990-05-20")),
            donations: donations
                .iter()
                .map(|(d, p)| Donation {
                    date: day(d),
                    product: *p,
                    drive: "x".into(),
                })
                .collect(),
            permanent_deferral: None,
        }
    }

    #[test]
    fn interval_after_whole_blood_names_the_next_day() {
        let d = donor(&[("2026-06-01", Product::WholeBlood)]);
        let refusal = d
            .may_give(&VIETNAM, day("2026-07-15"), Product::WholeBlood)
            .unwrap_err();
        assert!(refusal.message.contains("2026-08-24"), "{}", refusal.message);
        assert!(d.may_give(&VIETNAM, day("2026-08-23"), Product::WholeBlood).is_err());
        assert!(d.may_give(&VIETNAM, day("2026-08-24"), Product::WholeBlood).is_ok());
        assert_eq!(d.next_eligible(&VIETNAM, day("2026-09-01")), Some(day("2026-08-24")));
    }

    #[test]
    fn the_most_recent_donation_decides() {
        let d = donor(&[
            ("2026-01-01", Product::WholeBlood),
            ("2026-04-01", Product::PlasmaApheresis),
        ]);
        assert!(
            d.may_give(&VIETNAM, day("2026-04-15"), Product::PlasmaApheresis)
                .is_ok()
        );
        assert!(
            d.may_give(&VIETNAM, day("2026-04-14"), Product::PlasmaApheresis)
                .is_err()
        );
    }

    #[test]
    fn a_later_donation_keeps_its_distance() {
        let d = donor(&[("2026-06-01", Product::WholeBlood)]);
        assert!(d.may_give(&VIETNAM, day("2026-05-01"), Product::WholeBlood).is_err());
        assert!(
            d.may_give(&VIETNAM, day("2026-05-01"), Product::PlasmaApheresis)
                .is_ok()
        );
    }

    #[test]
    fn ages_18_to_60_inclusive() {
        let d = donor(&[]);
        assert_eq!(age_on(day("1990-05-20"), day("2008-05-19")), 17);
        assert!(d.may_give(&VIETNAM, day("2008-05-19"), Product::WholeBlood).is_err());
        assert!(d.may_give(&VIETNAM, day("2008-05-20"), Product::WholeBlood).is_ok());
        assert!(d.may_give(&VIETNAM, day("2051-05-19"), Product::WholeBlood).is_ok());
        assert!(d.may_give(&VIETNAM, day("2051-05-20"), Product::WholeBlood).is_err());
    }

    #[test]
    fn volumes_by_product_and_weight() {
        let wb = Product::WholeBlood;
        assert!(VIETNAM.allowed_volume(wb, 350, None).is_ok());
        assert!(VIETNAM.allowed_volume(wb, 300, None).is_err());
        assert!(VIETNAM.allowed_volume(wb, 250, Some(43)).is_ok());
        assert!(VIETNAM.allowed_volume(wb, 350, Some(44)).is_err());
        assert!(VIETNAM.allowed_volume(wb, 250, Some(41)).is_err());
        assert!(VIETNAM.allowed_volume(wb, 350, Some(45)).is_ok()); // 405 ml allowed
        assert!(VIETNAM.allowed_volume(wb, 450, Some(45)).is_err());
        assert!(VIETNAM.allowed_volume(wb, 450, Some(50)).is_ok()); // 450 = 9 × 50
        assert!(VIETNAM.allowed_volume(Product::PlasmaApheresis, 650, Some(50)).is_ok());
        assert!(VIETNAM.allowed_volume(Product::PlasmaApheresis, 651, None).is_err());
    }
}
