#!/usr/bin/env bash
# Short fuzz runs: every cargo-fuzz target in fuzz/ for a few seconds
# (FUZZ_SECONDS, default 10) from the checked-in seed corpus
# fuzz/corpus/<target>/. New inputs go to fuzz/target/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/ (both ignored by git); a crash fails
# the script. Installs cargo-fuzz from crates.io when it is missing.
# libFuzzer needs nightly compiler flags: the nightly toolchain when
# rustup has one, else stable with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${FUZZ_SECONDS:-10}"
targets=(scan_source policy_eval trail_record template)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

# -O (optimised, no debug assertions) for the build and every run alike:
# cargo-fuzz rebuilds everything, the AWS SDK included, when they differ.
echo "== fuzz build"
cargo "${toolchain[@]}" fuzz build -O

for t in "${targets[@]}"; do
    work="fuzz/target/corpus/$t"
    mkdir -p "$work"
    echo "== fuzz $t (${seconds}s)"
    log="fuzz/target/fuzz-$t.log"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a blow-up.
    if ! cargo "${toolchain[@]}" fuzz run -O "$t" "$work" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz $t: failure; the input is in fuzz/artifacts/$t/" >&2
        exit 1
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
done
echo "== fuzz: no crash"
