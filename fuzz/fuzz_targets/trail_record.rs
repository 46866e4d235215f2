//! Arbitrary bytes as a CloudTrail log file: the streaming reader and the
//! normalisation of each record to calls must not panic, and records
//! delivered never exceed the count the reader reports.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tighten::cloudtrail::normalise::Observations;
use tighten::cloudtrail::record::{RecordSink, RecordSlot, read_log_file};
use tighten::cloudtrail::select::RoleSelector;
use tighten::cloudtrail::window::TimeWindow;

struct Sink<'a> {
    obs: Observations,
    role: &'a RoleSelector,
    window: TimeWindow,
    delivered: usize,
}

impl<'de> RecordSink<'de> for Sink<'_> {
    fn record(&mut self, index: usize, slot: RecordSlot<'de>) {
        self.delivered += 1;
        if let RecordSlot::Record(r) = slot {
            self.obs
                .observe(&r, self.role, &self.window, "fuzz.json", index);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(role) = RoleSelector::parse("arn:aws:iam::111122223333:role/service-role/orders-worker")
    else {
        return;
    };
    let mut sink = Sink {
        obs: Observations::default(),
        role: &role,
        window: TimeWindow {
            since: 0,
            until: i64::MAX,
        },
        delivered: 0,
    };
    if let Ok(n) = read_log_file(data, &mut sink) {
        assert_eq!(n, sink.delivered);
    }
    let _ = sink.obs.into_evidence();
});
