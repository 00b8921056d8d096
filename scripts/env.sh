#!/usr/bin/env bash
# Creates (once) and activates this clone's virtualenv. Sourced by quickstart.sh, test.sh and .ci/run, and by
# hand (`source scripts/env.sh`): it leaves the caller's shell options (set -e/-u/pipefail) as they were and
# returns non-zero on an error instead of closing the shell.
# The venv lives outside the clone (~/.cache/kmingest, or $KMINGEST_VENV_ROOT), keyed by a hash of the
# dependency lists in pyproject.toml and of the clone's path: runs of the same clone reuse it, a fresh machine
# installs everything from the project's own files, and two clones on one machine each get their own venv,
# whose editable install points at that clone (each runs its own code). KMINGEST_VENV names a venv instead;
# env.sh points its editable install at this clone only when the venv is this clone's, or its clone is gone:
# never away from another clone that still exists.
_kmingest_env() {
  local python deps_hash clone_hash owner pip_log
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
  clone_hash=$(printf '%s' "$KMINGEST_ROOT" | "$python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:8])') || return 1
  KMINGEST_VENV="${KMINGEST_VENV:-${KMINGEST_VENV_ROOT:-$HOME/.cache/kmingest}/venv-$deps_hash-$clone_hash}"
  if [ ! -f "$KMINGEST_VENV/.complete" ]; then
    echo "==> creating virtualenv $KMINGEST_VENV (first run of this clone: torch is large, allow ~5 min)" >&2
    rm -rf "$KMINGEST_VENV"
    "$python" -m venv "$KMINGEST_VENV" || return 1
    "$KMINGEST_VENV/bin/pip" install --quiet --upgrade pip || return 1
    "$KMINGEST_VENV/bin/pip" install --quiet -e "$KMINGEST_ROOT[dev,airflow]" || return 1
    touch "$KMINGEST_VENV/.complete"
  fi
  # whose code the venv runs: its marker, else where its editable install points
  owner=$(cat "$KMINGEST_VENV/.kmingest-clone" 2>/dev/null || "$python" - "$KMINGEST_VENV" <<'PY'
import glob, json, sys, urllib.parse, urllib.request
for path in glob.glob(f"{sys.argv[1]}/lib/python*/site-packages/kmingest-*.dist-info/direct_url.json"):
    url = json.load(open(path, encoding="utf-8")).get("url", "")
    if url.startswith("file://"):
        print(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        break
PY
  )
  if [ -n "$owner" ] && [ "$owner" != "$KMINGEST_ROOT" ] && [ -f "$owner/pyproject.toml" ]; then
    echo "error: $KMINGEST_VENV runs the code of the clone at $owner; env.sh does not re-point it at" \
      "$KMINGEST_ROOT (fix: unset KMINGEST_VENV to use this clone's own venv, or name a venv of its own)" >&2
    return 1
  fi
  # (re)point the editable install at this clone (cheap); setuptools' warnings shown only if it fails
  pip_log=$(mktemp) || return 1
  if ! "$KMINGEST_VENV/bin/pip" install --quiet --no-deps --no-build-isolation -e "$KMINGEST_ROOT" \
    >"$pip_log" 2>&1; then
    cat "$pip_log" >&2
    rm -f "$pip_log"
    return 1
  fi
  rm -f "$pip_log"
  printf '%s\n' "$KMINGEST_ROOT" >"$KMINGEST_VENV/.kmingest-clone"
  export PATH="$KMINGEST_VENV/bin:$PATH" VIRTUAL_ENV="$KMINGEST_VENV"
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
