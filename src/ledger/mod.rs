//! The domain: types that carry the rules, and the figures reports are made
//! of. No I/O, no SQL, no printing.

pub mod blood_group;
pub mod check;
pub mod donor;
pub mod drive;
pub mod items;
pub mod merge;
pub mod rules;
pub mod stock;
pub mod text;
pub mod totals;
pub mod unit_id;
pub mod values;

pub use blood_group::{BloodGroup, GroupCount};
pub use drive::{DiscardLine, Drive, DriveAttrs, DriveStatus, Refusal, Tally, TransferLine};
pub use items::{DonorId, Outcome, Product, Sex, Volume, WeightKg};
pub use text::{Label, Slug, fold};
pub use unit_id::UnitId;
pub use values::{Count, DateArg, DiscardReason};

/// A new globally unique id (UUIDv7: time-ordered), made where the record is written.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
