//! A small JSON reader that remembers where each value starts.
//!
//! serde_json gives no spans, and a policy finding is only useful when it
//! points at a line. This recursive-descent reader records the 1-based line
//! and column of every value, limits nesting depth so hostile input gives an
//! error instead of a stack overflow, and never panics: every failure is a
//! `JsonError` with a line and column.

use std::fmt;

/// Deeper nesting than any real policy; deep enough for account dumps.
pub const MAX_DEPTH: usize = 128;

/// Where a value starts in its text, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// Kept as written; policies carry numbers only inside conditions.
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    /// Members in document order; duplicates are kept so the caller can
    /// reject them with a location.
    Object(Vec<(String, JsonValue)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct JsonValue {
    pub pos: Pos,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl JsonValue {
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match &self.kind {
            Kind::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[JsonValue]> {
        match &self.kind {
            Kind::Array(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, JsonValue)]> {
        match &self.kind {
            Kind::Object(v) => Some(v),
            _ => None,
        }
    }

    /// What the value is, for error messages ("expected a string, found an array").
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }

    /// The same value as serde_json sees it (duplicate keys: last wins, as
    /// serde_json does).
    pub fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => serde_json::from_str::<Value>(n).unwrap_or(Value::String(n.clone())),
            Kind::String(s) => Value::String(s.clone()),
            Kind::Array(v) => Value::Array(v.iter().map(JsonValue::to_serde).collect()),
            Kind::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect())
            }
        }
    }

    /// A located copy of a serde value; every position is `pos`, because
    /// the value came from somewhere without line information (a template,
    /// an API answer).
    pub fn from_serde(value: &serde_json::Value, pos: Pos) -> JsonValue {
        Self::from_serde_depth(value, pos, 0)
    }

    fn from_serde_depth(value: &serde_json::Value, pos: Pos, depth: usize) -> JsonValue {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => Kind::Number(n.to_string()),
            Value::String(s) => Kind::String(s.clone()),
            // serde_json itself stops at 128 levels, so recursion is bounded;
            // the check keeps it bounded for values built in code too.
            _ if depth >= MAX_DEPTH => Kind::Null,
            Value::Array(v) => Kind::Array(
                v.iter()
                    .map(|x| Self::from_serde_depth(x, pos, depth + 1))
                    .collect(),
            ),
            Value::Object(m) => Kind::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), Self::from_serde_depth(x, pos, depth + 1)))
                    .collect(),
            ),
        };
        JsonValue { pos, kind }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Parses one JSON text (RFC 8259; a leading UTF-8 BOM is skipped).
pub fn parse(text: &str) -> Result<JsonValue, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = Parser {
        bytes: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.i < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(v)
}

struct Parser<'a> {
    bytes: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
}

impl Parser<'_> {
    /// Byte column: cheap enough to record for every value, even on one
    /// long minified line.
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.i.saturating_sub(self.line_start) + 1,
        }
    }

    fn error(&self, message: impl Into<String>) -> JsonError {
        // Error columns count characters, not bytes, so editors agree.
        let end = self.i.min(self.bytes.len());
        let column = self.bytes[self.line_start.min(end)..end]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count()
            + 1;
        JsonError {
            line: self.line,
            column,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                _ => break,
            }
        }
    }

    fn expect_word(&mut self, word: &str, kind: Kind, pos: Pos) -> Result<JsonValue, JsonError> {
        if self.bytes[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(JsonValue { pos, kind })
        } else {
            Err(self.error("invalid literal (expected a value)"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        let pos = self.pos();
        match self.peek() {
            None => Err(self.error("unexpected end of input (expected a value)")),
            Some(b'{') => self.object(depth, pos),
            Some(b'[') => self.array(depth, pos),
            Some(b'"') => Ok(JsonValue {
                pos,
                kind: Kind::String(self.string()?),
            }),
            Some(b't') => self.expect_word("true", Kind::Bool(true), pos),
            Some(b'f') => self.expect_word("false", Kind::Bool(false), pos),
            Some(b'n') => self.expect_word("null", Kind::Null, pos),
            Some(b'-' | b'0'..=b'9') => self.number(pos),
            Some(_) => Err(self.error("unexpected character (expected a value)")),
        }
    }

    fn object(&mut self, depth: usize, pos: Pos) -> Result<JsonValue, JsonError> {
        self.i += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(JsonValue {
                pos,
                kind: Kind::Object(members),
            });
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.i += 1;
            self.skip_ws();
            let v = self.value(depth + 1)?;
            members.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(JsonValue {
                        pos,
                        kind: Kind::Object(members),
                    });
                }
                None => return Err(self.error("unexpected end of input (unclosed object)")),
                Some(_) => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize, pos: Pos) -> Result<JsonValue, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(JsonValue {
                pos,
                kind: Kind::Array(items),
            });
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(JsonValue {
                        pos,
                        kind: Kind::Array(items),
                    });
                }
                None => return Err(self.error("unexpected end of input (unclosed array)")),
                Some(_) => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self, pos: Pos) -> Result<JsonValue, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            p.i - s
        };
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number (digits expected after '.')"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number (digits expected in exponent)"));
            }
        }
        // The slice is ASCII digits and signs only, so it is valid UTF-8.
        let text = String::from_utf8_lossy(&self.bytes[start..self.i]).into_owned();
        Ok(JsonValue {
            pos,
            kind: Kind::Number(text),
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("invalid \\u escape (4 hex digits expected)")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unexpected end of input (unclosed string)")),
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.i..].starts_with(b"\\u") {
                                    return Err(self.error("unpaired surrogate in \\u escape"));
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error("invalid low surrogate in \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.error("invalid \\u escape (lone surrogate)"))?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in string")),
                    };
                    self.i += 1;
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                Some(b) if b < 0x20 => {
                    return Err(self.error("control character in string (escape it)"));
                }
                Some(b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
        // Input is &str and escapes are encoded as UTF-8, so this is valid;
        // lossy conversion keeps the function total anyway.
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_of_values() {
        let v = parse("{\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}").unwrap();
        let a = v.get("a").unwrap();
        assert_eq!(a.pos, Pos { line: 2, column: 8 });
        assert_eq!(a.as_array().unwrap()[1].pos.line, 4);
    }

    #[test]
    fn errors_have_line_and_column() {
        let e = parse("{\n  \"a\": tru\n}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        let e = parse("[1,\n 2,\n ").unwrap_err();
        assert_eq!(e.line, 3);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        let e = parse(&text).unwrap_err();
        assert!(e.message.contains("nesting"), "{e}");
    }

    #[test]
    fn agrees_with_serde_json() {
        let text = r#"{"a":"\u00e9\ud83d\ude00\n","b":[true,false,null,-1.5e3,0],"c":{}}"#;
        let ours = parse(text).unwrap().to_serde();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn rejects_what_json_rejects() {
        for bad in [
            "",
            "01",
            "[1,]",
            "{\"a\" 1}",
            "\"\\x\"",
            "[1] 2",
            "-",
            "1.",
            "\"\u{1}\"",
            "\"\\ud800\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
