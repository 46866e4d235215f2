//! Cost of loading the embedded service-action table: indexing the embedded
//! lines (what `actionmap::table()` does once per process), and the first
//! lookups a scan makes, which parse one service line and one IAM prefix line
//! each. Numbers go to docs/benchmarks.md ("## Table load").
//!
//! cargo bench --bench table_load

use std::hint::black_box;
use std::time::{Duration, Instant};

use tighten::actionmap::{Mapping, Table};

fn time<T>(label: &str, iters: u32, mut f: impl FnMut() -> T) -> Duration {
    // One warm-up run so page faults of the embedded data are not counted
    // against the first iteration only.
    black_box(f());
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let per = start.elapsed() / iters;
    println!(
        "{label:<55} {:>10.3} ms  ({iters} iterations)",
        per.as_secs_f64() * 1e3
    );
    per
}

fn main() {
    time("index only (Table::load)", 200, Table::load);
    time("load + s3.get_object (1 service line)", 200, || {
        let t = Table::load();
        let op = t
            .service("s3")
            .and_then(|s| s.operation_by_method("get_object"))
            .cloned();
        assert!(matches!(op.map(|o| o.mapping), Some(Mapping::Actions(_))));
    });
    time(
        "load + s3.get_object + s3/kms IAM prefixes + ARN",
        200,
        || {
            let t = Table::load();
            let op = t
                .service("s3")
                .and_then(|s| s.operation_by_method("get_object"))
                .cloned();
            let arn = t.arn_format("s3", "object").map(str::to_string);
            let known = t.is_known_action("kms:Decrypt");
            (op, arn, known)
        },
    );
    time("load + 5 common services + their IAM prefixes", 100, || {
        let t = Table::load();
        let mut n = 0;
        for (svc, method, action) in [
            ("s3", "put_object", "s3:PutObject"),
            ("dynamodb", "put_item", "dynamodb:PutItem"),
            ("sqs", "send_message", "sqs:SendMessage"),
            ("sns", "publish", "sns:Publish"),
            ("lambda", "invoke", "lambda:InvokeFunction"),
        ] {
            n += usize::from(
                t.service(svc)
                    .and_then(|s| s.operation_by_method(method))
                    .is_some(),
            );
            n += usize::from(t.is_known_action(action));
        }
        assert_eq!(n, 10);
    });
    time(
        "load + every IAM action (all_actions, wildcard expansion)",
        10,
        || {
            let t = Table::load();
            t.all_actions().len()
        },
    );
    time("load + every service line parsed", 5, || {
        let t = Table::load();
        t.service_names()
            .iter()
            .filter(|n| t.service(n).is_some())
            .count()
    });
}
