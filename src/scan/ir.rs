//! A small Python syntax tree, lowered from tree-sitter's concrete tree.
//!
//! The interpreter only needs bindings, calls and control structure, so the
//! lowering keeps those and folds everything else into `Expr::Other`, which
//! still carries its sub-expressions (a call inside an unknown construct is
//! still a call). ERROR nodes are lowered like any other node: tree-sitter
//! keeps the parseable parts of a broken file inside them, and we want every
//! call that can be read.
//!
//! Depth is bounded: past `MAX_DEPTH` nested nodes the rest of a branch is
//! `Expr::Other(vec![])`, so a file of 10,000 nested parentheses cannot
//! overflow the stack here or in the interpreter.

use tree_sitter::Node;

const MAX_DEPTH: usize = 150;

#[derive(Debug, Clone)]
pub enum Expr {
    Name(String),
    /// `obj.name` at a line (attribute access can trigger a lazy load).
    Attr(Box<Expr>, String, usize),
    Call(Box<Call>),
    /// A string literal; f-strings keep their parts.
    Str(Vec<StrPart>),
    Int(i64),
    Bool(bool),
    None,
    Subscript(Box<Expr>, Box<Expr>),
    Dict(Vec<(Option<Expr>, Expr)>),
    List(Vec<Expr>),
    /// `a + b` (string building).
    Add(Box<Expr>, Box<Expr>),
    /// `a or b`, `a if c else b`: either value.
    Either(Vec<Expr>),
    /// `[f(x) for x in xs]`: bindings then the element.
    Comp(Vec<(Expr, Expr)>, Box<Expr>),
    Lambda(Vec<String>, Box<Expr>),
    /// `*xs` / `**kw` in a call or literal.
    Splat(Box<Expr>),
    Other(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub enum StrPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Debug, Clone)]
pub struct Call {
    pub func: Expr,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(String, Expr)>,
    /// `**kwargs` arguments.
    pub splats: Vec<Expr>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
    /// `*args` or `**kwargs`.
    pub star: u8,
}

#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    pub decorated: bool,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    /// `import a.b as c`: (dotted module, alias)
    Import(String, Option<String>),
    /// `from .m import a as b`: (level, module, [(name, alias)])
    ImportFrom(usize, String, Vec<(String, Option<String>)>),
    Assign(Vec<Expr>, Expr),
    Expr(Expr),
    Def(std::sync::Arc<FunctionDef>),
    Class(String, Vec<Expr>, Vec<Stmt>),
    Return(Option<Expr>),
    /// `raise` and other statements that end a block.
    Raise,
    /// Branches whose bodies may all run: if/elif/else, try/except, loops.
    Block(Vec<Stmt>),
    /// `for target in iter: body`
    For(Expr, Expr, Vec<Stmt>),
    /// `with value as target: body`
    With(Vec<(Expr, Option<Expr>)>, Vec<Stmt>),
    Global(Vec<String>),
}

/// Field ids of the Python grammar, resolved once: `child_by_field_name`
/// searches the grammar's field names by string at every call.
struct Fields {
    alias: u16,
    alternative: u16,
    arguments: u16,
    attribute: u16,
    body: u16,
    condition: u16,
    definition: u16,
    expression: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
    object: u16,
    operator: u16,
    parameters: u16,
    right: u16,
    subscript: u16,
    superclasses: u16,
    value: u16,
    /// Node kind names by kind id: `Node::kind` measures and checks the
    /// C string on every call.
    kinds: Vec<&'static str>,
}

fn fields() -> &'static Fields {
    static F: std::sync::OnceLock<Fields> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let lang: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let id = |n: &str| lang.field_id_for_name(n).map_or(u16::MAX, |i| i.get());
        Fields {
            alias: id("alias"),
            alternative: id("alternative"),
            arguments: id("arguments"),
            attribute: id("attribute"),
            body: id("body"),
            condition: id("condition"),
            definition: id("definition"),
            expression: id("expression"),
            function: id("function"),
            key: id("key"),
            left: id("left"),
            module_name: id("module_name"),
            name: id("name"),
            object: id("object"),
            operator: id("operator"),
            parameters: id("parameters"),
            right: id("right"),
            subscript: id("subscript"),
            superclasses: id("superclasses"),
            value: id("value"),
            kinds: (0..lang.node_kind_count())
                .map(|k| lang.node_kind_for_id(k as u16).unwrap_or(""))
                .collect(),
        }
    })
}

pub struct Lowering<'a> {
    src: &'a [u8],
    f: &'static Fields,
}

impl<'a> Lowering<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Lowering { src, f: fields() }
    }

    /// `self.kind(n)`, from the table.
    fn kind(&self, n: Node) -> &'static str {
        self.f
            .kinds
            .get(n.kind_id() as usize)
            .copied()
            .unwrap_or("")
    }

    fn text(&self, n: Node) -> String {
        String::from_utf8_lossy(&self.src[n.byte_range()]).into_owned()
    }

    pub fn module(&self, root: Node) -> Vec<Stmt> {
        self.block(root, 0)
    }

    fn block(&self, n: Node, depth: usize) -> Vec<Stmt> {
        let mut out = Vec::new();
        let mut cur = n.walk();
        for c in n.named_children(&mut cur) {
            self.stmt(c, depth + 1, &mut out);
        }
        out
    }

    fn stmt(&self, n: Node, depth: usize, out: &mut Vec<Stmt>) {
        if depth > MAX_DEPTH {
            return;
        }
        match self.kind(n) {
            "import_statement" => {
                let mut cur = n.walk();
                for c in n.children_by_field_name("name", &mut cur) {
                    match self.kind(c) {
                        "aliased_import" => {
                            let name = c.child_by_field_id(self.f.name).map(|x| self.text(x));
                            let alias = c.child_by_field_id(self.f.alias).map(|x| self.text(x));
                            if let Some(name) = name {
                                out.push(Stmt::Import(name, alias));
                            }
                        }
                        _ => out.push(Stmt::Import(self.text(c), None)),
                    }
                }
            }
            "import_from_statement" => {
                let (level, module) = match n.child_by_field_id(self.f.module_name) {
                    Some(m) if self.kind(m) == "relative_import" => {
                        let t = self.text(m);
                        let level = t.chars().take_while(|c| *c == '.').count();
                        (level, t[level..].to_string())
                    }
                    Some(m) => (0, self.text(m)),
                    None => (0, String::new()),
                };
                let mut names = Vec::new();
                let mut cur = n.walk();
                for c in n.children_by_field_name("name", &mut cur) {
                    match self.kind(c) {
                        "aliased_import" => {
                            if let Some(name) = c.child_by_field_id(self.f.name) {
                                let alias = c.child_by_field_id(self.f.alias).map(|x| self.text(x));
                                names.push((self.text(name), alias));
                            }
                        }
                        _ => names.push((self.text(c), None)),
                    }
                }
                if names.is_empty()
                    && n.named_children(&mut n.walk())
                        .any(|c| self.kind(c) == "wildcard_import")
                {
                    names.push(("*".to_string(), None));
                }
                out.push(Stmt::ImportFrom(level, module, names));
            }
            "future_import_statement"
            | "pass_statement"
            | "comment"
            | "break_statement"
            | "continue_statement" => {}
            "expression_statement" => {
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    self.expr_stmt(c, depth + 1, out);
                }
            }
            "function_definition" => {
                if let Some(f) = self.function(n, false, depth) {
                    out.push(Stmt::Def(std::sync::Arc::new(f)));
                }
            }
            "decorated_definition" => {
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    if self.kind(c) == "decorator" {
                        let mut inner = Vec::new();
                        self.expr_stmt(c, depth + 1, &mut inner);
                        out.extend(inner);
                    }
                }
                if let Some(d) = n.child_by_field_id(self.f.definition) {
                    match self.kind(d) {
                        "function_definition" => {
                            if let Some(f) = self.function(d, true, depth) {
                                out.push(Stmt::Def(std::sync::Arc::new(f)));
                            }
                        }
                        _ => self.stmt(d, depth + 1, out),
                    }
                }
            }
            "class_definition" => {
                let name = n
                    .child_by_field_id(self.f.name)
                    .map(|x| self.text(x))
                    .unwrap_or_default();
                let bases = n
                    .child_by_field_id(self.f.superclasses)
                    .map(|s| {
                        let mut cur = s.walk();
                        s.named_children(&mut cur)
                            .map(|c| self.expr(c, depth + 1))
                            .collect()
                    })
                    .unwrap_or_default();
                let body = n
                    .child_by_field_id(self.f.body)
                    .map(|b| self.block(b, depth))
                    .unwrap_or_default();
                out.push(Stmt::Class(name, bases, body));
            }
            "return_statement" => {
                let e = n.named_child(0).map(|c| self.expr(c, depth + 1));
                out.push(Stmt::Return(e));
            }
            "raise_statement" => {
                let mut cur = n.walk();
                let es: Vec<Expr> = n
                    .named_children(&mut cur)
                    .map(|c| self.expr(c, depth + 1))
                    .collect();
                out.push(Stmt::Expr(Expr::Other(es)));
                out.push(Stmt::Raise);
            }
            "global_statement" | "nonlocal_statement" => {
                let mut cur = n.walk();
                let names = n
                    .named_children(&mut cur)
                    .filter(|c| self.kind(*c) == "identifier")
                    .map(|c| self.text(c))
                    .collect();
                out.push(Stmt::Global(names));
            }
            "for_statement" => {
                let target = n
                    .child_by_field_id(self.f.left)
                    .map(|c| self.expr(c, depth + 1));
                let iter = n
                    .child_by_field_id(self.f.right)
                    .map(|c| self.expr(c, depth + 1));
                let body = n
                    .child_by_field_id(self.f.body)
                    .map(|b| self.block(b, depth))
                    .unwrap_or_default();
                if let (Some(t), Some(i)) = (target, iter) {
                    out.push(Stmt::For(t, i, body));
                } else {
                    out.push(Stmt::Block(body));
                }
                if let Some(alt) = n.child_by_field_id(self.f.alternative) {
                    out.push(Stmt::Block(self.block(alt, depth)));
                }
            }
            "with_statement" => {
                let mut items = Vec::new();
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    if self.kind(c) == "with_clause" {
                        let mut cur2 = c.walk();
                        for item in c.named_children(&mut cur2) {
                            if self.kind(item) != "with_item" {
                                continue;
                            }
                            if let Some(v) = item.child_by_field_id(self.f.value) {
                                if self.kind(v) == "as_pattern" {
                                    let val = v.named_child(0).map(|x| self.expr(x, depth + 1));
                                    let alias = v
                                        .child_by_field_id(self.f.alias)
                                        .and_then(|a| a.named_child(0).or(Some(a)))
                                        .map(|x| self.expr(x, depth + 1));
                                    if let Some(val) = val {
                                        items.push((val, alias));
                                    }
                                } else {
                                    items.push((self.expr(v, depth + 1), None));
                                }
                            }
                        }
                    }
                }
                let body = n
                    .child_by_field_id(self.f.body)
                    .map(|b| self.block(b, depth))
                    .unwrap_or_default();
                out.push(Stmt::With(items, body));
            }
            "if_statement" | "elif_clause" | "while_statement" => {
                let mut inner = Vec::new();
                if let Some(c) = n.child_by_field_id(self.f.condition) {
                    inner.push(Stmt::Expr(self.expr(c, depth + 1)));
                }
                // Each branch is its own block: a `return` in one branch must
                // not hide the others.
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    match self.kind(c) {
                        "block" => inner.push(Stmt::Block(self.block(c, depth))),
                        "elif_clause" | "else_clause" => {
                            let mut b = Vec::new();
                            self.stmt(c, depth + 1, &mut b);
                            inner.push(Stmt::Block(b));
                        }
                        _ => {}
                    }
                }
                out.push(Stmt::Block(inner));
            }
            "else_clause" | "finally_clause" => {
                out.push(Stmt::Block(self.block(n, depth)));
            }
            "try_statement" | "except_clause" | "except_group_clause" => {
                let mut inner = Vec::new();
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    match self.kind(c) {
                        "block" => inner.push(Stmt::Block(self.block(c, depth))),
                        "except_clause"
                        | "except_group_clause"
                        | "else_clause"
                        | "finally_clause" => {
                            let mut b = Vec::new();
                            self.stmt(c, depth + 1, &mut b);
                            inner.push(Stmt::Block(b));
                        }
                        _ => {}
                    }
                }
                out.push(Stmt::Block(inner));
            }
            "block" | "module" | "ERROR" => {
                // ERROR: tree-sitter's recovery; its children are the parts it
                // could read. Statements among them are lowered as such,
                // stray expressions as expression statements.
                let mut cur = n.walk();
                let kids: Vec<Node> = n.named_children(&mut cur).collect();
                for c in kids {
                    self.stmt(c, depth + 1, out);
                }
            }
            "print_statement" | "exec_statement" | "assert_statement" | "delete_statement" => {
                let mut cur = n.walk();
                let es = n
                    .named_children(&mut cur)
                    .map(|c| self.expr(c, depth + 1))
                    .collect();
                out.push(Stmt::Expr(Expr::Other(es)));
            }
            "match_statement" => {
                let mut cur = n.walk();
                let kids: Vec<Node> = n.named_children(&mut cur).collect();
                let mut inner = Vec::new();
                for c in kids {
                    let mut b = Vec::new();
                    self.stmt(c, depth + 1, &mut b);
                    inner.push(Stmt::Block(b));
                }
                out.push(Stmt::Block(inner));
            }
            _ => self.expr_stmt(n, depth + 1, out),
        }
    }

    fn expr_stmt(&self, n: Node, depth: usize, out: &mut Vec<Stmt>) {
        if depth > MAX_DEPTH {
            return;
        }
        match self.kind(n) {
            "assignment" => {
                // a = b = value: tree-sitter nests the right side.
                let mut targets = Vec::new();
                let mut cur = n;
                loop {
                    if let Some(l) = cur.child_by_field_id(self.f.left) {
                        targets.push(self.expr(l, depth + 1));
                    }
                    match cur.child_by_field_id(self.f.right) {
                        Some(r) if self.kind(r) == "assignment" => cur = r,
                        Some(r) => {
                            let v = self.expr(r, depth + 1);
                            out.push(Stmt::Assign(targets, v));
                            return;
                        }
                        None => return,
                    }
                }
            }
            "augmented_assignment" => {
                if let (Some(l), Some(r)) = (
                    n.child_by_field_id(self.f.left),
                    n.child_by_field_id(self.f.right),
                ) {
                    let left = self.expr(l, depth + 1);
                    let right = self.expr(r, depth + 1);
                    out.push(Stmt::Assign(
                        vec![left.clone()],
                        Expr::Add(Box::new(left), Box::new(right)),
                    ));
                }
            }
            "decorator" => {
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    out.push(Stmt::Expr(self.expr(c, depth + 1)));
                }
            }
            "comment" => {}
            _ => out.push(Stmt::Expr(self.expr(n, depth + 1))),
        }
    }

    fn function(&self, n: Node, decorated: bool, depth: usize) -> Option<FunctionDef> {
        let name = self.text(n.child_by_field_id(self.f.name)?);
        let mut params = Vec::new();
        if let Some(ps) = n.child_by_field_id(self.f.parameters) {
            let mut cur = ps.walk();
            for p in ps.named_children(&mut cur) {
                self.param(p, depth, &mut params);
            }
        }
        let body = n
            .child_by_field_id(self.f.body)
            .map(|b| self.block(b, depth))
            .unwrap_or_default();
        Some(FunctionDef {
            name,
            params,
            body,
            decorated,
            line: n.start_position().row + 1,
        })
    }

    fn param(&self, p: Node, depth: usize, out: &mut Vec<Param>) {
        match self.kind(p) {
            "identifier" => out.push(Param {
                name: self.text(p),
                default: None,
                star: 0,
            }),
            "typed_parameter" => {
                let star = match p.named_child(0).map(|c| self.kind(c)) {
                    Some("list_splat_pattern") => 1,
                    Some("dictionary_splat_pattern") => 2,
                    _ => 0,
                };
                let name = p
                    .named_child(0)
                    .map(|c| self.text(c).trim_start_matches('*').to_string())
                    .unwrap_or_default();
                out.push(Param {
                    name,
                    default: None,
                    star,
                })
            }
            "default_parameter" | "typed_default_parameter" => {
                if let Some(name) = p.child_by_field_id(self.f.name) {
                    out.push(Param {
                        name: self.text(name),
                        default: p
                            .child_by_field_id(self.f.value)
                            .map(|v| self.expr(v, depth + 1)),
                        star: 0,
                    });
                }
            }
            "list_splat_pattern" | "dictionary_splat_pattern" => out.push(Param {
                name: self.text(p).trim_start_matches('*').to_string(),
                default: None,
                star: if self.kind(p) == "list_splat_pattern" {
                    1
                } else {
                    2
                },
            }),
            _ => {}
        }
    }

    fn children_exprs(&self, n: Node, depth: usize) -> Vec<Expr> {
        let mut cur = n.walk();
        n.named_children(&mut cur)
            .filter(|c| self.kind(*c) != "comment")
            .map(|c| self.expr(c, depth + 1))
            .collect()
    }

    pub fn expr(&self, n: Node, depth: usize) -> Expr {
        if depth > MAX_DEPTH {
            return Expr::Other(vec![]);
        }
        let d = depth + 1;
        match self.kind(n) {
            "identifier" => Expr::Name(self.text(n)),
            "attribute" => {
                let obj = n.child_by_field_id(self.f.object).map(|o| self.expr(o, d));
                let attr = n.child_by_field_id(self.f.attribute).map(|a| self.text(a));
                match (obj, attr) {
                    (Some(o), Some(a)) => Expr::Attr(Box::new(o), a, n.start_position().row + 1),
                    (o, _) => Expr::Other(o.into_iter().collect()),
                }
            }
            "call" => {
                let Some(f) = n.child_by_field_id(self.f.function) else {
                    return Expr::Other(self.children_exprs(n, d));
                };
                let func = self.expr(f, d);
                let mut args = Vec::new();
                let mut kwargs = Vec::new();
                let mut splats = Vec::new();
                if let Some(a) = n.child_by_field_id(self.f.arguments) {
                    if self.kind(a) == "generator_expression" {
                        args.push(self.expr(a, d));
                    } else {
                        let mut cur = a.walk();
                        for c in a.named_children(&mut cur) {
                            match self.kind(c) {
                                "keyword_argument" => {
                                    let name =
                                        c.child_by_field_id(self.f.name).map(|x| self.text(x));
                                    let value =
                                        c.child_by_field_id(self.f.value).map(|x| self.expr(x, d));
                                    if let (Some(name), Some(value)) = (name, value) {
                                        kwargs.push((name, value));
                                    }
                                }
                                "dictionary_splat" => {
                                    if let Some(inner) = c.named_child(0) {
                                        splats.push(self.expr(inner, d));
                                    }
                                }
                                "list_splat" => {
                                    if let Some(inner) = c.named_child(0) {
                                        args.push(Expr::Splat(Box::new(self.expr(inner, d))));
                                    }
                                }
                                "comment" => {}
                                _ => args.push(self.expr(c, d)),
                            }
                        }
                    }
                }
                Expr::Call(Box::new(Call {
                    func,
                    args,
                    kwargs,
                    splats,
                    line: n.start_position().row + 1,
                }))
            }
            "string" => self.string(n, d),
            "concatenated_string" => {
                let mut parts = Vec::new();
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    if let Expr::Str(p) = self.string(c, d) {
                        parts.extend(p);
                    }
                }
                Expr::Str(parts)
            }
            "integer" => Expr::Int(self.text(n).replace('_', "").parse().unwrap_or(0)),
            "true" => Expr::Bool(true),
            "false" => Expr::Bool(false),
            "none" => Expr::None,
            "subscript" => {
                let v = n.child_by_field_id(self.f.value).map(|x| self.expr(x, d));
                let s = n
                    .child_by_field_id(self.f.subscript)
                    .map(|x| self.expr(x, d));
                match (v, s) {
                    (Some(v), Some(s)) => Expr::Subscript(Box::new(v), Box::new(s)),
                    (v, s) => Expr::Other(v.into_iter().chain(s).collect()),
                }
            }
            "dictionary" => {
                let mut pairs = Vec::new();
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    match self.kind(c) {
                        "pair" => {
                            let k = c.child_by_field_id(self.f.key).map(|x| self.expr(x, d));
                            let v = c.child_by_field_id(self.f.value).map(|x| self.expr(x, d));
                            if let (Some(k), Some(v)) = (k, v) {
                                pairs.push((Some(k), v));
                            }
                        }
                        "dictionary_splat" => {
                            if let Some(inner) = c.named_child(0) {
                                pairs.push((None, self.expr(inner, d)));
                            }
                        }
                        _ => {}
                    }
                }
                Expr::Dict(pairs)
            }
            "list" | "tuple" | "set" | "expression_list" | "pattern_list" | "tuple_pattern"
            | "list_pattern" => Expr::List(self.children_exprs(n, d)),
            "parenthesized_expression" | "await" | "keyword_separator" => match n.named_child(0) {
                Some(c) if n.named_child_count() == 1 => self.expr(c, d),
                _ => Expr::Other(self.children_exprs(n, d)),
            },
            "binary_operator" => {
                let l = n.child_by_field_id(self.f.left).map(|x| self.expr(x, d));
                let r = n.child_by_field_id(self.f.right).map(|x| self.expr(x, d));
                let op = n.child_by_field_id(self.f.operator).map(|o| self.text(o));
                match (l, r, op.as_deref()) {
                    (Some(l), Some(r), Some("+")) => Expr::Add(Box::new(l), Box::new(r)),
                    (Some(l), Some(r), Some("%")) => {
                        // "fmt %s" % x: a string with unknown parts.
                        Expr::Add(Box::new(l), Box::new(Expr::Other(vec![r])))
                    }
                    (l, r, _) => Expr::Other(l.into_iter().chain(r).collect()),
                }
            }
            "boolean_operator" => {
                let l = n.child_by_field_id(self.f.left).map(|x| self.expr(x, d));
                let r = n.child_by_field_id(self.f.right).map(|x| self.expr(x, d));
                Expr::Either(l.into_iter().chain(r).collect())
            }
            "conditional_expression" => {
                // body if cond else orelse
                let kids = self.children_exprs(n, d);
                let mut either = Vec::new();
                let mut other = Vec::new();
                for (i, k) in kids.into_iter().enumerate() {
                    if i == 1 {
                        other.push(k);
                    } else {
                        either.push(k);
                    }
                }
                if other.is_empty() {
                    Expr::Either(either)
                } else {
                    Expr::Other(vec![Expr::Either(either), Expr::Other(other)])
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "generator_expression"
            | "dictionary_comprehension" => {
                let mut gens = Vec::new();
                let mut rest = Vec::new();
                let mut cur = n.walk();
                for c in n.named_children(&mut cur) {
                    match self.kind(c) {
                        "for_in_clause" => {
                            let l = c.child_by_field_id(self.f.left).map(|x| self.expr(x, d));
                            let r = c.child_by_field_id(self.f.right).map(|x| self.expr(x, d));
                            if let (Some(l), Some(r)) = (l, r) {
                                gens.push((l, r));
                            }
                        }
                        "if_clause" => rest.extend(self.children_exprs(c, d)),
                        _ => {}
                    }
                }
                let body = n
                    .child_by_field_id(self.f.body)
                    .map(|b| self.expr(b, d))
                    .unwrap_or(Expr::Other(vec![]));
                let body = if rest.is_empty() {
                    body
                } else {
                    rest.push(body);
                    Expr::Other(rest)
                };
                Expr::Comp(gens, Box::new(body))
            }
            "lambda" => {
                let mut params = Vec::new();
                if let Some(ps) = n.child_by_field_id(self.f.parameters) {
                    let mut cur = ps.walk();
                    let mut ps2 = Vec::new();
                    for p in ps.named_children(&mut cur) {
                        self.param(p, d, &mut ps2);
                    }
                    params = ps2.into_iter().map(|p| p.name).collect();
                }
                let body = n
                    .child_by_field_id(self.f.body)
                    .map(|b| self.expr(b, d))
                    .unwrap_or(Expr::Other(vec![]));
                Expr::Lambda(params, Box::new(body))
            }
            "list_splat" | "dictionary_splat" => match n.named_child(0) {
                Some(c) => Expr::Splat(Box::new(self.expr(c, d))),
                None => Expr::Other(vec![]),
            },
            "named_expression" => {
                // (x := value): value; the binding is rare around boto3.
                match n.child_by_field_id(self.f.value) {
                    Some(v) => self.expr(v, d),
                    None => Expr::Other(vec![]),
                }
            }
            _ => Expr::Other(self.children_exprs(n, d)),
        }
    }

    fn string(&self, n: Node, d: usize) -> Expr {
        let mut parts = Vec::new();
        let mut cur = n.walk();
        for c in n.named_children(&mut cur) {
            match self.kind(c) {
                "string_content" => parts.push(StrPart::Lit(unescape(&self.text(c)))),
                "escape_sequence" => parts.push(StrPart::Lit(unescape(&self.text(c)))),
                "interpolation" => {
                    let e = c
                        .child_by_field_id(self.f.expression)
                        .or_else(|| c.named_child(0))
                        .map(|x| self.expr(x, d))
                        .unwrap_or(Expr::Other(vec![]));
                    parts.push(StrPart::Expr(e));
                }
                _ => {}
            }
        }
        Expr::Str(parts)
    }
}

/// Enough unescaping for resource names: `\n`, `\t`, quotes, backslash.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}
