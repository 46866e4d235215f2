//! Reading a role's policies from IAM: its inline policies, the default
//! version of each attached managed policy, and its permission boundary,
//! as parsed JSON documents.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::Client;

use super::error::{AwsError, Call, classify};

/// A role and every policy that shapes what it may do, as IAM stores them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    /// Inline policies `(policy name, document)`, sorted by name.
    pub inline: Vec<(String, serde_json::Value)>,
    /// Attached managed policies `(policy ARN, default version's document)`,
    /// sorted by ARN.
    pub attached: Vec<(String, serde_json::Value)>,
    /// Permission boundary `(policy ARN, default version's document)`.
    pub boundary: Option<(String, serde_json::Value)>,
}

/// Reads roles and their policies. The SDK implementation is `AwsClients`;
/// tests substitute their own.
pub trait IamSource {
    /// The role named `name_or_arn` (a role name, or a role ARN with or
    /// without a path) with all its policy documents.
    fn role(&self, name_or_arn: &str) -> Result<RoleInfo, AwsError>;
}

/// The role name IAM's `RoleName` parameter wants: the last path segment of
/// a role ARN (`arn:aws:iam::123456789012:role/service-role/app` is `app`),
/// the role of an assumed-role session ARN as CloudTrail shows it
/// (`arn:aws:sts::123456789012:assumed-role/app/session` is `app`), or the
/// input itself when it is already a name.
pub fn role_name(name_or_arn: &str) -> &str {
    let Some(rest) = name_or_arn.strip_prefix("arn:") else {
        return name_or_arn;
    };
    if let Some((_, path_and_name)) = rest.split_once(":role/") {
        return path_and_name.rsplit('/').next().unwrap_or(path_and_name);
    }
    if let Some((_, role_and_session)) = rest.split_once(":assumed-role/") {
        return role_and_session
            .split('/')
            .next()
            .unwrap_or(role_and_session);
    }
    name_or_arn
}

/// Parses a policy document as IAM returns it. IAM URL-encodes documents
/// (RFC 3986) in GetRolePolicy and GetPolicyVersion
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html>),
/// but emulators do not always, so plain JSON is accepted too.
pub fn parse_policy_document(text: &str, origin: &str) -> Result<serde_json::Value, AwsError> {
    let trimmed = text.trim_start();
    let decoded;
    let json = if trimmed.starts_with('{') {
        trimmed
    } else {
        decoded = percent_decode(trimmed).map_err(|reason| AwsError::BadDocument {
            origin: origin.to_string(),
            reason,
        })?;
        decoded.as_str()
    };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| AwsError::BadDocument {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
    if !value.is_object() {
        return Err(AwsError::BadDocument {
            origin: origin.to_string(),
            reason: "expected a JSON object".to_string(),
        });
    }
    Ok(value)
}

/// RFC 3986 percent-decoding. `+` stays `+`: IAM encodes spaces as `%20`.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-decoded text is not UTF-8".to_string())
}

/// Fetches everything `RoleInfo` holds with the SDK, paginating every list.
pub(crate) async fn fetch_role(client: &Client, name_or_arn: &str) -> Result<RoleInfo, AwsError> {
    let name = role_name(name_or_arn);
    let call = Call::about("iam:GetRole", "role", name);
    let out = client
        .get_role()
        .role_name(name)
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    let role = out.role().ok_or_else(|| AwsError::MissingField {
        call: "iam:GetRole".to_string(),
        field: "Role",
    })?;
    let boundary_arn = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    let mut info = RoleInfo {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        ..RoleInfo::default()
    };

    let call = Call::about("iam:ListRolePolicies", "role", name);
    let names: Vec<String> = client
        .list_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(e, &call))?;
    let call = Call::about("iam:ListAttachedRolePolicies", "role", name);
    let attached = client
        .list_attached_role_policies()
        .role_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify(e, &call))?;
    let mut arns = Vec::with_capacity(attached.len());
    for policy in &attached {
        let arn = policy.policy_arn().ok_or_else(|| AwsError::MissingField {
            call: "iam:ListAttachedRolePolicies".to_string(),
            field: "PolicyArn",
        })?;
        arns.push(arn.to_string());
    }
    let mut wanted: BTreeSet<Document> = names.into_iter().map(Document::Inline).collect();
    wanted.extend(arns.iter().cloned().map(Document::Managed));
    wanted.extend(boundary_arn.iter().cloned().map(Document::Managed));
    let mut documents = fetch_documents(client, name, wanted).await?;
    for (document, value) in &documents {
        match document {
            Document::Inline(policy_name) => info.inline.push((policy_name.clone(), value.clone())),
            Document::Managed(arn) if arns.contains(arn) => {
                info.attached.push((arn.clone(), value.clone()))
            }
            Document::Managed(_) => {}
        }
    }
    if let Some(arn) = boundary_arn
        && let Some(value) = documents.remove(&Document::Managed(arn.clone()))
    {
        info.boundary = Some((arn, value));
    }
    Ok(info)
}

/// How many policy documents are fetched at once: a role with dozens of
/// policies reads in a few round trips, while staying well under IAM's
/// request rate quotas.
const CONCURRENT_REQUESTS: usize = 8;

/// One policy document a role refers to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Document {
    Inline(String),
    Managed(String),
}

/// Fetches `wanted` concurrently. Every request runs to its end, and the
/// error reported is the first in sorted order, so which one the user sees
/// does not depend on which request happened to finish first.
async fn fetch_documents(
    client: &Client,
    role: &str,
    wanted: BTreeSet<Document>,
) -> Result<BTreeMap<Document, serde_json::Value>, AwsError> {
    let mut pending = wanted.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut results = BTreeMap::new();
    loop {
        while running.len() < CONCURRENT_REQUESTS {
            let Some(document) = pending.next() else {
                break;
            };
            let client = client.clone();
            let role = role.to_string();
            running.spawn(async move {
                let result = match &document {
                    Document::Inline(policy_name) => {
                        fetch_inline_policy(&client, &role, policy_name).await
                    }
                    Document::Managed(arn) => fetch_managed_policy(&client, arn).await,
                };
                (document, result)
            });
        }
        match running.join_next().await {
            None => break,
            Some(Ok((document, result))) => {
                results.insert(document, result);
            }
            Some(Err(failed)) => {
                return Err(AwsError::Other {
                    call: format!("reading the policies of role `{role}`"),
                    detail: failed.to_string(),
                });
            }
        }
    }
    let mut documents = BTreeMap::new();
    for (document, result) in results {
        documents.insert(document, result?);
    }
    Ok(documents)
}

async fn fetch_inline_policy(
    client: &Client,
    role: &str,
    policy_name: &str,
) -> Result<serde_json::Value, AwsError> {
    let call = Call::about("iam:GetRolePolicy", "inline policy", policy_name);
    let out = client
        .get_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    parse_policy_document(out.policy_document(), &format!("inline:{policy_name}"))
}

/// The document of a managed policy's default version: GetPolicy names the
/// version, GetPolicyVersion returns it.
async fn fetch_managed_policy(client: &Client, arn: &str) -> Result<serde_json::Value, AwsError> {
    let call = Call::about("iam:GetPolicy", "managed policy", arn);
    let out = client
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    let version = out
        .policy()
        .and_then(|p| p.default_version_id())
        .ok_or_else(|| AwsError::MissingField {
            call: format!("iam:GetPolicy on `{arn}`"),
            field: "DefaultVersionId",
        })?;
    let call = Call::about("iam:GetPolicyVersion", "managed policy", arn);
    let out = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| classify(e, &call))?;
    let text = out
        .policy_version()
        .and_then(|v| v.document())
        .ok_or_else(|| AwsError::MissingField {
            call: format!("iam:GetPolicyVersion on `{arn}` {version}"),
            field: "Document",
        })?;
    parse_policy_document(text, arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_name_from_name_or_arn() {
        assert_eq!(role_name("app"), "app");
        assert_eq!(role_name("arn:aws:iam::123456789012:role/app"), "app");
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/service-role/team/app"),
            "app"
        );
        assert_eq!(role_name("arn:aws-cn:iam::123456789012:role/x"), "x");
        assert_eq!(
            role_name("arn:aws:sts::123456789012:assumed-role/app/orders-api"),
            "app"
        );
        assert_eq!(
            role_name("arn:aws:iam::123456789012:user/u"),
            "arn:aws:iam::123456789012:user/u"
        );
    }

    #[test]
    fn documents_decode_both_ways() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a b"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%20b%22%7D%5D%7D";
        let a = parse_policy_document(plain, "inline:p").expect("plain");
        let b = parse_policy_document(encoded, "inline:p").expect("encoded");
        assert_eq!(a, b);
        assert_eq!(a["Statement"][0]["Resource"], "arn:aws:s3:::b/a b");
    }

    #[test]
    fn bad_documents_name_their_origin() {
        let e = parse_policy_document("%7B%2", "inline:broken").unwrap_err();
        assert!(e.to_string().contains("`inline:broken`"), "{e}");
        let e = parse_policy_document("{\"Version\":", "arn:aws:iam::aws:policy/X").unwrap_err();
        assert!(e.to_string().contains("arn:aws:iam::aws:policy/X"), "{e}");
        let e = parse_policy_document("%5B%5D", "inline:list").unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
    }
}
