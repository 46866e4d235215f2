//! Which template resources are encrypted with a customer managed KMS key:
//! queues, topics, secrets, buckets, tables and streams. Reading such a
//! resource needs `kms:Decrypt` on that key as well (AWS managed keys such as
//! `alias/aws/sqs` need no grant in the role, so they are left out).
//! Keys are given as key ARNs, the form IAM authorizes `kms:Decrypt` on.

use std::collections::BTreeMap;

use serde::Serialize;

use super::resolve::{Resolver, text};
use super::tvalue::{Node, TValue};
use crate::need::{NeedSet, Source};

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

/// Logical id -> key ARN of every `AWS::KMS::Key` the template defines.
pub fn defined_keys(r: &Resolver) -> BTreeMap<String, String> {
    r.t.resources
        .values()
        .filter(|res| res.kind == "AWS::KMS::Key")
        .map(|res| {
            (
                res.id.clone(),
                format!(
                    "arn:aws:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/${{{}}}",
                    res.id
                ),
            )
        })
        .collect()
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

/// KMS actions a data action needs when its resource is encrypted with a
/// customer managed key: (kms action, optional).
/// Secrets Manager: <https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html>;
/// S3: <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html>
/// (`Decrypt` for uploads only when they go multipart);
/// SQS: <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html>;
/// SNS: <https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html>;
/// Kinesis: <https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html>.
/// DynamoDB is absent: it uses grants of its own, callers need no KMS action.
fn kms_actions_for(action: &str) -> &'static [(&'static str, bool)] {
    const DECRYPT: &[(&str, bool)] = &[("kms:Decrypt", false)];
    const WRITE: &[(&str, bool)] = &[("kms:Decrypt", false), ("kms:GenerateDataKey", false)];
    match action {
        "secretsmanager:GetSecretValue"
        | "s3:GetObject"
        | "s3:GetObjectVersion"
        | "sqs:ReceiveMessage"
        | "kinesis:GetRecords" => DECRYPT,
        "secretsmanager:PutSecretValue"
        | "secretsmanager:UpdateSecret"
        | "sqs:SendMessage"
        | "sns:Publish" => WRITE,
        "s3:PutObject" => &[("kms:Decrypt", true), ("kms:GenerateDataKey", false)],
        "kinesis:PutRecord" | "kinesis:PutRecords" => &[("kms:GenerateDataKey", false)],
        _ => &[],
    }
}

impl super::Template {
    /// The KMS needs that `needs` bring with them because the resources they
    /// touch are encrypted with a customer managed key of this template: the
    /// secret `GetSecretValue` reads needs `kms:Decrypt` on its key, and so
    /// on. Each is scoped to the key's ARN and required unless only some
    /// uses need it (multipart uploads).
    pub fn encryption_needs(&self, needs: &NeedSet) -> NeedSet {
        let mut out = NeedSet::new();
        for need in needs.iter() {
            let kms = kms_actions_for(&need.action);
            if kms.is_empty() {
                continue;
            }
            for resource in &need.resources {
                let Some((arn, key)) = self.key_of(resource) else {
                    continue;
                };
                for (kms_action, optional) in kms {
                    out.add(
                        kms_action,
                        [key.key_arn.clone()],
                        need.optional || *optional,
                        Source::Platform {
                            reason: format!(
                                "{} on {arn} ({}) uses its customer managed KMS key",
                                need.action, key.resource
                            ),
                            file: Some(self.path.display().to_string()),
                            line: Some(key.line),
                        },
                    );
                }
            }
        }
        out
    }

    /// The key of the encrypted resource `resource` is, or is an object of.
    fn key_of(&self, resource: &str) -> Option<(&String, &KmsKey)> {
        if let Some(found) = self.kms_keys.get_key_value(resource) {
            return Some(found);
        }
        let bucket = resource
            .strip_prefix("arn:aws:s3:::")
            .and_then(|rest| rest.split_once('/'))
            .map(|(bucket, _)| format!("arn:aws:s3:::{bucket}"))?;
        self.kms_keys.get_key_value(&bucket)
    }
}
