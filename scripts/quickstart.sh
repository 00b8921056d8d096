#!/usr/bin/env bash
# The main command (README "Quick start"): set up, ingest the bundled samples into the embedded index,
# show their status, run a few searches, then serve the knowledge portal on them and print its URL and the
# demo sign-ins (Ctrl+C stops it). Safe to run again: unchanged files are skipped.
# Non-interactive (CI, tests): `scripts/quickstart.sh --no-serve` or KMINGEST_QUICKSTART_SERVE=0.
# KMINGEST_PORT / KMINGEST_HOST override the portal's address (default: portal.host/port in kmingest.yaml).
set -euo pipefail
serve="${KMINGEST_QUICKSTART_SERVE:-1}"
for arg in "$@"; do
  case "$arg" in
    --no-serve) serve=0 ;;
    --serve) serve=1 ;;
    *) echo "usage: $0 [--no-serve]" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KMINGEST_ROOT"
kmingest --config kmingest.yaml models fetch      # once: the embedding models from Maven Central (~60 MB)
kmingest --config kmingest.yaml ingest --all --full
kmingest --config kmingest.yaml status
for q in "how often are torque wrenches calibrated" "汽蚀噪声" "remote work policy" "supplier casting defects"; do
  echo; echo "\$ kmingest search \"$q\""
  kmingest --config kmingest.yaml search "$q" --limit 3
done
echo; echo "\$ kmingest search \"Bluefin rebate ladder\" --as-user hana    # HR: the Sales-only CRM note stays hidden"
kmingest --config kmingest.yaml search "Bluefin rebate ladder" --as-user hana --limit 3
echo; echo "\$ kmingest search \"Bluefin rebate ladder\" --as-user alice   # Sales: found"
kmingest --config kmingest.yaml search "Bluefin rebate ladder" --as-user alice --limit 3
serve_args=()
[ -n "${KMINGEST_HOST:-}" ] && serve_args+=(--host "$KMINGEST_HOST")
[ -n "${KMINGEST_PORT:-}" ] && serve_args+=(--port "$KMINGEST_PORT")
if [ "$serve" = "0" ]; then
  echo; echo "Not starting the portal (--no-serve). Start it with: kmingest --config kmingest.yaml serve"
  exit 0
fi
echo; echo "\$ kmingest serve    # the knowledge portal on the sample corpus"
exec kmingest --config kmingest.yaml serve "${serve_args[@]}"
