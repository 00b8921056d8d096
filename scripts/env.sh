#!/usr/bin/env bash
# Creates (once) and activates the project's virtualenv. Sourced by quickstart.sh, test.sh and .ci/run.
# The venv lives outside the clone, keyed by a hash of the dependency lists in pyproject.toml, so runs on
# the same machine reuse it, while a fresh machine installs everything from the project's own files.
set -euo pipefail
KMINGEST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
deps_hash=$("$PYTHON" - "$KMINGEST_ROOT/pyproject.toml" <<'PY'
import hashlib, json, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
key = {"deps": project.get("dependencies", []), "extras": project.get("optional-dependencies", {}),
       "python": sys.version_info[:2]}
print(hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16])
PY
)
KMINGEST_VENV="${KMINGEST_VENV:-${KMINGEST_VENV_ROOT:-$HOME/.cache/kmingest}/venv-$deps_hash}"
if [ ! -f "$KMINGEST_VENV/.complete" ]; then
  echo "==> creating virtualenv $KMINGEST_VENV (first run on this machine: torch is large, allow ~5 min)" >&2
  rm -rf "$KMINGEST_VENV"
  "$PYTHON" -m venv "$KMINGEST_VENV"
  "$KMINGEST_VENV/bin/pip" install --quiet --upgrade pip
  "$KMINGEST_VENV/bin/pip" install --quiet -e "$KMINGEST_ROOT[dev,airflow]"
  touch "$KMINGEST_VENV/.complete"
fi
# point the editable install at this checkout (cheap; the venv may be shared by several clones)
# (setuptools' deprecation warnings are shown only if the install fails)
_pip_log=$(mktemp)
"$KMINGEST_VENV/bin/pip" install --quiet --no-deps --no-build-isolation -e "$KMINGEST_ROOT" >"$_pip_log" 2>&1 \
  || { cat "$_pip_log" >&2; rm -f "$_pip_log"; exit 1; }
rm -f "$_pip_log"
export PATH="$KMINGEST_VENV/bin:$PATH" VIRTUAL_ENV="$KMINGEST_VENV"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
