#!/usr/bin/env bash
# Scan benchmark plus the measurements the bench cannot take itself:
#   1. `cargo bench --bench scan_tree` (medians, per-file cost, parse-only
#      ratio, peak RSS, small-Lambda start-to-exit);
#   2. start-to-exit of one small Lambda with hyperfine, when installed;
#   3. a callgrind profile of `tighten scan` on the 2,000-file tree
#      (PROFILE=0 skips it), its top functions printed.
# Everything generated stays under target/ (never committed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo bench --bench scan_tree -- "$@"
cargo build --release --quiet
bin=target/release/tighten
data=target/bench-data

if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 3 --runs 50 -N "$bin scan $data/scan-1"
fi

for n in 2000 20000; do
    if [[ -d $data/scan-$n ]]; then
        /usr/bin/time -v "$bin" scan --format json "$data/scan-$n" 2>&1 >/dev/null \
            | grep -E 'Maximum resident|Elapsed' | sed "s/^/scan-$n: /"
    fi
done

if [[ "${PROFILE:-1}" != 0 ]] && command -v valgrind >/dev/null 2>&1 && [[ -d $data/scan-2000 ]]; then
    out=target/bench-data/callgrind.scan-2000.out
    valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bin" scan "$data/scan-2000" >/dev/null 2>&1
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null | head -n 40
fi
