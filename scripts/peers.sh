#!/usr/bin/env bash
# Peer tools from PyPI, side by side with tighten on the same data.
#   trailscraper 0.10.0 (CloudTrail -> policy)  vs  tighten trail --trail-logs
#   iam-policy-autopilot 0.3.0 (code -> policy) vs  tighten scan
# Each peer gets its own venv under target/peers/ (their pins conflict).
# Peers run inside `unshare -n` (no network) when available: this machine
# may reach package registries only, and no tool gets to phone home.
# Data: the trail_ingest bench corpus (target/trail-bench/N, written by
# `cargo bench --bench trail_ingest -- N`), copied with `"resources": null`
# dropped (trailscraper 0.10.0 crashes on it), and the scan_tree corpus
# (target/bench-data/scan-N).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

peers=target/peers
for p in trailscraper==0.10.0 iam-policy-autopilot==0.3.0; do
    name=${p%%==*}
    if [[ ! -x $peers/$name/bin/$name ]]; then
        python3 -m venv "$peers/$name"
        "$peers/$name/bin/pip" install -q "$p"
    fi
done
export DISABLE_IAM_POLICY_AUTOPILOT_TELEMETRY=true
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi

[[ -n "${NO_BUILD:-}" ]] || cargo build --release --quiet
bin=target/release/tighten

# Wall seconds of a command (stdout to $out), median of 3.
wall() {
    local out=$1; shift
    local ts=()
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N)
        "$@" >"$out" 2>>"$out.err" || true
        t1=$(date +%s.%N)
        ts+=("$(echo "$t1 - $t0" | bc)")
    done
    printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p
}

role_arn=arn:aws:iam::111122223333:role/service-role/orders-worker
for n in ${TRAIL_SIZES:-10000 100000}; do
    src=target/trail-bench/$n
    [[ -d $src ]] || { echo "trail $n: no corpus (cargo bench --bench trail_ingest -- $n)"; continue; }
    data=$peers/data/trail-$n
    if [[ ! -d $data ]]; then
        python3 - "$src" "$data" <<'PY'
import gzip, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
for root, _, files in os.walk(src):
    for f in files:
        if not f.endswith(".json.gz"):
            continue
        with gzip.open(os.path.join(root, f)) as fh:
            doc = json.load(fh)
        for r in doc["Records"]:
            if r.get("resources") is None:
                r.pop("resources", None)
        out = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(out, exist_ok=True)
        with gzip.open(os.path.join(out, f), "wt") as fh:
            json.dump(doc, fh)
PY
    fi
    ts=$peers/trailscraper/bin/trailscraper
    t_peer=$(wall /tmp/peers-ts.json bash -c "${offline[*]} $ts select --log-dir $data \
        --filter-assumed-role-arn $role_arn --from 2024-04-01 --to 2024-06-01 \
        | ${offline[*]} $ts generate")
    t_ours=$(wall /tmp/peers-tighten.json "${offline[@]}" "$bin" trail --trail-logs "$data" \
        --role "$role_arn" --since 2024-04-01T00:00:00Z --until 2024-06-01T00:00:00Z)
    a_peer=$( (grep -o '"[a-z0-9-]*:[A-Za-z0-9]*"' /tmp/peers-ts.json || true) | sort -u | wc -l)
    a_ours=$( (grep -o '"[a-z0-9-]*:[A-Za-z0-9]*"' /tmp/peers-tighten.json || true) | sort -u | wc -l)
    echo "trail $n records: trailscraper ${t_peer}s ($a_peer actions), tighten ${t_ours}s ($a_ours actions)"
done

ap=$peers/iam-policy-autopilot/bin/iam-policy-autopilot
for n in ${SCAN_SIZES:-1 100}; do
    dir=target/bench-data/scan-$n
    [[ -d $dir ]] || { echo "scan $n: no corpus (cargo bench --bench scan_tree -- $n)"; continue; }
    mapfile -t files < <(find "$dir" -name '*.py' | sort)
    t_peer=$(wall /tmp/peers-ap.json "${offline[@]}" "$ap" generate-policies "${files[@]}")
    t_ours=$(wall /tmp/peers-scan.json "$bin" scan "$dir")
    echo "scan $n files: iam-policy-autopilot ${t_peer}s (exit/err: $(tail -c 300 /tmp/peers-ap.json.err | tr '\n' ' ')), tighten ${t_ours}s"
done
