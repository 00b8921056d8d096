#!/usr/bin/env bash
# Creates (once) and activates the project's virtualenv. Sourced by quickstart.sh, test.sh and .ci/run, and
# by hand (`source scripts/env.sh`): it leaves the caller's shell options (set -e/-u/pipefail) as they were and
# returns non-zero on an error instead of closing the shell.
# The venv lives outside the clone (~/.cache/kmingest, or $KMINGEST_VENV_ROOT), keyed by a hash of the
# dependency lists in pyproject.toml: every run on the machine reuses it (CI included), and a fresh machine
# installs everything from the project's own files. Several clones may share it: each shell runs its own
# clone's code, because env.sh puts the clone first on PYTHONPATH (ahead of the venv's editable install,
# which is never re-pointed at another clone). Creating a new venv (the dependencies changed) removes the
# other venvs in that folder that no shell has used for $KMINGEST_VENV_KEEP_DAYS days (default 14): each is
# several GB. A venv named by $KMINGEST_VENV is the caller's: nothing beside it is removed.
_kmingest_env() {
  local python deps_hash root old keep_days="${KMINGEST_VENV_KEEP_DAYS:-14}" named="${KMINGEST_VENV:-}"
  KMINGEST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  python="${PYTHON:-python3}"
  deps_hash=$("$python" - "$KMINGEST_ROOT/pyproject.toml" <<'PY'
import hashlib, json, sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
key = {"deps": project.get("dependencies", []), "extras": project.get("optional-dependencies", {}),
       "python": sys.version_info[:2]}
print(hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16])
PY
  ) || return 1
  root="${KMINGEST_VENV_ROOT:-$HOME/.cache/kmingest}"
  KMINGEST_VENV="${KMINGEST_VENV:-$root/venv-$deps_hash}"
  if [ ! -f "$KMINGEST_VENV/.complete" ]; then
    echo "==> creating virtualenv $KMINGEST_VENV (first run on this machine: torch is large, allow ~5 min)" >&2
    rm -rf "$KMINGEST_VENV"
    "$python" -m venv "$KMINGEST_VENV" || return 1
    "$KMINGEST_VENV/bin/pip" install --quiet --upgrade pip || return 1
    "$KMINGEST_VENV/bin/pip" install --quiet -e "$KMINGEST_ROOT[dev,airflow]" || return 1
    touch "$KMINGEST_VENV/.complete"
    for old in "$root"/venv-*; do
      [ -z "$named" ] && [ -d "$old" ] && [ "$old" != "$KMINGEST_VENV" ] || continue
      if [ -z "$(find "$old" -maxdepth 1 \( -name .last-used -o -name .complete \) -mtime -"$keep_days")" ]; then
        echo "==> removing $old (unused for $keep_days days; KMINGEST_VENV_KEEP_DAYS)" >&2
        rm -rf "$old"
      fi
    done
  fi
  touch "$KMINGEST_VENV/.last-used" 2>/dev/null || true
  export PATH="$KMINGEST_VENV/bin:$PATH" VIRTUAL_ENV="$KMINGEST_VENV"
  export PYTHONPATH="$KMINGEST_ROOT${PYTHONPATH:+:$PYTHONPATH}"  # this clone's kmingest, connectors, dags
  export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
}
_kmingest_opts=$(set +o)  # the caller's options, restored below whatever happens
case $- in *e*) _kmingest_opts="$_kmingest_opts; set -e" ;; esac  # $(...) reports errexit as off
set +e +u +o pipefail
_kmingest_env
_kmingest_rc=$?
eval "$_kmingest_opts"
unset -f _kmingest_env
unset _kmingest_opts
[ "${BASH_SOURCE[0]}" != "$0" ] || exit "$_kmingest_rc"  # run, not sourced
return "$_kmingest_rc"
