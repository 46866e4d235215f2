#!/usr/bin/env python3
"""Score `tighten scan` against the case set in ../shared/cases.

    python3 tests/score_cases.py [--bin target/release/tighten] [--cases DIR] [CASE ...]

For each case: run the scan (with the case's template.yaml when there is one),
compare actions with expected.json (logs:* dropped; optional_actions neutral),
check the unresolved reports, and count exact/over-broad/broken resources.
Prints per-case lines and micro precision/recall. Exit 1 if any case crashed
or recall < 0.97 or precision < 0.97 (the bar in issue 3).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def covers(pattern, arn):
    """IAM-style wildcard match: does `pattern` cover `arn`?"""
    import fnmatch
    return fnmatch.fnmatchcase(arn, pattern.replace("[", "[[]"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "tighten"))
    ap.add_argument("--cases", default=os.path.join(ROOT, "..", "shared", "cases"))
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    cases = sorted(d for d in os.listdir(a.cases) if os.path.isdir(os.path.join(a.cases, d)))
    if a.names:
        cases = [c for c in cases if any(c.startswith(n) for n in a.names)]
    tp = fp = fn = 0
    crashed = []
    res_exact = res_broad = res_break = 0
    unres_ok = unres_missing = 0
    for case in cases:
        cdir = os.path.join(a.cases, case)
        exp = json.load(open(os.path.join(cdir, "expected.json")))
        cmd = [a.bin, "scan", os.path.join(cdir, "src"), "--format", "json"]
        tpl = os.path.join(cdir, "template.yaml")
        if os.path.exists(tpl):
            cmd += ["--template", tpl]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0 or "panicked" in p.stderr:
            crashed.append(case)
            print(f"{case}: CRASH rc={p.returncode} {p.stderr.strip()[:300]}")
            continue
        rep = json.loads(p.stdout)
        got = {n["action"]: n for n in rep["needs"] if not n["action"].startswith("logs:")}
        want = set(exp["actions"])
        neutral = set(exp["optional_actions"])
        emitted = {k for k, n in got.items() if not n.get("optional")}
        missing = want - set(got)
        over = emitted - want - neutral
        tp += len(want & set(got))
        fn += len(missing)
        fp += len(over)
        # resources
        for act in want & set(got):
            exp_r = exp["resources"].get(act)
            if exp_r is None:
                continue
            exp_list = exp_r if isinstance(exp_r, list) else [exp_r]
            mine = got[act]["resources"]
            for e in exp_list:
                if e in mine:
                    res_exact += 1
                elif any(covers(m, e) for m in mine):
                    res_broad += 1
                else:
                    res_break += 1
                    print(f"    resource {act}: want {e} got {mine}")
        # unresolved
        for u in exp["unresolved"]:
            ok = any(r["file"] == u["file"] and abs(r["line"] - u["line"]) <= 3 for r in rep["unresolved"])
            if ok:
                unres_ok += 1
            else:
                unres_missing += 1
        status = "ok" if not missing and not over else "DIFF"
        print(f"{case}: {status} missing={sorted(missing)} over={sorted(over)} unresolved={len(rep['unresolved'])}/{len(exp['unresolved'])}")
    prec = tp / (tp + fp) if tp + fp else 1.0
    rec = tp / (tp + fn) if tp + fn else 1.0
    print(f"\ncases={len(cases)} crashed={len(crashed)} precision={prec:.3f} recall={rec:.3f} "
          f"tp={tp} fp={fp} fn={fn}")
    print(f"resources: exact={res_exact} over-broad={res_broad} break={res_break}; "
          f"unresolved reported={unres_ok} missed={unres_missing}")
    return 1 if crashed or prec < 0.97 or rec < 0.97 else 0


if __name__ == "__main__":
    sys.exit(main())
