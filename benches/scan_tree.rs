//! Scan benchmark: generated Lambda handler trees of 1, 100, 2,000 and
//! 20,000 files, scanned by `scan_path` (walk, read, parse, lower,
//! interpret, map). Reports the median wall time, the cost per file, the
//! time tree-sitter alone needs to parse the same files over the same
//! parallel walk (and the ratio), the peak memory of `tighten scan DIR`
//! (from `/usr/bin/time -v`, else VmHWM), and the process-start-to-exit
//! time of the release binary on one small Lambda.
//!
//! `cargo bench --bench scan_tree` (release). Trees are written once to
//! `target/bench-data/scan-N/` and reused; they are never committed. Pass
//! sizes to run only some: `cargo bench --bench scan_tree -- 2000`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tighten::scan::{ScanOptions, scan_path};

// The allocators the `tighten` binary uses (mimalloc, for Rust and for
// tree-sitter's C code), for the scan and the parse-only baseline alike.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_calloc(count: usize, size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(ptr: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void;
    fn mi_free(ptr: *mut std::ffi::c_void);
}

const SIZES: &[usize] = &[1, 100, 2_000, 20_000];
/// Bump when the generator changes, so stale trees are rewritten.
const GENERATOR_VERSION: &str = "3";

/// splitmix64, seeded: the same tree on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// (service, calls with their arguments): what handlers really do.
const SERVICES: &[(&str, &[&str])] = &[
    (
        "s3",
        &[
            "get_object(Bucket=BUCKET, Key=key)",
            "put_object(Bucket=BUCKET, Key=key, Body=body)",
            "list_objects_v2(Bucket=BUCKET, Prefix=\"in/\")",
            "delete_object(Bucket=BUCKET, Key=key)",
            "head_object(Bucket=BUCKET, Key=key)",
        ],
    ),
    (
        "dynamodb",
        &[
            "get_item(TableName=TABLE, Key={\"pk\": {\"S\": key}})",
            "put_item(TableName=TABLE, Item={\"pk\": {\"S\": key}})",
            "query(TableName=TABLE, KeyConditionExpression=\"pk = :k\")",
            "update_item(TableName=TABLE, Key={\"pk\": {\"S\": key}})",
        ],
    ),
    (
        "sqs",
        &[
            "send_message(QueueUrl=QUEUE_URL, MessageBody=body)",
            "receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10)",
            "delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=key)",
        ],
    ),
    (
        "sns",
        &["publish(TopicArn=os.environ[\"TOPIC_ARN\"], Message=body)"],
    ),
    (
        "secretsmanager",
        &["get_secret_value(SecretId=os.environ[\"SECRET_ID\"])"],
    ),
    (
        "ssm",
        &["get_parameter(Name=\"/app/config\", WithDecryption=True)"],
    ),
    (
        "stepfunctions",
        &["start_execution(stateMachineArn=os.environ[\"SM_ARN\"], input=body)"],
    ),
    (
        "events",
        &["put_events(Entries=[{\"Source\": \"app\", \"Detail\": body}])"],
    ),
    (
        "kinesis",
        &["put_record(StreamName=\"clicks\", Data=body, PartitionKey=key)"],
    ),
    (
        "cloudwatch",
        &["put_metric_data(Namespace=\"app\", MetricData=[])"],
    ),
];

/// One handler module. Modules import a shared helper module of their
/// package (a cross-module client factory), hold 1-3 module-level
/// clients, and define 2-5 functions with boto3 calls, one of them the
/// Lambda handler.
fn handler_module(rng: &mut Rng, pkg: usize, idx: usize) -> String {
    let mut s = String::new();
    s.push_str("import json\nimport os\nimport logging\n\nimport boto3\n");
    let _ = writeln!(s, "from pkg_{pkg}.shared import make_client, load_config\n");
    s.push_str("logger = logging.getLogger(__name__)\n");
    s.push_str("BUCKET = os.environ[\"BUCKET\"]\nTABLE = os.environ.get(\"TABLE\", \"orders\")\n");
    s.push_str("QUEUE_URL = os.environ[\"QUEUE_URL\"]\n\n");
    let clients = 1 + rng.below(3);
    let mut vars = Vec::new();
    for c in 0..clients {
        let (svc, _) = rng.pick(SERVICES);
        let var = format!("{}_{c}", svc.replace('-', "_"));
        if rng.below(3) == 0 {
            let _ = writeln!(s, "{var} = make_client(\"{svc}\")");
        } else {
            let _ = writeln!(s, "{var} = boto3.client(\"{svc}\")");
        }
        vars.push((var, *svc));
    }
    s.push('\n');
    let funcs = 2 + rng.below(4);
    for f in 0..funcs - 1 {
        let _ = writeln!(s, "def step_{idx}_{f}(event, key):");
        s.push_str("    body = json.dumps(event)\n");
        for _ in 0..1 + rng.below(3) {
            let (var, svc) = rng.pick(&vars);
            let calls = SERVICES
                .iter()
                .find(|(n, _)| n == svc)
                .map(|(_, c)| *c)
                .unwrap_or(&[]);
            let call = rng.pick(calls);
            let _ = writeln!(s, "    result = {var}.{call}");
            s.push_str("    logger.info(\"done %s\", result)\n");
        }
        s.push_str("    return body\n\n");
    }
    s.push_str("def handler(event, context):\n    cfg = load_config()\n");
    s.push_str("    for record in event.get(\"Records\", []):\n");
    s.push_str("        key = record[\"s3\"][\"object\"][\"key\"]\n");
    for f in 0..funcs - 1 {
        let _ = writeln!(s, "        step_{idx}_{f}(record, key)");
    }
    s.push_str("    return {\"statusCode\": 200, \"body\": json.dumps(cfg)}\n");
    s
}

const SHARED: &str = "import os\nimport boto3\n\n_session = boto3.session.Session()\n\n\
def make_client(name):\n    return _session.client(name)\n\n\
def load_config():\n    ssm = make_client(\"ssm\")\n    \
return ssm.get_parameter(Name=os.environ.get(\"CONFIG\", \"/app/config\"))\n";

/// Writes a tree of `n` files: packages of up to 50 handler modules, each
/// package with its `__init__.py` and `shared.py` (which count in `n`).
fn ensure_tree(root: &Path, n: usize) -> PathBuf {
    let dir = root.join(format!("scan-{n}"));
    let stamp = dir.join(".generator");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(GENERATOR_VERSION) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create bench tree");
    let mut rng = Rng(n as u64);
    if n == 1 {
        let text = handler_module(&mut rng, 0, 0).replace(
            "from pkg_0.shared import make_client, load_config\n",
            "make_client = boto3.client\n\ndef load_config():\n    return {}\n",
        );
        std::fs::write(dir.join("app.py"), text).expect("write");
    } else {
        let mut written = 0;
        let mut pkg = 0;
        while written < n {
            let p = dir.join(format!("pkg_{pkg}"));
            std::fs::create_dir_all(&p).expect("create package");
            std::fs::write(p.join("__init__.py"), "").expect("write");
            std::fs::write(p.join("shared.py"), SHARED).expect("write");
            written += 2;
            let mut i = 0;
            while i < 48 && written < n {
                let text = handler_module(&mut rng, pkg, i);
                std::fs::write(p.join(format!("fn_{i}.py")), text).expect("write");
                written += 1;
                i += 1;
            }
            pkg += 1;
        }
    }
    std::fs::write(&stamp, GENERATOR_VERSION).expect("write stamp");
    dir
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm the page cache and the lazily loaded table
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                let d = t.elapsed();
                // A large scan frees its interpreter on a background thread
                // (the binary exits instead); let it finish so it does not
                // share the cores with the next run.
                std::thread::sleep(d / 2);
                d
            })
            .collect(),
    )
}

thread_local! {
    static PARSER: std::cell::RefCell<Option<tree_sitter::Parser>> =
        const { std::cell::RefCell::new(None) };
}

/// Parse only: the scanner's walk (the `ignore` crate's parallel walker),
/// read, one tree-sitter parser per thread; no lowering, no interpreter.
fn parse_only(dir: &Path) -> usize {
    let parsed = AtomicUsize::new(0);
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    ignore::WalkBuilder::new(dir)
        .hidden(true)
        .git_ignore(true)
        .require_git(false)
        .build_parallel()
        .run(|| {
            Box::new(|entry| {
                if let Ok(e) = entry
                    && e.file_type().is_some_and(|t| t.is_file())
                    && e.path().extension().is_some_and(|x| x == "py")
                    && let Ok(bytes) = std::fs::read(e.path())
                {
                    PARSER.with(|cell| {
                        let mut slot = cell.borrow_mut();
                        let parser = slot.get_or_insert_with(|| {
                            let mut p = tree_sitter::Parser::new();
                            p.set_language(&language).expect("grammar loads");
                            p
                        });
                        if parser.parse(&bytes, None).is_some() {
                            parsed.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
                ignore::WalkState::Continue
            })
        });
    parsed.into_inner()
}

/// Peak resident memory of `tighten scan DIR`, in MB.
fn peak_rss_mb(bin: &Path, dir: &Path) -> Option<f64> {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(["scan", "--format", "json"])
        .arg(dir)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))?
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn main() {
    // SAFETY: before any tree-sitter object exists (as in src/main.rs).
    unsafe {
        tree_sitter::set_allocator(
            Some(mi_malloc),
            Some(mi_calloc),
            Some(mi_realloc),
            Some(mi_free),
        );
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes: Vec<usize> = if args.is_empty() {
        SIZES.to_vec()
    } else {
        args
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_tighten"));
    let opts = ScanOptions::default();
    println!("scan_tree: {} threads", rayon::current_num_threads());
    println!(
        "| files | scan median | per file | parse only | scan / parse | actions | peak RSS (binary) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let dir = ensure_tree(&root, n);
        let runs = match n {
            0..=100 => 21,
            101..=2_000 => 7,
            _ => 3,
        };
        let mut actions = 0;
        let mut files = 0;
        let scan = time_runs(runs, || {
            let report = scan_path(&dir, &opts).expect("scan");
            actions = report.needs.iter().count();
            files = report.files_scanned;
        });
        assert_eq!(files, n, "scan read every generated file");
        let mut parsed = 0;
        let parse = time_runs(runs, || parsed = parse_only(&dir));
        assert_eq!(parsed, n);
        let rss = peak_rss_mb(&bin, &dir).map_or("n/a".to_string(), |m| format!("{m:.0} MB"));
        println!(
            "| {n} | {:.1} ms | {:.1} µs | {:.1} ms | {:.2}× | {actions} | {rss} |",
            scan.as_secs_f64() * 1e3,
            scan.as_secs_f64() * 1e6 / n as f64,
            parse.as_secs_f64() * 1e3,
            scan.as_secs_f64() / parse.as_secs_f64(),
        );
    }
    // Process start to exit on one small Lambda: table load, walk, scan,
    // synthesis, evaluator check, printing.
    let small = ensure_tree(&root, 1);
    let mut times = Vec::new();
    for i in 0..51 {
        let t = Instant::now();
        let out = Command::new(&bin)
            .args(["scan"])
            .arg(&small)
            .output()
            .expect("run tighten");
        let d = t.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if i > 0 {
            times.push(d);
        }
    }
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let min = times.iter().min().copied().unwrap_or_default();
    println!(
        "end to end, one small Lambda (`tighten scan`, 50 runs): median {:.1} ms, mean {:.1} ms, min {:.1} ms",
        median(times).as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        min.as_secs_f64() * 1e3,
    );
}
