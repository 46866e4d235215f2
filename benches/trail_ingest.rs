//! CloudTrail ingest benchmark: 10k, 100k and 1M records in gzip files laid
//! out like a trail's S3 prefix, read and merged by the same code as
//! `tighten trail --trail-logs`. Reports wall time, throughput, peak memory
//! (VmHWM of a child process that does only the reading) and the time `zcat`
//! needs to decompress the same files.
//!
//! `cargo bench --bench trail_ingest` (release build). The corpus is written
//! once to `target/trail-bench/` and reused; it is never committed.
//! Pass sizes to run only some: `cargo bench --bench trail_ingest -- 100000`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use tighten::cloudtrail::{RoleSelector, TimeWindow, files};

const ACCT: &str = "111122223333";
/// Records per file: a busy account's trail delivers files of a few
/// hundred to a few thousand records every five minutes.
const PER_FILE: usize = 1000;

const EVENTS: &[(&str, &str, &str)] = &[
    ("s3.amazonaws.com", "GetObject", "s3"),
    ("s3.amazonaws.com", "PutObject", "s3"),
    ("s3.amazonaws.com", "ListObjects", "s3bucket"),
    ("dynamodb.amazonaws.com", "DescribeTable", "ddb"),
    ("kms.amazonaws.com", "Decrypt", "kms"),
    ("kms.amazonaws.com", "GenerateDataKey", "kms"),
    ("ssm.amazonaws.com", "GetParameter", "ssm"),
    ("monitoring.amazonaws.com", "PutMetricData", "none"),
    ("states.amazonaws.com", "StartExecution", "sfn"),
    ("sts.amazonaws.com", "GetCallerIdentity", "none"),
    ("lambda.amazonaws.com", "Invoke20150331", "lambda"),
    ("secretsmanager.amazonaws.com", "GetSecretValue", "secret"),
];

/// Random-looking identifiers (request and event ids, the S3 host id) as
/// real records carry, so the corpus compresses like a real trail (about
/// 10:1) instead of like repeated text.
fn noise(i: usize, salt: u64) -> u64 {
    let mut x = (i as u64 ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

fn record(out: &mut impl Write, i: usize) -> std::io::Result<()> {
    // One record in five is another role's: they are read and skipped.
    let role = if i % 5 == 4 {
        "batch-reporting"
    } else {
        "orders-worker"
    };
    let (source, name, kind) = EVENTS[i % EVENTS.len()];
    let (params, resources) = match kind {
        "s3" => (
            format!(r#"{{"bucketName":"orders-bucket","key":"in/2024/05/{i:08}.json","Host":"orders-bucket.s3.eu-west-1.amazonaws.com"}}"#),
            format!(r#"[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::orders-bucket/in/2024/05/{i:08}.json"}},{{"accountId":"{ACCT}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::orders-bucket"}}]"#),
        ),
        "s3bucket" => (
            r#"{"bucketName":"orders-bucket","prefix":"in/","Host":"orders-bucket.s3.eu-west-1.amazonaws.com"}"#.to_string(),
            r#"[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::orders-bucket"}]"#.to_string(),
        ),
        "ddb" => (format!(r#"{{"tableName":"orders-{}"}}"#, i % 3), "null".into()),
        "kms" => (
            r#"{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders"}}"#.to_string(),
            format!(r#"[{{"accountId":"{ACCT}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:{ACCT}:key/0b6a6c1c-1f36-4d2b-9a4e-8c2e0e8f{:04}"}}]"#, i % 2),
        ),
        "ssm" => (format!(r#"{{"name":"/orders/config/{}","withDecryption":true}}"#, i % 4), "null".into()),
        "sfn" => (
            format!(r#"{{"stateMachineArn":"arn:aws:states:eu-west-1:{ACCT}:stateMachine:fulfil","name":"run-{i}"}}"#),
            "null".into(),
        ),
        "lambda" => (r#"{"functionName":"notify","invocationType":"Event"}"#.to_string(), "null".into()),
        "secret" => (r#"{"secretId":"orders/db"}"#.to_string(), "null".into()),
        _ => (r#"{"namespace":"Orders"}"#.to_string(), "null".into()),
    };
    let error = if i.is_multiple_of(97) {
        r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation","#
    } else {
        ""
    };
    let secs = i % 86_400;
    write!(
        out,
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROA3EXAMPLEEXAMPLE:{role}-fn","arn":"arn:aws:sts::{ACCT}:assumed-role/{role}/{role}-fn","accountId":"{ACCT}","accessKeyId":"ASIA{:016X}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA3EXAMPLEEXAMPLE","arn":"arn:aws:iam::{ACCT}:role/service-role/{role}","accountId":"{ACCT}","userName":"{role}"}},"attributes":{{"creationDate":"2024-05-01T00:00:00Z","mfaAuthenticated":"false"}}}},"invokedBy":"lambda.amazonaws.com"}},"eventTime":"2024-05-01T{:02}:{:02}:{:02}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.{}","userAgent":"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.10.0 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.0",{error}"requestParameters":{params},"responseElements":null,"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{:016x}{:016x}{:016x}=","bytesTransferredOut":{}}},"requestID":"{:016X}","eventID":"{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}","readOnly":true,"resources":{resources},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{ACCT}","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{}.eu-west-1.amazonaws.com"}}}}"#,
        noise(i, 1) >> 1,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        i % 250,
        noise(i, 2),
        noise(i, 3),
        noise(i, 4),
        noise(i, 5) % 100_000,
        noise(i, 6),
        noise(i, 7) as u32,
        noise(i, 8) as u16,
        noise(i, 9) as u16 & 0xfff,
        noise(i, 10) as u16 & 0xfff,
        noise(i, 11) & 0xffff_ffff_ffff,
        source.split('.').next().unwrap_or("s3"),
    )
}

fn corpus(root: &Path, records: usize) -> PathBuf {
    let dir = root.join(format!("{records}"));
    let done = dir.join(".complete");
    if done.exists() {
        return dir;
    }
    let _ = fs::remove_dir_all(&dir);
    let day = dir.join(format!("AWSLogs/{ACCT}/CloudTrail/eu-west-1/2024/05/01"));
    fs::create_dir_all(&day).unwrap();
    let mut i = 0;
    let mut n = 0;
    while i < records {
        let path = day.join(format!(
            "{ACCT}_CloudTrail_eu-west-1_20240501T{n:06}Z_bench.json.gz"
        ));
        let mut gz = GzEncoder::new(
            BufWriter::new(File::create(path).unwrap()),
            Compression::default(),
        );
        gz.write_all(b"{\"Records\":[").unwrap();
        let end = (i + PER_FILE).min(records);
        for j in i..end {
            if j > i {
                gz.write_all(b",").unwrap();
            }
            record(&mut gz, j).unwrap();
        }
        gz.write_all(b"]}").unwrap();
        gz.finish().unwrap().flush().unwrap();
        i = end;
        n += 1;
    }
    File::create(done).unwrap();
    dir
}

fn vm_hwm_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: read the corpus once and report `secs records matched hwm_kib`.
fn measure(dir: &Path) {
    let role = RoleSelector::parse("orders-worker").unwrap();
    let window = TimeWindow {
        since: 0,
        until: i64::MAX,
    };
    let start = Instant::now();
    let obs = files::read_paths(&[dir.to_path_buf()], &role, &window).unwrap();
    let ev = obs.into_evidence();
    let secs = start.elapsed().as_secs_f64();
    assert!(ev.stats.errors.is_empty(), "{:?}", ev.stats.errors.first());
    println!(
        "{secs} {} {} {} {}",
        ev.stats.records,
        ev.stats.matched,
        ev.needs.needs.len(),
        vm_hwm_kib()
    );
}

/// The child: only gunzip every file (in parallel, as the reader does) and
/// report `secs`, to show what the JSON parsing adds to decompression.
fn inflate_only(dir: &Path) {
    use rayon::prelude::*;
    use std::io::Read;
    let files = files::log_files(dir).unwrap();
    let start = Instant::now();
    let total: usize = files
        .par_iter()
        .map_init(Vec::new, |buf, f| {
            buf.clear();
            flate2::read::MultiGzDecoder::new(File::open(f).unwrap())
                .read_to_end(buf)
                .unwrap()
        })
        .sum();
    println!("{} {total}", start.elapsed().as_secs_f64());
}

fn zcat_secs(dir: &Path) -> f64 {
    let start = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg("find \"$1\" -name '*.json.gz' -print0 | xargs -0 zcat > /dev/null")
        .arg("sh")
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, dir] = &args[..] {
        match flag.as_str() {
            "--measure" => return measure(Path::new(dir)),
            "--inflate" => return inflate_only(Path::new(dir)),
            _ => {}
        }
    }
    let sizes: Vec<usize> = {
        let given: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
        if given.is_empty() {
            vec![10_000, 100_000, 1_000_000]
        } else {
            given
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/trail-bench");
    let exe = std::env::current_exe().unwrap();
    println!(
        "{:>9} {:>6} {:>7} {:>8} {:>8} {:>9} {:>8} {:>9} {:>7}",
        "records", "files", "gz MB", "json MB", "wall s", "rec/s", "peak MB", "gunzip s", "zcat s"
    );
    for n in sizes {
        let dir = corpus(&root, n);
        let files: Vec<PathBuf> = files::log_files(&dir).unwrap();
        let gz_bytes: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
        // Best of three runs, each in a fresh process so VmHWM is its own.
        let mut best: Option<(f64, u64, u64)> = None;
        for _ in 0..3 {
            let out = Command::new(&exe)
                .arg("--measure")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).unwrap();
            let f: Vec<&str> = line.split_whitespace().collect();
            let secs: f64 = f[0].parse().unwrap();
            let records: u64 = f[1].parse().unwrap();
            let hwm: u64 = f[4].parse().unwrap();
            assert_eq!(records as usize, n);
            if best.is_none_or(|b| secs < b.0) {
                best = Some((secs, records, hwm));
            }
        }
        let (secs, records, hwm) = best.unwrap();
        let json_mb = {
            // Uncompressed size from the gzip trailers (ISIZE, mod 2^32).
            files
                .iter()
                .map(|f| {
                    let b = fs::read(f).unwrap();
                    u32::from_le_bytes(b[b.len() - 4..].try_into().unwrap()) as u64
                })
                .sum::<u64>() as f64
                / 1e6
        };
        let zcat = zcat_secs(&dir).min(zcat_secs(&dir));
        let inflate = (0..3)
            .map(|_| {
                let out = Command::new(&exe)
                    .arg("--inflate")
                    .arg(&dir)
                    .output()
                    .unwrap();
                let line = String::from_utf8(out.stdout).unwrap();
                line.split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<f64>()
                    .unwrap()
            })
            .fold(f64::INFINITY, f64::min);
        println!(
            "{n:>9} {:>6} {:>7.1} {:>8.1} {:>8.3} {:>9.0} {:>8.1} {:>9.3} {:>7.3}",
            files.len(),
            gz_bytes as f64 / 1e6,
            json_mb,
            secs,
            records as f64 / secs,
            hwm as f64 / 1024.0,
            inflate,
            zcat
        );
    }
}
