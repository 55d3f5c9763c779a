//! The parsers of typed values: never panic, and whatever they accept
//! comes back out in a canonical form that parses to the same value.

#![no_main]

use bloodledger_fuzz::ledger::values::{Count, DateArg, parse_iso_date};
use bloodledger_fuzz::ledger::{BloodGroup, GroupCount, Label, Slug, UnitId, fold};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = s.parse::<UnitId>() {
        let canonical = id.to_string();
        assert_eq!(canonical.parse::<UnitId>(), Ok(id.clone()), "{s:?}");
        assert!(
            !canonical.is_empty() && !canonical.chars().any(char::is_control),
            "{s:?}"
        );
    }
    if let Ok(group) = s.parse::<BloodGroup>() {
        assert_eq!(group.as_str().parse::<BloodGroup>(), Ok(group), "{s:?}");
    }
    if let Ok(gc) = s.parse::<GroupCount>() {
        assert!(gc.units.0 <= Count::MAX);
    }
    if let Ok(date) = parse_iso_date(s) {
        assert_eq!(date.format("%Y-%m-%d").to_string(), s);
    }
    let _ = s.parse::<DateArg>();
    if let Ok(count) = s.parse::<Count>() {
        assert!(count.0 <= Count::MAX);
        assert_eq!(count.to_string().parse::<Count>(), Ok(count));
    }
    if let Ok(slug) = s.parse::<Slug>() {
        assert_eq!(slug.as_str(), s);
        let _ = slug.key();
    }
    if let Ok(label) = s.parse::<Label>() {
        assert!(!label.as_str().chars().any(char::is_control), "{s:?}");
        assert_eq!(label.as_str().parse::<Label>(), Ok(label.clone()));
    }
    let _ = fold(s);
});
