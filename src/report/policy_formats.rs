//! Policy documents as other tools write them: a CloudFormation/SAM
//! `Policies` snippet and a Terraform `aws_iam_policy_document` block.

use std::fmt::Write;

use crate::policy::{OneOrMany, PolicyDocument};

/// YAML for a SAM function's `Policies` (or an `AWS::IAM::Role`'s
/// `Policies` entry). Strings with `${...}` use `!Sub`, so CloudFormation
/// fills `${AWS::Region}` and `${AWS::AccountId}`.
pub fn cloudformation_yaml(doc: &PolicyDocument) -> String {
    let mut out = String::new();
    out.push_str("Policies:\n  - PolicyName: tighten-least-privilege\n    PolicyDocument:\n");
    let _ = writeln!(out, "      Version: \"{}\"", doc.version);
    out.push_str("      Statement:\n");
    for st in &doc.statement {
        match &st.sid {
            Some(sid) => {
                let _ = writeln!(out, "        - Sid: {}", yaml_str(sid));
                let _ = writeln!(out, "          Effect: {}", st.effect);
            }
            None => {
                let _ = writeln!(out, "        - Effect: {}", st.effect);
            }
        }
        for (key, list) in [("Action", &st.action), ("Resource", &st.resource)] {
            if let Some(l) = list {
                let _ = writeln!(out, "          {key}:");
                for v in l.to_vec() {
                    let _ = writeln!(out, "            - {}", yaml_value(&v));
                }
            }
        }
    }
    out
}

fn yaml_value(v: &str) -> String {
    if v.contains("${") {
        format!("!Sub {}", yaml_str(v))
    } else {
        yaml_str(v)
    }
}

fn yaml_str(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A Terraform data block. `${` starts an interpolation in Terraform
/// strings, so placeholders are written `$${...}`: replace them with
/// `data.aws_region.current.name` and friends, or keep them literal.
pub fn terraform(doc: &PolicyDocument) -> String {
    let mut out = String::from("data \"aws_iam_policy_document\" \"tighten\" {\n");
    for st in &doc.statement {
        out.push_str("  statement {\n");
        if let Some(sid) = &st.sid {
            let _ = writeln!(out, "    sid       = {}", hcl_str(sid));
        }
        let _ = writeln!(out, "    effect    = {}", hcl_str(&st.effect));
        if let Some(a) = &st.action {
            let _ = writeln!(out, "    actions   = {}", hcl_list(a));
        }
        if let Some(r) = &st.resource {
            let _ = writeln!(out, "    resources = {}", hcl_list(r));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

fn hcl_str(v: &str) -> String {
    format!(
        "\"{}\"",
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace("${", "$${")
            .replace("%{", "%%{")
    )
}

fn hcl_list(l: &OneOrMany) -> String {
    let items: Vec<String> = l.to_vec().iter().map(|v| hcl_str(v)).collect();
    if items.len() == 1 {
        format!("[{}]", items[0])
    } else {
        format!("[\n      {},\n    ]", items.join(",\n      "))
    }
}
