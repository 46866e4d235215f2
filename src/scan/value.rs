//! Abstract values: what the interpreter knows an expression may hold.

use std::collections::BTreeMap;

/// One piece of a string whose parts may come from the environment or be
/// unknown: `"orders-" + os.environ["STAGE"]` is `[Lit("orders-"), Env("STAGE")]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Piece {
    Lit(String),
    Env(String),
    Unknown,
}

/// A string value built from pieces, adjacent literals merged.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SVal(pub Vec<Piece>);

impl SVal {
    pub fn lit(s: &str) -> Self {
        SVal(vec![Piece::Lit(s.to_string())])
    }
    pub fn unknown() -> Self {
        SVal(vec![Piece::Unknown])
    }
    pub fn push(&mut self, p: Piece) {
        match (self.0.last_mut(), p) {
            (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
            (Some(Piece::Unknown), Piece::Unknown) => {}
            (_, p) => self.0.push(p),
        }
    }
    pub fn concat(&self, other: &SVal) -> SVal {
        let mut out = self.clone();
        for p in &other.0 {
            out.push(p.clone());
        }
        out
    }
    /// The literal text when every piece is literal.
    pub fn as_lit(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Piece::Lit(l) => s.push_str(l),
                _ => return None,
            }
        }
        Some(s)
    }
    /// Rendered for an ARN: env vars as `${NAME}` (or their value when
    /// known), unknown parts as `*`.
    pub fn render(&self, env: &BTreeMap<String, String>) -> String {
        let mut s = String::new();
        for p in &self.0 {
            match p {
                Piece::Lit(l) => s.push_str(l),
                Piece::Env(e) => match env.get(e) {
                    Some(v) => s.push_str(v),
                    None => {
                        s.push_str("${");
                        s.push_str(e);
                        s.push('}');
                    }
                },
                Piece::Unknown => {
                    if !s.ends_with('*') {
                        s.push('*')
                    }
                }
            }
        }
        s
    }
}

/// A set of abstract values, kept sorted in a vector: sets are small (one
/// value nearly always, never more than [`MAX_SET`]), and a `BTreeSet` leaf
/// node for one value costs eleven slots.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ValSet(Vec<Value>);

impl ValSet {
    pub const fn new() -> Self {
        ValSet(Vec::new())
    }
    /// Adds `v`; true when it was not there.
    pub fn insert(&mut self, v: Value) -> bool {
        match self.0.binary_search(&v) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, v);
                true
            }
        }
    }
    pub fn contains(&self, v: &Value) -> bool {
        self.0.binary_search(v).is_ok()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.0.iter()
    }
    pub fn first(&self) -> Option<&Value> {
        self.0.first()
    }
}

impl FromIterator<Value> for ValSet {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        let mut v: Vec<Value> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        ValSet(v)
    }
}

impl Extend<Value> for ValSet {
    fn extend<I: IntoIterator<Item = Value>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl IntoIterator for ValSet {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValSet {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Identity of an interpreter entity (function, class, module): an index.
pub type Id = usize;

/// A client, session or resource's service and settings; shared, so values
/// that hold one stay small and cheap to copy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sdk(std::sync::Arc<SdkData>);

impl Sdk {
    pub fn new(svc: String, region: Option<String>, foreign: bool) -> Self {
        Sdk(std::sync::Arc::new(SdkData {
            svc,
            region,
            foreign,
        }))
    }
}

impl std::ops::Deref for Sdk {
    type Target = SdkData;
    fn deref(&self) -> &SdkData {
        &self.0
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SdkData {
    /// boto3 service name; empty when the service is not known statically.
    pub svc: String,
    /// `region_name` when the code pins one.
    pub region: Option<String>,
    /// Built with explicit credentials (from `sts.assume_role`): the calls
    /// belong to another role.
    pub foreign: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Str(SVal),
    Int(i64),
    Bool(bool),
    NoneV,
    /// The `boto3` module (and `boto3.session`).
    Boto3,
    Boto3Client,
    Boto3Resource,
    SessionClass,
    Session(Sdk),
    Client(Sdk),
    /// A boto3 resource object: service resource (`rtype` = "") or a
    /// resource type (`Table`, `Bucket`) with its identifier values.
    Res(Sdk, String, Vec<SVal>),
    /// A resource collection (boxed: it is the largest value).
    Coll(Box<Coll>),
    Paginator(Sdk, String),
    Waiter(Sdk, String),
    /// `table.batch_writer()`: writes are BatchWriteItem on the table.
    BatchWriter(Sdk, SVal),
    /// `client.method` not yet called.
    SdkMethod(Box<Value>, String),
    /// The result of `sts.assume_role`: credentials of another role.
    AssumedCreds,
    OsModule,
    OsEnviron,
    /// `os.environ.get` / `os.getenv`
    EnvGet,
    Getattr,
    Dict(BTreeMap<String, ValSet>),
    /// `d.get` bound to a dict.
    DictGet(BTreeMap<String, ValSet>),
    List(Vec<ValSet>),
    Func(Id),
    Class(Id),
    Instance(Id),
    /// A method bound to an instance: (class, function).
    Method(Id, Id),
    Module(String),
    Unknown,
}

/// Sets larger than this collapse to `Unknown`: precision is gone anyway,
/// and it bounds the fixpoint.
pub const MAX_SET: usize = 24;

pub fn one(v: Value) -> ValSet {
    let mut s = ValSet::new();
    s.insert(v);
    s
}

pub fn unknown() -> ValSet {
    one(Value::Unknown)
}

/// String values of a set; non-strings become unknown strings.
pub fn strings(vs: &ValSet) -> Vec<SVal> {
    let mut out: Vec<SVal> = Vec::new();
    for v in vs {
        let s = match v {
            Value::Str(s) => s.clone(),
            Value::Int(i) => SVal::lit(&i.to_string()),
            Value::NoneV => continue,
            _ => SVal::unknown(),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        out.push(SVal::unknown());
    }
    out
}

/// A resource collection: `bucket.objects.filter(Prefix=...)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coll {
    pub sdk: Sdk,
    /// The parent resource type ("" for the service resource).
    pub rtype: String,
    /// The collection's name in the resource model (`objects`).
    pub name: String,
    /// The parent's identifier values.
    pub ids: Vec<SVal>,
    /// Filter arguments given so far.
    pub filt: BTreeMap<String, ValSet>,
}
