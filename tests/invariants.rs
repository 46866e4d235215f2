//! Properties of `scan` over generated code trees: random boto3 handlers
//! (clients, aliases, factories, cross-module helpers, paginators, waiters)
//! drawn from the bundled service table with a seeded PRNG. Whatever the
//! tree, every action scan emits is an exact action of the bundled IAM list,
//! the evaluator proves the suggested policy allows every need, and every
//! unconditional action of a generated call is either found or reported as
//! unresolved at that call's line. A failure prints the seed and the tree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use tighten::actionmap::{Mapping, Service, table};
use tighten::policy::eval::unallowed_needs;
use tighten::policy::synth::synthesize;
use tighten::scan::{ScanOptions, ScanReport, scan_path};

/// splitmix64: small, seedable, and the same on every platform.
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
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Services with a good spread of shapes (resource ARNs, `*`-only actions,
/// renamed prefixes); the rest of the table is drawn from too.
const COMMON: &[&str] = &[
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "lambda",
    "secretsmanager",
    "ssm",
    "kms",
    "stepfunctions",
    "events",
    "kinesis",
    "sesv2",
    "bedrock-runtime",
    "apigatewaymanagementapi",
    "cloudwatch",
    "sts",
];

/// Keyword arguments that name resources, with literal values.
const ARGS: &[(&str, &str)] = &[
    ("Bucket", "orders-bucket"),
    ("Key", "in/data.json"),
    ("TableName", "orders"),
    (
        "QueueUrl",
        "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs",
    ),
    ("TopicArn", "arn:aws:sns:eu-west-1:111122223333:alerts"),
    ("FunctionName", "worker"),
    ("SecretId", "db-password"),
    ("Name", "/app/config"),
    ("KeyId", "alias/app"),
    ("StreamName", "clicks"),
    (
        "StateMachineArn",
        "arn:aws:states:eu-west-1:111122223333:stateMachine:flow",
    ),
];

/// A call the generator wrote, with what the table says it needs.
struct GenCall {
    file: String,
    line: usize,
    display: String,
    /// Actions needed whatever the arguments.
    required: BTreeSet<String>,
}

struct Tree {
    files: BTreeMap<String, String>,
    calls: Vec<GenCall>,
}

/// Writes Python line by line, counting lines so each call knows its own.
#[derive(Default)]
struct PyFile {
    text: String,
    lines: usize,
}

impl PyFile {
    fn line(&mut self, s: &str) -> usize {
        self.text.push_str(s);
        self.text.push('\n');
        self.lines += 1;
        self.lines
    }
}

fn services(rng: &mut Rng) -> &'static Service {
    let t = table();
    loop {
        let name = if rng.chance(70) {
            *rng.pick(COMMON)
        } else {
            let names = t.service_names();
            *rng.pick(&names)
        };
        if let Some(s) = t.service(name)
            && !s.operations().is_empty()
        {
            return s;
        }
    }
}

/// The actions an operation needs whatever its arguments.
fn required_actions(svc: &Service, method: &str) -> Option<BTreeSet<String>> {
    let op = svc.operation_by_method(method)?;
    // boto3's helpers and presigning map through other operations or their
    // arguments; the scanner's own tests cover them.
    if op.is_boto3_helper() || op.note.as_deref().is_some_and(|n| n.starts_with("presign")) {
        return None;
    }
    Some(match &op.mapping {
        Mapping::Actions(specs) => specs
            .iter()
            .filter(|s| !s.optional && s.if_arg.is_none() && s.unless_arg.is_none())
            .map(|s| s.action.clone())
            .collect(),
        Mapping::Permissionless | Mapping::Unresolved => BTreeSet::new(),
    })
}

/// A client expression of one of the binding shapes the scanner follows.
fn client_expr(rng: &mut Rng, boto: &str, svc: &str) -> String {
    match rng.below(4) {
        0 => format!("{boto}.client(\"{svc}\")"),
        1 => format!("{boto}.client(\"{svc}\", region_name=\"eu-west-1\")"),
        2 => format!("{boto}.session.Session().client(\"{svc}\")"),
        _ => format!("{boto}.Session(region_name=\"eu-west-1\").client(service_name=\"{svc}\")"),
    }
}

/// One call on `var` (a client of `svc`): a method, a paginator or a
/// waiter, with a few resource-naming arguments.
fn call_line(
    rng: &mut Rng,
    svc: &Service,
    var: &str,
) -> (String, String, Option<BTreeSet<String>>) {
    let ops: Vec<&str> = svc
        .operations()
        .iter()
        .filter(|o| !o.is_boto3_helper())
        .map(|o| o.method.as_str())
        .collect();
    let method = if ops.is_empty() {
        svc.operations()[0].method.as_str()
    } else {
        *rng.pick(&ops)
    };
    let mut args = Vec::new();
    for _ in 0..rng.below(3) {
        let (k, v) = rng.pick(ARGS);
        if !args
            .iter()
            .any(|a: &String| a.starts_with(&format!("{k}=")))
        {
            args.push(format!("{k}=\"{v}\""));
        }
    }
    let args = args.join(", ");
    if rng.chance(15) && svc.paginator(method).is_some() {
        let code = format!("for page in {var}.get_paginator(\"{method}\").paginate({args}):");
        return (
            code,
            format!("{var}.get_paginator"),
            required_actions(svc, method),
        );
    }
    if rng.chance(10)
        && let Some(w) = svc.waiter_names().next()
    {
        let op = svc.waiter(w).map(|o| o.method.clone()).unwrap_or_default();
        let code = format!("{var}.get_waiter(\"{w}\").wait({args})");
        return (
            code,
            format!("{var}.get_waiter"),
            required_actions(svc, &op),
        );
    }
    let code = format!("result = {var}.{method}({args})");
    (
        code,
        format!("{var}.{method}"),
        required_actions(svc, method),
    )
}

/// One tree: `app.py` with the handler, 0-3 library modules it imports
/// (clients passed in as arguments, made at module level, or returned by
/// a factory in `factory.py`).
fn generate(seed: u64) -> Tree {
    let mut rng = Rng(seed);
    let mut files = BTreeMap::new();
    let mut calls = Vec::new();
    let libs = rng.below(4);
    let with_factory = rng.chance(40);

    if with_factory {
        let mut f = PyFile::default();
        f.line("import boto3");
        f.line("");
        f.line("def make_client(name):");
        f.line("    return boto3.client(name)");
        files.insert("factory.py".to_string(), f.text);
    }

    // Library modules: functions taking the event and a client.
    let mut lib_funcs: Vec<(String, String, &'static Service)> = Vec::new();
    for l in 0..libs {
        let module = format!("lib_{l}");
        let file = format!("{module}.py");
        let mut f = PyFile::default();
        f.line("import json");
        f.line("import boto3");
        let own = services(&mut rng);
        f.line(&format!(
            "OWN = {}",
            client_expr(&mut rng, "boto3", &own.name)
        ));
        f.line("");
        for k in 0..rng.range(2, 4) {
            let name = format!("run_{l}_{k}");
            let passed = services(&mut rng);
            f.line(&format!("def {name}(event, client):"));
            for _ in 0..rng.range(1, 3) {
                let (var, svc) = if rng.chance(50) {
                    ("client", passed)
                } else {
                    ("OWN", own)
                };
                let (code, display, required) = call_line(&mut rng, svc, var);
                let line = f.line(&format!("    {code}"));
                if code.ends_with(':') {
                    f.line("        print(page)");
                }
                if let Some(required) = required {
                    calls.push(GenCall {
                        file: file.clone(),
                        line,
                        display,
                        required,
                    });
                }
            }
            f.line("    return json.dumps({})");
            f.line("");
            lib_funcs.push((module.clone(), name, passed));
        }
        files.insert(file, f.text);
    }

    let mut f = PyFile::default();
    let boto = if rng.chance(30) { "b3" } else { "boto3" };
    f.line(if boto == "b3" {
        "import boto3 as b3"
    } else {
        "import boto3"
    });
    if with_factory {
        f.line("from factory import make_client");
    }
    let imported: BTreeSet<&String> = lib_funcs.iter().map(|(m, _, _)| m).collect();
    for m in &imported {
        f.line(&format!("import {m}"));
    }
    f.line("");
    let mut clients: Vec<(String, &'static Service)> = Vec::new();
    for c in 0..rng.range(1, 3) {
        let svc = services(&mut rng);
        let var = format!("client_{c}");
        let expr = if with_factory && rng.chance(50) {
            format!("make_client(\"{}\")", svc.name)
        } else {
            client_expr(&mut rng, boto, &svc.name)
        };
        f.line(&format!("{var} = {expr}"));
        clients.push((var, svc));
    }
    f.line("");
    let mut local = Vec::new();
    for k in 0..rng.range(1, 3) {
        let name = format!("step_{k}");
        f.line(&format!("def {name}(event):"));
        for _ in 0..rng.range(1, 3) {
            let (var, svc) = rng.pick(&clients).clone();
            let (code, display, required) = call_line(&mut rng, svc, &var);
            let line = f.line(&format!("    {code}"));
            if code.ends_with(':') {
                f.line("        print(page)");
            }
            if let Some(required) = required {
                calls.push(GenCall {
                    file: "app.py".into(),
                    line,
                    display,
                    required,
                });
            }
        }
        f.line("    return event");
        f.line("");
        local.push(name);
    }
    f.line("def handler(event, context):");
    for name in &local {
        f.line(&format!("    {name}(event)"));
    }
    for (module, name, passed) in &lib_funcs {
        let arg = match clients.iter().find(|(_, s)| s.name == passed.name) {
            Some((var, _)) => var.clone(),
            None => client_expr(&mut rng, boto, &passed.name),
        };
        f.line(&format!("    {module}.{name}(event, {arg})"));
    }
    f.line("    return {\"ok\": True}");
    files.insert("app.py".into(), f.text);
    Tree { files, calls }
}

fn write_tree(dir: &Path, tree: &Tree) {
    for (name, text) in &tree.files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn show(tree: &Tree) -> String {
    let mut s = String::new();
    for (name, text) in &tree.files {
        let _ = writeln!(s, "--- {name}\n{text}");
    }
    s
}

/// The invariants for one scanned tree; `Err` says which one broke.
fn check(tree: &Tree, report: &ScanReport) -> Result<usize, String> {
    let t = table();
    for include_optional in [false, true] {
        let needs = report.needs.for_policy(include_optional);
        for n in &needs {
            if n.action.contains(['*', '?']) {
                return Err(format!("wildcard action {}", n.action));
            }
            if t.iam_action(&n.action).is_none() {
                return Err(format!("{} is not in the IAM action list", n.action));
            }
        }
        let policy = synthesize(&needs);
        for st in &policy.statement {
            for a in st.action.iter().flat_map(|a| a.to_vec()) {
                if a.contains(['*', '?']) || t.iam_action(&a).is_none() {
                    return Err(format!("the policy grants {a}"));
                }
            }
            if st.not_action.is_some() || st.effect != "Allow" {
                return Err(format!("unexpected statement {st:?}"));
            }
        }
        let unallowed = unallowed_needs(&policy, &needs).map_err(|e| e.to_string())?;
        if let Some(u) = unallowed.first() {
            return Err(format!(
                "the suggested policy does not allow {} on {} ({:?})",
                u.action, u.resource, u.decision
            ));
        }
    }
    let found: BTreeSet<&str> = report.needs.iter().map(|n| n.action.as_str()).collect();
    let mut checked = 0;
    for c in &tree.calls {
        let unresolved_here = report
            .unresolved
            .iter()
            .any(|u| u.file == c.file && u.line == c.line);
        for a in &c.required {
            checked += 1;
            if !found.contains(a.as_str()) && !unresolved_here {
                return Err(format!(
                    "{}:{}: {} needs {a}, which is neither in the policy nor reported unresolved",
                    c.file, c.line, c.display
                ));
            }
        }
    }
    Ok(checked)
}

const TREES: u64 = 200;

#[test]
fn generated_trees_keep_the_policy_invariants() {
    let mut checked = 0;
    let mut with_needs = 0;
    for seed in 0..TREES {
        let tree = generate(seed);
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), &tree);
        let report = scan_path(dir.path(), &ScanOptions::default())
            .unwrap_or_else(|e| panic!("seed {seed}: scan failed: {e:#}\n{}", show(&tree)));
        assert_eq!(report.files_scanned, tree.files.len(), "seed {seed}");
        match check(&tree, &report) {
            Ok(n) => checked += n,
            Err(e) => panic!("seed {seed}: {e}\n{}", show(&tree)),
        }
        if report.needs.iter().next().is_some() {
            with_needs += 1;
        }
    }
    eprintln!("{TREES} trees, {with_needs} with needs, {checked} expected actions checked");
    // The generator must produce work: most trees need something, and
    // hundreds of expected actions were checked.
    assert!(
        with_needs >= TREES * 3 / 4,
        "only {with_needs} trees had needs"
    );
    assert!(checked >= 300, "only {checked} expected actions checked");
}

/// The same trees through the binary: what `tighten scan` prints is a
/// policy of exact, listed actions, never a wildcard.
#[test]
fn printed_policies_hold_only_listed_actions() {
    let t = table();
    for seed in (0..TREES).step_by(20) {
        let tree = generate(seed);
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), &tree);
        let out = Command::new(env!("CARGO_BIN_EXE_tighten"))
            .args(["scan", dir.path().to_str().unwrap(), "--include-optional"])
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}: {stderr}\n{}",
            show(&tree)
        );
        let policy: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("seed {seed}: not JSON ({e})"));
        let statements = policy["Statement"].as_array().expect("Statement array");
        assert!(!statements.is_empty(), "seed {seed}");
        for st in statements {
            assert_eq!(st["Effect"], "Allow");
            assert!(st.get("NotAction").is_none());
            let actions: Vec<&str> = match &st["Action"] {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                other => panic!("seed {seed}: Action is {other}"),
            };
            for a in actions {
                assert!(!a.contains(['*', '?']), "seed {seed}: wildcard {a}");
                assert!(
                    t.iam_action(a).is_some(),
                    "seed {seed}: {a} not in the IAM list"
                );
            }
        }
    }
}

/// The generator itself is deterministic: same seed, same tree.
#[test]
fn generator_is_deterministic() {
    for seed in [0, 7, 199] {
        assert_eq!(show(&generate(seed)), show(&generate(seed)));
    }
    assert_ne!(show(&generate(1)), show(&generate(2)));
}
