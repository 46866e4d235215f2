//! `TValue`: a CloudFormation template as a tree that keeps each node's line
//! and turns intrinsic functions into explicit variants, whichever syntax
//! wrote them: YAML short-form tags (`!Ref X`) or long-form keys
//! (`{"Fn::GetAtt": [...]}`). YAML and JSON templates both parse into it, and
//! so do the JSON definitions of SAM policy templates.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

/// Deeper nesting than this is rejected: no real template comes close, and a
/// bound keeps every recursive walk over the tree safe on hostile input.
pub const MAX_DEPTH: usize = 256;

/// A node of the template with its 1-based line (0 when unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct TValue {
    pub line: usize,
    pub node: Node,
}

/// One `key: value` pair of a mapping, with the key's line.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub line: usize,
    pub value: TValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<TValue>),
    /// In document order; duplicate keys keep the last value, as YAML loaders do.
    Map(Vec<Entry>),
    Ref(String),
    GetAtt {
        resource: String,
        attribute: String,
    },
    /// `Fn::Sub`, with the variable map of the two-argument form.
    Sub {
        template: String,
        vars: Vec<Entry>,
    },
    Join {
        separator: String,
        items: Box<TValue>,
    },
    Select {
        index: Box<TValue>,
        list: Box<TValue>,
    },
    Split {
        separator: String,
        source: Box<TValue>,
    },
    If {
        condition: String,
        then: Box<TValue>,
        otherwise: Box<TValue>,
    },
    /// `[MapName, TopLevelKey, SecondLevelKey]`.
    FindInMap(Vec<TValue>),
    /// `Condition: Name` inside `Fn::And` / `Fn::Or` / `Fn::Not`.
    Condition(String),
    /// Every other function (`Fn::Equals`, `Fn::ImportValue`, `Fn::GetAZs`,
    /// ...), unknown tags, and known functions whose argument has the wrong
    /// shape: kept by name so resolution can say what it could not evaluate.
    Other {
        function: String,
        arg: Box<TValue>,
    },
}

/// A syntax or nesting problem, with the line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl TValue {
    pub fn new(line: usize, node: Node) -> Self {
        Self { line, node }
    }

    pub fn get(&self, key: &str) -> Option<&TValue> {
        match &self.node {
            Node::Map(entries) => entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry (with its key line) for `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.node {
            Node::Map(entries) => entries.iter().rev().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.node {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.node {
            Node::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[TValue]> {
        match &self.node {
            Node::List(items) => Some(items),
            _ => None,
        }
    }

    /// What the node is, for error messages.
    pub fn kind(&self) -> &'static str {
        match &self.node {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::List(_) => "a list",
            Node::Map(_) => "a mapping",
            _ => "an intrinsic function",
        }
    }

    /// Parses YAML (which includes JSON) text into its first document.
    /// An empty document is `Null`.
    pub fn parse(text: &str) -> Result<TValue, ParseError> {
        check_block_depth(text)?;
        // saphyr's loader (and dropping its tree) recurse per nesting level;
        // a thread with a known stack makes the bound above hold on any
        // caller's thread, including 2 MiB test threads.
        std::thread::scope(|scope| {
            let worker = std::thread::Builder::new()
                .name("template-parse".to_string())
                .stack_size(64 << 20)
                .spawn_scoped(scope, || parse_on_this_thread(text));
            match worker.map(|w| w.join()) {
                Ok(Ok(result)) => result,
                _ => Err(ParseError {
                    line: 0,
                    column: 0,
                    message: "the YAML parser thread failed".to_string(),
                }),
            }
        })
    }

    /// Converts JSON (a SAM policy template, a fallback JSON parse) with
    /// every node on `line`.
    pub fn from_json(value: &serde_json::Value, line: usize) -> Result<TValue, ParseError> {
        from_json_at(value, line, 0)
    }
}

fn parse_on_this_thread(text: &str) -> Result<TValue, ParseError> {
    reject_aliases(text)?;
    let docs = MarkedYaml::load_from_str(text).map_err(|e| ParseError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    match docs.first() {
        Some(doc) => from_marked(doc, 1, 0),
        None => Ok(TValue::new(1, Node::Null)),
    }
}

/// CloudFormation does not accept YAML aliases, and saphyr's loader copies
/// the aliased node at each use, so a few nested aliases ("billion laughs")
/// would exhaust memory. The event parser sees aliases before anything is
/// copied. Without an anchor (`&`) there can be no alias to find.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html>
fn reject_aliases(text: &str) -> Result<(), ParseError> {
    if !text.contains('&') {
        return Ok(());
    }
    for event in saphyr_parser::Parser::new_from_str(text) {
        match event {
            Ok((saphyr_parser::Event::Alias(_), span)) => {
                return Err(ParseError {
                    line: span.start.line(),
                    column: span.start.col() + 1,
                    message: "YAML aliases (`*name`) are not supported in CloudFormation templates"
                        .to_string(),
                });
            }
            Ok(_) => {}
            // The loader reports syntax errors with the same position.
            Err(_) => break,
        }
    }
    Ok(())
}

/// saphyr's loader recurses once per nesting level of block collections and
/// overflows the stack a few thousand levels down. A block collection nests
/// one level per column of indentation (or per `- ` on a line) at most, so
/// bounding that prefix bounds the recursion before saphyr sees the text.
/// Flow collections (`[[[...]]]`) have their own limit inside saphyr.
fn check_block_depth(text: &str) -> Result<(), ParseError> {
    const MAX_INDENT: usize = 1000;
    for (i, line) in text.lines().enumerate() {
        let prefix = line
            .chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-' | '?' | ':'))
            .count();
        if prefix > MAX_INDENT {
            return Err(ParseError {
                line: i + 1,
                column: 1,
                message: format!("nesting deeper than {MAX_INDENT} columns of indentation"),
            });
        }
    }
    Ok(())
}

fn too_deep(line: usize) -> ParseError {
    ParseError {
        line,
        column: 1,
        message: format!("nesting deeper than {MAX_DEPTH} levels"),
    }
}

fn from_marked(y: &MarkedYaml, parent_line: usize, depth: usize) -> Result<TValue, ParseError> {
    // Tagged scalars carry no span of their own: they sit on their tag's line.
    let line = match y.span.start.line() {
        0 => parent_line,
        l => l,
    };
    if depth > MAX_DEPTH {
        return Err(too_deep(line));
    }
    let node = match &y.data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(s, _, _) => Node::Str(s.to_string()),
        YamlData::Sequence(items) => Node::List(
            items
                .iter()
                .map(|i| from_marked(i, line, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        YamlData::Mapping(map) => {
            let mut entries: Vec<Entry> = Vec::with_capacity(map.len());
            for (k, v) in map {
                let key_line = match k.span.start.line() {
                    0 => line,
                    l => l,
                };
                let key = match &k.data {
                    YamlData::Value(s) => scalar_text(s),
                    YamlData::Representation(s, _, _) => s.to_string(),
                    _ => {
                        return Err(ParseError {
                            line: key_line,
                            column: k.span.start.col() + 1,
                            message: "mapping key is not a plain scalar".to_string(),
                        });
                    }
                };
                let value = from_marked(v, key_line, depth + 1)?;
                entries.push(Entry {
                    key,
                    line: key_line,
                    value,
                });
            }
            return Ok(long_form(line, entries));
        }
        YamlData::Tagged(tag, inner) => {
            let inner = from_marked(inner, line, depth + 1)?;
            if tag.handle == "!" {
                intrinsic(&long_name(&tag.suffix), inner)
            } else {
                // Core-schema tags (`!!str`) were applied by the loader.
                inner.node
            }
        }
        YamlData::Alias(_) | YamlData::BadValue => {
            return Err(ParseError {
                line,
                column: y.span.start.col() + 1,
                message: "value that cannot be read (bad scalar or unresolved alias)".to_string(),
            });
        }
    };
    Ok(TValue::new(line, node))
}

fn scalar(s: &Scalar) -> Node {
    match s {
        Scalar::Null => Node::Null,
        Scalar::Boolean(b) => Node::Bool(*b),
        Scalar::Integer(i) => Node::Int(*i),
        Scalar::FloatingPoint(f) => Node::Float(f.into_inner()),
        Scalar::String(s) => Node::Str(s.to_string()),
    }
}

fn scalar_text(s: &Scalar) -> String {
    match s {
        Scalar::Null => "null".to_string(),
        Scalar::Boolean(b) => b.to_string(),
        Scalar::Integer(i) => i.to_string(),
        Scalar::FloatingPoint(f) => f.to_string(),
        Scalar::String(s) => s.to_string(),
    }
}

/// `!GetAtt` -> `Fn::GetAtt`; `!Ref` and `!Condition` keep their names.
fn long_name(tag_suffix: &str) -> String {
    match tag_suffix {
        "Ref" | "Condition" => tag_suffix.to_string(),
        other => format!("Fn::{other}"),
    }
}

/// A one-key mapping `{"Ref": ...}` / `{"Fn::X": ...}` is the long form of an
/// intrinsic. `{"Condition": "Name"}` only when its value is a string: an IAM
/// statement's `Condition` is a mapping and stays data.
fn long_form(line: usize, mut entries: Vec<Entry>) -> TValue {
    if entries.len() == 1 {
        let e = &entries[0];
        let is_fn = e.key == "Ref"
            || e.key.starts_with("Fn::")
            || (e.key == "Condition" && matches!(e.value.node, Node::Str(_)));
        if is_fn {
            let e = entries.remove(0);
            return TValue::new(line, intrinsic(&e.key, e.value));
        }
    }
    TValue::new(line, Node::Map(entries))
}

fn intrinsic(function: &str, arg: TValue) -> Node {
    let other = |arg: TValue| Node::Other {
        function: function.to_string(),
        arg: Box::new(arg),
    };
    match (function, arg.node) {
        ("Ref", Node::Str(name)) => Node::Ref(name),
        ("Condition", Node::Str(name)) => Node::Condition(name),
        ("Fn::GetAtt", Node::Str(s)) => match s.split_once('.') {
            Some((r, a)) => Node::GetAtt {
                resource: r.to_string(),
                attribute: a.to_string(),
            },
            None => other(TValue::new(arg.line, Node::Str(s))),
        },
        ("Fn::GetAtt", Node::List(items)) => match items.as_slice() {
            [r, a] if r.as_str().is_some() && a.as_str().is_some() => Node::GetAtt {
                resource: r.as_str().unwrap_or_default().to_string(),
                attribute: a.as_str().unwrap_or_default().to_string(),
            },
            _ => other(TValue::new(arg.line, Node::List(items))),
        },
        ("Fn::Sub", Node::Str(template)) => Node::Sub {
            template,
            vars: Vec::new(),
        },
        ("Fn::Sub", Node::List(mut items)) => match items.as_slice() {
            [t, v] if t.as_str().is_some() && v.as_map().is_some() => {
                let vars = match items.pop().map(|v| v.node) {
                    Some(Node::Map(entries)) => entries,
                    _ => Vec::new(),
                };
                let template = items
                    .pop()
                    .and_then(|t| t.as_str().map(str::to_string))
                    .unwrap_or_default();
                Node::Sub { template, vars }
            }
            _ => other(TValue::new(arg.line, Node::List(items))),
        },
        ("Fn::Join", Node::List(mut items)) => match items.as_slice() {
            [s, _] if s.as_str().is_some() => {
                let list = items.pop().map(Box::new);
                let separator = items
                    .pop()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default();
                match list {
                    Some(items) => Node::Join { separator, items },
                    None => other(TValue::new(arg.line, Node::Null)),
                }
            }
            _ => other(TValue::new(arg.line, Node::List(items))),
        },
        ("Fn::Select", Node::List(mut items)) if items.len() == 2 => {
            let list = items.pop().map(Box::new);
            let index = items.pop().map(Box::new);
            match (index, list) {
                (Some(index), Some(list)) => Node::Select { index, list },
                _ => other(TValue::new(arg.line, Node::Null)),
            }
        }
        ("Fn::Split", Node::List(mut items)) => match items.as_slice() {
            [s, _] if s.as_str().is_some() => {
                let source = items.pop().map(Box::new);
                let separator = items
                    .pop()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default();
                match source {
                    Some(source) => Node::Split { separator, source },
                    None => other(TValue::new(arg.line, Node::Null)),
                }
            }
            _ => other(TValue::new(arg.line, Node::List(items))),
        },
        ("Fn::If", Node::List(mut items)) => match items.as_slice() {
            [c, _, _] if c.as_str().is_some() => {
                let otherwise = items.pop().map(Box::new);
                let then = items.pop().map(Box::new);
                let condition = items
                    .pop()
                    .and_then(|c| c.as_str().map(str::to_string))
                    .unwrap_or_default();
                match (then, otherwise) {
                    (Some(then), Some(otherwise)) => Node::If {
                        condition,
                        then,
                        otherwise,
                    },
                    _ => other(TValue::new(arg.line, Node::Null)),
                }
            }
            _ => other(TValue::new(arg.line, Node::List(items))),
        },
        ("Fn::FindInMap", Node::List(items)) if items.len() == 3 || items.len() == 4 => {
            Node::FindInMap(items)
        }
        (_, node) => other(TValue::new(arg.line, node)),
    }
}

fn from_json_at(
    value: &serde_json::Value,
    line: usize,
    depth: usize,
) -> Result<TValue, ParseError> {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return Err(too_deep(line));
    }
    let node = match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Node::Int(i),
            None => Node::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Node::Str(s.clone()),
        Value::Array(items) => Node::List(
            items
                .iter()
                .map(|i| from_json_at(i, line, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                entries.push(Entry {
                    key: k.clone(),
                    line,
                    value: from_json_at(v, line, depth + 1)?,
                });
            }
            return Ok(long_form(line, entries));
        }
    };
    Ok(TValue::new(line, node))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> TValue {
        TValue::parse(s).expect("parses")
    }

    #[test]
    fn short_and_long_forms_are_the_same_variant() {
        let y = parse("a: !GetAtt Q.Arn\nb: {\"Fn::GetAtt\": [Q, Arn]}\nc: !Ref X\nd: {Ref: X}\n");
        let want = Node::GetAtt {
            resource: "Q".into(),
            attribute: "Arn".into(),
        };
        assert_eq!(y.get("a").map(|v| &v.node), Some(&want));
        assert_eq!(y.get("b").map(|v| &v.node), Some(&want));
        assert_eq!(y.get("c").map(|v| &v.node), Some(&Node::Ref("X".into())));
        assert_eq!(y.get("d").map(|v| &v.node), Some(&Node::Ref("X".into())));
        assert_eq!(y.get("c").map(|v| v.line), Some(3));
    }

    #[test]
    fn iam_condition_mapping_stays_data() {
        let y = parse("Condition:\n  StringEquals: {a: b}\n");
        assert!(matches!(y.node, Node::Map(_)));
        let y = parse("- Condition: IsProd\n");
        let first = &y.as_list().expect("list")[0];
        assert_eq!(first.node, Node::Condition("IsProd".into()));
    }

    #[test]
    fn malformed_intrinsic_is_kept_by_name() {
        let y = parse("a: !Join 'x'\nb: !Frobnicate [1]\n");
        assert!(
            matches!(&y.get("a").map(|v| &v.node), Some(Node::Other { function, .. }) if function == "Fn::Join")
        );
        assert!(
            matches!(&y.get("b").map(|v| &v.node), Some(Node::Other { function, .. }) if function == "Fn::Frobnicate")
        );
    }

    #[test]
    fn aliases_are_rejected_before_they_expand() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            let items = [prev.as_str(); 10].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let e = TValue::parse(&s).expect_err("aliases");
        assert_eq!(e.line, 2, "{e:?}");
        assert!(e.message.contains("aliases"), "{e:?}");
        // An anchor alone is harmless, and `&` in text is no anchor.
        assert!(TValue::parse("a: &x 1\nb: 'R&D'\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut s = String::from("a:\n");
        for i in 0..1200 {
            s.push_str(&" ".repeat(i + 1));
            s.push_str("k:\n");
        }
        let e = TValue::parse(&s).expect_err("too deep");
        assert!(e.message.contains("nesting"), "{e:?}");
        let flow = format!("a: {}{}", "[".repeat(400), "]".repeat(400));
        assert!(TValue::parse(&flow).is_err());
    }
}
