//! The top level of a template: `Parameters`, `Mappings`, `Conditions`,
//! `Globals` and `Resources`, checked for the shape CloudFormation requires.
//! A shape error names the file, the line and the field; everything below a
//! resource's `Properties` is read later, leniently, with warnings.

use std::collections::BTreeMap;

use super::TemplateError;
use super::tvalue::{Node, TValue};

/// One entry of `Resources`.
#[derive(Clone, Debug)]
pub struct Resource {
    pub id: String,
    /// `Type`, e.g. `AWS::Serverless::Function`.
    pub kind: String,
    pub line: usize,
    /// `Properties`, or an empty mapping when absent.
    pub properties: TValue,
    /// The resource-level `Condition`: the resource exists only when it holds.
    pub condition: Option<String>,
}

impl Resource {
    pub fn prop(&self, key: &str) -> Option<&TValue> {
        self.properties.get(key)
    }
}

/// One entry of `Parameters`.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub line: usize,
    /// `Type` (`String`, `CommaDelimitedList`, `List<...>`, ...).
    pub kind: String,
    pub default: Option<TValue>,
}

/// The parts of a template that resolution and function reading use.
#[derive(Clone, Debug)]
pub struct Sections {
    /// The template path as given, for messages and origins.
    pub file: String,
    pub parameters: BTreeMap<String, Parameter>,
    pub mappings: Option<TValue>,
    pub conditions: BTreeMap<String, TValue>,
    /// `Globals.Function` (SAM).
    pub function_globals: Option<TValue>,
    pub resources: BTreeMap<String, Resource>,
    /// Resource ids in document order, so functions are listed as written.
    pub order: Vec<String>,
    /// Ids of `AWS::Lambda::EventSourceMapping` resources, in document order:
    /// every function looks through them, so they are listed once.
    pub event_source_mappings: Vec<String>,
    /// Ids of `AWS::IAM::Policy`, `ManagedPolicy` and `RolePolicy`
    /// resources, in document order, for the same reason.
    pub role_policies: Vec<String>,
}

fn shape(file: &str, line: usize, field: &str, message: String) -> TemplateError {
    TemplateError::Structure {
        file: file.to_string(),
        line,
        field: field.to_string(),
        message,
    }
}

impl Sections {
    pub fn read(file: &str, root: &TValue) -> Result<Self, TemplateError> {
        let Some(top) = root.as_map() else {
            return Err(shape(
                file,
                root.line,
                "(document)",
                format!("a template is a mapping, found {}", root.kind()),
            ));
        };
        let mut sections = Sections {
            file: file.to_string(),
            parameters: BTreeMap::new(),
            mappings: None,
            conditions: BTreeMap::new(),
            function_globals: None,
            resources: BTreeMap::new(),
            order: Vec::new(),
            event_source_mappings: Vec::new(),
            role_policies: Vec::new(),
        };
        let section = |key: &str| top.iter().rev().find(|e| e.key == key);

        if let Some(params) = section("Parameters") {
            let entries = params.value.as_map().ok_or_else(|| {
                shape(
                    file,
                    params.line,
                    "Parameters",
                    format!("must be a mapping, found {}", params.value.kind()),
                )
            })?;
            for p in entries {
                let field = format!("Parameters.{}", p.key);
                if p.value.as_map().is_none() {
                    return Err(shape(
                        file,
                        p.line,
                        &field,
                        format!("must be a mapping, found {}", p.value.kind()),
                    ));
                }
                let kind = p
                    .value
                    .get("Type")
                    .and_then(TValue::as_str)
                    .unwrap_or("String")
                    .to_string();
                sections.parameters.insert(
                    p.key.clone(),
                    Parameter {
                        line: p.line,
                        kind,
                        default: p.value.get("Default").cloned(),
                    },
                );
            }
        }

        if let Some(m) = section("Mappings") {
            if m.value.as_map().is_none() {
                return Err(shape(
                    file,
                    m.line,
                    "Mappings",
                    format!("must be a mapping, found {}", m.value.kind()),
                ));
            }
            sections.mappings = Some(m.value.clone());
        }

        if let Some(c) = section("Conditions") {
            let entries = c.value.as_map().ok_or_else(|| {
                shape(
                    file,
                    c.line,
                    "Conditions",
                    format!("must be a mapping, found {}", c.value.kind()),
                )
            })?;
            for e in entries {
                sections.conditions.insert(e.key.clone(), e.value.clone());
            }
        }

        if let Some(f) = section("Globals").and_then(|g| g.value.entry("Function")) {
            if f.value.as_map().is_none() {
                return Err(shape(
                    file,
                    f.line,
                    "Globals.Function",
                    format!("must be a mapping, found {}", f.value.kind()),
                ));
            }
            sections.function_globals = Some(f.value.clone());
        }

        let Some(resources) = section("Resources") else {
            return Err(shape(
                file,
                root.line,
                "Resources",
                "a template needs a `Resources` section".to_string(),
            ));
        };
        let entries = resources.value.as_map().ok_or_else(|| {
            shape(
                file,
                resources.line,
                "Resources",
                format!("must be a mapping, found {}", resources.value.kind()),
            )
        })?;
        for r in entries {
            let field = format!("Resources.{}", r.key);
            if r.value.as_map().is_none() {
                return Err(shape(
                    file,
                    r.line,
                    &field,
                    format!("a resource is a mapping, found {}", r.value.kind()),
                ));
            }
            let kind = match r.value.entry("Type") {
                Some(t) => match &t.value.node {
                    Node::Str(s) => s.clone(),
                    _ => {
                        return Err(shape(
                            file,
                            t.line,
                            &format!("{field}.Type"),
                            format!("must be a string, found {}", t.value.kind()),
                        ));
                    }
                },
                None => {
                    return Err(shape(
                        file,
                        r.line,
                        &format!("{field}.Type"),
                        "a resource needs a `Type`".to_string(),
                    ));
                }
            };
            let properties = match r.value.entry("Properties") {
                Some(p) => match &p.value.node {
                    Node::Map(_) => p.value.clone(),
                    Node::Null => TValue::new(p.line, Node::Map(Vec::new())),
                    _ => {
                        return Err(shape(
                            file,
                            p.line,
                            &format!("{field}.Properties"),
                            format!("must be a mapping, found {}", p.value.kind()),
                        ));
                    }
                },
                None => TValue::new(r.line, Node::Map(Vec::new())),
            };
            if !sections.resources.contains_key(&r.key) {
                sections.order.push(r.key.clone());
                match kind.as_str() {
                    "AWS::Lambda::EventSourceMapping" => {
                        sections.event_source_mappings.push(r.key.clone())
                    }
                    "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                        sections.role_policies.push(r.key.clone())
                    }
                    _ => {}
                }
            }
            sections.resources.insert(
                r.key.clone(),
                Resource {
                    id: r.key.clone(),
                    kind,
                    line: r.line,
                    properties,
                    condition: r
                        .value
                        .get("Condition")
                        .and_then(TValue::as_str)
                        .map(str::to_string),
                },
            );
        }
        Ok(sections)
    }
}
