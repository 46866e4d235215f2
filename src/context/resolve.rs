//! Evaluation of intrinsic functions to plain JSON values, the way
//! CloudFormation would at deploy time, as far as a template alone allows.
//! What only a deployed stack knows (region, account, generated names) stays
//! a `${...}` placeholder; what cannot be evaluated at all (an unknown
//! function, a `!Ref` to nothing, a `!Ref` cycle) becomes a named placeholder
//! plus a warning with file and line. Nothing here fails or panics.

use std::collections::BTreeMap;

use serde_json::Value;

use super::sections::Sections;
use super::tvalue::{Entry, Node, TValue};

/// Nested evaluation deeper than this (through `!Sub`, `!Join` and resource
/// names that refer to each other) is cut off with a placeholder.
const MAX_EVAL_DEPTH: usize = 64;

const REGION: &str = "${AWS::Region}";
const ACCOUNT: &str = "${AWS::AccountId}";

pub struct Resolver<'t> {
    pub t: &'t Sections,
    /// `file:line: message`, first occurrence order, no duplicates.
    pub warnings: Vec<String>,
    /// Resources and conditions being evaluated, to detect cycles.
    visiting: Vec<String>,
    /// Names bound by the caller ahead of the template's own: the
    /// parameters of a SAM policy template.
    scope: BTreeMap<String, Value>,
    depth: usize,
}

/// The template resource a value points at: `!Ref X`, `!GetAtt X.Attr`.
pub fn referenced_resource(v: &TValue) -> Option<&str> {
    match &v.node {
        Node::Ref(id) => Some(id),
        Node::GetAtt { resource, .. } => Some(resource),
        _ => None,
    }
}

/// The text of a scalar value; lists and mappings have none.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

impl<'t> Resolver<'t> {
    pub fn new(t: &'t Sections) -> Self {
        Self {
            t,
            warnings: Vec::new(),
            visiting: Vec::new(),
            scope: BTreeMap::new(),
            depth: 0,
        }
    }

    pub fn warn(&mut self, line: usize, message: impl AsRef<str>) {
        let w = if line == 0 {
            format!("{}: {}", self.t.file, message.as_ref())
        } else {
            format!("{}:{}: {}", self.t.file, line, message.as_ref())
        };
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    /// Evaluates `v` with `names` bound first (SAM policy template
    /// parameters), then restores the previous bindings.
    pub fn resolve_with(&mut self, v: &TValue, names: BTreeMap<String, Value>) -> Option<Value> {
        let saved = std::mem::replace(&mut self.scope, names);
        let out = self.resolve(v);
        self.scope = saved;
        out
    }

    /// Evaluates every intrinsic in `v`. `None` is `AWS::NoValue`: the
    /// property is absent.
    pub fn resolve(&mut self, v: &TValue) -> Option<Value> {
        if self.depth >= MAX_EVAL_DEPTH {
            self.warn(
                v.line,
                format!(
                    "evaluation nested deeper than {MAX_EVAL_DEPTH} levels; kept as a placeholder"
                ),
            );
            return Some(Value::String("${TooDeep}".to_string()));
        }
        self.depth += 1;
        let out = self.resolve_node(v);
        self.depth -= 1;
        out
    }

    /// Evaluates `v` to text; a list or mapping where text belongs becomes a
    /// placeholder named after `field`, with a warning.
    pub fn resolve_text(&mut self, v: &TValue, field: &str) -> Option<String> {
        let value = self.resolve(v)?;
        match text(&value) {
            Some(s) => Some(s),
            None => {
                self.warn(
                    v.line,
                    format!("`{field}` should be text, found {}", v.kind()),
                );
                Some(format!("${{{field}}}"))
            }
        }
    }

    fn resolve_node(&mut self, v: &TValue) -> Option<Value> {
        let line = v.line;
        Some(match &v.node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Str(s) => Value::String(s.clone()),
            Node::List(items) => {
                Value::Array(items.iter().filter_map(|i| self.resolve(i)).collect())
            }
            Node::Map(entries) => {
                let mut map = serde_json::Map::new();
                for e in entries {
                    if let Some(value) = self.resolve(&e.value) {
                        map.insert(e.key.clone(), value);
                    }
                }
                Value::Object(map)
            }
            Node::Ref(name) => return self.reference(name, line),
            Node::GetAtt {
                resource,
                attribute,
            } => Value::String(self.attribute(resource, attribute, line)),
            Node::Sub { template, vars } => Value::String(self.sub(template, vars, line)),
            Node::Join { separator, items } => self.join(separator, items, line),
            Node::Select { index, list } => self.select(index, list, line),
            Node::Split { separator, source } => {
                let source = self.resolve(source).and_then(|s| text(&s));
                match source {
                    Some(s) => Value::Array(
                        s.split(separator.as_str())
                            .map(|p| Value::String(p.to_string()))
                            .collect(),
                    ),
                    None => {
                        self.warn(
                            line,
                            "`Fn::Split` needs text to split; kept as a placeholder",
                        );
                        Value::String("${Fn::Split}".to_string())
                    }
                }
            }
            Node::If {
                condition,
                then,
                otherwise,
            } => match self.condition(condition, line) {
                Some(true) => return self.resolve(then),
                Some(false) => return self.resolve(otherwise),
                None => {
                    self.warn(
                        line,
                        format!(
                            "condition `{condition}` cannot be decided from the template; `Fn::If` kept as a placeholder"
                        ),
                    );
                    Value::String(format!("${{Fn::If:{condition}}}"))
                }
            },
            Node::FindInMap(args) => self.find_in_map(args, line),
            Node::Condition(name) => match self.condition(name, line) {
                Some(b) => Value::Bool(b),
                None => Value::String(format!("${{Condition:{name}}}")),
            },
            Node::Other { function, arg } => return self.other(function, arg, line),
        })
    }

    fn other(&mut self, function: &str, arg: &TValue, line: usize) -> Option<Value> {
        match function {
            // Base64 only changes how the text is carried.
            "Fn::Base64" => self.resolve(arg),
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" => {
                let probe = TValue::new(
                    line,
                    Node::Other {
                        function: function.to_string(),
                        arg: Box::new(arg.clone()),
                    },
                );
                match self.condition_value(&probe) {
                    Some(b) => Some(Value::Bool(b)),
                    None => Some(Value::String(format!("${{{function}}}"))),
                }
            }
            "Fn::ImportValue" => {
                let name = self.resolve(arg).and_then(|v| text(&v)).unwrap_or_default();
                self.warn(
                    line,
                    format!("`Fn::ImportValue` of `{name}` comes from another stack; kept as a placeholder"),
                );
                Some(Value::String(format!("${{ImportValue:{name}}}")))
            }
            "Fn::GetAZs" => Some(Value::String("${Fn::GetAZs}".to_string())),
            "Fn::Cidr" => Some(Value::String("${Fn::Cidr}".to_string())),
            "Ref" | "Fn::GetAtt" | "Fn::Sub" | "Fn::Join" | "Fn::Select" | "Fn::Split"
            | "Fn::If" | "Fn::FindInMap" | "Condition" => {
                self.warn(
                    line,
                    format!("`{function}` has an argument of the wrong shape ({}); kept as a placeholder", arg.kind()),
                );
                Some(Value::String(format!("${{{function}}}")))
            }
            _ => {
                self.warn(
                    line,
                    format!("unknown intrinsic function `{function}`; kept as a placeholder"),
                );
                Some(Value::String(format!("${{{function}}}")))
            }
        }
    }

    /// `!Ref name`. `None` for `AWS::NoValue`.
    pub fn reference(&mut self, name: &str, line: usize) -> Option<Value> {
        if let Some(v) = self.scope.get(name) {
            return Some(v.clone());
        }
        if let Some(pseudo) = name.strip_prefix("AWS::") {
            return match pseudo {
                "NoValue" => None,
                "Partition" => Some(Value::String("aws".to_string())),
                "URLSuffix" => Some(Value::String("amazonaws.com".to_string())),
                _ => Some(Value::String(format!("${{{name}}}"))),
            };
        }
        if let Some(p) = self.t.parameters.get(name) {
            let (kind, default, pline) = (p.kind.clone(), p.default.clone(), p.line);
            let Some(default) = default else {
                self.warn(
                    pline,
                    format!("parameter `{name}` has no Default; kept as ${{{name}}}"),
                );
                return Some(Value::String(format!("${{{name}}}")));
            };
            let value = self.resolve(&default)?;
            let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
            return Some(match (is_list, text(&value)) {
                (true, Some(s)) => Value::Array(
                    s.split(',')
                        .map(|p| Value::String(p.trim().to_string()))
                        .collect(),
                ),
                _ => value,
            });
        }
        if self.t.resources.contains_key(name) {
            return Some(Value::String(self.resource_ref(name, line)));
        }
        self.warn(
            line,
            format!(
                "`!Ref {name}` names no parameter or resource in this template; kept as ${{{name}}}"
            ),
        );
        Some(Value::String(format!("${{{name}}}")))
    }

    /// The physical name a resource gets from its template properties, or
    /// `None` when CloudFormation generates it.
    pub fn physical_name(&mut self, id: &str, line: usize) -> Option<String> {
        let resource = self.t.resources.get(id)?;
        let prop = name_property(&resource.kind)?;
        let value = resource.prop(prop)?.clone();
        if self.visiting.iter().any(|v| v == id) {
            let chain = format!("{} -> {id}", self.visiting.join(" -> "));
            self.warn(
                line,
                format!("reference cycle {chain}; the name stays a placeholder"),
            );
            return None;
        }
        self.visiting.push(id.to_string());
        let name = self.resolve_text(&value, prop);
        self.visiting.pop();
        name
    }

    fn resource_ref(&mut self, id: &str, line: usize) -> String {
        let Some(kind) = self.t.resources.get(id).map(|r| r.kind.clone()) else {
            return format!("${{{id}}}");
        };
        if kind == "AWS::KMS::Key" {
            return format!("${{{id}}}");
        }
        let Some(name) = self.physical_name(id, line) else {
            return format!("${{{id}}}");
        };
        match kind.as_str() {
            "AWS::SQS::Queue" => queue_url(&name),
            "AWS::SNS::Topic" => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
            // The ARN ends in a random six-character suffix.
            "AWS::SecretsManager::Secret" => {
                format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-??????")
            }
            "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
                format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
            }
            "AWS::IAM::ManagedPolicy" => format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
            _ => name,
        }
    }

    /// `!GetAtt id.attribute`.
    pub fn attribute(&mut self, id: &str, attribute: &str, line: usize) -> String {
        let placeholder = format!("${{{id}.{attribute}}}");
        let Some(kind) = self.t.resources.get(id).map(|r| r.kind.clone()) else {
            self.warn(
                line,
                format!("`!GetAtt {id}.{attribute}` names no resource in this template; kept as {placeholder}"),
            );
            return placeholder;
        };
        if kind == "AWS::KMS::Key" {
            return match attribute {
                "Arn" => format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/${{{id}}}"),
                "KeyId" => format!("${{{id}}}"),
                _ => placeholder,
            };
        }
        let Some(name) = self.physical_name(id, line) else {
            return placeholder;
        };
        let arn = arn_for(&kind, &name);
        let value = match (kind.as_str(), attribute) {
            ("AWS::SQS::Queue", "QueueName")
            | ("AWS::SNS::Topic", "TopicName")
            | ("AWS::StepFunctions::StateMachine", "Name")
            | ("AWS::Serverless::StateMachine", "Name")
            | ("AWS::Events::EventBus", "Name") => Some(name.clone()),
            ("AWS::SQS::Queue", "QueueUrl") => Some(queue_url(&name)),
            ("AWS::SNS::Topic", "TopicArn") => arn,
            ("AWS::DynamoDB::Table", "StreamArn") => Some(format!(
                "arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}/stream/*"
            )),
            (_, "Arn") => arn,
            _ => None,
        };
        value.unwrap_or(placeholder)
    }

    fn sub(&mut self, template: &str, vars: &[Entry], line: usize) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find('}') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let name = &after[..j];
            if let Some(literal) = name.strip_prefix('!') {
                // `${!Literal}` writes `${Literal}` verbatim.
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let value = self.sub_variable(name.trim(), vars, line);
                out.push_str(&value);
            }
            rest = &after[j + 1..];
        }
        out.push_str(rest);
        out
    }

    fn sub_variable(&mut self, name: &str, vars: &[Entry], line: usize) -> String {
        let placeholder = format!("${{{name}}}");
        if let Some(e) = vars.iter().rev().find(|e| e.key == name) {
            let value = e.value.clone();
            let resolved = self.resolve(&value);
            return match resolved.as_ref().and_then(text) {
                Some(s) => s,
                None => {
                    self.warn(
                        e.line,
                        format!("`Fn::Sub` variable `{name}` is not text; kept as {placeholder}"),
                    );
                    placeholder
                }
            };
        }
        if !name.starts_with("AWS::")
            && !self.scope.contains_key(name)
            && let Some((id, attribute)) = name.split_once('.')
        {
            return self.attribute(id, attribute, line);
        }
        match self.reference(name, line) {
            Some(v) => match text(&v) {
                Some(s) => s,
                None => {
                    self.warn(
                        line,
                        format!("`Fn::Sub` variable `{name}` is a list; kept as {placeholder}"),
                    );
                    placeholder
                }
            },
            None => String::new(),
        }
    }

    fn join(&mut self, separator: &str, items: &TValue, line: usize) -> Value {
        let parts = match self.resolve(items) {
            Some(Value::Array(parts)) => parts,
            _ => {
                self.warn(
                    line,
                    "`Fn::Join` needs a list to join; kept as a placeholder",
                );
                return Value::String("${Fn::Join}".to_string());
            }
        };
        let mut texts = Vec::with_capacity(parts.len());
        for p in &parts {
            match text(p) {
                Some(s) => texts.push(s),
                None => {
                    self.warn(line, "`Fn::Join` item is not text; kept as a placeholder");
                    return Value::String("${Fn::Join}".to_string());
                }
            }
        }
        Value::String(texts.join(separator))
    }

    fn select(&mut self, index: &TValue, list: &TValue, line: usize) -> Value {
        let index = self.resolve(index).and_then(|i| match i {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        });
        let list = self.resolve(list);
        match (index, list) {
            (Some(i), Some(Value::Array(items))) => {
                let picked = usize::try_from(i).ok().and_then(|i| items.get(i).cloned());
                match picked {
                    Some(v) => v,
                    None => {
                        self.warn(
                            line,
                            format!(
                                "`Fn::Select` index {i} is out of range; kept as a placeholder"
                            ),
                        );
                        Value::String("${Fn::Select}".to_string())
                    }
                }
            }
            _ => {
                self.warn(
                    line,
                    "`Fn::Select` needs an index and a known list; kept as a placeholder",
                );
                Value::String("${Fn::Select}".to_string())
            }
        }
    }

    fn find_in_map(&mut self, args: &[TValue], line: usize) -> Value {
        let mut keys = Vec::with_capacity(3);
        for a in args.iter().take(3) {
            match self.resolve(a).as_ref().and_then(text) {
                Some(k) if !k.contains("${") => keys.push(k),
                _ => {
                    self.warn(
                        line,
                        "`Fn::FindInMap` key is not known before deployment; kept as a placeholder",
                    );
                    return Value::String("${Fn::FindInMap}".to_string());
                }
            }
        }
        let [map, top, second] = keys.as_slice() else {
            self.warn(
                line,
                "`Fn::FindInMap` needs three keys; kept as a placeholder",
            );
            return Value::String("${Fn::FindInMap}".to_string());
        };
        let found = self
            .t
            .mappings
            .as_ref()
            .and_then(|m| m.get(map))
            .and_then(|m| m.get(top))
            .and_then(|m| m.get(second))
            .cloned();
        match (found, args.get(3)) {
            (Some(v), _) => self.resolve(&v).unwrap_or(Value::Null),
            (None, Some(default)) => {
                let default = default
                    .get("DefaultValue")
                    .cloned()
                    .unwrap_or_else(|| default.clone());
                self.resolve(&default).unwrap_or(Value::Null)
            }
            (None, None) => {
                self.warn(
                    line,
                    format!(
                        "`Fn::FindInMap` {map} / {top} / {second} is not in Mappings; kept as a placeholder"
                    ),
                );
                Value::String("${Fn::FindInMap}".to_string())
            }
        }
    }

    /// Whether a resource exists with the parameter values at hand: `false`
    /// only when its `Condition` is known to be false. An undecidable
    /// condition counts as existing, with a warning.
    pub fn exists(&mut self, id: &str) -> bool {
        let Some(res) = self.t.resources.get(id) else {
            return false;
        };
        let Some(condition) = res.condition.clone() else {
            return true;
        };
        match self.condition(&condition, res.line) {
            Some(b) => b,
            None => {
                self.warn(
                    res.line,
                    format!("`{id}` exists only when condition `{condition}` holds, which the template cannot decide; read as existing"),
                );
                true
            }
        }
    }

    /// The value of a named condition, `None` when it depends on something
    /// only known at deploy time (a parameter without a default).
    pub fn condition(&mut self, name: &str, line: usize) -> Option<bool> {
        let body = match self.t.conditions.get(name) {
            Some(b) => b.clone(),
            None => {
                self.warn(
                    line,
                    format!("condition `{name}` is not defined in Conditions"),
                );
                return None;
            }
        };
        let key = format!("Condition:{name}");
        if self.visiting.contains(&key) {
            self.warn(line, format!("condition `{name}` refers to itself"));
            return None;
        }
        self.visiting.push(key);
        let out = self.condition_value(&body);
        self.visiting.pop();
        out
    }

    fn condition_value(&mut self, v: &TValue) -> Option<bool> {
        if self.depth >= MAX_EVAL_DEPTH {
            return None;
        }
        self.depth += 1;
        let out = self.condition_node(v);
        self.depth -= 1;
        out
    }

    fn condition_node(&mut self, v: &TValue) -> Option<bool> {
        match &v.node {
            Node::Bool(b) => Some(*b),
            Node::Condition(name) => self.condition(name, v.line),
            Node::Str(name) if self.t.conditions.contains_key(name) => self.condition(name, v.line),
            Node::Other { function, arg } => {
                let items = arg.as_list().unwrap_or_default();
                match function.as_str() {
                    "Fn::Equals" if items.len() == 2 => {
                        let a = self.resolve(&items[0]).as_ref().and_then(text)?;
                        let b = self.resolve(&items[1]).as_ref().and_then(text)?;
                        if a.contains("${") || b.contains("${") {
                            return None;
                        }
                        Some(a == b)
                    }
                    "Fn::Not" if items.len() == 1 => self.condition_value(&items[0]).map(|b| !b),
                    "Fn::And" => {
                        let mut all = Some(true);
                        for i in items {
                            match self.condition_value(i) {
                                Some(false) => return Some(false),
                                Some(true) => {}
                                None => all = None,
                            }
                        }
                        all
                    }
                    "Fn::Or" => {
                        let mut any = Some(false);
                        for i in items {
                            match self.condition_value(i) {
                                Some(true) => return Some(true),
                                Some(false) => {}
                                None => any = None,
                            }
                        }
                        any
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The property that holds a resource type's physical name.
fn name_property(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => "TableName",
        "AWS::S3::Bucket" => "BucketName",
        "AWS::SQS::Queue" => "QueueName",
        "AWS::SNS::Topic" => "TopicName",
        "AWS::SecretsManager::Secret"
        | "AWS::Kinesis::Stream"
        | "AWS::Events::EventBus"
        | "AWS::SSM::Parameter"
        | "AWS::Serverless::StateMachine" => "Name",
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => "FunctionName",
        "AWS::StepFunctions::StateMachine" => "StateMachineName",
        "AWS::IAM::Role" => "RoleName",
        "AWS::IAM::ManagedPolicy" => "ManagedPolicyName",
        "AWS::Logs::LogGroup" => "LogGroupName",
        "AWS::KMS::Alias" => "AliasName",
        "AWS::ECR::Repository" => "RepositoryName",
        "AWS::KinesisFirehose::DeliveryStream" => "DeliveryStreamName",
        _ => return None,
    })
}

fn queue_url(name: &str) -> String {
    format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}")
}

/// ARN formats from the IAM service authorization reference, with the
/// partition fixed to `aws` like `AWS::Partition`.
fn arn_for(kind: &str, name: &str) -> Option<String> {
    Some(match kind {
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}")
        }
        "AWS::S3::Bucket" => format!("arn:aws:s3:::{name}"),
        "AWS::SQS::Queue" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"),
        "AWS::SNS::Topic" => format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}"),
        "AWS::Kinesis::Stream" => format!("arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"),
        "AWS::Lambda::Function" | "AWS::Serverless::Function" => {
            format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
        }
        "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
            format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}")
        }
        "AWS::Events::EventBus" => format!("arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}"),
        "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        "AWS::IAM::ManagedPolicy" => format!("arn:aws:iam::{ACCOUNT}:policy/{name}"),
        "AWS::Logs::LogGroup" => format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"),
        "AWS::ECR::Repository" => format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"),
        "AWS::KinesisFirehose::DeliveryStream" => {
            format!("arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{name}")
        }
        "AWS::SecretsManager::Secret" => {
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-??????")
        }
        _ => return None,
    })
}
