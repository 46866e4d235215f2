//! The `tighten` binary: parse arguments, run, choose the exit code.
//! Exit codes: 0 success / no findings, 1 findings (check), 2 error.

use std::ffi::c_void;
use std::process::ExitCode;

use clap::Parser;

// The scanner allocates many small, short-lived values (tree-sitter's parse
// stacks, the interpreter's value sets); mimalloc serves them faster than
// glibc's allocator, with threads that do not contend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's C interface (linked in with the global allocator above), for
// tree-sitter's own allocations: its parse stacks and trees.
unsafe extern "C" {
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_calloc(count: usize, size: usize) -> *mut c_void;
    fn mi_realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn mi_free(ptr: *mut c_void);
}

fn main() -> ExitCode {
    // SAFETY: before anything runs, so no tree-sitter object exists that
    // another allocator made; tree-sitter then frees with `mi_free` only
    // what `mi_malloc`/`mi_calloc`/`mi_realloc` returned.
    unsafe {
        tree_sitter::set_allocator(
            Some(mi_malloc),
            Some(mi_calloc),
            Some(mi_realloc),
            Some(mi_free),
        );
    }
    let cli = tighten::cli::Cli::parse();
    match tighten::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
