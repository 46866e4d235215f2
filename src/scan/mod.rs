//! Python parsing and binding resolution: source tree in, `SdkCall`s and
//! `Need`s out.
//!
//! Files are read and parsed in parallel (the `ignore` walker honours
//! `.gitignore`; one tree-sitter parser per thread), lowered to a small
//! syntax tree (`ir`), then interpreted together (`interp`) so bindings
//! cross module boundaries. `map` turns each recorded call into IAM actions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::need::{NeedSet, Source};

pub mod interp;
pub mod ir;
pub mod map;
pub mod value;

/// Files larger than this are skipped with a warning: generated or vendored
/// code, never a handler.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;

#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Pin `${AWS::Region}` / `${AWS::AccountId}` when given.
    pub region: Option<String>,
    pub account: Option<String>,
    /// Values for `${NAME}` placeholders (environment variables from a
    /// template or the Lambda configuration).
    pub env: BTreeMap<String, String>,
    /// `module.function` of the Lambda handler, when known (template).
    pub handler: Option<String>,
}

/// A call whose IAM action cannot be known statically.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unresolved {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// A call made with another role's credentials (from `sts.assume_role`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignCall {
    pub file: String,
    pub line: usize,
    pub call: String,
    pub actions: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ScanReport {
    pub needs: NeedSet,
    pub unresolved: Vec<Unresolved>,
    pub assumed_role_calls: Vec<ForeignCall>,
    pub warnings: Vec<String>,
    pub files_scanned: usize,
}

struct Parsed {
    rel: String,
    module: String,
    body: Vec<ir::Stmt>,
}

/// A file after its worker thread read, parsed and lowered it; the source
/// bytes and the tree are dropped there, so memory holds only the small
/// lowered trees.
struct Source0 {
    rel: String,
    module: String,
    body: Option<Vec<ir::Stmt>>,
    syntax_error: Option<usize>,
}

/// Scans a directory (or one file) of Python source.
pub fn scan_path(path: &Path, opts: &ScanOptions) -> anyhow::Result<ScanReport> {
    let started = std::time::Instant::now();
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let root: PathBuf = if meta.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let warnings = Mutex::new(Vec::<String>::new());
    let sources = Mutex::new(Vec::<Source0>::new());
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();

    let handle_file = |p: &Path| {
        let rel = p
            .strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        match std::fs::metadata(p) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                push(
                    &warnings,
                    format!("{rel}: skipped, larger than 5 MB ({} bytes)", m.len()),
                );
                return;
            }
            Err(e) => {
                push(&warnings, format!("{rel}: cannot read: {e}"));
                return;
            }
            _ => {}
        }
        let bytes = match std::fs::read(p) {
            Ok(b) => b,
            Err(e) => {
                push(&warnings, format!("{rel}: cannot read: {e}"));
                return;
            }
        };
        if bytes.iter().take(8192).any(|b| *b == 0) {
            push(&warnings, format!("{rel}: skipped, binary file"));
            return;
        }
        PARSER.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                let mut parser = tree_sitter::Parser::new();
                if parser.set_language(&language).is_err() {
                    return;
                }
                *slot = Some(parser);
            }
            let Some(parser) = slot.as_mut() else { return };
            let mut bytes = bytes;
            let mut tree = parser.parse(&bytes, None);
            let mut syntax_error = tree.as_ref().and_then(|t| first_error_line(t.root_node()));
            // Code pasted from a blog or a word processor arrives with
            // typographic quotes, which no Python accepts; read them as the
            // ASCII quotes they stand for, and say so.
            if syntax_error.is_some()
                && let Some(fixed) = ascii_quotes(&bytes)
                && let Some(t2) = parser.parse(&fixed, None)
                && count_errors(t2.root_node())
                    < tree
                        .as_ref()
                        .map(|t| count_errors(t.root_node()))
                        .unwrap_or(usize::MAX)
            {
                let line = String::from_utf8_lossy(&bytes)
                    .lines()
                    .position(|l| l.contains(['\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}']))
                    .map_or(1, |i| i + 1);
                push(
                    &warnings,
                    format!("{rel}:{line}: typographic quotes read as ASCII quotes"),
                );
                syntax_error = first_error_line(t2.root_node());
                tree = Some(t2);
                bytes = fixed;
            }
            let module = module_name(&rel);
            let body = tree
                .as_ref()
                .map(|t| ir::Lowering::new(&bytes).module(t.root_node()));
            drop(tree);
            drop(bytes);
            if let Ok(mut s) = sources.lock() {
                s.push(Source0 {
                    rel,
                    module,
                    body,
                    syntax_error,
                });
            }
        });
    };

    if meta.is_dir() {
        let walker = ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .require_git(false)
            .follow_links(false)
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(e) => {
                        let p = e.path();
                        if e.file_type().map(|t| t.is_file()).unwrap_or(false)
                            && p.extension().map(|x| x == "py").unwrap_or(false)
                        {
                            handle_file(p);
                        }
                    }
                    Err(err) => push(&warnings, format!("walk: {err}")),
                }
                ignore::WalkState::Continue
            })
        });
    } else {
        handle_file(path);
    }

    let mut sources = sources.into_inner().unwrap_or_default();
    let mut warnings = warnings.into_inner().unwrap_or_default();
    sources.sort_by(|a, b| a.rel.cmp(&b.rel));
    crate::timing::phase("scan: read, parse, lower", started);
    let files = sources.len();
    let mut parsed = Vec::with_capacity(files);
    for s in sources {
        if let Some(line) = s.syntax_error {
            warnings.push(format!(
                "{}:{line}: syntax error; calls in the parts that parse are still used",
                s.rel
            ));
        }
        let body = match s.body {
            Some(b) => b,
            None => {
                warnings.push(format!("{}: could not be parsed", s.rel));
                Vec::new()
            }
        };
        parsed.push(Parsed {
            rel: s.rel,
            module: s.module,
            body,
        });
    }
    let mut report = analyse(parsed, opts);
    report.files_scanned = files;
    // A policy from no code at all (a wrong path, a tree of skipped files)
    // must not read as a clean result.
    if files == 0 {
        warnings.push(format!(
            "{}: no Python source scanned (no readable .py files); the policy holds only platform needs",
            path.display()
        ));
    }
    warnings.append(&mut report.warnings);
    warnings.sort();
    warnings.dedup();
    report.warnings = warnings;
    Ok(report)
}

/// Scans one file's bytes as the only module of a tree, named by its path
/// `name` (`app.py`, `pkg/__init__.py`), without touching the disk: the
/// entry the fuzzers and benchmarks drive. No size or binary-file checks;
/// those belong to reading files.
pub fn scan_source(name: &str, bytes: &[u8], opts: &ScanOptions) -> ScanReport {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let mut parser = tree_sitter::Parser::new();
    let tree = match parser.set_language(&language) {
        Ok(()) => parser.parse(bytes, None),
        Err(_) => None,
    };
    let mut warnings = Vec::new();
    let body = match &tree {
        Some(t) => {
            if let Some(line) = first_error_line(t.root_node()) {
                warnings.push(format!(
                    "{name}:{line}: syntax error; calls in the parts that parse are still used"
                ));
            }
            ir::Lowering::new(bytes).module(t.root_node())
        }
        None => {
            warnings.push(format!("{name}: could not be parsed"));
            Vec::new()
        }
    };
    let parsed = vec![Parsed {
        rel: name.to_string(),
        module: module_name(name),
        body,
    }];
    let mut report = analyse(parsed, opts);
    report.files_scanned = 1;
    warnings.append(&mut report.warnings);
    report.warnings = warnings;
    report
}

thread_local! {
    static PARSER: std::cell::RefCell<Option<tree_sitter::Parser>> = const { std::cell::RefCell::new(None) };
}

fn push(w: &Mutex<Vec<String>>, msg: String) {
    if let Ok(mut v) = w.lock() {
        v.push(msg);
    }
}

/// The line of the first syntax error, found without recursion (a file of
/// 10,000 nested parentheses makes a tree that deep).
fn first_error_line(root: tree_sitter::Node) -> Option<usize> {
    if !root.has_error() {
        return None;
    }
    let mut cur = root.walk();
    loop {
        let n = cur.node();
        if n.is_error() || n.is_missing() {
            return Some(n.start_position().row + 1);
        }
        // Descend only into subtrees that hold an error.
        if n.has_error() && cur.goto_first_child() {
            continue;
        }
        loop {
            if cur.goto_next_sibling() {
                break;
            }
            if !cur.goto_parent() {
                return Some(root.start_position().row + 1);
            }
        }
    }
}

fn ascii_quotes(src: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(src).ok()?;
    if !text.contains(['\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}']) {
        return None;
    }
    let fixed = text
        .replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201C}', '\u{201D}'], "\"");
    Some(fixed.into_bytes())
}

/// Error and missing nodes in the tree, counted without recursion.
fn count_errors(root: tree_sitter::Node) -> usize {
    let mut count = 0;
    let mut cur = root.walk();
    loop {
        let n = cur.node();
        if n.is_error() || n.is_missing() {
            count += 1;
        }
        if n.has_error() && cur.goto_first_child() {
            continue;
        }
        loop {
            if cur.goto_next_sibling() {
                break;
            }
            if !cur.goto_parent() {
                return count;
            }
        }
    }
}

/// `pkg/mod.py` -> `pkg.mod`; `pkg/__init__.py` -> `pkg`.
fn module_name(rel: &str) -> String {
    let no_ext = rel.strip_suffix(".py").unwrap_or(rel);
    let dotted = no_ext.replace('/', ".");
    match dotted.strip_suffix(".__init__") {
        Some(p) => p.to_string(),
        None if dotted == "__init__" => String::new(),
        None => dotted,
    }
}

const EVENT_NAMES: &[&str] = &[
    "event",
    "evt",
    "_event",
    "e",
    "event_data",
    "payload",
    "request",
];

fn looks_like_handler(def: &ir::FunctionDef) -> bool {
    let ps: Vec<&str> = def
        .params
        .iter()
        .filter(|p| p.star == 0)
        .map(|p| p.name.as_str())
        .collect();
    ps.len() >= 2
        && EVENT_NAMES.contains(&ps[0])
        && (ps[1].contains("context") || ps[1].contains("ctx") || ps[1] == "_")
}

fn analyse(parsed: Vec<Parsed>, opts: &ScanOptions) -> ScanReport {
    let any_handler = parsed.iter().any(|p| {
        p.body
            .iter()
            .any(|s| matches!(s, ir::Stmt::Def(f) if looks_like_handler(f)))
    });
    let mut rels = Vec::with_capacity(parsed.len());
    let modules: Vec<interp::ModuleSrc> = parsed
        .into_iter()
        .map(|p| {
            let is_package = p.rel.ends_with("__init__.py");
            rels.push(p.rel);
            interp::ModuleSrc {
                name: p.module,
                is_package,
                body: p.body,
            }
        })
        .collect();
    let handler = opts
        .handler
        .as_ref()
        .and_then(|h| h.rsplit_once('.'))
        .map(|(m, f)| (m.to_string(), f.to_string()));
    let t0 = std::time::Instant::now();
    let it = interp::interpret(modules, &|def, top, module| {
        if let Some((_, f)) = &handler
            && top
            && def.name == *f
            && handler
                .as_ref()
                .map(|(m, _)| module == m || module.ends_with(&format!(".{m}")))
                .unwrap_or(false)
        {
            return true;
        }
        // Without a handler-shaped function (a script, a library), every
        // top-level function counts: better an over-grant we can show than a
        // missing permission.
        def.decorated || (top && (looks_like_handler(def) || !any_handler))
    });
    let t0 = crate::timing::phase(
        &format!(
            "scan: interpreter, {} parts: {} runs of {} units ({} modules and {} functions twice or more)",
            it.parts,
            it.stats.runs,
            it.stats.units,
            it.stats.modules_again,
            it.stats.functions_again
        ),
        t0,
    );
    let cx = map::MapContext {
        region: opts.region.as_deref(),
        account: opts.account.as_deref(),
        env: &opts.env,
    };
    let mut report = ScanReport::default();
    let mut unresolved = BTreeSet::new();
    for d in &it.dynamic {
        unresolved.insert(Unresolved {
            file: rels[d.module].clone(),
            line: d.line,
            reason: d.reason.clone(),
        });
    }
    let mut foreign = BTreeSet::new();
    let debug = std::env::var_os("TIGHTEN_DEBUG_CALLS").is_some();
    // A call's mapping depends on its client, operation and arguments, not
    // on where it is: the same call on many lines is mapped once. Mapping
    // reads only the table: in parallel on a large tree.
    let mut slots: std::collections::HashMap<_, usize, foldhash::fast::FixedState> =
        std::collections::HashMap::default();
    let mut distinct: Vec<&interp::SdkCall> = Vec::new();
    let slot_of: Vec<usize> = it
        .calls
        .iter()
        .map(|c| {
            *slots
                .entry((&c.sdk, &c.op, &c.args, &c.display))
                .or_insert_with(|| {
                    distinct.push(c);
                    distinct.len() - 1
                })
        })
        .collect();
    let mapped: Vec<_> = if distinct.len() > 256 {
        use rayon::prelude::*;
        distinct.par_iter().map(|c| map::map_call(c, &cx)).collect()
    } else {
        distinct.iter().map(|c| map::map_call(c, &cx)).collect()
    };
    for (call, &slot) in it.calls.iter().zip(&slot_of) {
        let result = &mapped[slot];
        let file = rels[call.module].clone();
        if debug {
            eprintln!(
                "call {file}:{} {} {:?} {:?}",
                call.line,
                call.display,
                call.op,
                call.args.keys().collect::<Vec<_>>()
            );
        }
        match result {
            Ok(mapped) => {
                if call.sdk.foreign {
                    foreign.insert(ForeignCall {
                        file,
                        line: call.line,
                        call: call.display.clone(),
                        actions: mapped.needs.iter().map(|m| m.action.clone()).collect(),
                    });
                    continue;
                }
                if let Some(caveat) = mapped.caveat {
                    report
                        .warnings
                        .push(format!("{file}:{}: {}: {caveat}", call.line, call.display));
                }
                for m in &mapped.needs {
                    report.needs.add(
                        &m.action,
                        m.resources.iter().cloned(),
                        m.optional,
                        Source::Code {
                            file: file.clone(),
                            line: call.line,
                            call: call.display.clone(),
                        },
                    );
                }
            }
            Err(reason) => {
                unresolved.insert(Unresolved {
                    file,
                    line: call.line,
                    reason: reason.clone(),
                });
            }
        }
    }
    report.unresolved = unresolved.into_iter().collect();
    report.assumed_role_calls = foreign.into_iter().collect();
    crate::timing::phase(&format!("scan: mapping ({} calls)", it.calls.len()), t0);
    // Freeing a large tree's syntax and bindings takes tens of milliseconds
    // the caller need not wait for.
    if it.calls.len() > 1000 {
        std::thread::spawn(move || drop(it.spent));
    }
    report
}
