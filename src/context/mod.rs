//! Context from SAM and CloudFormation templates: for each Lambda function in
//! a template, its name, code location, environment, tracing, VPC, event
//! sources and the role's current policy, with intrinsic functions evaluated
//! as far as the template allows. Platform needs (logs, X-Ray, ENIs, event
//! source polling) are derived from that context here too.
//!
//! `load_template` is the edge that reads the file; everything after it is
//! data in, data out. See `docs/templates.md` for what is resolved and how.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::policy::current::CurrentPolicy;

mod encryption;
mod function;
pub mod platform;
mod resolve;
mod role;
mod sections;
pub mod tvalue;

pub use encryption::KmsKey;
pub use platform::ALL_PLATFORM_ACTIONS;

/// Errors a caller can branch on; every one names the file, and the line and
/// field where there is one.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not valid YAML or JSON: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}:{line}: `{field}` {message}")]
    Structure {
        file: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{file}: no Lambda function `{logical_id}`; the template defines: {available}")]
    FunctionNotFound {
        file: String,
        logical_id: String,
        available: String,
    },
    #[error(
        "{file}: the template defines several Lambda functions ({available}); choose one with --function"
    )]
    FunctionAmbiguous { file: String, available: String },
    #[error("{file}: no parameter `{name}` to set; the template declares: {available}")]
    UnknownParameter {
        file: String,
        name: String,
        available: String,
    },
}

/// A parsed template: its Lambda functions in document order.
#[derive(Clone, Debug, Serialize)]
pub struct Template {
    pub path: PathBuf,
    pub functions: Vec<FunctionContext>,
    /// Resources encrypted with a customer managed KMS key, by resource ARN
    /// (queue, topic, secret, bucket, table and table stream, stream ARNs as
    /// `!GetAtt`/`!Ref` give them): reading them also needs `kms:Decrypt`.
    pub kms_keys: BTreeMap<String, KmsKey>,
    /// Every `AWS::KMS::Key` of the template: logical id -> key ARN
    /// (`arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${LogicalId}`).
    pub defined_kms_keys: BTreeMap<String, String>,
    /// What could not be resolved (`file:line: message`), in the order met.
    pub warnings: Vec<String>,
}

/// What kind of event source triggers a function.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSourceKind {
    Sqs,
    Kinesis,
    #[serde(rename = "dynamodb")]
    DynamoDb,
    Msk,
    S3,
    Sns,
    Schedule,
    EventBridge,
    Api,
    HttpApi,
    /// Any other SAM event type, by its `Type`.
    Other(String),
}

/// One trigger: a SAM `Events` entry or an `AWS::Lambda::EventSourceMapping`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventSource {
    /// The event's key under `Events`, or the mapping's logical id.
    pub name: String,
    pub kind: EventSourceKind,
    /// Queue, stream or topic ARN, bucket name, schedule expression or
    /// `METHOD /path`, resolved; `None` when the event has none.
    pub target: Option<String>,
    pub line: usize,
    /// Declared under the function's `Events` (the SAM transform then
    /// attaches the poller's managed policy), rather than as a separate
    /// `AWS::Lambda::EventSourceMapping` resource.
    pub sam_event: bool,
    /// The customer managed key that encrypts the source (a queue or stream
    /// of this template), which the poller needs to decrypt records.
    pub kms_key: Option<String>,
}

/// Where a dead-letter queue or topic receives failed asynchronous events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub target: String,
    pub line: usize,
    /// An SNS topic (`sns:Publish`) rather than an SQS queue (`sqs:SendMessage`).
    pub topic: bool,
}

/// One Lambda function of a template and everything the template says
/// about its runtime and its role.
#[derive(Clone, Debug, Serialize)]
pub struct FunctionContext {
    pub logical_id: String,
    /// `AWS::Serverless::Function` or `AWS::Lambda::Function`.
    pub resource_type: String,
    /// The template path as given, for provenance.
    pub file: String,
    pub line: usize,
    /// `FunctionName`, resolved; `None` when CloudFormation generates it.
    pub function_name: Option<String>,
    /// `CodeUri` (SAM), or `s3://bucket/key` for code in S3.
    pub code_uri: Option<String>,
    pub handler: Option<String>,
    pub runtime: Option<String>,
    /// Environment variables with intrinsics resolved to text.
    pub env: BTreeMap<String, String>,
    pub tracing_active: bool,
    pub tracing_line: Option<usize>,
    pub in_vpc: bool,
    pub vpc_line: Option<usize>,
    /// The log group the function writes to: `LoggingConfig.LogGroup`, or
    /// `/aws/lambda/<FunctionName or ${LogicalId}>`.
    pub log_group: String,
    pub dead_letter: Option<DeadLetter>,
    pub event_sources: Vec<EventSource>,
    /// The role's current policy as the template defines it.
    pub current_policy: CurrentPolicy,
}

impl FunctionContext {
    /// The local source directory of the function: `CodeUri` relative to
    /// the template's directory. `None` for code in S3 or inline code.
    pub fn code_dir(&self, template_path: &Path) -> Option<PathBuf> {
        let uri = self.code_uri.as_deref()?;
        if uri.starts_with("s3://") || uri.contains("${") {
            return None;
        }
        let base = template_path.parent().unwrap_or_else(|| Path::new(""));
        Some(base.join(uri))
    }
}

impl Template {
    pub fn function(&self, logical_id: &str) -> Option<&FunctionContext> {
        self.functions.iter().find(|f| f.logical_id == logical_id)
    }

    fn available(&self) -> String {
        if self.functions.is_empty() {
            "no Lambda functions".to_string()
        } else {
            self.functions
                .iter()
                .map(|f| f.logical_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// The function a command works on: the one named by `--function`, or
    /// the only one. The error lists the functions the template has.
    pub fn select(&self, logical_id: Option<&str>) -> Result<&FunctionContext, TemplateError> {
        let file = self.path.display().to_string();
        match logical_id {
            Some(id) => self
                .function(id)
                .ok_or_else(|| TemplateError::FunctionNotFound {
                    file,
                    logical_id: id.to_string(),
                    available: self.available(),
                }),
            None => match self.functions.as_slice() {
                [only] => Ok(only),
                [] => Err(TemplateError::FunctionNotFound {
                    file,
                    logical_id: String::new(),
                    available: self.available(),
                }),
                _ => Err(TemplateError::FunctionAmbiguous {
                    file,
                    available: self.available(),
                }),
            },
        }
    }
}

/// How to read a template.
#[derive(Clone, Debug, Default)]
pub struct TemplateOptions {
    /// Parameter values that replace the template's `Default`s, as
    /// `sam deploy --parameter-overrides` gives them.
    pub parameters: BTreeMap<String, String>,
}

/// Reads a SAM or CloudFormation template (YAML with short-form tags, or
/// JSON). Syntax and shape errors name the file, line and field; problems
/// inside properties become warnings.
pub fn load_template(path: &Path) -> anyhow::Result<Template> {
    load_template_with(path, &TemplateOptions::default())
}

/// `load_template` with parameter values.
pub fn load_template_with(path: &Path, options: &TemplateOptions) -> anyhow::Result<Template> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
        file: file.clone(),
        source,
    })?;
    Ok(parse_template_with(path, &text, options)?)
}

/// `load_template` on text already read; `path` names it in messages.
pub fn parse_template(path: &Path, text: &str) -> Result<Template, TemplateError> {
    parse_template_with(path, text, &TemplateOptions::default())
}

/// `parse_template` with parameter values.
pub fn parse_template_with(
    path: &Path,
    text: &str,
    options: &TemplateOptions,
) -> Result<Template, TemplateError> {
    let file = path.display().to_string();
    let root = match tvalue::TValue::parse(text) {
        Ok(root) => root,
        Err(e) if text.trim_start().starts_with('{') => json_fallback(&file, text, e)?,
        Err(e) => {
            let near = text
                .lines()
                .nth(e.line.saturating_sub(1))
                .map(str::trim)
                .filter(|l| e.line > 0 && !l.is_empty());
            let message = match near {
                Some(l) => format!("{} (at `{l}`)", e.message),
                None => e.message,
            };
            return Err(TemplateError::Syntax {
                file,
                line: e.line,
                column: e.column,
                message,
            });
        }
    };
    let mut sections = sections::Sections::read(&file, &root)?;
    for (name, value) in &options.parameters {
        match sections.parameters.get_mut(name) {
            Some(p) => {
                p.default = Some(tvalue::TValue::new(
                    p.line,
                    tvalue::Node::Str(value.clone()),
                ))
            }
            None => {
                return Err(TemplateError::UnknownParameter {
                    file,
                    name: name.clone(),
                    available: sections
                        .parameters
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    let mut resolver = resolve::Resolver::new(&sections);
    let kms_keys = encryption::customer_keys(&mut resolver);
    let defined_kms_keys = encryption::defined_keys(&resolver);
    let functions = function::read_all(&mut resolver, &kms_keys);
    Ok(Template {
        path: path.to_path_buf(),
        functions,
        kms_keys,
        defined_kms_keys,
        warnings: resolver.warnings,
    })
}

/// JSON that YAML rejects (YAML forbids some things JSON allows, such as
/// tabs for indentation): read it with serde_json, without line numbers.
fn json_fallback(
    file: &str,
    text: &str,
    yaml_error: tvalue::ParseError,
) -> Result<tvalue::TValue, TemplateError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => tvalue::TValue::from_json(&v, 0).map_err(|e| TemplateError::Syntax {
            file: file.to_string(),
            line: e.line,
            column: e.column,
            message: e.message,
        }),
        Err(je) => {
            let message = je.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            let (line, column) = if je.line() > 0 {
                (je.line(), je.column())
            } else {
                (yaml_error.line, yaml_error.column)
            };
            Err(TemplateError::Syntax {
                file: file.to_string(),
                line,
                column,
                message,
            })
        }
    }
}
