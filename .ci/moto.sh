#!/usr/bin/env bash
# Installs moto's server into target/moto-venv (idempotent) and prints the
# path of its moto_server executable, for tests/aws_moto.rs via
# TIGHTEN_MOTO_SERVER. Needs python3 and access to PyPI on the first run.
set -euo pipefail

MOTO_VERSION="5.2.5"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/moto-venv"
server="$venv/bin/moto_server"

installed_version() {
    "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true
}

if [[ ! -x "$server" || "$(installed_version)" != "$MOTO_VERSION" ]]; then
    mkdir -p "$root/target"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" >&2
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi

echo "$server"
