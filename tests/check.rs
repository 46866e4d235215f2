//! `tighten check` and `tighten rules` end to end.
//!
//! - Every rule has `tests/rules/<id>/flagged.json` and `clean.json`,
//!   current policies for the Python fixture `tests/rules/app`; the check's
//!   text output for each is compared with `flagged.txt` / `clean.txt`
//!   beside them. After an intended change, regenerate the snapshots with
//!   `UPDATE_SNAPSHOTS=1 cargo test --test check` and review the diff.
//! - Cases 24-26 of the development set (SAM templates with over-broad
//!   policies, copied to `tests/rules/cases/`) fail the check; the policy
//!   `tighten scan` suggests for them passes it.
//! - SARIF output validates against the SARIF 2.1.0 schema
//!   (`tests/sarif/`); `docs/rules.md` matches `tighten rules --markdown`
//!   (`UPDATE=1` rewrites it); bad configuration and bad policies exit 2.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tighten::lint::rules::{RULES, markdown};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` without colour, AWS kept off the network.
fn tighten_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tighten"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .expect("run tighten")
}

fn tighten(args: &[&str]) -> Output {
    tighten_in(&root(), args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

const APP: &str = "tests/rules/app";
const FIXED: [&str; 5] = [
    "--no-logs",
    "--region",
    "us-east-1",
    "--account",
    "123456789012",
];

fn check_fixture(policy: &str, extra: &[&str]) -> Output {
    let mut args = vec!["check", APP, "--current", policy];
    args.extend(FIXED);
    args.extend(extra);
    tighten(&args)
}

fn rule_ids(json_out: &str) -> BTreeSet<String> {
    let v: Value = serde_json::from_str(json_out).expect("check --format json prints JSON");
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Compares `actual` with the snapshot file, or rewrites it under
/// `UPDATE_SNAPSHOTS=1`.
fn snapshot(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run UPDATE_SNAPSHOTS=1 cargo test --test check",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "snapshot {} differs (UPDATE_SNAPSHOTS=1 cargo test --test check to accept)",
        path.display()
    );
}

#[test]
fn every_rule_has_a_flagged_and_a_clean_fixture_matching_its_snapshot() {
    for rule in RULES {
        let dir = root().join("tests/rules").join(rule.id);
        for kind in ["flagged", "clean"] {
            let policy = format!("tests/rules/{}/{kind}.json", rule.id);
            assert!(root().join(&policy).is_file(), "{policy} is missing");
            let out = check_fixture(&policy, &[]);
            let text = stdout(&out);
            let tag = format!("[{}]", rule.id);
            if kind == "flagged" {
                assert!(text.contains(&tag), "{policy} should raise {tag}:\n{text}");
                assert_eq!(code(&out), 1, "{policy}: {}", stderr(&out));
            } else {
                assert!(
                    !text.contains(&tag),
                    "{policy} should not raise {tag}:\n{text}"
                );
                assert_ne!(code(&out), 2, "{policy}: {}", stderr(&out));
            }
            let snap = format!(
                "$ tighten check {APP} --current {policy} {}\nexit: {}\n{text}",
                FIXED.join(" "),
                code(&out)
            );
            snapshot(&dir.join(format!("{kind}.txt")), &snap);
        }
    }
}

#[test]
fn findings_point_at_the_line_and_column_of_the_pattern() {
    let out = check_fixture("tests/rules/wildcard-action/flagged.json", &[]);
    let text = stdout(&out);
    // `"s3:Get*"` is the first element of the Action list on line 14.
    assert!(
        text.contains(
            "tests/rules/wildcard-action/flagged.json:14:9: high[wildcard-action] `s3:Get*`"
        ),
        "{text}"
    );
    let out = check_fixture("tests/rules/missing-permission/flagged.json", &[]);
    // The missing need points at the code line that makes the call.
    assert!(
        stdout(&out).contains("tests/rules/app/handler.py:13: high[missing-permission]"),
        "{}",
        stdout(&out)
    );
}

fn case(n: u32) -> (String, String) {
    (
        format!("tests/rules/cases/case{n}/src"),
        format!("tests/rules/cases/case{n}/template.yaml"),
    )
}

#[test]
fn over_broad_sam_templates_fail_with_the_expected_rules() {
    let expected: [(u32, &[&str]); 3] = [
        (
            24,
            &[
                "unused-permission",
                "wildcard-resource",
                "access-level-mismatch",
            ],
        ),
        (
            25,
            &[
                "wildcard-action",
                "wildcard-resource",
                "unused-permission",
                "access-level-mismatch",
            ],
        ),
        (
            26,
            &[
                "wildcard-action",
                "wildcard-resource",
                "unused-permission",
                "access-level-mismatch",
                "privilege-escalation",
            ],
        ),
    ];
    for (n, rules) in expected {
        let (src, template) = case(n);
        let out = tighten(&["check", &src, "--template", &template, "--format", "json"]);
        assert_eq!(code(&out), 1, "case {n}: {}", stderr(&out));
        let ids = rule_ids(&stdout(&out));
        for r in rules {
            assert!(ids.contains(*r), "case {n}: no {r} in {ids:?}");
        }
        assert!(
            !ids.contains("missing-permission"),
            "case {n}: the template grants everything the code needs: {ids:?}"
        );
    }
}

#[test]
fn the_suggested_policy_passes_the_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for n in [24, 25, 26] {
        let (src, template) = case(n);
        let scan = tighten(&["scan", &src, "--template", &template]);
        assert_eq!(code(&scan), 0, "case {n} scan: {}", stderr(&scan));
        let policy = tmp.path().join(format!("case{n}.json"));
        std::fs::write(&policy, &scan.stdout).expect("write policy");
        let policy = policy.display().to_string();
        let out = tighten(&["check", &src, "--template", &template, "--current", &policy]);
        assert_eq!(
            code(&out),
            0,
            "case {n}: the suggested policy should pass:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains("no findings"), "{}", stdout(&out));
        // The same policy missing one of its statements fails again.
        let mut doc: Value = serde_json::from_slice(&scan.stdout).expect("policy JSON");
        doc["Statement"]
            .as_array_mut()
            .expect("statements")
            .remove(0);
        std::fs::write(&policy, doc.to_string()).expect("write policy");
        let out = tighten(&[
            "check",
            &src,
            "--template",
            &template,
            "--current",
            &policy,
            "--format",
            "json",
        ]);
        assert_eq!(code(&out), 1, "case {n}: {}", stderr(&out));
        assert!(rule_ids(&stdout(&out)).contains("missing-permission"));
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json"))
        .expect("vendored schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    let (src, template) = case(25);
    let runs = [
        tighten(&["check", &src, "--template", &template, "--format", "sarif"]),
        check_fixture(
            "tests/rules/invalid-action/flagged.json",
            &["--format", "sarif"],
        ),
        check_fixture(
            "tests/rules/admin-access/clean.json",
            &["--format", "sarif"],
        ),
    ];
    for out in &runs {
        assert_ne!(code(out), 2, "{}", stderr(out));
        let log: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
        let driver = &log["runs"][0]["tool"]["driver"];
        let ids: Vec<&str> = driver["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["id"].as_str().unwrap_or_default())
            .collect();
        let all: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids, all);
        for r in driver["rules"].as_array().expect("rules") {
            let id = r["id"].as_str().unwrap_or_default();
            assert!(
                r["helpUri"]
                    .as_str()
                    .is_some_and(|u| u.ends_with(&format!("docs/rules.md#{id}")))
            );
            assert!(
                r["help"]["markdown"]
                    .as_str()
                    .is_some_and(|m| m.contains("## Why is this bad?"))
            );
            assert!(r["defaultConfiguration"]["level"].is_string());
        }
    }
    // The code-located finding has a relative URI and a line.
    let log: Value = serde_json::from_slice(&runs[1].stdout).expect("SARIF");
    let results = log["runs"][0]["results"].as_array().expect("results");
    let missing = results
        .iter()
        .find(|r| r["ruleId"] == "missing-permission")
        .expect("a missing-permission result");
    let phys = &missing["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "tests/rules/app/handler.py"
    );
    assert_eq!(phys["region"]["startLine"], 13);
    assert!(
        results
            .iter()
            .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64())
    );
    // The clean run has no results but still describes the rules.
    let clean: Value = serde_json::from_slice(&runs[2].stdout).expect("SARIF");
    assert_eq!(clean["runs"][0]["results"], Value::Array(vec![]));
}

#[test]
fn the_schema_rejects_a_broken_sarif_log() {
    // Guards the guard: a log without `version` must not validate.
    let validator = sarif_validator();
    let bad = serde_json::json!({"runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn docs_rules_md_is_generated_from_the_rule_docs() {
    let path = root().join("docs/rules.md");
    let generated = markdown();
    if std::env::var_os("UPDATE").is_some() {
        std::fs::write(&path, &generated).expect("write docs/rules.md");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/rules.md is stale: run `tighten rules --markdown > docs/rules.md` (or UPDATE=1 cargo test --test check)"
    );
    let out = tighten(&["rules", "--markdown"]);
    assert_eq!(stdout(&out), generated);
}

#[test]
fn every_rule_documents_the_same_sections() {
    let mut ids = BTreeSet::new();
    for r in RULES {
        assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
        assert!(
            r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} is not kebab-case",
            r.id
        );
        let doc = r.doc();
        assert!(
            doc.starts_with(&format!("Rule `{}`", r.id)),
            "{}: {doc}",
            r.id
        );
        let mut at = 0;
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## References",
        ] {
            let found = doc[at..]
                .find(section)
                .unwrap_or_else(|| panic!("{}: no `{section}` (in order)", r.id));
            at += found + section.len();
        }
    }
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let out = tighten(&["rules"]);
    assert_eq!(code(&out), 0);
    let list = stdout(&out);
    for r in RULES {
        assert!(
            list.lines()
                .any(|l| l.starts_with(r.id) && l.contains(r.severity.as_str())),
            "{}",
            r.id
        );
    }
    let out = tighten(&["rules", "privilege-escalation"]);
    assert_eq!(code(&out), 0);
    let doc = stdout(&out);
    assert!(doc.contains("## Why is this bad?"));
    assert!(doc.contains("rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation"));
    let out = tighten(&["rules", "wildcard-actions"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no rule `wildcard-actions`"));
}

/// A copy of the app and a policy in a temporary directory, for config
/// files found upward from PATH.
fn project(config: &str, policy: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let app = tmp.path().join("app");
    std::fs::create_dir(&app).expect("mkdir");
    std::fs::copy(root().join(APP).join("handler.py"), app.join("handler.py")).expect("copy");
    std::fs::copy(root().join(policy), tmp.path().join("policy.json")).expect("copy");
    std::fs::write(tmp.path().join("tighten.toml"), config).expect("write config");
    tmp
}

fn check_project(tmp: &tempfile::TempDir, extra: &[&str]) -> Output {
    let mut args = vec!["check", "app", "--current", "policy.json"];
    args.extend(FIXED);
    args.extend(extra);
    tighten_in(tmp.path(), &args)
}

#[test]
fn config_found_upward_ignores_with_a_reason_and_sets_severities() {
    let policy = "tests/rules/unused-permission/flagged.json";
    let tmp = project(
        r#"
[[ignore]]
rule = "unused-permission"
action = "dynamodb:Query"
reason = "the nightly export job shares this role"
"#,
        policy,
    );
    let out = check_project(&tmp, &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["ignored"], 1);
    assert_eq!(v["summary"]["total"], 1);
    assert_eq!(v["findings"][0]["actions"][0], "dynamodb:GetItem");

    // Severity low: the remaining finding no longer fails a medium gate.
    std::fs::write(
        tmp.path().join("tighten.toml"),
        "allowed-actions = [\"dynamodb:Query\"]\n[rules.unused-permission]\nseverity = \"low\"\n",
    )
    .expect("write");
    let out = check_project(&tmp, &[]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("low[unused-permission] `dynamodb:GetItem`"));
    assert!(!stdout(&out).contains("dynamodb:Query"));
    let out = check_project(&tmp, &["--fail-on", "low"]);
    assert_eq!(code(&out), 1);

    // Disabled: nothing left.
    std::fs::write(
        tmp.path().join(".tighten.toml"),
        "[rules.unused-permission]\nenabled = false\n",
    )
    .expect("write");
    std::fs::remove_file(tmp.path().join("tighten.toml")).expect("rm");
    let out = check_project(&tmp, &["--fail-on", "low"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("no findings"));
}

#[test]
fn a_bad_config_names_the_key_and_line() {
    let policy = "tests/rules/unused-permission/clean.json";
    let tmp = project(
        "fail-on = \"high\"\n\n[rules.wildcard-action]\nseverty = \"low\"\n",
        policy,
    );
    let out = check_project(&tmp, &[]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("tighten.toml"), "{err}");
    assert!(err.contains("severty"), "{err}");
    assert!(err.contains("line 4"), "{err}");

    std::fs::write(
        tmp.path().join("tighten.toml"),
        "[[ignore]]\nrule = \"unused-permission\"\n",
    )
    .expect("write");
    let out = check_project(&tmp, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));

    std::fs::write(
        tmp.path().join("tighten.toml"),
        "[rules.no-such-rule]\nenabled = false\n",
    )
    .expect("write");
    let out = check_project(&tmp, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no-such-rule"), "{}", stderr(&out));

    // --config wins over the file found upward, and must exist.
    let out = check_project(&tmp, &["--config", "missing.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn an_unreadable_policy_is_an_error_never_a_pass() {
    let out = check_fixture("tests/rules/no-such-policy.json", &[]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no-such-policy.json"),
        "{}",
        stderr(&out)
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",, }\n  ]\n}\n")
        .expect("write");
    let out = check_fixture(&bad.display().to_string(), &["--exit-zero"]);
    assert_eq!(code(&out), 2, "--exit-zero never hides an error");
    assert!(stderr(&out).contains("bad.json:4"), "{}", stderr(&out));

    let out = tighten(&["check", APP, "--no-logs"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--current"), "{}", stderr(&out));
}

#[test]
fn exit_codes_follow_fail_on_and_exit_zero() {
    // Only medium findings.
    let policy = "tests/rules/unused-permission/flagged.json";
    assert_eq!(code(&check_fixture(policy, &[])), 1);
    assert_eq!(code(&check_fixture(policy, &["--fail-on", "high"])), 0);
    assert_eq!(code(&check_fixture(policy, &["--exit-zero"])), 0);
    let admin = "tests/rules/admin-access/flagged.json";
    assert_eq!(code(&check_fixture(admin, &["--fail-on", "high"])), 1);
}

#[test]
fn github_annotations_carry_file_line_and_title() {
    let out = check_fixture(
        "tests/rules/wildcard-action/flagged.json",
        &["--format", "github"],
    );
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l.starts_with(
            "::error file=tests/rules/wildcard-action/flagged.json,line=14,col=9,title=tighten high[wildcard-action]::`s3:Get*`"
        )),
        "{text}"
    );
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
    assert!(text.contains("%0Ahelp: "), "{text}");
}

#[test]
fn cloudtrail_use_counts_and_unobservable_actions_are_marked() {
    let policy = "tests/rules/trail/policy.json";
    let without = check_fixture(policy, &["--format", "json"]);
    let v: Value = serde_json::from_slice(&without.stdout).expect("JSON");
    let unused: BTreeSet<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "unused-permission")
        .filter_map(|f| f["actions"][0].as_str())
        .collect();
    assert_eq!(
        unused,
        BTreeSet::from(["dynamodb:DescribeTable", "dynamodb:GetItem"])
    );

    // The trail shows the role calling DescribeTable: no longer unused.
    // GetItem is a data event CloudTrail's management events never show.
    let trail = [
        "--trail-logs",
        "tests/rules/trail/events.json",
        "--role",
        "app-role",
        "--since",
        "2024-01-01",
        "--until",
        "2025-01-01",
    ];
    let out = check_fixture(policy, &trail);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("DescribeTable"), "{text}");
    assert!(
        text.contains(
            "`dynamodb:GetItem` is granted but neither the code uses it nor CloudTrail saw it (unobservable:"
        ),
        "{text}"
    );
}

#[test]
fn attached_administrator_policies_are_named_at_their_template_line() {
    let out = tighten(&[
        "check",
        APP,
        "--template",
        "tests/rules/admin-access/managed-template.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let admin: Vec<(u64, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "admin-access")
        .map(|f| {
            (
                f["location"]["line"].as_u64().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(admin.len(), 2, "{admin:?}");
    assert_eq!(admin[0].0, 14);
    assert!(admin[0].1.contains("`AdministratorAccess`"));
    assert_eq!(admin[1].0, 15);
    assert!(admin[1].1.contains("`PowerUserAccess`"));
}

#[test]
fn an_account_dump_is_checked_for_the_role_given() {
    let dump = "tests/rules/account-details.json";
    let out = check_fixture(dump, &["--role", "app-role", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let findings = v["findings"].as_array().expect("findings");
    // Findings inside the dump point into it with a JSON pointer.
    assert!(findings.iter().any(|f| f["location"]["file"] == dump
        && f["location"]["pointer"].as_str().is_some_and(|p| {
            p.starts_with("/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/0/Action")
        })));
    // Several roles and no --role: an error that lists them.
    let out = check_fixture(dump, &[]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("app-role"), "{}", stderr(&out));
}

#[test]
fn a_large_policy_gives_one_finding_per_problem_in_file_order() {
    let statements: Vec<Value> = (0..300)
        .map(|i| {
            serde_json::json!({
                "Sid": format!("S{i}"),
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "s3:Get*"],
                "Resource": [
                    format!("arn:aws:dynamodb:us-east-1:123456789012:table/t{i}"),
                    format!("arn:aws:s3:::b{i}/*"),
                ],
            })
        })
        .collect();
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("big.json");
    std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
    let out = check_fixture(&path.display().to_string(), &["--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let findings = v["findings"].as_array().expect("findings");
    let count = |rule: &str| findings.iter().filter(|f| f["rule"] == rule).count();
    // Per statement: GetItem unused, s3:Get* unused and a wildcard; plus the
    // three needs the policy lacks.
    assert_eq!(count("wildcard-action"), 300);
    assert_eq!(count("unused-permission"), 600);
    assert_eq!(count("missing-permission"), 3);
    let policy_lines: Vec<u64> = findings
        .iter()
        .filter(|f| f["location"]["file"] != "tests/rules/app/handler.py")
        .map(|f| f["location"]["line"].as_u64().unwrap_or_default())
        .collect();
    assert!(
        policy_lines.windows(2).all(|w| w[0] <= w[1]),
        "findings sorted by line"
    );
}
