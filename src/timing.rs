//! Phase timings on stderr, for profiling: set `TIGHTEN_TIMINGS=1`.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("TIGHTEN_TIMINGS").is_some())
}

/// Prints how long `label` took since `since`, and returns now so phases
/// chain: `t = phase("parse", t);`.
pub fn phase(label: &str, since: Instant) -> Instant {
    let now = Instant::now();
    if enabled() {
        eprintln!(
            "timing: {label}: {:.1} ms (rss {}, peak {})",
            (now - since).as_secs_f64() * 1e3,
            status_field("VmRSS:"),
            status_field("VmHWM:")
        );
    }
    now
}

fn status_field(name: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        })
        .unwrap_or_else(|| "?".into())
}
