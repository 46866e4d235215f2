//! Bad input, end to end through the binary: empty and Python-less trees,
//! binary, huge, deeply nested and non-UTF-8 sources, symlink loops,
//! unreadable files, broken and huge policies, template reference cycles,
//! truncated CloudTrail logs. Each run must exit with the right code, say
//! what went wrong and where, never panic, and never present a partial
//! result as complete (something skipped leaves a warning behind).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A handler whose one call is known: `s3:GetObject` on `b/k`.
const HANDLER: &str = r#"import boto3
s3 = boto3.client("s3")

def handler(event, context):
    return s3.get_object(Bucket="b", Key="k")
"#;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tighten"));
    cmd.args(args)
        .env("RUST_BACKTRACE", "1")
        .env("NO_COLOR", "1")
        // No test here talks to AWS; if one ever builds a client by
        // mistake, it must not leave the machine.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    cmd
}

fn tighten(args: &[&str]) -> Run {
    let start = Instant::now();
    let out: Output = command(args).output().expect("the tighten binary runs");
    finish(args, out, start)
}

/// `tighten` killed after `limit`: a hang or a quadratic blow-up fails
/// the test in bounded time instead of stalling the suite.
fn tighten_within(args: &[&str], limit: Duration) -> Run {
    let start = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = command(args)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("the tighten binary runs");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = Output {
                status,
                stdout: std::fs::read(&out_path).unwrap(),
                stderr: std::fs::read(&err_path).unwrap(),
            };
            return finish(args, out, start);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tighten {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn finish(args: &[&str], out: Output, start: Instant) -> Run {
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "tighten {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, bytes).unwrap();
}

/// `tighten scan DIR --format json`, which must succeed and parse.
fn scan_json(dir: &Path, extra: &[&str]) -> (Run, serde_json::Value) {
    let mut args = vec!["scan", path(dir), "--format", "json"];
    args.extend_from_slice(extra);
    let run = tighten(&args);
    assert_eq!(run.code, Some(0), "scan failed:\n{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "scan --format json printed invalid JSON ({e}):\n{}",
            run.stdout
        )
    });
    (run, json)
}

fn actions(report: &serde_json::Value) -> Vec<String> {
    report["needs"]
        .as_array()
        .expect("needs is an array")
        .iter()
        .map(|n| {
            n["action"]
                .as_str()
                .expect("action is a string")
                .to_string()
        })
        .collect()
}

fn warnings(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .expect("warnings is an array")
        .iter()
        .map(|w| w.as_str().unwrap_or_default().to_string())
        .collect()
}

fn has_warning(report: &serde_json::Value, needles: &[&str]) -> bool {
    warnings(report)
        .iter()
        .any(|w| needles.iter().all(|n| w.contains(n)))
}

#[test]
fn empty_directory_is_not_a_clean_result() {
    let dir = tempfile::tempdir().unwrap();
    let (run, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["files_scanned"], 0);
    assert!(
        has_warning(&report, &["no Python source scanned"]),
        "an empty tree must say nothing was scanned; warnings: {:?}\nstderr: {}",
        warnings(&report),
        run.stderr
    );
    // Only the platform (logs) needs: nothing was invented.
    assert!(actions(&report).iter().all(|a| a.starts_with("logs:")));
}

#[test]
fn directory_without_python_is_not_a_clean_result() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", b"# not code\n");
    write(
        dir.path(),
        "handler.js",
        b"exports.handler = async () => {};\n",
    );
    write(dir.path(), "requirements.txt", b"boto3\n");
    let (_, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["files_scanned"], 0);
    assert!(
        has_warning(&report, &["no Python source scanned"]),
        "{:?}",
        warnings(&report)
    );
    // The default (policy) format says it on stderr too.
    let run = tighten(&["scan", path(dir.path())]);
    assert_eq!(run.code, Some(0));
    assert!(
        run.stderr.contains("no Python source scanned"),
        "{}",
        run.stderr
    );
}

#[test]
fn binary_py_file_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = HANDLER.as_bytes().to_vec();
    bytes.splice(10..10, [0u8, 0, 0, 0xff, 0xfe]);
    write(dir.path(), "blob.py", &bytes);
    write(dir.path(), "app.py", HANDLER.as_bytes());
    let (_, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["files_scanned"], 1, "only app.py is scanned");
    assert!(
        has_warning(&report, &["blob.py", "binary"]),
        "{:?}",
        warnings(&report)
    );
    assert!(actions(&report).contains(&"s3:GetObject".to_string()));
}

#[test]
fn fifty_megabyte_py_file_is_skipped_fast_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", HANDLER.as_bytes());
    {
        // Valid Python (a long list of string assignments) with a boto3
        // call in it: if the file were read, the call would show up.
        let f = std::fs::File::create(dir.path().join("generated.py")).unwrap();
        let mut f = std::io::BufWriter::new(f);
        writeln!(
            f,
            "import boto3\nboto3.client('sqs').delete_queue(QueueUrl='q')"
        )
        .unwrap();
        let line = format!("x = \"{}\"\n", "a".repeat(94));
        for _ in 0..(50 * 1024 * 1024 / line.len() + 1) {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.flush().unwrap();
    }
    let size = std::fs::metadata(dir.path().join("generated.py"))
        .unwrap()
        .len();
    assert!(size >= 50 * 1024 * 1024);
    let (run, report) = scan_json(dir.path(), &[]);
    assert!(
        has_warning(&report, &["generated.py", "skipped", "larger than"]),
        "{:?}",
        warnings(&report)
    );
    let acts = actions(&report);
    assert!(acts.contains(&"s3:GetObject".to_string()), "{acts:?}");
    assert!(!acts.contains(&"sqs:DeleteQueue".to_string()), "{acts:?}");
    // Skipping looks at the size only: no reading 50 MB.
    assert!(
        run.elapsed < Duration::from_secs(5),
        "skipping a 50 MB file took {:?}",
        run.elapsed
    );
}

/// A handler whose `put_object` call wraps a deeply nested expression.
fn deep_handler(expr: &str) -> String {
    format!(
        "import boto3\ns3 = boto3.client(\"s3\")\n\ndef handler(event, context):\n\
         \x20   s3.put_object(Bucket=\"b\", Key=\"k\", Body={expr})\n\
         \x20   return s3.get_object(Bucket=\"b\", Key=\"k\")\n"
    )
}

#[test]
fn deep_nesting_neither_overflows_nor_hides_calls() {
    let n = 10_000;
    let cases = [
        ("parens", format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        ("lists", format!("{}{}", "[".repeat(n), "]".repeat(n))),
        ("calls", format!("{}0{}", "str(".repeat(n), ")".repeat(n))),
        ("binary", vec!["1"; 10 * n].join("+")),
        ("attributes", format!("event{}", ".a".repeat(5 * n))),
        ("not", format!("{}event", "not ".repeat(5 * n))),
        // Unbalanced: a syntax error at the very end of a deep tree.
        ("unclosed", "(".repeat(n)),
    ];
    for (name, expr) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app.py", deep_handler(&expr).as_bytes());
        let run = tighten(&["scan", path(dir.path()), "--format", "json"]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let acts = actions(&report);
        if name == "unclosed" {
            // The rest of the file sits inside the open parenthesis: no
            // call to find, but the error must be said.
            assert!(has_warning(&report, &["syntax error"]), "{name}");
            continue;
        }
        assert!(
            acts.contains(&"s3:GetObject".to_string()),
            "{name}: the call after the deep expression is lost: {acts:?}"
        );
        assert!(
            acts.contains(&"s3:PutObject".to_string()),
            "{name}: the call around the deep expression is lost: {acts:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_terminate_and_scan_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/app.py", HANDLER.as_bytes());
    std::os::unix::fs::symlink("..", dir.path().join("pkg/up")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("pkg/root")).unwrap();
    std::os::unix::fs::symlink("self", dir.path().join("self")).unwrap();
    std::os::unix::fs::symlink("app.py", dir.path().join("pkg/alias.py")).unwrap();
    let (run, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["files_scanned"], 1, "{}", run.stderr);
    assert!(actions(&report).contains(&"s3:GetObject".to_string()));
    assert!(run.elapsed < Duration::from_secs(20));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_reported_or_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", HANDLER.as_bytes());
    write(
        dir.path(),
        "secret.py",
        b"import boto3\nboto3.client('sqs').delete_queue(QueueUrl='q')\n",
    );
    let secret = dir.path().join("secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads a mode-000 file anyway: then the run must simply be right.
    let readable = std::fs::read(&secret).is_ok();
    let (_, report) = scan_json(dir.path(), &[]);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let acts = actions(&report);
    assert!(acts.contains(&"s3:GetObject".to_string()));
    if readable {
        eprintln!("note: running as root, chmod 000 does not stop reads; checked the plain run");
        assert_eq!(report["files_scanned"], 2);
        assert!(acts.contains(&"sqs:DeleteQueue".to_string()), "{acts:?}");
    } else {
        assert_eq!(report["files_scanned"], 1);
        assert!(
            has_warning(&report, &["secret.py", "cannot read"]),
            "{:?}",
            warnings(&report)
        );
    }
}

#[test]
fn latin1_source_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    // `# café` and a string with `résumé` in ISO-8859-1: invalid UTF-8.
    let src: &[u8] = b"# -*- coding: latin-1 -*-\n# caf\xe9\nimport boto3\n\
s3 = boto3.client('s3')\n\
\n\
def handler(event, context):\n\
\x20   title = 'r\xe9sum\xe9'\n\
\x20   return s3.get_object(Bucket='b', Key='k')\n";
    write(dir.path(), "app.py", src);
    let (_, report) = scan_json(dir.path(), &[]);
    assert_eq!(report["files_scanned"], 1);
    let acts = actions(&report);
    assert!(acts.contains(&"s3:GetObject".to_string()), "{acts:?}");
    let need = report["needs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["action"] == "s3:GetObject")
        .unwrap();
    assert_eq!(need["resources"][0], "arn:aws:s3:::b/k");
}

#[test]
fn nonexistent_source_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let run = tighten(&["scan", path(&missing)]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("no-such-dir"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "no policy on error: {}", run.stdout);
}

#[test]
fn invalid_json_policy_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/app.py", HANDLER.as_bytes());
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "truncated.json",
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\"",
            &["truncated.json:", "invalid JSON"],
        ),
        ("empty.json", "", &["empty.json", "invalid JSON"]),
        (
            "array.json",
            "[1, 2, 3]\n",
            &["array.json", "not a policy document"],
        ),
        (
            "effect.json",
            "{\"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Perhaps\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}\n",
            &["effect.json:2", "Effect"],
        ),
        (
            "nul.json",
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get\u{0}Object\"}]}",
            &["nul.json"],
        ),
    ];
    for (name, text, needles) in cases {
        write(dir.path(), name, text.as_bytes());
        let policy = dir.path().join(name);
        let run = tighten(&[
            "diff",
            path(&dir.path().join("src")),
            "--current",
            path(&policy),
        ]);
        assert_eq!(run.code, Some(2), "{name}: {}", run.stderr);
        for n in needles {
            assert!(
                run.stderr.contains(n),
                "{name}: no {n:?} in: {}",
                run.stderr
            );
        }
        assert!(
            run.stdout.is_empty(),
            "{name}: printed a diff anyway: {}",
            run.stdout
        );
    }
    let run = tighten(&[
        "diff",
        path(&dir.path().join("src")),
        "--current",
        path(&dir.path().join("absent.json")),
    ]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("absent.json"), "{}", run.stderr);
}

/// 10,000 statements, each granting `s3:GetObject` on another bucket: the
/// diff must say the need on `b/k` is missing, in reasonable time (a diff
/// that is quadratic in the document's lines is not).
#[test]
fn policy_with_ten_thousand_statements() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/app.py", HANDLER.as_bytes());
    let statements: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            serde_json::json!({
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::bucket-{i}/*"),
            })
        })
        .collect();
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    write(dir.path(), "big.json", doc.to_string().as_bytes());
    let run = tighten_within(
        &[
            "diff",
            path(&dir.path().join("src")),
            "--current",
            path(&dir.path().join("big.json")),
            "--format",
            "json",
            "--no-logs",
        ],
        Duration::from_secs(30),
    );
    assert!(
        run.code == Some(0) || run.code == Some(1),
        "diff failed: {}",
        run.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let missing = report["missing"].as_array().expect("missing is an array");
    assert!(
        missing
            .iter()
            .any(|m| m["action"] == "s3:GetObject" && m["resource"] == "arn:aws:s3:::b/k"),
        "the missing grant is named: {missing:?}"
    );
    assert_eq!(
        report["current"]["Statement"].as_array().map(Vec::len),
        Some(10_000)
    );
}

#[test]
fn template_reference_cycles_stay_placeholders_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let app = r#"import os
import boto3
sqs = boto3.client("sqs")

def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["A_URL"], MessageBody="x")
"#;
    write(dir.path(), "src/app.py", app.as_bytes());
    let template = r#"Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: !Ref Stage
Resources:
  QueueA:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref QueueB
  QueueB:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${QueueC}-b'
  QueueC:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !GetAtt QueueA.QueueName
  Selfish:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Selfish
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          A_URL: !Ref QueueA
          SELF: !GetAtt Selfish.Arn
"#;
    write(dir.path(), "template.yaml", template.as_bytes());
    let tpl = dir.path().join("template.yaml");
    let run = tighten(&[
        "scan",
        path(&dir.path().join("src")),
        "--template",
        path(&tpl),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(20));
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        has_warning(&report, &["template.yaml:", "cycle"]),
        "a cycle must be reported with its line: {:?}",
        warnings(&report)
    );
    assert!(actions(&report).contains(&"sqs:SendMessage".to_string()));
}

#[test]
fn malformed_template_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/app.py", HANDLER.as_bytes());
    let cases: [(&str, &str, &str); 3] = [
        (
            "tabs.yaml",
            "Resources:\n  Fn:\n\tType: AWS::Serverless::Function\n",
            "tabs.yaml:",
        ),
        ("open.yaml", "Resources: {Fn: [\n", "open.yaml:"),
        ("nul.yaml", "Resources:\n  Fn: \u{0}\n", "nul.yaml"),
    ];
    for (name, text, needle) in cases {
        write(dir.path(), name, text.as_bytes());
        let run = tighten(&[
            "scan",
            path(&dir.path().join("src")),
            "--template",
            path(&dir.path().join(name)),
        ]);
        assert_eq!(run.code, Some(2), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{name}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{name}: {}", run.stdout);
    }
}

/// A CloudTrail log file with `n` records of `orders-worker`: PutItem
/// first, then GetItem.
fn trail_log(n: usize) -> Vec<u8> {
    let records: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::111122223333:assumed-role/orders-worker/fn",
                    "accountId": "111122223333",
                    "sessionContext": {"sessionIssuer": {
                        "type": "Role",
                        "arn": "arn:aws:iam::111122223333:role/orders-worker",
                        "accountId": "111122223333",
                        "userName": "orders-worker"
                    }}
                },
                "eventTime": format!("2026-11-20T10:{:02}:00Z", i % 60),
                "eventSource": "dynamodb.amazonaws.com",
                "eventName": if i < n / 2 { "PutItem" } else { "GetItem" },
                "awsRegion": "eu-west-1",
                "requestParameters": {"tableName": "orders"},
                "recipientAccountId": "111122223333"
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
        .to_string()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn truncated_gzip_trail_keeps_complete_records_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let full = gzip(&trail_log(400));
    // Cut at a third: the PutItem half is partly there, GetItem not at all.
    write(dir.path(), "logs/cut.json.gz", &full[..full.len() / 3]);
    let logs = dir.path().join("logs");
    let base = [
        "trail",
        "--trail-logs",
        path(&logs),
        "--role",
        "orders-worker",
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-12-01T00:00:00Z",
    ];
    let run = tighten(&base);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("dynamodb:PutItem"), "{}", run.stdout);
    assert!(!run.stdout.contains("dynamodb:GetItem"), "{}", run.stdout);
    assert!(
        run.stderr.contains("cut.json.gz") && run.stderr.contains("record"),
        "the truncation is reported with the file and the first lost record: {}",
        run.stderr
    );
    let mut args = base.to_vec();
    args.extend(["--format", "json"]);
    let run = tighten(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = report["stats"]["errors"].as_array().expect("stats.errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]["file"].as_str().unwrap().ends_with("cut.json.gz"));
    let lost_from = errors[0]["record"].as_u64().expect("first lost record");
    assert!(lost_from > 0 && lost_from < 400, "{lost_from}");
}

#[test]
fn corrupt_and_empty_trail_files_are_warnings_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    // gzip magic, then garbage.
    write(
        &logs,
        "garbage.json.gz",
        &[0x1f, 0x8b, 8, 0, 0xde, 0xad, 0xbe, 0xef],
    );
    write(&logs, "empty.json.gz", b"");
    write(&logs, "empty.json", b"");
    write(&logs, "records-not-array.json", b"{\"Records\": 42}");
    write(
        &logs,
        "latin1.json",
        b"{\"Records\": [{\"eventName\": \"caf\xe9\"}]}",
    );
    write(&logs, "good.json.gz", &gzip(&trail_log(4)));
    let run = tighten(&[
        "trail",
        "--trail-logs",
        path(&logs),
        "--role",
        "orders-worker",
        "--since",
        "2026-11-01T00:00:00Z",
        "--until",
        "2026-12-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let errors = report["stats"]["errors"].as_array().unwrap();
    let files: Vec<&str> = errors.iter().filter_map(|e| e["file"].as_str()).collect();
    for bad in [
        "garbage.json.gz",
        "empty.json.gz",
        "empty.json",
        "records-not-array.json",
        "latin1.json",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(bad)),
            "{bad} not reported: {files:?}"
        );
    }
    let text = report["needs"].to_string();
    assert!(text.contains("dynamodb:PutItem") && text.contains("dynamodb:GetItem"));
}

/// Self-nesting containers (found by the `scan_source` fuzzer as
/// `session = botessiot boto,.session`, minimised to `x = a b,.x`): the
/// interpreter builds a value one level deeper each round without bound.
/// Each case is valid Python; the scan must finish fast and in bounded
/// memory. Run under a 1.5 GB address-space limit so a regression fails
/// fast instead of eating the machine.
#[cfg(unix)]
#[test]
fn self_nesting_values_stay_bounded() {
    let cases = [
        ("list", "x = [x, x.y]\n"),
        ("tuple", "x = (x, 1)\n"),
        ("dict", "x = {\"a\": x}\n"),
        (
            "through a parameter",
            "def f(v):\n    return [v]\n\ny = f(f(f(1)))\n",
        ),
        ("fuzzer input", "session = botessiot boto,.session\n"),
    ];
    for (name, body) in cases {
        let dir = tempfile::tempdir().unwrap();
        let src = format!("{body}{HANDLER}");
        write(dir.path(), "app.py", src.as_bytes());
        let bin = env!("CARGO_BIN_EXE_tighten");
        let start = Instant::now();
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 1500000; exec \"$0\" scan \"$1\" --format json")
            .arg(bin)
            .arg(dir.path())
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: scan failed after {:?} (memory blow-up?): {}",
            start.elapsed(),
            &stderr[..stderr.len().min(500)]
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{name}: took {:?}",
            start.elapsed()
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            actions(&report).contains(&"s3:GetObject".to_string()),
            "{name}"
        );
    }
}
