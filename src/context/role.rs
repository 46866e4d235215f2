//! The current policy of a function's role as the template defines it: a SAM
//! function's `Policies` (documents, managed policies, SAM policy templates)
//! and what the SAM transform attaches by itself, or an explicit `Role`'s
//! `AWS::IAM::Role` with its inline and managed policies and the
//! `AWS::IAM::Policy` / `ManagedPolicy` / `RolePolicy` resources attached to
//! it. A policy that cannot be read is a warning, never silently dropped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::EventSourceKind;
use super::FunctionContext;
use super::resolve::{Resolver, referenced_resource, text};
use super::tvalue::{Node, TValue};
use crate::actionmap;
use crate::policy::current::{CurrentPolicy, SourcedPolicy};

const MANAGED_ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// Managed policies the SAM transform attaches to the role it creates.
/// <https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html>
const BASIC_EXECUTION: &str = "service-role/AWSLambdaBasicExecutionRole";
const XRAY_WRITE: &str = "AWSXrayWriteOnlyAccess";
const VPC_ACCESS: &str = "service-role/AWSLambdaVPCAccessExecutionRole";
const SQS_POLLER: &str = "service-role/AWSLambdaSQSQueueExecutionRole";
const KINESIS_POLLER: &str = "service-role/AWSLambdaKinesisExecutionRole";
const DYNAMODB_POLLER: &str = "service-role/AWSLambdaDynamoDBExecutionRole";
const MSK_POLLER: &str = "service-role/AWSLambdaMSKExecutionRole";

struct Reader<'r, 't> {
    r: &'r mut Resolver<'t>,
    cp: CurrentPolicy,
    /// ARNs already added, so a policy attached twice counts once.
    seen_managed: Vec<String>,
}

pub fn current_policy(
    r: &mut Resolver,
    f: &FunctionContext,
    props: &TValue,
    sam: bool,
) -> CurrentPolicy {
    let mut reader = Reader {
        r,
        cp: CurrentPolicy::default(),
        seen_managed: Vec::new(),
    };
    let id = f.logical_id.as_str();
    match props.entry("Role") {
        Some(role) => {
            if sam && let Some(p) = props.entry("Policies") {
                reader.warn(
                    p.line,
                    format!("`{id}` has a `Role`, so SAM ignores its `Policies`"),
                );
            }
            reader.explicit_role(id, &role.value, role.line)
        }
        None if sam => {
            let base = format!("{}#{id}", f.file);
            if let Some(p) = props.entry("Policies") {
                reader.sam_policies(&base, &p.value, p.line);
            }
            reader.sam_attached(&base, f);
            reader.connectors(id, props);
            if let Some(b) = props.entry("PermissionsBoundary") {
                let origin = format!("{base}/PermissionsBoundary");
                reader.boundary(&origin, &b.value, b.line);
            }
        }
        None => {
            let line = f.line;
            reader.warn(
                line,
                format!("`{id}` has no `Role`; its current policy is unknown"),
            );
        }
    }
    reader.cp
}

/// The `Version` SAM writes when a policy template's definition has none.
fn with_version(mut doc: Value) -> Value {
    if let Value::Object(m) = &mut doc
        && !m.contains_key("Version")
    {
        m.insert(
            "Version".to_string(),
            Value::String("2012-10-17".to_string()),
        );
    }
    doc
}

/// A SAM policy template's `Definition` with its parameters bound to the
/// values the function gives (`DynamoDBCrudPolicy: {TableName: !Ref T}`).
/// Missing parameters stay `${Name}` with a warning.
pub fn expand_policy_template(
    r: &mut Resolver,
    name: &str,
    template: &Value,
    args: &TValue,
    line: usize,
) -> Option<Value> {
    let mut names = BTreeMap::new();
    let declared: Vec<String> = template
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for p in &declared {
        let given = args.get(p).cloned();
        let value = match given {
            Some(v) => r.resolve(&v).unwrap_or(Value::Null),
            None => {
                r.warn(
                    line,
                    format!("SAM policy template `{name}` needs `{p}`; kept as ${{{p}}}"),
                );
                Value::String(format!("${{{p}}}"))
            }
        };
        names.insert(p.clone(), value);
    }
    for e in args.as_map().unwrap_or_default() {
        if !declared.contains(&e.key) {
            r.warn(
                e.line,
                format!("SAM policy template `{name}` has no parameter `{}`", e.key),
            );
        }
    }
    let definition = template.get("Definition")?;
    let definition = match TValue::from_json(definition, line) {
        Ok(d) => d,
        Err(e) => {
            r.warn(line, format!("SAM policy template `{name}`: {}", e.message));
            return None;
        }
    };
    r.resolve_with(&definition, names).map(with_version)
}

/// A managed policy document from the bundled table, whatever shape the
/// table stores it in (the document, or a wrapper holding it).
fn managed_document(name_or_arn: &str) -> Option<Value> {
    let v = actionmap::table().managed_policy(name_or_arn)?;
    if v.get("Statement").is_some() {
        return Some(v.clone());
    }
    ["Document", "document", "PolicyDocument"]
        .iter()
        .find_map(|k| v.get(*k))
        .cloned()
}

impl Reader<'_, '_> {
    fn warn(&mut self, line: usize, message: String) {
        // Origins start with `file#`; the warning already leads with the file.
        let message = message.replace(&format!("{}#", self.r.t.file), "");
        let w = if line == 0 {
            format!("{}: {message}", self.r.t.file)
        } else {
            format!("{}:{line}: {message}", self.r.t.file)
        };
        if !self.cp.warnings.contains(&w) {
            self.cp.warnings.push(w);
        }
    }

    fn push(&mut self, origin: String, line: usize, document: Value) {
        self.cp.documents.push(SourcedPolicy {
            origin,
            file: Some(self.r.t.file.clone()),
            line: (line > 0).then_some(line),
            document,
        });
    }

    fn document(&mut self, origin: String, v: &TValue, line: usize) {
        match self.r.resolve(v) {
            Some(doc @ Value::Object(_)) => self.push(origin, line, doc),
            // CloudFormation also takes a policy document as a JSON string.
            Some(Value::String(json))
                if serde_json::from_str::<Value>(&json).is_ok_and(|d| d.is_object()) =>
            {
                if let Ok(doc) = serde_json::from_str::<Value>(&json) {
                    self.push(origin, line, doc);
                }
            }
            Some(other) => {
                let kind = match other {
                    Value::Array(_) => "a list",
                    Value::String(_) => "text",
                    _ => "a scalar",
                };
                self.warn(
                    line,
                    format!("{origin}: a policy document should be a mapping, found {kind}"),
                );
            }
            None => {}
        }
    }

    /// A SAM `Policies` value: one item or a list of items.
    fn sam_policies(&mut self, base: &str, v: &TValue, line: usize) {
        match &v.node {
            Node::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.sam_policy_item(&format!("{base}/Policies[{i}]"), item);
                }
            }
            _ if v.get("Statement").is_some() => self.document(format!("{base}/Policies"), v, line),
            _ => self.sam_policy_item(&format!("{base}/Policies"), v),
        }
    }

    fn sam_policy_item(&mut self, origin: &str, item: &TValue) {
        let line = item.line;
        match &item.node {
            Node::Map(_) if item.get("Statement").is_some() => {
                self.document(origin.to_string(), item, line);
            }
            Node::Map(entries) if let [e] = entries.as_slice() => {
                self.policy_template(origin, &e.key, &e.value, e.line);
            }
            Node::Map(_) => self.warn(
                line,
                format!(
                    "{origin}: neither a policy document (no `Statement`) nor a SAM policy template"
                ),
            ),
            Node::If {
                condition,
                then,
                otherwise,
            } => match self.r.condition(condition, line) {
                Some(true) => self.sam_policy_item(origin, then),
                Some(false) => self.sam_policy_item(origin, otherwise),
                None => {
                    self.warn(
                        line,
                        format!("{origin}: condition `{condition}` cannot be decided; both branches read"),
                    );
                    self.sam_policy_item(&format!("{origin}/If[true]"), then);
                    self.sam_policy_item(&format!("{origin}/If[false]"), otherwise);
                }
            },
            Node::Ref(name) if name == "AWS::NoValue" => {}
            _ => self.managed(origin, item, line),
        }
    }

    fn policy_template(&mut self, origin: &str, name: &str, args: &TValue, line: usize) {
        let origin = format!("{origin}/{name}");
        let Some(template) = actionmap::table().sam_policy_template(name) else {
            self.warn(
                line,
                format!("{origin}: SAM policy template `{name}` is not in the bundled table; its grants are not counted"),
            );
            return;
        };
        let before = self.r.warnings.len();
        let doc = expand_policy_template(self.r, name, template, args, line);
        // Expansion warnings concern this policy: keep them with it too.
        let new: Vec<String> = self.r.warnings[before..].to_vec();
        for w in new {
            if !self.cp.warnings.contains(&w) {
                self.cp.warnings.push(w);
            }
        }
        match doc {
            Some(doc) => self.push(origin, line, doc),
            None => self.warn(
                line,
                format!("{origin}: SAM policy template `{name}` has no definition"),
            ),
        }
    }

    /// A managed policy by name, ARN, or `!Ref` to a template
    /// `AWS::IAM::ManagedPolicy`.
    fn managed(&mut self, origin: &str, v: &TValue, line: usize) {
        let t = self.r.t;
        if let Some(id) = referenced_resource(v)
            && t.resources
                .get(id)
                .is_some_and(|res| res.kind == "AWS::IAM::ManagedPolicy")
        {
            self.template_managed_policy(format!("{origin}/{id}"), id);
            return;
        }
        let Some(name) = self.r.resolve(v).as_ref().and_then(text) else {
            self.warn(
                line,
                format!("{origin}: a managed policy should be a name or an ARN"),
            );
            return;
        };
        // A customer managed policy defined in this template, named by ARN.
        let t = self.r.t;
        for (id, res) in &t.resources {
            if res.kind == "AWS::IAM::ManagedPolicy"
                && self
                    .r
                    .reference(id, line)
                    .as_ref()
                    .and_then(text)
                    .as_deref()
                    == Some(&name)
            {
                self.template_managed_policy(format!("{origin}/{id}"), id);
                return;
            }
        }
        self.aws_managed(&format!("{origin}/{name}"), &name, line);
    }

    fn template_managed_policy(&mut self, origin: String, id: &str) {
        let key = format!("template:{id}");
        if self.seen_managed.contains(&key) {
            return;
        }
        self.seen_managed.push(key);
        let t = self.r.t;
        let Some(res) = t.resources.get(id) else {
            return;
        };
        match res.properties.entry("PolicyDocument") {
            Some(d) => self.document(origin, &d.value, d.line),
            None => self.warn(
                res.line,
                format!("{origin}: managed policy has no `PolicyDocument`"),
            ),
        }
    }

    /// An AWS managed policy from the bundled table.
    fn aws_managed(&mut self, origin: &str, name_or_arn: &str, line: usize) {
        let arn = if name_or_arn.starts_with("arn:") {
            name_or_arn.to_string()
        } else {
            format!("{MANAGED_ARN_PREFIX}{name_or_arn}")
        };
        // SAM attaches by ARN, authors often write the bare name: one key.
        let key = match arn.strip_prefix(MANAGED_ARN_PREFIX) {
            Some(path) => path.rsplit('/').next().unwrap_or(path).to_string(),
            None => arn.clone(),
        };
        if self.seen_managed.contains(&key) {
            return;
        }
        self.seen_managed.push(key);
        let found = managed_document(&arn).or_else(|| managed_document(name_or_arn));
        match found {
            Some(doc) => self.push(origin.to_string(), line, doc),
            None if arn.starts_with(MANAGED_ARN_PREFIX) => self.warn(
                line,
                format!("{origin}: AWS managed policy `{name_or_arn}` is not in the bundled table; its grants are not counted"),
            ),
            None => self.warn(
                line,
                format!("{origin}: customer managed policy `{name_or_arn}` is defined outside this template; read the role from IAM to count it"),
            ),
        }
    }

    /// What the SAM transform attaches to the role it generates.
    fn sam_attached(&mut self, base: &str, f: &FunctionContext) {
        let mut attached: Vec<(&str, usize)> = vec![(BASIC_EXECUTION, f.line)];
        if f.tracing_active {
            attached.push((XRAY_WRITE, f.tracing_line.unwrap_or(f.line)));
        }
        if f.in_vpc {
            attached.push((VPC_ACCESS, f.vpc_line.unwrap_or(f.line)));
        }
        for e in f.event_sources.iter().filter(|e| e.sam_event) {
            let policy = match e.kind {
                EventSourceKind::Sqs => SQS_POLLER,
                EventSourceKind::Kinesis => KINESIS_POLLER,
                EventSourceKind::DynamoDb => DYNAMODB_POLLER,
                EventSourceKind::Msk => MSK_POLLER,
                _ => continue,
            };
            attached.push((policy, e.line));
        }
        for (name, line) in attached {
            let short = name.rsplit('/').next().unwrap_or(name);
            self.aws_managed(
                &format!("{base}/SAM:{short}"),
                &format!("{MANAGED_ARN_PREFIX}{name}"),
                line,
            );
        }
        if let Some(dlq) = &f.dead_letter {
            let action = if dlq.topic {
                "sns:Publish"
            } else {
                "sqs:SendMessage"
            };
            let doc = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": action, "Resource": dlq.target}],
            });
            self.push(format!("{base}/SAM:DeadLetterQueue"), dlq.line, doc);
        }
    }

    /// SAM connectors add policies to the function's role that depend on
    /// the connector's source and destination types; they are not expanded,
    /// so say so rather than under-count the current policy.
    fn connectors(&mut self, fn_id: &str, props: &TValue) {
        if let Some(c) = props.entry("Connectors") {
            self.warn(
                c.line,
                format!(
                    "`{fn_id}` has embedded `Connectors`; the permissions they grant are not read"
                ),
            );
        }
        let t = self.r.t;
        for res in t.resources.values() {
            if res.kind != "AWS::Serverless::Connector" {
                continue;
            }
            let source = res
                .prop("Source")
                .and_then(|s| s.get("Id"))
                .and_then(TValue::as_str);
            if source == Some(fn_id) {
                self.warn(
                    res.line,
                    format!(
                        "connector `{}` grants `{fn_id}` permissions that are not read",
                        res.id
                    ),
                );
            }
        }
    }

    fn boundary(&mut self, origin: &str, v: &TValue, line: usize) {
        let before = self.cp.documents.len();
        self.managed(origin, v, line);
        if self.cp.documents.len() > before {
            self.cp.boundary = self.cp.documents.pop();
        }
    }

    /// `Role:` on a function: an `AWS::IAM::Role` of this template (by
    /// `!GetAtt R.Arn`, `!Ref R`, or an ARN that names it) or a role outside
    /// the template, whose policies only IAM can tell.
    fn explicit_role(&mut self, fn_id: &str, v: &TValue, line: usize) {
        let t = self.r.t;
        let by_ref = referenced_resource(v)
            .filter(|id| {
                t.resources
                    .get(*id)
                    .is_some_and(|r| r.kind == "AWS::IAM::Role")
            })
            .map(str::to_string);
        let role_id = match by_ref {
            Some(id) => Some(id),
            None => {
                let arn = self
                    .r
                    .resolve(v)
                    .as_ref()
                    .and_then(text)
                    .unwrap_or_default();
                let name = arn.rsplit('/').next().unwrap_or_default().to_string();
                let mut found = None;
                for (id, res) in &t.resources {
                    if res.kind == "AWS::IAM::Role"
                        && self.r.physical_name(id, line).as_deref() == Some(name.as_str())
                    {
                        found = Some(id.clone());
                        break;
                    }
                }
                if found.is_none() {
                    self.warn(
                        line,
                        format!("`{fn_id}` uses role `{arn}` defined outside this template; read it from IAM to get its current policy"),
                    );
                }
                found
            }
        };
        if let Some(id) = role_id {
            self.role(&id);
        }
    }

    fn role(&mut self, role_id: &str) {
        let t = self.r.t;
        let Some(role) = t.resources.get(role_id) else {
            return;
        };
        let base = format!("{}#{role_id}", t.file);
        if let Some(p) = role.properties.get("Policies") {
            match p.as_list() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let name = item
                            .get("PolicyName")
                            .and_then(|n| self.r.resolve_text(n, "PolicyName"))
                            .unwrap_or_default();
                        let origin = if name.is_empty() {
                            format!("{base}/Policies[{i}]")
                        } else {
                            format!("{base}/Policies[{i}]/{name}")
                        };
                        match item.entry("PolicyDocument") {
                            Some(d) => self.document(origin, &d.value, d.line),
                            None => self.warn(item.line, format!("{origin}: no `PolicyDocument`")),
                        }
                    }
                }
                None => self.warn(
                    p.line,
                    format!("{base}/Policies: should be a list, found {}", p.kind()),
                ),
            }
        }
        if let Some(m) = role.properties.get("ManagedPolicyArns") {
            match m.as_list() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.managed(&format!("{base}/ManagedPolicyArns[{i}]"), item, item.line);
                    }
                }
                None => self.managed(&format!("{base}/ManagedPolicyArns"), m, m.line),
            }
        }
        if let Some(b) = role.properties.entry("PermissionsBoundary") {
            self.boundary(&format!("{base}/PermissionsBoundary"), &b.value, b.line);
        }
        let role_name = self.r.physical_name(role_id, role.line);
        for id in &t.role_policies {
            let Some(res) = t.resources.get(id) else {
                continue;
            };
            if !self.r.exists(id) {
                continue;
            }
            let attached = match res.kind.as_str() {
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => res
                    .prop("Roles")
                    .and_then(TValue::as_list)
                    .is_some_and(|roles| {
                        roles
                            .iter()
                            .any(|x| self.names_role(x, role_id, role_name.as_deref()))
                    }),
                "AWS::IAM::RolePolicy" => res
                    .prop("RoleName")
                    .is_some_and(|x| self.names_role(x, role_id, role_name.as_deref())),
                _ => false,
            };
            if !attached {
                continue;
            }
            if res.kind == "AWS::IAM::ManagedPolicy" {
                self.template_managed_policy(format!("{}#{id}", t.file), id);
                continue;
            }
            match res.properties.entry("PolicyDocument") {
                Some(d) => self.document(format!("{}#{id}", t.file), &d.value, d.line),
                None => self.warn(res.line, format!("{}#{id}: no `PolicyDocument`", t.file)),
            }
        }
    }

    fn names_role(&mut self, v: &TValue, role_id: &str, role_name: Option<&str>) -> bool {
        if let Node::Ref(id) = &v.node {
            return id == role_id;
        }
        match (self.r.resolve(v).as_ref().and_then(text), role_name) {
            (Some(s), Some(n)) => s == n,
            _ => false,
        }
    }
}
