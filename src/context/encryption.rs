//! Which template resources are encrypted with a customer managed KMS key:
//! queues, topics, secrets, buckets, tables and streams. Reading such a
//! resource needs `kms:Decrypt` on that key as well (AWS managed keys such as
//! `alias/aws/sqs` need no grant in the role, so they are left out).
//! Keys are given as key ARNs, the form IAM authorizes `kms:Decrypt` on.

use std::collections::BTreeMap;

use serde::Serialize;

use super::resolve::{Resolver, text};
use super::tvalue::{Node, TValue};

/// The customer managed key that encrypts one resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KmsKey {
    /// `arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/...`.
    pub key_arn: String,
    /// Logical id of the encrypted resource.
    pub resource: String,
    /// Line of the property that names the key.
    pub line: usize,
}

/// Resource ARN (as `!GetAtt X.Arn` / `!Ref` would give it) -> its key.
pub fn customer_keys(r: &mut Resolver) -> BTreeMap<String, KmsKey> {
    let t = r.t;
    let mut out = BTreeMap::new();
    for id in &t.order {
        let Some(res) = t.resources.get(id) else {
            continue;
        };
        let p = &res.properties;
        let key_value: Option<&TValue> = match res.kind.as_str() {
            "AWS::SQS::Queue" | "AWS::SNS::Topic" => p.get("KmsMasterKeyId"),
            "AWS::SecretsManager::Secret" => p.get("KmsKeyId"),
            "AWS::Kinesis::Stream" => p.get("StreamEncryption").and_then(|e| e.get("KeyId")),
            "AWS::DynamoDB::Table" => p
                .get("SSESpecification")
                .and_then(|s| s.get("KMSMasterKeyId")),
            "AWS::S3::Bucket" => p
                .get("BucketEncryption")
                .and_then(|b| b.get("ServerSideEncryptionConfiguration"))
                .and_then(TValue::as_list)
                .and_then(|rules| {
                    rules.iter().find_map(|rule| {
                        rule.get("ServerSideEncryptionByDefault")
                            .and_then(|d| d.get("KMSMasterKeyID"))
                    })
                }),
            _ => None,
        };
        let Some(key_value) = key_value else {
            continue;
        };
        let Some(key_arn) = key_arn(r, key_value, 0) else {
            continue;
        };
        let key = KmsKey {
            key_arn,
            resource: id.clone(),
            line: key_value.line,
        };
        let mut arns = Vec::new();
        match res.kind.as_str() {
            "AWS::SNS::Topic" | "AWS::SecretsManager::Secret" => {
                if let Some(v) = r.reference(id, res.line).as_ref().and_then(text) {
                    arns.push(v);
                }
            }
            "AWS::DynamoDB::Table" => {
                arns.push(r.attribute(id, "Arn", res.line));
                arns.push(r.attribute(id, "StreamArn", res.line));
            }
            _ => arns.push(r.attribute(id, "Arn", res.line)),
        }
        for arn in arns {
            out.insert(arn, key.clone());
        }
    }
    out
}

/// A key given by id, ARN, `!Ref Key`, `!GetAtt Key.Arn` or alias, as a key
/// ARN; `None` for AWS managed keys and aliases the template does not define.
fn key_arn(r: &mut Resolver, v: &TValue, depth: usize) -> Option<String> {
    const PREFIX: &str = "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/";
    let t = r.t;
    if let Node::Ref(id) = &v.node
        && t.resources
            .get(id)
            .is_some_and(|k| k.kind == "AWS::KMS::Key")
    {
        return Some(format!("{PREFIX}${{{id}}}"));
    }
    let s = r.resolve(v).as_ref().and_then(text)?;
    let alias = if let Some((_, a)) = s.split_once(":alias/") {
        Some(format!("alias/{a}"))
    } else if s.starts_with("alias/") {
        Some(s.clone())
    } else {
        None
    };
    let Some(alias) = alias else {
        return Some(if s.starts_with("arn:") {
            s
        } else {
            format!("{PREFIX}{s}")
        });
    };
    if alias.starts_with("alias/aws/") {
        return None;
    }
    // One alias hop: an alias names a key, not another alias.
    for res in t.resources.values() {
        if res.kind != "AWS::KMS::Alias" || depth > 0 {
            continue;
        }
        let name = res
            .prop("AliasName")
            .and_then(|n| r.resolve(n))
            .as_ref()
            .and_then(text);
        if name.as_deref() == Some(alias.as_str())
            && let Some(target) = res.prop("TargetKeyId")
        {
            return key_arn(r, &target.clone(), depth + 1);
        }
    }
    r.warn(
        v.line,
        format!(
            "KMS alias `{alias}` is not defined in this template; the key behind it is unknown"
        ),
    );
    None
}
