//! Reading policies with locations: any JSON text (a policy document, the
//! output of `aws iam get-role-policy`, `get-policy-version` or
//! `get-account-authorization-details`) or a `CurrentPolicy` from a template
//! or IAM becomes validated statements that remember their origin, file,
//! line and JSON pointer, so the evaluator, the diff and `check` can point a
//! reader at the statement that grants or denies.
//!
//! Validation follows IAM's grammar for identity policies
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html>):
//! `Effect` is `Allow` or `Deny`, exactly one of `Action`/`NotAction` and of
//! `Resource`/`NotResource`, no `Principal`. Unknown fields are errors: a
//! typo such as `Actions` would otherwise change what the policy means.

use std::fmt;

use serde::Serialize;

use super::current::{CurrentPolicy, SourcedPolicy};
use super::document::{OneOrMany, PolicyDocument, Statement};
use super::json::{self, JsonValue, Kind, Pos};

/// Where a statement lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The policy's name: `inline:NAME`, a managed policy ARN, a file path.
    pub origin: String,
    pub file: Option<String>,
    /// 1-based line of the statement's `{`, when known.
    pub line: Option<usize>,
    /// JSON pointer of the statement in `file` (`/Statement/2`).
    pub pointer: String,
}

impl fmt::Display for Location {
    /// `policy.json:14 /Statement/2`, or `origin /Statement/2` without a file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}")?,
            (Some(file), None) => write!(f, "{file}")?,
            (None, _) => write!(f, "{}", self.origin)?,
        }
        if self.file.is_some() && self.file.as_deref() != Some(self.origin.as_str()) {
            write!(f, " ({})", self.origin)?;
        }
        write!(f, " {}", self.pointer)
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction`, `Resource` or `NotResource`: the patterns and
/// whether they are negated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternList {
    pub negated: bool,
    pub patterns: Vec<String>,
}

/// One validated statement with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedStatement {
    pub location: Location,
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: PatternList,
    pub resources: PatternList,
    /// The `Condition` block; a non-empty one makes a match conditional.
    pub condition: Option<serde_json::Value>,
}

impl ParsedStatement {
    pub fn has_condition(&self) -> bool {
        match &self.condition {
            Some(serde_json::Value::Object(m)) => !m.is_empty(),
            Some(serde_json::Value::Null) | None => false,
            Some(_) => true,
        }
    }

    /// Back to the document model, e.g. for printing.
    pub fn to_statement(&self) -> Statement {
        let list = |p: &PatternList| Some(OneOrMany::from_vec(p.patterns.clone()));
        Statement {
            sid: self.sid.clone(),
            effect: match self.effect {
                Effect::Allow => "Allow".into(),
                Effect::Deny => "Deny".into(),
            },
            action: if self.actions.negated {
                None
            } else {
                list(&self.actions)
            },
            not_action: if self.actions.negated {
                list(&self.actions)
            } else {
                None
            },
            resource: if self.resources.negated {
                None
            } else {
                list(&self.resources)
            },
            not_resource: if self.resources.negated {
                list(&self.resources)
            } else {
                None
            },
            condition: self.condition.clone(),
        }
    }
}

/// One policy document's statements.
#[derive(Clone, Debug)]
pub struct ParsedPolicy {
    pub origin: String,
    pub file: Option<String>,
    pub statements: Vec<ParsedStatement>,
}

/// The identity policies of a role and its permission boundary.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    pub identity: Vec<ParsedPolicy>,
    pub boundary: Option<ParsedPolicy>,
    /// Policies named but not read (an unknown managed policy).
    pub warnings: Vec<String>,
}

impl PolicySet {
    pub fn identity_statements(&self) -> impl Iterator<Item = &ParsedStatement> {
        self.identity.iter().flat_map(|p| p.statements.iter())
    }
}

/// A bad policy: where and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON.
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not a valid policy; `field` is the path (`Statement[2].Effect`).
    #[error("{file}:{line}: {field} {message}")]
    Invalid {
        file: String,
        line: usize,
        field: String,
        message: String,
    },
    /// The document as a whole is not something we read.
    #[error("{file}: {message}")]
    Shape { file: String, message: String },
}

/// How strictly to read a document.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseOptions {
    /// Accept CloudFormation intrinsics (`{"Ref": X}`, `{"Fn::Sub": S}`,
    /// `{"Fn::GetAtt": [A, B]}`) where IAM wants a string, as `${...}`
    /// placeholders: for documents that come from a template.
    pub intrinsics: bool,
}

struct Ctx<'a> {
    file: &'a str,
    origin: &'a str,
    opts: ParseOptions,
}

impl Ctx<'_> {
    fn invalid(&self, pos: Pos, field: &str, message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid {
            file: self.file.to_string(),
            line: pos.line,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Parses the JSON text of `file`. `role` picks the role in a
/// `get-account-authorization-details` dump (name or ARN); it may be omitted
/// when the dump holds one role.
pub fn parse_policy_text(
    text: &str,
    file: &str,
    role: Option<&str>,
) -> Result<PolicySet, PolicyError> {
    let root = json::parse(text).map_err(|e| PolicyError::Json {
        file: file.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let ctx = Ctx {
        file,
        origin: file,
        opts: ParseOptions::default(),
    };
    if root.get("RoleDetailList").is_some() {
        return account_details(&root, file, role);
    }
    if let Some(doc) = root.get("PolicyDocument") {
        // `aws iam get-role-policy`
        let name = root
            .get("PolicyName")
            .and_then(JsonValue::as_str)
            .unwrap_or(file);
        let origin = format!("inline:{name}");
        let p = document_value(
            doc,
            &Ctx {
                origin: &origin,
                ..ctx
            },
            "PolicyDocument",
            "/PolicyDocument",
        )?;
        return Ok(PolicySet {
            identity: vec![p],
            ..Default::default()
        });
    }
    if let Some(doc) = root.get("PolicyVersion").and_then(|v| v.get("Document")) {
        // `aws iam get-policy-version`
        let p = document_value(
            doc,
            &ctx,
            "PolicyVersion.Document",
            "/PolicyVersion/Document",
        )?;
        return Ok(PolicySet {
            identity: vec![p],
            ..Default::default()
        });
    }
    if root.get("Statement").is_some() {
        let p = parse_document(&root, file, file, "", ParseOptions::default())?;
        return Ok(PolicySet {
            identity: vec![p],
            ..Default::default()
        });
    }
    Err(PolicyError::Shape {
        file: file.to_string(),
        message:
            "not a policy document (no \"Statement\"), nor get-role-policy, get-policy-version \
or get-account-authorization-details output"
                .into(),
    })
}

/// Reads and parses a policy file (see `parse_policy_text`); the error names
/// the file when it cannot be read.
pub fn read_policy_file(path: &std::path::Path, role: Option<&str>) -> anyhow::Result<PolicySet> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))?;
    Ok(parse_policy_text(&text, &file, role)?)
}

/// Reads a `CurrentPolicy` (from a template or IAM). Statements get the
/// document's line, when known, since the values carry no finer positions.
pub fn parse_current(
    current: &CurrentPolicy,
    opts: ParseOptions,
) -> Result<PolicySet, PolicyError> {
    let read = |sp: &SourcedPolicy| -> Result<ParsedPolicy, PolicyError> {
        let file = sp.file.clone().unwrap_or_else(|| sp.origin.clone());
        let pos = Pos {
            line: sp.line.unwrap_or(0),
            column: 0,
        };
        let value = JsonValue::from_serde(&sp.document, pos);
        let ctx = Ctx {
            file: &file,
            origin: &sp.origin,
            opts,
        };
        let mut p = document_value(&value, &ctx, "PolicyDocument", "")?;
        p.file = sp.file.clone();
        for st in &mut p.statements {
            st.location.file = sp.file.clone();
        }
        Ok(p)
    };
    Ok(PolicySet {
        identity: current
            .documents
            .iter()
            .map(read)
            .collect::<Result<_, _>>()?,
        boundary: current.boundary.as_ref().map(read).transpose()?,
        warnings: current.warnings.clone(),
    })
}

/// A document that is either an object or (as IAM's API returns it) a
/// URL-encoded JSON string.
fn document_value(
    v: &JsonValue,
    ctx: &Ctx,
    field: &str,
    pointer: &str,
) -> Result<ParsedPolicy, PolicyError> {
    match &v.kind {
        Kind::Object(_) => parse_document_ctx(v, ctx, field, pointer),
        Kind::String(s) => {
            let decoded = percent_decode(s);
            let inner = json::parse(&decoded).map_err(|e| {
                ctx.invalid(
                    v.pos,
                    field,
                    format!(
                        "is a URL-encoded document that is not valid JSON ({}:{}: {})",
                        e.line, e.column, e.message
                    ),
                )
            })?;
            // Positions inside the decoded string mean nothing in the file:
            // every statement points at the string.
            let inner = JsonValue::from_serde(&inner.to_serde(), v.pos);
            parse_document_ctx(&inner, ctx, field, pointer)
        }
        _ => Err(ctx.invalid(
            v.pos,
            field,
            format!("must be a policy document object, found {}", v.type_name()),
        )),
    }
}

/// Validates one policy document value. `pointer` is the document's JSON
/// pointer in its file (`""` for a whole-file document).
pub fn parse_document(
    v: &JsonValue,
    origin: &str,
    file: &str,
    pointer: &str,
    opts: ParseOptions,
) -> Result<ParsedPolicy, PolicyError> {
    let ctx = Ctx { file, origin, opts };
    parse_document_ctx(v, &ctx, "", pointer)
}

/// Reads a `PolicyDocument` built in code (the suggested policy), so the
/// evaluator can check it.
pub fn parse_model(doc: &PolicyDocument, origin: &str) -> Result<ParsedPolicy, PolicyError> {
    let value = serde_json::to_value(doc).map_err(|e| PolicyError::Shape {
        file: origin.to_string(),
        message: e.to_string(),
    })?;
    let v = JsonValue::from_serde(&value, Pos::default());
    let mut p = parse_document(&v, origin, origin, "", ParseOptions::default())?;
    p.file = None;
    for st in &mut p.statements {
        st.location.file = None;
        st.location.line = None;
    }
    Ok(p)
}

fn join_field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn parse_document_ctx(
    v: &JsonValue,
    ctx: &Ctx,
    field: &str,
    pointer: &str,
) -> Result<ParsedPolicy, PolicyError> {
    let Some(members) = v.as_object() else {
        let name = if field.is_empty() {
            "policy document"
        } else {
            field
        };
        return Err(ctx.invalid(
            v.pos,
            name,
            format!("must be an object, found {}", v.type_name()),
        ));
    };
    let mut statement_value = None;
    for (i, (k, val)) in members.iter().enumerate() {
        if members[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(ctx.invalid(val.pos, &join_field(field, k), "appears twice"));
        }
        match k.as_str() {
            "Version" => match val.as_str() {
                Some("2012-10-17" | "2008-10-17") => {}
                _ => {
                    return Err(ctx.invalid(
                        val.pos,
                        &join_field(field, "Version"),
                        "must be \"2012-10-17\" or \"2008-10-17\"",
                    ));
                }
            },
            "Id" => {}
            "Statement" => statement_value = Some(val),
            other => {
                return Err(ctx.invalid(
                    val.pos,
                    &join_field(field, other),
                    "is not a policy document field (Version, Id, Statement)",
                ));
            }
        }
    }
    let Some(st) = statement_value else {
        let name = if field.is_empty() {
            "policy document"
        } else {
            field
        };
        return Err(ctx.invalid(v.pos, name, "has no \"Statement\""));
    };
    let st_field = join_field(field, "Statement");
    let st_pointer = format!("{pointer}/Statement");
    let statements = match &st.kind {
        Kind::Object(_) => vec![parse_statement(st, ctx, &st_field, &st_pointer)?],
        Kind::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_statement(
                    s,
                    ctx,
                    &format!("{st_field}[{i}]"),
                    &format!("{st_pointer}/{i}"),
                )
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ctx.invalid(
                st.pos,
                &st_field,
                format!("must be an object or an array, found {}", st.type_name()),
            ));
        }
    };
    Ok(ParsedPolicy {
        origin: ctx.origin.to_string(),
        file: Some(ctx.file.to_string()),
        statements,
    })
}

fn parse_statement(
    v: &JsonValue,
    ctx: &Ctx,
    field: &str,
    pointer: &str,
) -> Result<ParsedStatement, PolicyError> {
    let Some(members) = v.as_object() else {
        return Err(ctx.invalid(
            v.pos,
            field,
            format!("must be an object, found {}", v.type_name()),
        ));
    };
    let mut sid = None;
    let mut effect = None;
    let mut action: Option<PatternList> = None;
    let mut resource: Option<PatternList> = None;
    let mut condition = None;
    for (i, (k, val)) in members.iter().enumerate() {
        let f = format!("{field}.{k}");
        if members[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(ctx.invalid(val.pos, &f, "appears twice"));
        }
        match k.as_str() {
            "Sid" => match val.as_str() {
                Some(s) => sid = Some(s.to_string()),
                None => {
                    return Err(ctx.invalid(
                        val.pos,
                        &f,
                        format!("must be a string, found {}", val.type_name()),
                    ));
                }
            },
            "Effect" => match val.as_str() {
                Some("Allow") => effect = Some(Effect::Allow),
                Some("Deny") => effect = Some(Effect::Deny),
                _ => return Err(ctx.invalid(val.pos, &f, "must be \"Allow\" or \"Deny\"")),
            },
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(ctx.invalid(
                        val.pos,
                        &f,
                        "cannot be used together with Action/NotAction",
                    ));
                }
                let patterns = string_list(val, ctx, &f)?;
                for (j, p) in patterns.iter().enumerate() {
                    if !is_action_pattern(p) {
                        let pf = if matches!(val.kind, Kind::Array(_)) {
                            format!("{f}[{j}]")
                        } else {
                            f.clone()
                        };
                        return Err(ctx.invalid(
                            val.pos,
                            &pf,
                            format!("{p:?} is not an action (service:Name or \"*\")"),
                        ));
                    }
                }
                action = Some(PatternList {
                    negated: k == "NotAction",
                    patterns,
                });
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(ctx.invalid(
                        val.pos,
                        &f,
                        "cannot be used together with Resource/NotResource",
                    ));
                }
                resource = Some(PatternList {
                    negated: k == "NotResource",
                    patterns: string_list(val, ctx, &f)?,
                });
            }
            "Condition" => match &val.kind {
                Kind::Object(_) => condition = Some(val.to_serde()),
                _ => {
                    return Err(ctx.invalid(
                        val.pos,
                        &f,
                        format!("must be an object, found {}", val.type_name()),
                    ));
                }
            },
            "Principal" | "NotPrincipal" => {
                return Err(ctx.invalid(
                    val.pos,
                    &f,
                    "is not allowed in an identity policy (this looks like a resource or trust policy)",
                ));
            }
            _ => {
                return Err(ctx.invalid(
                    val.pos,
                    &f,
                    "is not a statement field (Sid, Effect, Action, NotAction, Resource, NotResource, Condition)",
                ));
            }
        }
    }
    let Some(effect) = effect else {
        return Err(ctx.invalid(v.pos, &format!("{field}.Effect"), "is missing"));
    };
    let Some(actions) = action else {
        return Err(ctx.invalid(
            v.pos,
            &format!("{field}.Action"),
            "is missing (Action or NotAction)",
        ));
    };
    let Some(resources) = resource else {
        return Err(ctx.invalid(
            v.pos,
            &format!("{field}.Resource"),
            "is missing (Resource or NotResource)",
        ));
    };
    Ok(ParsedStatement {
        location: Location {
            origin: ctx.origin.to_string(),
            file: Some(ctx.file.to_string()),
            line: (v.pos.line > 0).then_some(v.pos.line),
            pointer: pointer.to_string(),
        },
        sid,
        effect,
        actions,
        resources,
        condition,
    })
}

/// `*`, or `service:pattern` with a non-empty service of letters, digits and
/// dashes. Wildcards may appear in the name part.
fn is_action_pattern(p: &str) -> bool {
    if p == "*" {
        return true;
    }
    match p.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
                && !name.is_empty()
                && !name.contains(':')
                && !name.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

fn string_list(v: &JsonValue, ctx: &Ctx, field: &str) -> Result<Vec<String>, PolicyError> {
    match &v.kind {
        Kind::Array(items) => {
            if items.is_empty() {
                return Err(ctx.invalid(v.pos, field, "must not be an empty list"));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, x)| string_value(x, ctx, &format!("{field}[{i}]")))
                .collect()
        }
        _ => Ok(vec![string_value(v, ctx, field)?]),
    }
}

fn string_value(v: &JsonValue, ctx: &Ctx, field: &str) -> Result<String, PolicyError> {
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    if ctx.opts.intrinsics
        && let Some(s) = intrinsic_placeholder(v)
    {
        return Ok(s);
    }
    Err(ctx.invalid(
        v.pos,
        field,
        format!("must be a string, found {}", v.type_name()),
    ))
}

/// `{"Ref": "X"}` -> `${X}`, `{"Fn::Sub": "s"}` -> `s`, `{"Fn::GetAtt": ["A","B"]}`
/// -> `${A.B}`: the placeholders the scanner also writes.
fn intrinsic_placeholder(v: &JsonValue) -> Option<String> {
    let members = v.as_object()?;
    let [(k, x)] = members else { return None };
    match k.as_str() {
        "Ref" => x.as_str().map(|s| format!("${{{s}}}")),
        "Fn::Sub" => match &x.kind {
            Kind::String(s) => Some(s.clone()),
            Kind::Array(a) => a.first().and_then(JsonValue::as_str).map(str::to_string),
            _ => None,
        },
        "Fn::GetAtt" => match &x.kind {
            Kind::String(s) => Some(format!("${{{s}}}")),
            Kind::Array(a) => {
                let parts: Option<Vec<&str>> = a.iter().map(JsonValue::as_str).collect();
                parts.map(|p| format!("${{{}}}", p.join(".")))
            }
            _ => None,
        },
        _ => None,
    }
}

/// RFC 3986 percent-decoding, as IAM encodes policy documents in its API
/// answers. `+` stays `+`: IAM does not form-encode. Invalid escapes are
/// kept as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn account_details(
    root: &JsonValue,
    file: &str,
    role: Option<&str>,
) -> Result<PolicySet, PolicyError> {
    let shape = |message: String| PolicyError::Shape {
        file: file.to_string(),
        message,
    };
    let roles = root
        .get("RoleDetailList")
        .and_then(JsonValue::as_array)
        .ok_or_else(|| shape("RoleDetailList must be an array".into()))?;
    let name_of = |r: &JsonValue| {
        r.get("RoleName")
            .and_then(JsonValue::as_str)
            .unwrap_or("")
            .to_string()
    };
    let arn_of = |r: &JsonValue| {
        r.get("Arn")
            .and_then(JsonValue::as_str)
            .unwrap_or("")
            .to_string()
    };
    let names: Vec<String> = roles.iter().map(name_of).collect();
    let picked = match role {
        Some(want) => {
            let want_name = want.rsplit('/').next().unwrap_or(want);
            roles
                .iter()
                .enumerate()
                .find(|(_, r)| arn_of(r) == want || name_of(r) == want_name)
                .ok_or_else(|| {
                    shape(format!(
                        "no role {want:?} in RoleDetailList (roles: {})",
                        names.join(", ")
                    ))
                })?
        }
        None if roles.len() == 1 => (0, &roles[0]),
        None => {
            return Err(shape(format!(
                "RoleDetailList has {} roles; pick one with --role (roles: {})",
                roles.len(),
                names.join(", ")
            )));
        }
    };
    let (ri, r) = picked;
    let role_field = format!("RoleDetailList[{ri}]");
    let role_pointer = format!("/RoleDetailList/{ri}");
    let mut set = PolicySet::default();

    if let Some(inline) = r.get("RolePolicyList").and_then(JsonValue::as_array) {
        for (i, p) in inline.iter().enumerate() {
            let name = p
                .get("PolicyName")
                .and_then(JsonValue::as_str)
                .unwrap_or("?");
            let origin = format!("inline:{name}");
            let ctx = Ctx {
                file,
                origin: &origin,
                opts: ParseOptions::default(),
            };
            let doc = p.get("PolicyDocument").ok_or_else(|| {
                ctx.invalid(
                    p.pos,
                    &format!("{role_field}.RolePolicyList[{i}].PolicyDocument"),
                    "is missing",
                )
            })?;
            set.identity.push(document_value(
                doc,
                &ctx,
                &format!("{role_field}.RolePolicyList[{i}].PolicyDocument"),
                &format!("{role_pointer}/RolePolicyList/{i}/PolicyDocument"),
            )?);
        }
    }
    let managed: Vec<String> = r
        .get("AttachedManagedPolicies")
        .and_then(JsonValue::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| {
            m.get("PolicyArn")
                .and_then(JsonValue::as_str)
                .map(str::to_string)
        })
        .collect();
    for arn in managed {
        match managed_document(root, file, &arn)? {
            Some(p) => set.identity.push(p),
            None => set
                .warnings
                .push(format!("{file}: managed policy {arn} is attached but its document is not in the file nor in the bundled table: not evaluated")),
        }
    }
    if let Some(arn) = r
        .get("PermissionsBoundary")
        .and_then(|b| b.get("PermissionsBoundaryArn"))
        .and_then(JsonValue::as_str)
    {
        match managed_document(root, file, arn)? {
            Some(p) => set.boundary = Some(p),
            None => {
                // An unreadable boundary could only narrow; evaluating without it
                // would overstate what the role can do, so say so.
                set.warnings.push(format!(
                    "{file}: permission boundary {arn} is not in the file: evaluated without it"
                ));
            }
        }
    }
    Ok(set)
}

/// The default version of managed policy `arn` from the dump's `Policies`,
/// else from the bundled AWS managed policies.
fn managed_document(
    root: &JsonValue,
    file: &str,
    arn: &str,
) -> Result<Option<ParsedPolicy>, PolicyError> {
    let policies = root
        .get("Policies")
        .and_then(JsonValue::as_array)
        .unwrap_or(&[]);
    for (pi, p) in policies.iter().enumerate() {
        if p.get("Arn").and_then(JsonValue::as_str) != Some(arn) {
            continue;
        }
        let versions = p
            .get("PolicyVersionList")
            .and_then(JsonValue::as_array)
            .unwrap_or(&[]);
        let default_id = p.get("DefaultVersionId").and_then(JsonValue::as_str);
        let found = versions.iter().enumerate().find(|(_, v)| {
            matches!(
                v.get("IsDefaultVersion").map(|x| &x.kind),
                Some(Kind::Bool(true))
            ) || (default_id.is_some()
                && v.get("VersionId").and_then(JsonValue::as_str) == default_id)
        });
        let ctx = Ctx {
            file,
            origin: arn,
            opts: ParseOptions::default(),
        };
        let Some((vi, v)) = found else {
            return Err(ctx.invalid(
                p.pos,
                &format!("Policies[{pi}].PolicyVersionList"),
                "has no default version",
            ));
        };
        let field = format!("Policies[{pi}].PolicyVersionList[{vi}].Document");
        let doc = v
            .get("Document")
            .ok_or_else(|| ctx.invalid(v.pos, &field, "is missing"))?;
        return document_value(
            doc,
            &ctx,
            &field,
            &format!("/Policies/{pi}/PolicyVersionList/{vi}/Document"),
        )
        .map(Some);
    }
    if let Some(doc) = crate::actionmap::table().managed_policy(arn) {
        let v = JsonValue::from_serde(doc, Pos::default());
        let ctx = Ctx {
            file: arn,
            origin: arn,
            opts: ParseOptions::default(),
        };
        let mut p = document_value(&v, &ctx, "", "")?;
        p.file = None;
        for st in &mut p.statements {
            st.location.file = None;
            st.location.line = None;
        }
        return Ok(Some(p));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse_policy_text(text, "policy.json", None)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn statement_lines_and_pointers() {
        let text = "{\n \"Version\": \"2012-10-17\",\n \"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n  {\"Effect\": \"Deny\", \"NotAction\": [\"iam:*\"], \"NotResource\": \"arn:aws:s3:::b\"}\n ]\n}";
        let set = parse_policy_text(text, "policy.json", None).unwrap();
        let st = &set.identity[0].statements;
        assert_eq!(st[0].location.line, Some(4));
        assert_eq!(st[1].location.line, Some(5));
        assert_eq!(st[1].location.pointer, "/Statement/1");
        assert!(st[1].actions.negated && st[1].resources.negated);
        assert_eq!(st[1].to_statement().effect, "Deny");
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let e = err(
            "{\"Statement\": [\n{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n{\"Effect\":\"Permit\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        );
        assert_eq!(
            e,
            "policy.json:3: Statement[1].Effect must be \"Allow\" or \"Deny\""
        );
        let e = err("{\"Statement\": {\"Effect\":\"Allow\",\"Actions\":\"*\",\"Resource\":\"*\"}}");
        assert!(
            e.starts_with("policy.json:1: Statement.Actions is not a statement field"),
            "{e}"
        );
        let e = err(
            "{\"Statement\": [{\"Effect\":\"Allow\",\"Action\":[\"s3:Get*\", 5],\"Resource\":\"*\"}]}",
        );
        assert!(e.contains("Statement[0].Action[1] must be a string"), "{e}");
        let e = err("{\n\"Statement\": [1,");
        assert!(e.starts_with("policy.json:2:"), "{e}");
        assert!(e.contains("invalid JSON"), "{e}");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%7B%22a%22%3A1%7D+%zz%"), "{\"a\":1}+%zz%");
    }
}
