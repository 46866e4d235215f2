//! Arbitrary bytes as one Python module: parsing, lowering, the binding
//! interpreter and the call mapping must not panic or hang, and whatever
//! they find must stay a concrete IAM action (never a wildcard).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tighten::scan::{ScanOptions, scan_source};

fuzz_target!(|data: &[u8]| {
    let report = scan_source("handler.py", data, &ScanOptions::default());
    for need in report.needs.for_policy(true) {
        assert!(
            !need.action.contains('*') && !need.action.contains('?'),
            "wildcard action {} from the scanner",
            need.action
        );
    }
});
