//! The abstract interpreter: follows boto3 objects through a Python tree.
//!
//! Flow-insensitive and context-insensitive on purpose: every name holds the
//! union of everything assigned to it anywhere in its scope, every parameter
//! the union of what every caller passes, every function returns the union
//! of its `return`s. A worklist re-runs a module body or function only when
//! something it read grew (bounded), and each keeps the SDK calls of its
//! latest run. Only reachable code counts: module
//! bodies, Lambda handlers, decorated functions, and what they call. That is
//! what keeps dead code (a helper nobody calls, a call after `return`) out of
//! the policy.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hash;

/// Hash maps keyed by names and ids, with a fast fixed-seed hash: the
/// interpreter hashes a name at every lookup, and SipHash showed in profiles.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;
use std::sync::Arc;

use serde_json::Value as Json;

use super::ir::{Call, Expr, FunctionDef, Stmt, StrPart};
use super::value::*;
use crate::actionmap::table;

/// How a recorded call names its operation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpRef {
    /// A boto3 client method name (`get_object`, `upload_file`).
    Method(String),
    /// A botocore operation name (`GetObject`), from resource models.
    Operation(String),
    /// A waiter name (`object_exists`).
    Waiter(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SdkCall {
    pub module: Id,
    pub line: usize,
    pub sdk: Sdk,
    pub op: OpRef,
    /// How the call reads in the source (`s3.download_file`).
    pub display: String,
    pub args: BTreeMap<String, ValSet>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dynamic {
    pub module: Id,
    pub line: usize,
    pub reason: String,
}

#[derive(Clone)]
pub struct ModuleSrc {
    pub name: String,
    /// `__init__.py`: relative imports resolve inside it, not beside it.
    pub is_package: bool,
    pub body: Vec<Stmt>,
}

struct Scope {
    vars: HashMap<String, ValSet>,
    parent: Option<Id>,
    globals: HashSet<String>,
    module: Id,
    /// A factory's scope for one call site's evaluation (see `inline_call`):
    /// cleared before each use, so its bindings are not fixpoint state.
    transient: bool,
}

struct FuncInfo {
    def: Arc<FunctionDef>,
    scope: Id,
    /// The scope the `def` appears in (defaults are evaluated there).
    outer: Id,
    class: Option<Id>,
    /// A small factory (see `is_factory`): its scope for evaluating it at
    /// each call site with that site's arguments.
    inline_scope: Option<Id>,
}

struct ClassInfo {
    scope: Id,
    bases: ValSet,
}

/// How often one module body or function may run before the fixpoint
/// stops growing it: bounds pathological code (a string grown in a loop).
const MAX_RUNS: u32 = 24;

/// A callee runs on demand at its first call (see `run_on_demand`) only
/// from an expression at most this deep, and at most this many units deep.
const MAX_DEMAND_DEPTH: usize = 8;
const MAX_DEMAND_NEST: usize = 3;

/// How deep factories evaluated at a call site may nest (a factory calling
/// a factory); deeper calls read the callee's summary.
const MAX_INLINE: usize = 4;

/// How many statements a factory may have.
const MAX_FACTORY_STMTS: usize = 8;

/// A small function that builds and returns an SDK object from its
/// arguments (`def make_client(name): return session.client(name)`): only
/// assignments, expressions, branches and returns, at most
/// `MAX_FACTORY_STMTS` statements, and a call of `client`, `resource` or a
/// capitalised name (`Session`, `Table`, `Bucket`). Evaluated at each call
/// site (see `Interp::inline_call`).
fn is_factory(def: &FunctionDef) -> bool {
    fn walk(body: &[Stmt], count: &mut usize, returns: &mut bool, builds: &mut bool) -> bool {
        for s in body {
            *count += 1;
            if *count > MAX_FACTORY_STMTS {
                return false;
            }
            match s {
                Stmt::Assign(targets, v) => {
                    *builds |= targets.iter().any(builds_sdk) || builds_sdk(v);
                }
                Stmt::Expr(e) => *builds |= builds_sdk(e),
                Stmt::Return(e) => {
                    if let Some(e) = e {
                        *returns = true;
                        *builds |= builds_sdk(e);
                    }
                }
                Stmt::Raise => {}
                Stmt::Block(b) => {
                    if !walk(b, count, returns, builds) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    }
    let (mut count, mut returns, mut builds) = (0, false, false);
    !def.params.is_empty()
        && walk(&def.body, &mut count, &mut returns, &mut builds)
        && returns
        && builds
}

/// Whether `e` calls `client`, `resource` or a capitalised name.
fn builds_sdk(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => {
            let name = match &c.func {
                Expr::Name(n) | Expr::Attr(_, n, _) => n.as_str(),
                _ => "",
            };
            name == "client"
                || name == "resource"
                || name.starts_with(|ch: char| ch.is_ascii_uppercase())
                || builds_sdk(&c.func)
                || c.args.iter().any(builds_sdk)
                || c.kwargs.iter().any(|(_, v)| builds_sdk(v))
                || c.splats.iter().any(builds_sdk)
        }
        Expr::Attr(o, _, _) | Expr::Splat(o) | Expr::Lambda(_, o) => builds_sdk(o),
        Expr::Subscript(a, b) | Expr::Add(a, b) => builds_sdk(a) || builds_sdk(b),
        Expr::Either(v) | Expr::List(v) | Expr::Other(v) => v.iter().any(builds_sdk),
        Expr::Dict(kv) => kv
            .iter()
            .any(|(k, v)| k.as_ref().is_some_and(builds_sdk) || builds_sdk(v)),
        Expr::Comp(g, b) => g.iter().any(|(t, i)| builds_sdk(t) || builds_sdk(i)) || builds_sdk(b),
        Expr::Str(parts) => parts.iter().any(|p| match p {
            StrPart::Expr(e) => builds_sdk(e),
            StrPart::Lit(_) => false,
        }),
        Expr::Name(_) | Expr::Int(_) | Expr::Bool(_) | Expr::None => false,
    }
}

/// Who read what during the fixpoint, so a binding that grows re-runs only
/// the code that read it. A unit is a module body (its index) or a
/// function (`modules.len() + id`).
#[derive(Default)]
struct Deps {
    /// Per scope: name -> units that looked it up there (hit or miss).
    vars: Vec<HashMap<String, Vec<u32>>>,
    /// Per scope: units that read all its names (`from m import *`).
    all_vars: Vec<Vec<u32>>,
    /// Per function: units that used its return value.
    returns: Vec<Vec<u32>>,
    /// Per class: units that looked through its bases.
    bases: Vec<Vec<u32>>,
}

fn add_reader(list: &mut Vec<u32>, unit: u32) {
    if list.last() != Some(&unit) && !list.contains(&unit) {
        list.push(unit);
    }
}

/// Module names of a tree and how imports resolve to them.
#[derive(Default)]
struct ModIndex {
    by_name: HashMap<String, Id>,
    /// Every dotted suffix of a module name -> the modules that end with it
    /// (sorted), so `import notify` finds `pkg/notify.py` without a scan.
    by_suffix: HashMap<String, Vec<String>>,
    /// Dotted names that are packages (a prefix of some module's name, at
    /// any depth).
    packages: HashSet<String>,
}

impl ModIndex {
    fn new(modules: &[ModuleSrc]) -> Self {
        let mut ix = ModIndex::default();
        for (i, m) in modules.iter().enumerate() {
            ix.by_name.insert(m.name.clone(), i);
            let parts: Vec<&str> = m.name.split('.').collect();
            for start in 0..parts.len() {
                ix.by_suffix
                    .entry(parts[start..].join("."))
                    .or_default()
                    .push(m.name.clone());
                for end in start + 1..parts.len() {
                    ix.packages.insert(parts[start..end].join("."));
                }
            }
        }
        ix
    }

    fn has_package(&self, name: &str) -> bool {
        self.packages.contains(name)
    }

    /// Finds a module of the tree by dotted name, imported from module
    /// `cur`: exact, else a sibling, else the first module whose name ends
    /// with it (handlers often import siblings as top-level modules:
    /// `import notify` next to `notify.py`).
    fn find_module(&self, cur: &str, name: &str) -> Option<String> {
        if self.by_name.contains_key(name) {
            return Some(name.to_string());
        }
        let pkg = cur.rsplit_once('.').map(|(p, _)| p).unwrap_or("");
        let sibling = if pkg.is_empty() {
            name.to_string()
        } else {
            format!("{pkg}.{name}")
        };
        if self.by_name.contains_key(&sibling) {
            return Some(sibling);
        }
        self.by_suffix
            .get(name)
            .and_then(|c| c.iter().min().cloned())
    }

    /// The module (or package) `from <level dots><module> import ...` in
    /// module `cur` names.
    fn resolve_from(&self, cur: &ModuleSrc, level: usize, module: &str) -> Option<String> {
        if level == 0 {
            return self.find_module(&cur.name, module).or_else(|| {
                if self.has_package(module) {
                    Some(module.to_string())
                } else {
                    None
                }
            });
        }
        let mut parts: Vec<&str> = cur.name.split('.').collect();
        if !cur.is_package {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop();
        }
        let mut base = parts.join(".");
        if !module.is_empty() {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(module);
        }
        Some(base)
    }
}

/// What interpreting a tree found.
pub struct Outcome {
    /// Every SDK call, once, in the order one interpreter over the whole
    /// tree records them (module bodies, then functions, in tree order).
    pub calls: Vec<SdkCall>,
    pub dynamic: BTreeSet<Dynamic>,
    pub stats: Stats,
    /// How many independent parts the tree was interpreted in.
    pub parts: usize,
    /// The interpreters, for the caller to free off its critical path.
    pub spent: Vec<Interp>,
}

/// Interprets a tree from the entry functions `entries` picks. Modules no
/// chain of imports connects cannot see each other's bindings, so each
/// such part (`components`) runs in its own interpreter, in parallel; the
/// result equals one interpreter's over the whole tree (debug builds check
/// that every module an import reaches is in its part).
pub fn interpret(
    modules: Vec<ModuleSrc>,
    entries: &(dyn Fn(&FunctionDef, bool, &str) -> bool + Sync),
) -> Outcome {
    let t = std::time::Instant::now();
    let index = Arc::new(ModIndex::new(&modules));
    let parts = components(&modules, &index);
    let t = crate::timing::phase("scan: interpreter: index and parts", t);
    if parts.len() <= 1 {
        let mut it = Interp::part(modules.into(), index, Default::default(), 0);
        it.run(entries);
        return Outcome {
            calls: std::mem::take(&mut it.calls),
            dynamic: std::mem::take(&mut it.dynamic),
            stats: it.stats,
            parts: 1,
            spent: vec![it],
        };
    }
    let mut local = vec![(0u32, 0u32); modules.len()];
    for (p, ids) in parts.iter().enumerate() {
        for (l, &g) in ids.iter().enumerate() {
            local[g] = (p as u32, l as u32);
        }
    }
    let local = Arc::new(local);
    // Debug builds (the tests) interpret the whole tree once more and check
    // the parts found the same.
    let whole = cfg!(debug_assertions).then(|| (modules.clone(), index.clone()));
    let mut slots: Vec<Option<ModuleSrc>> = modules.into_iter().map(Some).collect();
    let jobs: Vec<(u32, Vec<Id>, Vec<ModuleSrc>)> = parts
        .into_iter()
        .enumerate()
        .map(|(p, ids)| {
            let mods = ids.iter().filter_map(|&g| slots[g].take()).collect();
            (p as u32, ids, mods)
        })
        .collect();
    use rayon::prelude::*;
    // Each part's calls keyed (modules before functions, the tree's module,
    // the function's declaration order): the order of units in one
    // whole-tree interpreter. A part's interpreter is freed on its thread
    // as soon as it is read, so the next part reuses its memory.
    type Keyed = Vec<((bool, Id, usize), SdkCall)>;
    let done: Vec<(Keyed, Vec<Dynamic>, Stats)> = jobs
        .into_par_iter()
        .map(|(p, ids, mods)| {
            let mut it = Interp::part(mods.into(), index.clone(), local.clone(), p);
            it.run(entries);
            let n = it.modules.len();
            let calls = std::mem::take(&mut it.calls);
            let keyed: Keyed = calls
                .into_iter()
                .zip(&it.call_units)
                .map(|(mut c, &u)| {
                    let u = u as usize;
                    let key = if u < n {
                        (false, ids[u], 0)
                    } else {
                        let f = u - n;
                        (true, ids[it.scopes[it.funcs[f].scope].module], f)
                    };
                    c.module = ids[c.module];
                    (key, c)
                })
                .collect();
            let dynamic = std::mem::take(&mut it.dynamic)
                .into_iter()
                .map(|mut d| {
                    d.module = ids[d.module];
                    d
                })
                .collect();
            (keyed, dynamic, it.stats)
        })
        .collect();
    let t = crate::timing::phase("scan: interpreter: parts run", t);
    let mut out = Outcome {
        calls: Vec::new(),
        dynamic: BTreeSet::new(),
        stats: Stats::default(),
        parts: done.len(),
        spent: Vec::new(),
    };
    let mut keyed: Keyed = Vec::new();
    for (k, d, stats) in done {
        keyed.extend(k);
        out.dynamic.extend(d);
        out.stats.runs += stats.runs;
        out.stats.units += stats.units;
        out.stats.modules_again += stats.modules_again;
        out.stats.functions_again += stats.functions_again;
    }
    keyed.sort_by_key(|(k, _)| *k);
    out.calls = keyed.into_iter().map(|(_, c)| c).collect();
    crate::timing::phase("scan: interpreter: merge", t);
    if let Some((modules, index)) = whole {
        let mut it = Interp::part(modules.into(), index, Default::default(), 0);
        it.run(entries);
        debug_assert!(
            it.calls == out.calls && it.dynamic == out.dynamic,
            "interpreting the tree in {} parts found other calls than interpreting it whole",
            out.parts
        );
    }
    out
}

/// Groups a tree's modules into parts no import crosses: a module joins
/// every module an import in it (at any depth) can reach, which is the
/// module it resolves to and, since attributes of a package reach its
/// submodules, every module below that name. Each part lists its modules
/// in tree order; parts are ordered by their first module.
fn components(modules: &[ModuleSrc], index: &ModIndex) -> Vec<Vec<Id>> {
    fn root(uf: &mut [usize], mut x: usize) -> usize {
        while uf[x] != x {
            uf[x] = uf[uf[x]];
            x = uf[x];
        }
        x
    }
    fn join(uf: &mut [usize], a: usize, b: usize) {
        let (ra, rb) = (root(uf, a), root(uf, b));
        if ra != rb {
            uf[ra.max(rb)] = ra.min(rb);
        }
    }
    let n = modules.len();
    let mut uf: Vec<usize> = (0..n).collect();
    let mut sorted: Vec<(&str, Id)> = modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.as_str(), i))
        .collect();
    sorted.sort_unstable();
    // A name -> one module of (the module of that name and those below
    // it), all of them already joined.
    let mut joined: HashMap<String, Option<Id>> = HashMap::default();
    let mut targets: Vec<String> = Vec::new();
    for (i, m) in modules.iter().enumerate() {
        targets.clear();
        let mut stack: Vec<&[Stmt]> = vec![&m.body];
        while let Some(body) = stack.pop() {
            for s in body {
                match s {
                    Stmt::Import(name, alias) => {
                        // `import a.b` binds `a`; `import a.b as c` binds `a.b`.
                        let full = match alias {
                            None => name.split('.').next().unwrap_or(name),
                            Some(_) => name.as_str(),
                        };
                        targets.push(
                            index
                                .find_module(&m.name, full)
                                .unwrap_or_else(|| full.to_string()),
                        );
                    }
                    Stmt::ImportFrom(level, module, names) => {
                        match index.resolve_from(m, *level, module) {
                            // `from . import x` in a top-level module: `x`.
                            Some(base) if base.is_empty() => {
                                targets.extend(names.iter().map(|(x, _)| x.clone()))
                            }
                            Some(base) => targets.push(base),
                            None => {}
                        }
                    }
                    Stmt::Def(f) => stack.push(&f.body),
                    Stmt::Class(_, _, b)
                    | Stmt::Block(b)
                    | Stmt::For(_, _, b)
                    | Stmt::With(_, b) => stack.push(b),
                    _ => {}
                }
            }
        }
        for t in &targets {
            let rep = match joined.get(t) {
                Some(r) => *r,
                None => {
                    let mut members: Vec<Id> = index.by_name.get(t).copied().into_iter().collect();
                    let below = format!("{t}.");
                    let start = sorted.partition_point(|(name, _)| *name < below.as_str());
                    members.extend(
                        sorted[start..]
                            .iter()
                            .take_while(|(name, _)| name.starts_with(&below))
                            .map(|(_, g)| *g),
                    );
                    for w in members.windows(2) {
                        join(&mut uf, w[0], w[1]);
                    }
                    joined.insert(t.clone(), members.first().copied());
                    members.first().copied()
                }
            };
            if let Some(r) = rep {
                join(&mut uf, i, r);
            }
        }
    }
    let mut parts: Vec<Vec<Id>> = Vec::new();
    let mut part_of_root: HashMap<usize, usize> = HashMap::default();
    for i in 0..n {
        let r = root(&mut uf, i);
        let p = *part_of_root.entry(r).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[p].push(i);
    }
    parts
}

pub struct Interp {
    modules: Arc<[ModuleSrc]>,
    /// The whole tree's module names (ids global).
    index: Arc<ModIndex>,
    /// When this interpreter runs one part of the tree (see `interpret`):
    /// per module of the tree, its part and its id in that part. Empty: the
    /// whole tree, ids equal.
    local: Arc<Vec<(u32, u32)>>,
    /// Which part this interpreter runs.
    part: u32,
    scopes: Vec<Scope>,
    funcs: Vec<FuncInfo>,
    classes: Vec<ClassInfo>,
    /// A `def` (its address: bodies are shared, never moved) -> its function.
    func_ids: HashMap<usize, Id>,
    returns: HashMap<Id, ValSet>,
    reached: BTreeSet<Id>,
    changed: bool,
    /// Per unit: the SDK calls and unresolved calls its latest run made.
    unit_calls: Vec<Vec<SdkCall>>,
    unit_dynamic: Vec<Vec<Dynamic>>,
    pub calls: Vec<SdkCall>,
    pub dynamic: BTreeSet<Dynamic>,
    /// Recorded calls by the hash of their identity (indexes into `calls`).
    seen_calls: HashMap<u64, Vec<usize>>,
    cur_module: Id,
    depth: usize,
    deps: std::cell::RefCell<Deps>,
    cur_unit: u32,
    queue: std::collections::VecDeque<u32>,
    queued: Vec<bool>,
    /// Per unit: how often it has run.
    runs: Vec<u32>,
    /// Units executing now, outermost first: the worklist's unit, then
    /// callees run on demand at their first call.
    running: Vec<u32>,
    /// Factories being evaluated at a call site, innermost last.
    inlining: Vec<Id>,
    /// Per entry of `calls`: the unit that recorded it.
    call_units: Vec<u32>,
    stats: Stats,
}

/// How much work the fixpoint took (for profiling).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub runs: usize,
    pub units: usize,
    pub modules_again: usize,
    pub functions_again: usize,
}

impl Interp {
    /// An interpreter for `modules`, part `part` of the tree `index`
    /// describes; `local` maps the tree's module ids to (part, position in
    /// that part), empty when `modules` is the whole tree.
    fn part(
        modules: Arc<[ModuleSrc]>,
        index: Arc<ModIndex>,
        local: Arc<Vec<(u32, u32)>>,
        part: u32,
    ) -> Self {
        let mut it = Interp {
            modules: modules.clone(),
            index,
            local,
            part,
            scopes: Vec::new(),
            funcs: Vec::new(),
            classes: Vec::new(),
            func_ids: HashMap::default(),
            returns: HashMap::default(),
            reached: BTreeSet::new(),
            changed: false,
            unit_calls: Vec::new(),
            unit_dynamic: Vec::new(),
            calls: Vec::new(),
            dynamic: BTreeSet::new(),
            seen_calls: HashMap::default(),
            cur_module: 0,
            depth: 0,
            deps: Default::default(),
            cur_unit: 0,
            queue: Default::default(),
            queued: Vec::new(),
            runs: Vec::new(),
            running: Vec::new(),
            inlining: Vec::new(),
            call_units: Vec::new(),
            stats: Stats::default(),
        };
        for i in 0..modules.len() {
            it.scopes.push(Scope {
                vars: HashMap::default(),
                parent: None,
                globals: HashSet::default(),
                module: i,
                transient: false,
            });
        }
        for (i, m) in modules.iter().enumerate() {
            it.declare(&m.body, i, None);
        }
        let deps = it.deps.get_mut();
        deps.vars = vec![HashMap::default(); it.scopes.len()];
        deps.all_vars = vec![Vec::new(); it.scopes.len()];
        deps.returns = vec![Vec::new(); it.funcs.len()];
        deps.bases = vec![Vec::new(); it.classes.len()];
        it.queued = vec![false; modules.len() + it.funcs.len()];
        it.runs = vec![0; it.queued.len()];
        it.unit_calls = vec![Vec::new(); it.queued.len()];
        it.unit_dynamic = vec![Vec::new(); it.queued.len()];
        it
    }

    /// Registers every function and class, so ids are stable across runs.
    fn declare(&mut self, body: &[Stmt], scope: Id, class: Option<Id>) {
        for s in body {
            match s {
                Stmt::Def(f) => {
                    let module = self.scopes[scope].module;
                    let fscope = self.scopes.len();
                    self.scopes.push(Scope {
                        vars: HashMap::default(),
                        parent: Some(if class.is_some() {
                            self.scopes[scope].parent.unwrap_or(scope)
                        } else {
                            scope
                        }),
                        globals: HashSet::default(),
                        module,
                        transient: false,
                    });
                    let inline_scope = is_factory(f).then(|| {
                        self.scopes.push(Scope {
                            vars: HashMap::default(),
                            parent: self.scopes[fscope].parent,
                            globals: HashSet::default(),
                            module,
                            transient: true,
                        });
                        self.scopes.len() - 1
                    });
                    let id = self.funcs.len();
                    self.funcs.push(FuncInfo {
                        def: f.clone(),
                        scope: fscope,
                        outer: scope,
                        class,
                        inline_scope,
                    });
                    self.func_ids.insert(Arc::as_ptr(f) as usize, id);
                    self.declare(&f.body, fscope, None);
                }
                Stmt::Class(_, _, body) => {
                    let module = self.scopes[scope].module;
                    let cscope = self.scopes.len();
                    self.scopes.push(Scope {
                        vars: HashMap::default(),
                        parent: Some(scope),
                        globals: HashSet::default(),
                        module,
                        transient: false,
                    });
                    let cid = self.classes.len();
                    self.classes.push(ClassInfo {
                        scope: cscope,
                        bases: ValSet::new(),
                    });
                    self.declare(body, cscope, Some(cid));
                }
                Stmt::Block(b) | Stmt::For(_, _, b) | Stmt::With(_, b) => {
                    self.declare(b, scope, class)
                }
                _ => {}
            }
        }
    }

    /// Runs to a fixpoint from the given entry functions, recording calls.
    pub fn run(&mut self, entries: impl Fn(&FunctionDef, bool, &str) -> bool) {
        for (id, f) in self.funcs.iter().enumerate() {
            let top = f.class.is_none() && f.outer < self.modules.len();
            let module = &self.modules[self.scopes[f.scope].module].name;
            if entries(&f.def, top, module) {
                self.reached.insert(id);
            }
        }
        // The fixpoint: every module body, then every reached function, then
        // whatever read a binding that grew, until nothing grows.
        let n = self.modules.len();
        for u in self.import_order() {
            self.enqueue(u as u32);
        }
        // Entry functions start once the module bodies (and the factories
        // they call) have settled, so they first run with module-level
        // bindings complete.
        let mut entry: Vec<Id> = self.reached.iter().copied().collect();
        let mut capped = false;
        loop {
            let Some(u) = self.queue.pop_front() else {
                if entry.is_empty() {
                    break;
                }
                for id in std::mem::take(&mut entry) {
                    self.enqueue((n + id) as u32);
                }
                continue;
            };
            // Already run on demand since it was queued (see `run_on_demand`).
            if !self.queued[u as usize] {
                continue;
            }
            self.queued[u as usize] = false;
            if self.runs[u as usize] >= MAX_RUNS {
                capped = true;
                continue;
            }
            self.runs[u as usize] += 1;
            self.run_unit(u);
        }
        // Every read is tracked, so one more pass over everything changes
        // nothing and records the same calls; debug builds (the tests) prove
        // it on every scan.
        if cfg!(debug_assertions) && !capped {
            let before = (self.unit_calls.clone(), self.unit_dynamic.clone());
            self.changed = false;
            self.round();
            debug_assert!(
                !self.changed,
                "a binding grew after the fixpoint: an untracked read"
            );
            debug_assert!(
                before == (self.unit_calls.clone(), self.unit_dynamic.clone()),
                "a call recorded differently after the fixpoint: an untracked read"
            );
        }
        // Each unit's last run saw every binding it read in its final state,
        // so its calls are the calls. Collected in unit order (modules, then
        // functions), the same call reached twice kept once.
        for u in 0..self.unit_calls.len() {
            for c in std::mem::take(&mut self.unit_calls[u]) {
                if self.keep_call(c) {
                    self.call_units.push(u as u32);
                }
            }
            for d in std::mem::take(&mut self.unit_dynamic[u]) {
                self.dynamic.insert(d);
            }
        }
        let runs = &self.runs;
        self.stats = Stats {
            runs: runs.iter().map(|&r| r as usize).sum(),
            units: runs.iter().filter(|r| **r > 0).count(),
            modules_again: runs[..n].iter().filter(|r| **r > 1).count(),
            functions_again: runs[n..].iter().filter(|r| **r > 1).count(),
        };
    }

    /// Modules ordered so that a module runs after the modules it imports
    /// at its top level (cycles broken by path order): its names are bound
    /// by then, which saves re-running it.
    fn import_order(&mut self) -> Vec<Id> {
        let n = self.modules.len();
        let modules = self.modules.clone();
        let mut imports: Vec<Vec<Id>> = vec![Vec::new(); n];
        for (i, m) in modules.iter().enumerate() {
            self.cur_module = i;
            for s in &m.body {
                let target = match s {
                    Stmt::Import(name, _) => self.find_module(name),
                    Stmt::ImportFrom(level, module, _) => self.resolve_from(*level, module),
                    _ => None,
                };
                if let Some(t) = target.as_deref().and_then(|t| self.module_id(t))
                    && t != i
                {
                    imports[i].push(t);
                }
            }
        }
        let mut order = Vec::with_capacity(n);
        let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
        for root in 0..n {
            if state[root] != 0 {
                continue;
            }
            // Iterative post-order: (module, next import to visit).
            let mut stack = vec![(root, 0usize)];
            state[root] = 1;
            while let Some((m, k)) = stack.pop() {
                if let Some(&t) = imports[m].get(k) {
                    stack.push((m, k + 1));
                    if state[t] == 0 {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                } else {
                    state[m] = 2;
                    order.push(m);
                }
            }
        }
        order
    }

    fn enqueue(&mut self, u: u32) {
        if !self.queued[u as usize] {
            self.queued[u as usize] = true;
            self.queue.push_back(u);
        }
    }

    fn wake(&mut self, readers: Vec<u32>) {
        for u in readers {
            self.enqueue(u);
        }
    }

    fn run_unit(&mut self, u: u32) {
        self.running.push(u);
        self.cur_unit = u;
        self.unit_calls[u as usize].clear();
        self.unit_dynamic[u as usize].clear();
        let n = self.modules.len();
        let u = u as usize;
        if u < n {
            self.cur_module = u;
            let modules = self.modules.clone();
            self.exec_block(&modules[u].body, u);
        } else {
            let id = u - n;
            let def = self.funcs[id].def.clone();
            let scope = self.funcs[id].scope;
            self.cur_module = self.scopes[scope].module;
            if let Some(r) = self.exec_block(&def.body, scope) {
                self.add_return(id, r);
            }
        }
        self.running.pop();
    }

    /// Marks that the running unit read `name` in `scope`.
    fn read_var(&self, scope: Id, name: &str) {
        if self.scopes[scope].transient {
            return;
        }
        let mut deps = self.deps.borrow_mut();
        let m = &mut deps.vars[scope];
        match m.get_mut(name) {
            Some(list) => add_reader(list, self.cur_unit),
            None => {
                m.insert(name.to_string(), vec![self.cur_unit]);
            }
        }
    }

    /// A function became reachable: it runs.
    fn reach(&mut self, id: Id) {
        if self.reached.insert(id) {
            self.changed = true;
            self.enqueue((self.modules.len() + id) as u32);
        }
    }

    /// One pass over every module body and reached function: the debug
    /// check that the fixpoint is complete.
    fn round(&mut self) {
        let n = self.modules.len();
        for i in 0..n {
            self.run_unit(i as u32);
        }
        let mut done = BTreeSet::new();
        loop {
            let next: Vec<Id> = self.reached.difference(&done).copied().collect();
            if next.is_empty() {
                break;
            }
            for id in next {
                done.insert(id);
                self.run_unit((n + id) as u32);
            }
        }
    }

    fn add_return(&mut self, id: Id, vals: ValSet) {
        let entry = self.returns.entry(id).or_default();
        let before = entry.len();
        union_into(entry, vals);
        if entry.len() != before {
            self.changed = true;
            let readers = self.deps.borrow().returns[id].clone();
            self.wake(readers);
        }
    }

    /// Executes a block; returns what `return` statements in it return.
    /// Stops at the first `return`/`raise` of the block: what follows is dead.
    fn exec_block(&mut self, body: &[Stmt], scope: Id) -> Option<ValSet> {
        let mut ret: Option<ValSet> = None;
        for s in body {
            match s {
                Stmt::Return(e) => {
                    let v = match e {
                        Some(e) => self.eval(e, scope),
                        None => one(Value::NoneV),
                    };
                    union_into(ret.get_or_insert_with(ValSet::new), v);
                    return ret;
                }
                Stmt::Raise => return ret,
                _ => {
                    if let Some(r) = self.exec(s, scope) {
                        union_into(ret.get_or_insert_with(ValSet::new), r);
                    }
                }
            }
        }
        ret
    }

    fn exec(&mut self, s: &Stmt, scope: Id) -> Option<ValSet> {
        match s {
            Stmt::Import(name, alias) => {
                let v = self.import_module(name, alias.is_none());
                let bind = match alias {
                    Some(a) => a.clone(),
                    None => name.split('.').next().unwrap_or(name).to_string(),
                };
                self.assign_name(scope, &bind, v);
            }
            Stmt::ImportFrom(level, module, names) => {
                let base = self.resolve_from(*level, module);
                for (name, alias) in names {
                    if name == "*" {
                        if let Some(mid) = base.as_deref().and_then(|b| self.module_id(b)) {
                            let unit = self.cur_unit;
                            add_reader(&mut self.deps.borrow_mut().all_vars[mid], unit);
                            let vars: Vec<(String, ValSet)> = self.scopes[mid]
                                .vars
                                .iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            for (k, v) in vars {
                                self.assign_name(scope, &k, v);
                            }
                        }
                        continue;
                    }
                    let v = self.import_from(base.as_deref(), module, name);
                    self.assign_name(scope, alias.as_deref().unwrap_or(name), v);
                }
            }
            Stmt::Assign(targets, value) => {
                let v = self.eval(value, scope);
                for t in targets {
                    self.assign(t, v.clone(), scope);
                }
            }
            Stmt::Expr(e) => {
                self.eval(e, scope);
            }
            Stmt::Def(f) => {
                if let Some(id) = self.func_ids.get(&(Arc::as_ptr(f) as usize)).copied() {
                    // Defaults are evaluated where the def is.
                    for p in &f.params {
                        if let Some(d) = &p.default {
                            let v = self.eval(d, scope);
                            let fs = self.funcs[id].scope;
                            self.assign_local(fs, &p.name, v);
                        }
                    }
                    self.assign_name(scope, &f.name, one(Value::Func(id)));
                }
            }
            Stmt::Class(name, bases, body) => {
                let cid = self.class_for(body);
                if let Some(cid) = cid {
                    let mut bs = ValSet::new();
                    for b in bases {
                        union_into(&mut bs, self.eval(b, scope));
                    }
                    if self.classes[cid].bases != bs {
                        self.classes[cid].bases = bs;
                        self.changed = true;
                        let readers = self.deps.borrow().bases[cid].clone();
                        self.wake(readers);
                    }
                    let cscope = self.classes[cid].scope;
                    self.exec_block(body, cscope);
                    self.assign_name(scope, name, one(Value::Class(cid)));
                }
            }
            Stmt::Block(b) => return self.exec_block(b, scope),
            Stmt::For(target, iter, body) => {
                let it = self.eval(iter, scope);
                let elems = self.iterate(&it);
                self.assign(target, elems, scope);
                return self.exec_block(body, scope);
            }
            Stmt::With(items, body) => {
                for (v, t) in items {
                    let val = self.eval(v, scope);
                    if let Some(t) = t {
                        self.assign(t, val, scope);
                    }
                }
                return self.exec_block(body, scope);
            }
            Stmt::Global(names) => {
                for n in names {
                    self.scopes[scope].globals.insert(n.clone());
                }
            }
            Stmt::Return(_) | Stmt::Raise => {}
        }
        None
    }

    fn class_for(&self, body: &[Stmt]) -> Option<Id> {
        // A class is identified by its first method; a class without
        // methods has no behaviour worth tracking beyond its attributes.
        for s in body {
            if let Stmt::Def(f) = s
                && let Some(fid) = self.func_ids.get(&(Arc::as_ptr(f) as usize))
            {
                return self.funcs[*fid].class;
            }
        }
        None
    }

    fn import_module(&mut self, name: &str, bind_top: bool) -> ValSet {
        let top = name.split('.').next().unwrap_or(name);
        let full = if bind_top { top } else { name };
        match full {
            "boto3" => one(Value::Boto3),
            "boto3.session" => one(Value::Boto3),
            "os" => one(Value::OsModule),
            _ => {
                if let Some(m) = self.find_module(full) {
                    one(Value::Module(m))
                } else if !bind_top && full.starts_with("boto3") {
                    one(Value::Boto3)
                } else if self.has_package(full) {
                    one(Value::Module(full.to_string()))
                } else {
                    unknown()
                }
            }
        }
    }

    fn has_package(&self, name: &str) -> bool {
        self.index.has_package(name)
    }

    /// This interpreter's id of the tree's module `name`.
    fn module_id(&self, name: &str) -> Option<Id> {
        let g = *self.index.by_name.get(name)?;
        if self.local.is_empty() {
            return Some(g);
        }
        let (part, l) = self.local[g];
        debug_assert!(
            part == self.part,
            "module {name} resolved outside its part: `components` missed an import"
        );
        (part == self.part).then_some(l as Id)
    }

    fn find_module(&self, name: &str) -> Option<String> {
        self.index
            .find_module(&self.modules[self.cur_module].name, name)
    }

    fn resolve_from(&self, level: usize, module: &str) -> Option<String> {
        self.index
            .resolve_from(&self.modules[self.cur_module], level, module)
    }

    fn import_from(&mut self, base: Option<&str>, module: &str, name: &str) -> ValSet {
        match (module, name) {
            ("boto3", "client") => return one(Value::Boto3Client),
            ("boto3", "resource") => return one(Value::Boto3Resource),
            ("boto3", "Session") | ("boto3.session", "Session") => return one(Value::SessionClass),
            ("boto3", "session") => return one(Value::Boto3),
            ("os", "environ") => return one(Value::OsEnviron),
            ("os", "getenv") => return one(Value::EnvGet),
            _ => {}
        }
        if let Some(b) = base {
            if let Some(mid) = self.module_id(b) {
                self.read_var(mid, name);
                if let Some(v) = self.scopes[mid].vars.get(name) {
                    return v.clone();
                }
            }
            let sub = if b.is_empty() {
                name.to_string()
            } else {
                format!("{b}.{name}")
            };
            if self.module_id(&sub).is_some() {
                return one(Value::Module(sub));
            }
        }
        unknown()
    }

    fn lookup(&self, scope: Id, name: &str) -> ValSet {
        let mut s = Some(scope);
        while let Some(id) = s {
            let sc = &self.scopes[id];
            self.read_var(id, name);
            if sc.globals.contains(name) {
                self.read_var(sc.module, name);
                return self.scopes[sc.module]
                    .vars
                    .get(name)
                    .cloned()
                    .unwrap_or_else(unknown);
            }
            if let Some(v) = sc.vars.get(name) {
                return v.clone();
            }
            s = sc.parent;
        }
        match name {
            "getattr" => one(Value::Getattr),
            "dict" | "str" | "list" | "tuple" | "len" | "print" | "int" => unknown(),
            _ => unknown(),
        }
    }

    fn assign_name(&mut self, scope: Id, name: &str, v: ValSet) {
        let target = if self.scopes[scope].globals.contains(name) {
            self.scopes[scope].module
        } else {
            scope
        };
        self.assign_local(target, name, v);
    }

    fn assign_local(&mut self, scope: Id, name: &str, v: ValSet) {
        let transient = self.scopes[scope].transient;
        let vars = &mut self.scopes[scope].vars;
        let grew = match vars.get_mut(name) {
            Some(entry) => union_grew(entry, v),
            None => {
                let mut entry = ValSet::new();
                union_into(&mut entry, v);
                vars.insert(name.to_string(), entry);
                true
            }
        };
        if grew && !transient {
            self.changed = true;
            let deps = self.deps.borrow();
            let mut readers = deps.all_vars[scope].clone();
            if let Some(r) = deps.vars[scope].get(name) {
                readers.extend_from_slice(r);
            }
            drop(deps);
            self.wake(readers);
        }
    }

    fn assign(&mut self, target: &Expr, v: ValSet, scope: Id) {
        match target {
            Expr::Name(n) => self.assign_name(scope, n, v),
            Expr::Attr(obj, attr, _) => {
                let objs = self.eval(obj, scope);
                for o in objs {
                    match o {
                        Value::Instance(cid) | Value::Class(cid) => {
                            let cs = self.classes[cid].scope;
                            self.assign_local(cs, attr, v.clone());
                        }
                        Value::Module(m) => {
                            if let Some(mid) = self.module_id(&m) {
                                self.assign_local(mid, attr, v.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            Expr::Subscript(obj, key) => {
                // d["k"] = client: the dict literal a name holds gains a key.
                if let Expr::Name(n) = &**obj {
                    let keys = self.eval(key, scope);
                    let cur = self.lookup(scope, n);
                    let mut add = ValSet::new();
                    for c in cur {
                        if let Value::Dict(mut m) = c {
                            for k in &keys {
                                let ks = match k {
                                    Value::Str(s) => s.as_lit().unwrap_or_else(|| "*".into()),
                                    _ => "*".into(),
                                };
                                union_into(m.entry(ks).or_default(), v.clone());
                            }
                            add.insert(bounded(Value::Dict(m)));
                        }
                    }
                    if !add.is_empty() {
                        self.assign_name(scope, n, add);
                    }
                } else {
                    self.eval(obj, scope);
                }
            }
            Expr::List(items) => {
                // a, b = x: element-wise when x is a known list.
                for (i, t) in items.iter().enumerate() {
                    let mut ev = ValSet::new();
                    for val in &v {
                        match val {
                            Value::List(l) if i < l.len() => union_into(&mut ev, l[i].clone()),
                            _ => {
                                ev.insert(Value::Unknown);
                            }
                        }
                    }
                    self.assign(t, ev, scope);
                }
            }
            _ => {}
        }
    }

    fn iterate(&mut self, vals: &ValSet) -> ValSet {
        let mut out = ValSet::new();
        for v in vals {
            match v {
                Value::List(l) => {
                    for e in l {
                        union_into(&mut out, e.clone());
                    }
                }
                Value::Dict(m) => {
                    for k in m.keys() {
                        out.insert(Value::Str(SVal::lit(k)));
                    }
                }
                Value::Coll(..) => {
                    let r = self.collection_fetch(v, 0);
                    union_into(&mut out, r);
                }
                _ => {
                    out.insert(Value::Unknown);
                }
            }
        }
        if out.is_empty() {
            out.insert(Value::Unknown);
        }
        out
    }

    pub fn eval(&mut self, e: &Expr, scope: Id) -> ValSet {
        if self.depth > 200 {
            return unknown();
        }
        self.depth += 1;
        let r = self.eval_inner(e, scope);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr, scope: Id) -> ValSet {
        match e {
            Expr::Name(n) => self.lookup(scope, n),
            Expr::Str(parts) => {
                let mut combos: Vec<SVal> = vec![SVal::default()];
                for p in parts {
                    match p {
                        StrPart::Lit(l) => combos
                            .iter_mut()
                            .for_each(|c| c.push(Piece::Lit(l.clone()))),
                        StrPart::Expr(x) => {
                            let vs = self.eval(x, scope);
                            let ss = strings(&vs);
                            let mut next = Vec::new();
                            for c in &combos {
                                for s in &ss {
                                    next.push(c.concat(s));
                                }
                            }
                            next.truncate(MAX_SET);
                            combos = next;
                        }
                    }
                }
                combos.into_iter().map(Value::Str).collect()
            }
            Expr::Int(i) => one(Value::Int(*i)),
            Expr::Bool(b) => one(Value::Bool(*b)),
            Expr::None => one(Value::NoneV),
            Expr::Attr(obj, name, line) => {
                let o = self.eval(obj, scope);
                self.attr(&o, name, *line)
            }
            Expr::Call(c) => self.call(c, scope),
            Expr::Subscript(obj, key) => {
                let o = self.eval(obj, scope);
                let k = self.eval(key, scope);
                self.subscript(&o, &k)
            }
            Expr::Dict(pairs) => {
                let mut m: BTreeMap<String, ValSet> = BTreeMap::new();
                for (k, v) in pairs {
                    let vv = self.eval(v, scope);
                    match k {
                        Some(k) => {
                            let ks = self.eval(k, scope);
                            for kv in ks {
                                let key = match kv {
                                    Value::Str(s) => s.as_lit().unwrap_or_else(|| "*".into()),
                                    _ => "*".into(),
                                };
                                union_into(m.entry(key).or_default(), vv.clone());
                            }
                        }
                        None => {
                            for d in vv {
                                if let Value::Dict(inner) = d {
                                    for (k, v) in inner {
                                        union_into(m.entry(k).or_default(), v);
                                    }
                                }
                            }
                        }
                    }
                }
                one(bounded(Value::Dict(m)))
            }
            Expr::List(items) => {
                let mut l = Vec::new();
                for i in items {
                    let v = self.eval(i, scope);
                    l.push(v);
                }
                one(bounded(Value::List(l)))
            }
            Expr::Add(a, b) => {
                let av = self.eval(a, scope);
                let bv = self.eval(b, scope);
                let mut out = ValSet::new();
                for x in &av {
                    for y in &bv {
                        let v = match (x, y) {
                            (Value::Str(s1), Value::Str(s2)) => Value::Str(s1.concat(s2)),
                            (Value::Str(s1), _) => Value::Str(s1.concat(&SVal::unknown())),
                            (_, Value::Str(s2)) => Value::Str(SVal::unknown().concat(s2)),
                            (Value::List(l1), Value::List(l2)) => {
                                bounded(Value::List(l1.iter().chain(l2).cloned().collect()))
                            }
                            _ => Value::Unknown,
                        };
                        out.insert(v);
                    }
                }
                cap(out)
            }
            Expr::Either(items) => {
                let mut out = ValSet::new();
                for i in items {
                    union_into(&mut out, self.eval(i, scope));
                }
                out
            }
            Expr::Comp(gens, body) => {
                for (t, it) in gens {
                    let iv = self.eval(it, scope);
                    let elems = self.iterate(&iv);
                    self.assign(t, elems, scope);
                }
                let b = self.eval(body, scope);
                one(bounded(Value::List(vec![b])))
            }
            Expr::Lambda(_, body) => {
                self.eval(body, scope);
                unknown()
            }
            Expr::Splat(inner) => self.eval(inner, scope),
            Expr::Other(items) => {
                for i in items {
                    self.eval(i, scope);
                }
                unknown()
            }
        }
    }

    fn subscript(&mut self, objs: &ValSet, keys: &ValSet) -> ValSet {
        let mut out = ValSet::new();
        for o in objs {
            match o {
                Value::OsEnviron => {
                    for k in keys {
                        out.insert(env_value(k));
                    }
                }
                Value::Dict(m) => {
                    for k in keys {
                        match k {
                            Value::Str(s) if s.as_lit().is_some() => {
                                let key = s.as_lit().unwrap_or_default();
                                match m.get(&key) {
                                    Some(v) => union_into(&mut out, v.clone()),
                                    None => {
                                        out.insert(Value::Unknown);
                                    }
                                }
                            }
                            _ => {
                                for v in m.values() {
                                    union_into(&mut out, v.clone());
                                }
                            }
                        }
                    }
                }
                Value::List(l) => {
                    for k in keys {
                        match k {
                            Value::Int(i) if *i >= 0 && (*i as usize) < l.len() => {
                                union_into(&mut out, l[*i as usize].clone())
                            }
                            _ => {
                                for v in l {
                                    union_into(&mut out, v.clone());
                                }
                            }
                        }
                    }
                }
                Value::AssumedCreds => {
                    out.insert(Value::AssumedCreds);
                }
                Value::Str(_) => {
                    out.insert(Value::Str(SVal::unknown()));
                }
                _ => {
                    out.insert(Value::Unknown);
                }
            }
        }
        if out.is_empty() {
            out.insert(Value::Unknown);
        }
        cap(out)
    }

    fn attr(&mut self, objs: &ValSet, name: &str, line: usize) -> ValSet {
        let mut out = ValSet::new();
        for o in objs {
            let r: ValSet = match o {
                Value::Boto3 => match name {
                    "client" => one(Value::Boto3Client),
                    "resource" => one(Value::Boto3Resource),
                    "Session" => one(Value::SessionClass),
                    "session" => one(Value::Boto3),
                    _ => unknown(),
                },
                Value::OsModule => match name {
                    "environ" => one(Value::OsEnviron),
                    "getenv" => one(Value::EnvGet),
                    _ => unknown(),
                },
                Value::OsEnviron if name == "get" => one(Value::EnvGet),
                Value::Dict(m) if name == "get" => one(Value::DictGet(m.clone())),
                Value::Module(m) => {
                    let mid = self.module_id(m);
                    if let Some(id) = mid {
                        self.read_var(id, name);
                    }
                    match mid.and_then(|id| self.scopes[id].vars.get(name).cloned()) {
                        Some(v) => v,
                        None => {
                            let sub = format!("{m}.{name}");
                            if self.module_id(&sub).is_some() || self.has_package(&sub) {
                                one(Value::Module(sub))
                            } else {
                                unknown()
                            }
                        }
                    }
                }
                Value::Instance(cid) => self.class_attr(*cid, name, true),
                Value::Class(cid) => self.class_attr(*cid, name, false),
                Value::Session(_) => match name {
                    "client" | "resource" => {
                        one(Value::SdkMethod(Box::new(o.clone()), name.into()))
                    }
                    _ => unknown(),
                },
                Value::Client(_) => match name {
                    "exceptions" | "meta" => unknown(),
                    _ => one(Value::SdkMethod(Box::new(o.clone()), name.into())),
                },
                Value::Res(sdk, rtype, ids) => self.res_attr(sdk, rtype, ids, name, line, o),
                Value::Coll(..)
                | Value::Paginator(..)
                | Value::Waiter(..)
                | Value::BatchWriter(..) => one(Value::SdkMethod(Box::new(o.clone()), name.into())),
                Value::AssumedCreds => one(Value::AssumedCreds),
                // `s3.meta.client`, `table.meta.client`: the resource's
                // own client (`upload_file` through it is common).
                Value::SdkMethod(target, m) if m == "meta" && name == "client" => match &**target {
                    Value::Res(sdk, ..) => one(Value::Client(sdk.clone())),
                    _ => unknown(),
                },
                Value::Str(_) => one(Value::Unknown),
                _ => unknown(),
            };
            union_into(&mut out, r);
        }
        if out.is_empty() {
            out.insert(Value::Unknown);
        }
        cap(out)
    }

    fn class_attr(&self, cid: Id, name: &str, bind: bool) -> ValSet {
        let mut seen = HashSet::default();
        let mut stack = vec![cid];
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            let cs = self.classes[c].scope;
            self.read_var(cs, name);
            add_reader(&mut self.deps.borrow_mut().bases[c], self.cur_unit);
            if let Some(v) = self.scopes[cs].vars.get(name) {
                return v
                    .iter()
                    .map(|x| match x {
                        Value::Func(f) if bind && self.funcs[*f].class.is_some() => {
                            Value::Method(cid, *f)
                        }
                        other => other.clone(),
                    })
                    .collect();
            }
            for b in &self.classes[c].bases {
                if let Value::Class(bc) = b {
                    stack.push(*bc);
                }
            }
        }
        unknown()
    }

    fn call(&mut self, c: &Call, scope: Id) -> ValSet {
        let fvals = self.eval(&c.func, scope);
        let mut args = Vec::new();
        for a in &c.args {
            let v = self.eval(a, scope);
            args.push(v);
        }
        let mut kwargs: BTreeMap<String, ValSet> = BTreeMap::new();
        for (k, v) in &c.kwargs {
            let vv = self.eval(v, scope);
            union_into(kwargs.entry(k.clone()).or_default(), vv);
        }
        for s in &c.splats {
            let vv = self.eval(s, scope);
            for d in vv {
                if let Value::Dict(m) = d {
                    for (k, v) in m {
                        union_into(kwargs.entry(k).or_default(), v);
                    }
                }
            }
        }
        let fvals = narrow_to_supporting_clients(fvals);
        let mut out = ValSet::new();
        let mut callee_known = false;
        for f in &fvals {
            let r = match f {
                Value::Func(id) => {
                    callee_known = true;
                    self.call_func(*id, None, &args, &kwargs)
                }
                Value::Method(cid, id) => {
                    callee_known = true;
                    self.call_func(*id, Some(one(Value::Instance(*cid))), &args, &kwargs)
                }
                Value::Class(cid) => {
                    callee_known = true;
                    let init = self.class_attr(*cid, "__init__", true);
                    for i in init {
                        if let Value::Method(_, fid) = i {
                            self.call_func(fid, Some(one(Value::Instance(*cid))), &args, &kwargs);
                        }
                    }
                    one(Value::Instance(*cid))
                }
                Value::Boto3Client | Value::Boto3Resource => {
                    callee_known = true;
                    let sess = Sdk::new(String::new(), None, false);
                    let kind = if matches!(f, Value::Boto3Client) {
                        "client"
                    } else {
                        "resource"
                    };
                    self.make_sdk(&sess, kind, &args, &kwargs)
                }
                Value::SessionClass => {
                    callee_known = true;
                    let foreign = is_foreign(&kwargs);
                    let region = kw_region(&kwargs);
                    one(Value::Session(Sdk::new(String::new(), region, foreign)))
                }
                Value::EnvGet => {
                    callee_known = true;
                    let key = args.first().or_else(|| kwargs.get("key"));
                    match key {
                        Some(k) => k.iter().map(env_value).collect(),
                        None => unknown(),
                    }
                }
                Value::DictGet(m) => {
                    callee_known = true;
                    let d = one(Value::Dict(m.clone()));
                    match args.first() {
                        Some(k) => {
                            let mut r = self.subscript(&d, k);
                            if let Some(def) = args.get(1) {
                                union_into(&mut r, def.clone());
                            }
                            r
                        }
                        None => unknown(),
                    }
                }
                Value::Getattr => {
                    callee_known = true;
                    self.getattr(&args, c.line)
                }
                Value::SdkMethod(target, name) => {
                    callee_known = true;
                    self.sdk_method(target, name, &args, &kwargs, c)
                }
                _ => unknown(),
            };
            union_into(&mut out, r);
        }
        if !callee_known {
            // A function handed to code we cannot see (a thread, an executor,
            // a framework) may be called by it.
            for a in args.iter().chain(kwargs.values()) {
                for v in a {
                    match v {
                        Value::Func(id) | Value::Method(_, id) => self.reach(*id),
                        _ => {}
                    }
                }
            }
        }
        if out.is_empty() {
            out.insert(Value::Unknown);
        }
        cap(out)
    }

    fn call_func(
        &mut self,
        id: Id,
        selfv: Option<ValSet>,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
    ) -> ValSet {
        self.reach(id);
        let inline = self.funcs[id]
            .inline_scope
            .filter(|_| self.inlining.len() < MAX_INLINE && !self.inlining.contains(&id));
        let def = self.funcs[id].def.clone();
        let fscope = self.funcs[id].scope;
        // The function's own run sees what every call site passes.
        self.bind_params(&def, fscope, selfv.clone(), args, kwargs, None);
        match inline {
            Some(ts) => self.inline_call(id, ts, selfv, args, kwargs),
            None => {
                self.run_on_demand(id);
                add_reader(&mut self.deps.borrow_mut().returns[id], self.cur_unit);
                self.returns.get(&id).cloned().unwrap_or_else(unknown)
            }
        }
    }

    /// A function called before it ever ran runs now, so its caller reads
    /// its return: otherwise the caller reads nothing, the callee runs
    /// later, and its return growing runs the caller again (a handler's
    /// `cfg = load_config()`). Only near the top of a unit's evaluation and
    /// a few levels deep, so the stack stays bounded; never inside a
    /// factory evaluated at a call site (its scope is transient). The
    /// fixpoint is the same, only reached with fewer runs.
    fn run_on_demand(&mut self, id: Id) {
        let u = (self.modules.len() + id) as u32;
        // A unit that is running (a recursive call) has run: runs > 0.
        if self.runs[u as usize] > 0
            || !self.inlining.is_empty()
            || self.depth > MAX_DEMAND_DEPTH
            || self.running.len() > MAX_DEMAND_NEST
        {
            return;
        }
        let (unit, module, depth) = (self.cur_unit, self.cur_module, self.depth);
        self.queued[u as usize] = false;
        self.runs[u as usize] += 1;
        self.depth = 0;
        self.run_unit(u);
        (self.cur_unit, self.cur_module, self.depth) = (unit, module, depth);
    }

    /// Binds a call's arguments to `def`'s parameters in `scope` (growing
    /// what is there). With `defaults` (the scope the `def` is in), a
    /// parameter the call does not pass gets its default, evaluated there;
    /// without, it keeps what it has (defaults are bound where the `def`
    /// runs).
    fn bind_params(
        &mut self,
        def: &FunctionDef,
        scope: Id,
        selfv: Option<ValSet>,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
        defaults: Option<Id>,
    ) {
        let mut params = def.params.iter();
        if let Some(sv) = selfv
            && let Some(p) = params.next()
        {
            self.assign_local(scope, &p.name, sv);
        }
        let mut pos = args.iter();
        let mut named: HashSet<&str> = HashSet::default();
        for p in params {
            match p.star {
                1 => {
                    let rest: Vec<ValSet> = pos.by_ref().cloned().collect();
                    self.assign_local(scope, &p.name, one(Value::List(rest)));
                }
                2 => {}
                _ => {
                    named.insert(&p.name);
                    let mut v = ValSet::new();
                    if let Some(a) = pos.next() {
                        union_into(&mut v, a.clone());
                    }
                    if let Some(a) = kwargs.get(&p.name) {
                        union_into(&mut v, a.clone());
                    }
                    if v.is_empty()
                        && let Some(outer) = defaults
                    {
                        v = match &p.default {
                            Some(d) => self.eval(d, outer),
                            None => unknown(),
                        };
                    }
                    if !v.is_empty() {
                        self.assign_local(scope, &p.name, v);
                    }
                }
            }
        }
        if let Some(p) = def.params.iter().find(|p| p.star == 2) {
            let extra: BTreeMap<String, ValSet> = kwargs
                .iter()
                .filter(|(k, _)| !named.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.assign_local(scope, &p.name, one(Value::Dict(extra)));
        }
    }

    /// Evaluates factory `id` for one call site: its parameters bound to
    /// that site's arguments only, in scope `ts`. `make_client("sns")` is
    /// then an SNS client, where the function's summary (its return over
    /// every call site) would also hold each other service it was asked
    /// for. The caller reads what the body reads, so it re-runs when that
    /// grows, not when another call site widens the summary. Calls and
    /// unresolved names inside are recorded by the function's own run.
    fn inline_call(
        &mut self,
        id: Id,
        ts: Id,
        selfv: Option<ValSet>,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
    ) -> ValSet {
        let def = self.funcs[id].def.clone();
        let outer = self.funcs[id].outer;
        self.scopes[ts].vars.clear();
        self.bind_params(&def, ts, selfv, args, kwargs, Some(outer));
        self.inlining.push(id);
        let module = std::mem::replace(&mut self.cur_module, self.scopes[ts].module);
        let r = self.exec_block(&def.body, ts);
        self.cur_module = module;
        self.inlining.pop();
        self.scopes[ts].vars.clear();
        r.unwrap_or_else(unknown)
    }

    fn getattr(&mut self, args: &[ValSet], line: usize) -> ValSet {
        let (Some(obj), Some(name)) = (args.first(), args.get(1)) else {
            return unknown();
        };
        let mut out = ValSet::new();
        for n in name {
            match n {
                Value::Str(s) if s.as_lit().is_some() => {
                    let lit = s.as_lit().unwrap_or_default();
                    union_into(&mut out, self.attr(obj, &lit, line));
                }
                _ => {
                    if obj.iter().any(is_sdk_object) {
                        let svc = obj
                            .iter()
                            .find_map(|o| match o {
                                Value::Client(s) | Value::Res(s, ..) => Some(s.svc.clone()),
                                _ => None,
                            })
                            .unwrap_or_default();
                        self.dynamic_at(
                            line,
                            format!("getattr on the {svc} client with a method name that is not a literal"),
                        );
                    }
                    out.insert(Value::Unknown);
                }
            }
        }
        out
    }

    fn dynamic_at(&mut self, line: usize, reason: String) {
        // A factory evaluated at a call site: its own run reports it.
        if !self.inlining.is_empty() {
            return;
        }
        self.unit_dynamic[self.cur_unit as usize].push(Dynamic {
            module: self.cur_module,
            line,
            reason,
        });
    }

    /// `boto3.client(...)`, `session.client(...)`, and the resource forms.
    fn make_sdk(
        &mut self,
        base: &Sdk,
        kind: &str,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
    ) -> ValSet {
        let svc_vals = args.first().or_else(|| kwargs.get("service_name"));
        let region = kw_region(kwargs).or_else(|| base.region.clone());
        let foreign = base.foreign || is_foreign(kwargs);
        let mut out = ValSet::new();
        let svcs = svc_vals
            .map(strings)
            .unwrap_or_else(|| vec![SVal::unknown()]);
        for s in svcs {
            let svc = s.as_lit().unwrap_or_default();
            let sdk = Sdk::new(svc, region.clone(), foreign);
            out.insert(if kind == "client" {
                Value::Client(sdk)
            } else {
                Value::Res(sdk, String::new(), vec![])
            });
        }
        out
    }

    fn record(
        &mut self,
        sdk: &Sdk,
        op: OpRef,
        display: String,
        args: BTreeMap<String, ValSet>,
        line: usize,
    ) {
        // A factory evaluated at a call site: its own run, with every call
        // site's arguments, records its calls.
        if !self.inlining.is_empty() {
            return;
        }
        self.unit_calls[self.cur_unit as usize].push(SdkCall {
            module: self.cur_module,
            line,
            sdk: sdk.clone(),
            op,
            display,
            args,
        });
    }

    /// Adds a recorded call unless the same call is already kept: compare
    /// by hash, then exactly.
    fn keep_call(&mut self, c: SdkCall) -> bool {
        use std::hash::BuildHasher;
        let key = foldhash::fast::FixedState::default()
            .hash_one((c.module, c.line, &c.sdk, &c.op, &c.args));
        let same = self.seen_calls.entry(key).or_default();
        if same.iter().any(|&i| {
            let k = &self.calls[i];
            k.module == c.module
                && k.line == c.line
                && k.sdk == c.sdk
                && k.op == c.op
                && k.args == c.args
        }) {
            return false;
        }
        same.push(self.calls.len());
        self.calls.push(c);
        true
    }

    fn sdk_method(
        &mut self,
        target: &Value,
        name: &str,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
        c: &Call,
    ) -> ValSet {
        let line = c.line;
        match target {
            Value::Session(sdk) => match name {
                "client" | "resource" => self.make_sdk(sdk, name, args, kwargs),
                _ => unknown(),
            },
            Value::Client(sdk) => self.client_method(sdk, name, args, kwargs, line),
            Value::Paginator(sdk, op) if name == "paginate" => {
                let var = var_name(&c.func);
                self.record(
                    sdk,
                    OpRef::Method(op.clone()),
                    format!("{var}.paginate ({op})"),
                    kwargs.clone(),
                    line,
                );
                unknown()
            }
            Value::Waiter(sdk, w) if name == "wait" => {
                self.record(
                    sdk,
                    OpRef::Waiter(w.clone()),
                    format!("waiter {w}"),
                    kwargs.clone(),
                    line,
                );
                unknown()
            }
            Value::BatchWriter(sdk, table) => {
                if matches!(name, "put_item" | "delete_item") {
                    let mut a = kwargs.clone();
                    a.insert("TableName".into(), one(Value::Str(table.clone())));
                    self.record(
                        sdk,
                        OpRef::Method("batch_write_item".into()),
                        format!("batch_writer().{name}"),
                        a,
                        line,
                    );
                }
                unknown()
            }
            Value::Res(sdk, rtype, ids) => {
                self.res_method(sdk, rtype, ids, name, args, kwargs, line)
            }
            Value::Coll(c) => match name {
                "all" | "filter" | "limit" | "page_size" => {
                    let mut c = c.clone();
                    for (k, v) in kwargs {
                        union_into(c.filt.entry(k.clone()).or_default(), v.clone());
                    }
                    let v = Value::Coll(c);
                    self.collection_fetch(&v, line);
                    one(v)
                }
                _ => {
                    self.collection_batch(c, name, line);
                    unknown()
                }
            },
            _ => unknown(),
        }
    }

    fn client_method(
        &mut self,
        sdk: &Sdk,
        name: &str,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
        line: usize,
    ) -> ValSet {
        if sdk.svc.is_empty() {
            self.dynamic_at(
                line,
                format!("`{name}` called on a client whose service is not known statically"),
            );
            return unknown();
        }
        let disp = |m: &str| format!("{}.{m}", sdk.svc);
        match name {
            "get_paginator" | "get_waiter" => {
                let n = args.first().or_else(|| {
                    kwargs.get(if name == "get_paginator" {
                        "operation_name"
                    } else {
                        "waiter_name"
                    })
                });
                let mut out = ValSet::new();
                for s in n.map(strings).unwrap_or_default() {
                    match s.as_lit() {
                        Some(op) => {
                            out.insert(if name == "get_paginator" {
                                Value::Paginator(sdk.clone(), op)
                            } else {
                                Value::Waiter(sdk.clone(), op)
                            });
                        }
                        None => {
                            self.dynamic_at(
                                line,
                                format!("{name} with a name that is not a literal"),
                            );
                            out.insert(Value::Unknown);
                        }
                    }
                }
                if out.is_empty() {
                    out.insert(Value::Unknown);
                }
                out
            }
            "generate_presigned_url" => {
                let m = args.first().or_else(|| kwargs.get("ClientMethod"));
                let params = args.get(1).or_else(|| kwargs.get("Params"));
                let mut a = BTreeMap::new();
                for p in params.into_iter().flatten() {
                    if let Value::Dict(d) = p {
                        for (k, v) in d {
                            union_into(a.entry(k.clone()).or_default(), v.clone());
                        }
                    }
                }
                for s in m.map(strings).unwrap_or_default() {
                    match s.as_lit() {
                        Some(method) => self.record(
                            sdk,
                            OpRef::Method(method.clone()),
                            format!("{} (presigned {method})", disp(name)),
                            a.clone(),
                            line,
                        ),
                        None => self.dynamic_at(
                            line,
                            "generate_presigned_url with a ClientMethod that is not a literal"
                                .into(),
                        ),
                    }
                }
                one(Value::Str(SVal::unknown()))
            }
            "generate_presigned_post" => {
                let a = positional(args, kwargs, &["Bucket", "Key"]);
                self.record(
                    sdk,
                    OpRef::Method("put_object".into()),
                    format!("{} (presigned post)", disp(name)),
                    a,
                    line,
                );
                unknown()
            }
            "can_paginate" | "close" | "get_waiter_names" | "exceptions" | "meta" => unknown(),
            _ => {
                let a = match name {
                    "upload_file" => positional(args, kwargs, &["Filename", "Bucket", "Key"]),
                    "download_file" => positional(args, kwargs, &["Bucket", "Key", "Filename"]),
                    "upload_fileobj" => positional(args, kwargs, &["Fileobj", "Bucket", "Key"]),
                    "download_fileobj" => positional(args, kwargs, &["Bucket", "Key", "Fileobj"]),
                    "copy" => positional(args, kwargs, &["CopySource", "Bucket", "Key"]),
                    _ => kwargs.clone(),
                };
                self.record(
                    sdk,
                    OpRef::Method(name.to_string()),
                    disp(name),
                    a.clone(),
                    line,
                );
                match name {
                    "assume_role"
                    | "assume_role_with_web_identity"
                    | "assume_role_with_saml"
                    | "get_session_token" => one(Value::AssumedCreds),
                    "get_queue_url" => {
                        let mut m = BTreeMap::new();
                        let urls: ValSet = a
                            .get("QueueName")
                            .map(strings)
                            .unwrap_or_else(|| vec![SVal::unknown()])
                            .into_iter()
                            .map(|n| Value::Str(queue_url(&n, sdk)))
                            .collect();
                        m.insert("QueueUrl".to_string(), urls);
                        one(Value::Dict(m))
                    }
                    _ => unknown(),
                }
            }
        }
    }

    fn res_def(&self, svc: &str, rtype: &str) -> Option<&'static Json> {
        let model = table().service(svc)?.resource_model()?;
        let def = if rtype.is_empty() {
            model.get("service")?
        } else {
            model.get("resources")?.get(rtype)?
        };
        Some(def)
    }

    fn resource_type_named(&self, svc: &str, name: &str) -> Option<String> {
        let model = table().service(svc)?.resource_model()?;
        model
            .get("resources")?
            .as_object()?
            .keys()
            .find(|k| k.as_str() == name)
            .cloned()
    }

    fn res_attr(
        &mut self,
        sdk: &Sdk,
        rtype: &str,
        ids: &[SVal],
        name: &str,
        line: usize,
        o: &Value,
    ) -> ValSet {
        let Some(def) = self.res_def(&sdk.svc, rtype) else {
            return one(Value::SdkMethod(Box::new(o.clone()), name.into()));
        };
        let idents = ident_names(def);
        // Identifiers are plain attributes.
        if let Some(idents) = def.get("identifiers").and_then(|v| v.as_array()) {
            for (i, idn) in idents.iter().enumerate() {
                if let Some(n) = idn.get("name").and_then(|v| v.as_str())
                    && norm(n) == norm(name)
                {
                    return one(Value::Str(
                        ids.get(i).cloned().unwrap_or_else(SVal::unknown),
                    ));
                }
            }
        }
        if let Some(colls) = def.get("hasMany").and_then(|v| v.as_object()) {
            for k in colls.keys() {
                if norm(k) == norm(name) {
                    return one(Value::Coll(Box::new(Coll {
                        sdk: sdk.clone(),
                        rtype: rtype.to_string(),
                        name: k.clone(),
                        ids: ids.to_vec(),
                        filt: BTreeMap::new(),
                    })));
                }
            }
        }
        let is_callable = ["actions", "has", "waiters", "batchActions"]
            .iter()
            .any(|sec| {
                def.get(*sec)
                    .and_then(|v| v.as_object())
                    .map(|m| {
                        m.keys().any(|k| {
                            norm(k) == norm(name) || norm(&format!("WaitUntil{k}")) == norm(name)
                        })
                    })
                    .unwrap_or(false)
            })
            || matches!(
                name,
                "load"
                    | "reload"
                    | "get_available_subresources"
                    | "upload_file"
                    | "download_file"
                    | "upload_fileobj"
                    | "download_fileobj"
                    | "copy"
                    | "batch_writer"
                    | "meta"
            )
            || name.starts_with("wait_until_");
        if is_callable
            || name == "meta"
            || (rtype.is_empty() && self.resource_type_named(&sdk.svc, name).is_some())
        {
            return one(Value::SdkMethod(Box::new(o.clone()), name.into()));
        }
        // Anything else is a shape attribute: boto3 loads the resource lazily
        // with its `load` request on first access.
        if let Some(op) = def
            .get("load")
            .and_then(|l| l.get("request"))
            .and_then(|r| r.get("operation"))
            .and_then(|v| v.as_str())
        {
            let a = self.request_params(def, "load", &idents, ids, &BTreeMap::new());
            self.record(
                sdk,
                OpRef::Operation(op.to_string()),
                format!("{rtype}.{name} (lazy load)"),
                a,
                line,
            );
        }
        unknown()
    }

    /// Builds the request arguments from a model request: identifiers of
    /// this resource and literals, plus the caller's keyword arguments.
    fn request_params(
        &self,
        def: &Json,
        section_key: &str,
        idents: &[String],
        ids: &[SVal],
        kwargs: &BTreeMap<String, ValSet>,
    ) -> BTreeMap<String, ValSet> {
        let req = if section_key == "load" {
            def.get("load").and_then(|l| l.get("request"))
        } else {
            Some(def)
        };
        let mut a = kwargs.clone();
        if let Some(params) = req.and_then(|r| r.get("params")).and_then(|p| p.as_array()) {
            for p in params {
                let target = p.get("target").and_then(|v| v.as_str()).unwrap_or("");
                let top = target
                    .split(['.', '['])
                    .next()
                    .unwrap_or(target)
                    .to_string();
                match p.get("source").and_then(|v| v.as_str()) {
                    Some("identifier") => {
                        let n = p.get("name").and_then(|v| v.as_str()).unwrap_or("");
                        let idx = ident_index(idents, n);
                        let val = idx
                            .and_then(|i| ids.get(i).cloned())
                            .unwrap_or_else(SVal::unknown);
                        if top == target {
                            a.insert(top, one(Value::Str(val)));
                        } else {
                            // Nested targets (`TransactItems[0].Put.TableName`)
                            // are rare in models; keep the identifier at top.
                            a.entry(top).or_insert_with(|| one(Value::Str(val)));
                        }
                    }
                    Some("string") => {
                        if let Some(v) = p.get("value").and_then(|v| v.as_str()) {
                            a.insert(top, one(Value::Str(SVal::lit(v))));
                        }
                    }
                    _ => {}
                }
            }
        }
        a
    }

    #[allow(clippy::too_many_arguments)]
    fn res_method(
        &mut self,
        sdk: &Sdk,
        rtype: &str,
        ids: &[SVal],
        name: &str,
        args: &[ValSet],
        kwargs: &BTreeMap<String, ValSet>,
        line: usize,
    ) -> ValSet {
        let Some(def) = self.res_def(&sdk.svc, rtype) else {
            if sdk.svc.is_empty() {
                self.dynamic_at(
                    line,
                    format!("`{name}` called on a resource whose service is not known statically"),
                );
            }
            return unknown();
        };
        let idents = ident_names(def);
        let label = if rtype.is_empty() {
            sdk.svc.clone()
        } else {
            rtype.to_string()
        };
        // boto3's injected transfer and batch helpers.
        let helper = match (rtype, name) {
            ("Bucket", "upload_file") => Some(("upload_file", vec!["Filename", "Key"], "Bucket")),
            ("Bucket", "download_file") => {
                Some(("download_file", vec!["Key", "Filename"], "Bucket"))
            }
            ("Bucket", "upload_fileobj") => {
                Some(("upload_fileobj", vec!["Fileobj", "Key"], "Bucket"))
            }
            ("Bucket", "download_fileobj") => {
                Some(("download_fileobj", vec!["Key", "Fileobj"], "Bucket"))
            }
            ("Bucket", "copy") => Some(("copy", vec!["CopySource", "Key"], "Bucket")),
            ("Object", "upload_file") => Some(("upload_file", vec!["Filename"], "Object")),
            ("Object", "download_file") => Some(("download_file", vec!["Filename"], "Object")),
            ("Object", "upload_fileobj") => Some(("upload_fileobj", vec!["Fileobj"], "Object")),
            ("Object", "download_fileobj") => Some(("download_fileobj", vec!["Fileobj"], "Object")),
            ("Object", "copy") => Some(("copy", vec!["CopySource"], "Object")),
            _ => None,
        };
        if let Some((method, names, _)) = helper {
            let mut a = positional(args, kwargs, &names);
            a.insert(
                "Bucket".into(),
                one(Value::Str(
                    ids.first().cloned().unwrap_or_else(SVal::unknown),
                )),
            );
            if rtype == "Object" {
                a.insert(
                    "Key".into(),
                    one(Value::Str(
                        ids.get(1).cloned().unwrap_or_else(SVal::unknown),
                    )),
                );
            }
            self.record(
                sdk,
                OpRef::Method(method.into()),
                format!("{label}.{name}"),
                a,
                line,
            );
            return unknown();
        }
        if rtype == "Table" && name == "batch_writer" {
            return one(Value::BatchWriter(
                sdk.clone(),
                ids.first().cloned().unwrap_or_else(SVal::unknown),
            ));
        }
        if name == "load" || name == "reload" {
            if let Some(op) = def
                .get("load")
                .and_then(|l| l.get("request"))
                .and_then(|r| r.get("operation"))
                .and_then(|v| v.as_str())
            {
                let a = self.request_params(def, "load", &idents, ids, kwargs);
                self.record(
                    sdk,
                    OpRef::Operation(op.to_string()),
                    format!("{label}.{name}"),
                    a,
                    line,
                );
            }
            return unknown();
        }
        // boto3 hangs every resource type off the service resource as a
        // constructor taking the type's identifiers: `s3.Object(b, k)`.
        if rtype.is_empty()
            && find_key(def, "has", name).is_none()
            && let Some(ty) = self.resource_type_named(&sdk.svc, name)
        {
            let child = self
                .res_def(&sdk.svc, &ty)
                .map(ident_names)
                .unwrap_or_default();
            let mut new_ids = Vec::new();
            for (i, n) in child.iter().enumerate() {
                let v = args
                    .get(i)
                    .or_else(|| {
                        kwargs
                            .iter()
                            .find(|(k, _)| norm(k) == norm(n))
                            .map(|(_, v)| v)
                    })
                    .map(|vs| strings(vs).into_iter().next().unwrap_or_else(SVal::unknown))
                    .unwrap_or_else(SVal::unknown);
                new_ids.push(v);
            }
            return one(Value::Res(sdk.clone(), ty, new_ids));
        }
        // Sub-resources: `dynamodb.Table(name)`, `bucket.Object(key)`.
        if let Some((_, has)) = find_key(def, "has", name) {
            let Some(r) = has.get("resource") else {
                return unknown();
            };
            let ty = r
                .get("type")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            let mut new_ids = Vec::new();
            let mut inputs = args.iter();
            let child_idents = self
                .res_def(&sdk.svc, &ty)
                .map(ident_names)
                .unwrap_or_default();
            for (i, idn) in r
                .get("identifiers")
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let v = match idn.get("source").and_then(|v| v.as_str()) {
                    Some("identifier") => {
                        let n = idn.get("name").and_then(|v| v.as_str()).unwrap_or("");
                        ident_index(&idents, n)
                            .and_then(|k| ids.get(k).cloned())
                            .unwrap_or_else(SVal::unknown)
                    }
                    Some("input") => {
                        let by_kw = child_idents.get(i).and_then(|n| {
                            kwargs
                                .iter()
                                .find(|(k, _)| norm(k) == norm(n))
                                .map(|(_, v)| v)
                        });
                        inputs
                            .next()
                            .or(by_kw)
                            .map(|vs| strings(vs).into_iter().next().unwrap_or_else(SVal::unknown))
                            .unwrap_or_else(SVal::unknown)
                    }
                    _ => SVal::unknown(),
                };
                new_ids.push(v);
            }
            return one(Value::Res(sdk.clone(), ty, new_ids));
        }
        // Actions: `table.put_item(...)`, `obj.get()`, `sqs.get_queue_by_name(...)`.
        if let Some((aname, action)) = find_key(def, "actions", name) {
            let req = action.get("request").cloned().unwrap_or(Json::Null);
            let op = req
                .get("operation")
                .and_then(|v| v.as_str())
                .unwrap_or(aname)
                .to_string();
            let a = self.request_params(&req, "request", &idents, ids, kwargs);
            self.record(
                sdk,
                OpRef::Operation(op.clone()),
                format!("{label}.{name}"),
                a.clone(),
                line,
            );
            if let Some(r) = action.get("resource") {
                return one(result_resource(r, sdk, &op, &a, &idents, ids));
            }
            return unknown();
        }
        // Resource waiters: `bucket.wait_until_exists()`.
        if let Some(rest) = name.strip_prefix("wait_until_")
            && let Some((_, w)) = find_key(def, "waiters", rest)
        {
            if let Some(wn) = w.get("waiterName").and_then(|v| v.as_str()) {
                let mut a = kwargs.clone();
                for p in w
                    .get("params")
                    .and_then(|v| v.as_array())
                    .cloned()
                    .unwrap_or_default()
                {
                    if let (Some(t), Some("identifier"), Some(n)) = (
                        p.get("target").and_then(|v| v.as_str()),
                        p.get("source").and_then(|v| v.as_str()),
                        p.get("name").and_then(|v| v.as_str()),
                    ) {
                        let v = ident_index(&idents, n)
                            .and_then(|k| ids.get(k).cloned())
                            .unwrap_or_else(SVal::unknown);
                        a.insert(t.to_string(), one(Value::Str(v)));
                    }
                }
                let snake = snake_case(wn);
                self.record(
                    sdk,
                    OpRef::Waiter(snake.clone()),
                    format!("{label}.{name}"),
                    a,
                    line,
                );
            }
            return unknown();
        }
        unknown()
    }

    /// A collection is listed: record its request; its items are resources.
    fn collection_fetch(&mut self, coll: &Value, line: usize) -> ValSet {
        let Value::Coll(c) = coll else {
            return unknown();
        };
        let Coll {
            sdk,
            rtype,
            name,
            ids,
            filt,
        } = &**c;
        let Some(def) = self.res_def(&sdk.svc, rtype) else {
            return unknown();
        };
        let idents = ident_names(def);
        let Some(c) = def.get("hasMany").and_then(|v| v.get(name)).cloned() else {
            return unknown();
        };
        let req = c.get("request").cloned().unwrap_or(Json::Null);
        let mut items = ValSet::new();
        if let Some(op) = req.get("operation").and_then(|v| v.as_str()) {
            let a = self.request_params(&req, "request", &idents, ids, filt);
            if line > 0 {
                let label = if rtype.is_empty() {
                    sdk.svc.clone()
                } else {
                    rtype.clone()
                };
                self.record(
                    sdk,
                    OpRef::Operation(op.to_string()),
                    format!("{label}.{name}"),
                    a.clone(),
                    line,
                );
            }
            if let Some(r) = c.get("resource") {
                items.insert(result_resource(r, sdk, op, &a, &idents, ids));
            }
        }
        if items.is_empty() {
            items.insert(Value::Unknown);
        }
        items
    }

    fn collection_batch(&mut self, c: &Coll, name: &str, line: usize) {
        let v = Value::Coll(Box::new(c.clone()));
        let items = self.collection_fetch(&v, line);
        for it in items {
            if let Value::Res(s, ty, item_ids) = it
                && let Some(def) = self.res_def(&s.svc, &ty)
            {
                let idents = ident_names(def);
                if let Some((_, ba)) = find_key(def, "batchActions", name) {
                    let req = ba.get("request").cloned().unwrap_or(Json::Null);
                    if let Some(op) = req.get("operation").and_then(|v| v.as_str()) {
                        let mut a = self.request_params(
                            &req,
                            "request",
                            &idents,
                            &item_ids,
                            &BTreeMap::new(),
                        );
                        // Batch requests name items by path (`Delete.Objects[*].Key`).
                        if let Some(b) = item_ids.first() {
                            a.entry("Bucket".into())
                                .or_insert_with(|| one(Value::Str(b.clone())));
                        }
                        self.record(
                            &s,
                            OpRef::Operation(op.to_string()),
                            format!("{}.{name}", c.name),
                            a,
                            line,
                        );
                    }
                }
            }
        }
    }
}

fn ident_names(def: &Json) -> Vec<String> {
    def.get("identifiers")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|i| i.get("name").and_then(|v| v.as_str()).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A method called on a name that may hold clients of several services (a
/// factory fed different service names by different callers) is called on
/// the clients that have it: the others are artefacts of merging callers,
/// not calls the code makes. Only when none has it is the call reported.
fn narrow_to_supporting_clients(fvals: ValSet) -> ValSet {
    let clients: Vec<(&str, &str)> = fvals
        .iter()
        .filter_map(|f| match f {
            Value::SdkMethod(t, name) => match &**t {
                Value::Client(sdk) if !sdk.svc.is_empty() => {
                    Some((sdk.svc.as_str(), name.as_str()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    let services: BTreeSet<&str> = clients.iter().map(|c| c.0).collect();
    if services.len() < 2 {
        return fvals;
    }
    let has = |svc: &str, m: &str| {
        matches!(
            m,
            "get_paginator" | "get_waiter" | "generate_presigned_url" | "can_paginate" | "close"
        ) || table()
            .service(svc)
            .is_some_and(|s| s.operation_by_method(m).is_some())
    };
    let supporting: BTreeSet<&str> = clients
        .iter()
        .filter(|(svc, m)| has(svc, m))
        .map(|c| c.0)
        .collect();
    if supporting.is_empty() {
        return fvals;
    }
    let supporting: BTreeSet<String> = supporting.into_iter().map(String::from).collect();
    fvals
        .into_iter()
        .filter(|f| match f {
            Value::SdkMethod(t, _) => match &**t {
                Value::Client(sdk) if !sdk.svc.is_empty() => supporting.contains(&sdk.svc),
                _ => true,
            },
            _ => true,
        })
        .collect()
}

/// The resource a request returns (`get_queue_by_name` gives a `Queue`, a
/// collection's items are `ObjectSummary`s): its identifiers come from the
/// request's arguments, the parent's identifiers, or the response, which is
/// known only for GetQueueUrl (the queue's URL from its name).
fn result_resource(
    r: &Json,
    sdk: &Sdk,
    op: &str,
    a: &BTreeMap<String, ValSet>,
    idents: &[String],
    ids: &[SVal],
) -> Value {
    let first = |vs: &ValSet| strings(vs).into_iter().next().unwrap_or_else(SVal::unknown);
    let ty = r
        .get("type")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string();
    let mut new_ids = Vec::new();
    for idn in r
        .get("identifiers")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let v = match idn.get("source").and_then(|v| v.as_str()) {
            Some("requestParameter") => {
                let p = idn.get("path").and_then(|v| v.as_str()).unwrap_or("");
                a.get(p).map(first).unwrap_or_else(SVal::unknown)
            }
            Some("identifier") => {
                let n = idn.get("name").and_then(|v| v.as_str()).unwrap_or("");
                ident_index(idents, n)
                    .and_then(|k| ids.get(k).cloned())
                    .unwrap_or_else(SVal::unknown)
            }
            Some("response") if op == "GetQueueUrl" => {
                let n = a.get("QueueName").map(first).unwrap_or_else(SVal::unknown);
                queue_url(&n, sdk)
            }
            _ => SVal::unknown(),
        };
        new_ids.push(v);
    }
    Value::Res(sdk.clone(), ty, new_ids)
}

/// Identifiers travel as positional values in the order of the resource's
/// `identifiers` list.
fn ident_index(idents: &[String], name: &str) -> Option<usize> {
    idents.iter().position(|n| n == name)
}

fn find_key<'j>(def: &'j Json, section: &str, name: &str) -> Option<(&'j String, &'j Json)> {
    let m = def.get(section)?.as_object()?;
    let n = norm(name);
    m.iter().find(|(k, _)| norm(k) == n)
}

/// Resource model names are PascalCase; Python uses snake_case. Compare
/// without case and underscores, as boto3's own name transform is a bijection
/// on these names.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn positional(
    args: &[ValSet],
    kwargs: &BTreeMap<String, ValSet>,
    names: &[&str],
) -> BTreeMap<String, ValSet> {
    let mut a = kwargs.clone();
    for (i, n) in names.iter().enumerate() {
        if let Some(v) = args.get(i) {
            a.entry(n.to_string()).or_insert_with(|| v.clone());
        }
    }
    a
}

fn queue_url(name: &SVal, sdk: &Sdk) -> SVal {
    let mut s = SVal::lit("https://sqs.");
    match &sdk.region {
        Some(r) => s.push(Piece::Lit(r.clone())),
        None => s.push(Piece::Lit("${AWS::Region}".into())),
    }
    s.push(Piece::Lit(".amazonaws.com/${AWS::AccountId}/".into()));
    s.concat(name)
}

fn env_value(k: &Value) -> Value {
    match k {
        Value::Str(s) => match s.as_lit() {
            Some(name) => Value::Str(SVal(vec![Piece::Env(name)])),
            None => Value::Str(SVal::unknown()),
        },
        _ => Value::Str(SVal::unknown()),
    }
}

fn is_foreign(kwargs: &BTreeMap<String, ValSet>) -> bool {
    [
        "aws_access_key_id",
        "aws_session_token",
        "aws_secret_access_key",
    ]
    .iter()
    .any(|k| {
        kwargs
            .get(*k)
            .map(|v| v.iter().any(|x| !matches!(x, Value::NoneV)))
            .unwrap_or(false)
    })
}

fn kw_region(kwargs: &BTreeMap<String, ValSet>) -> Option<String> {
    let v = kwargs.get("region_name")?;
    let ss = strings(v);
    if ss.len() == 1 { ss[0].as_lit() } else { None }
}

fn is_sdk_object(v: &Value) -> bool {
    matches!(v, Value::Client(_) | Value::Res(..) | Value::Coll(..))
}

fn var_name(e: &Expr) -> String {
    match e {
        Expr::Attr(o, _, _) => match &**o {
            Expr::Name(n) => n.clone(),
            Expr::Attr(_, a, _) => a.clone(),
            _ => "paginator".into(),
        },
        _ => "paginator".into(),
    }
}

/// Containers nested deeper than this, or holding more values than
/// `MAX_VALUE_NODES`, become `Unknown`: `x = [x, x.y]` would otherwise
/// grow a deeper value every round (found by fuzzing).
const MAX_VALUE_DEPTH: usize = 8;
const MAX_VALUE_NODES: usize = 512;

/// (depth, nodes) of a value, counting stops once past the bounds.
fn weight(v: &Value) -> (usize, usize) {
    fn sets<'a>(it: impl Iterator<Item = &'a ValSet>) -> (usize, usize) {
        let mut depth = 0;
        let mut nodes = 0;
        for set in it {
            for x in set {
                let (d, n) = weight(x);
                depth = depth.max(d);
                nodes += n;
                if depth > MAX_VALUE_DEPTH || nodes > MAX_VALUE_NODES {
                    return (depth, nodes);
                }
            }
        }
        (depth, nodes)
    }
    let (d, n) = match v {
        Value::List(l) => sets(l.iter()),
        Value::Dict(m) | Value::DictGet(m) => sets(m.values()),
        Value::Coll(c) => sets(c.filt.values()),
        Value::SdkMethod(t, _) => weight(t),
        _ => return (0, 1),
    };
    (d + 1, n + 1)
}

/// A value within the bounds, else `Unknown`.
pub fn bounded(v: Value) -> Value {
    let (d, n) = weight(&v);
    if d > MAX_VALUE_DEPTH || n > MAX_VALUE_NODES {
        Value::Unknown
    } else {
        v
    }
}

pub fn union_into(dst: &mut ValSet, src: ValSet) {
    union_grew(dst, src);
}

/// `union_into`, saying whether `dst` grew (the fixpoint's test).
fn union_grew(dst: &mut ValSet, src: ValSet) -> bool {
    if dst.len() >= MAX_SET {
        return false;
    }
    let mut grew = false;
    for v in src {
        grew |= dst.insert(bounded(v));
        if dst.len() >= MAX_SET {
            dst.insert(Value::Unknown);
            return true;
        }
    }
    grew
}

fn cap(v: ValSet) -> ValSet {
    if v.len() > MAX_SET {
        return unknown();
    }
    v
}
