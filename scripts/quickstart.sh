#!/usr/bin/env bash
# The main command (README "Quick start"): set up, ingest the bundled samples into the embedded index,
# show their status and run a few searches. Safe to run again: unchanged files are skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KMINGEST_ROOT"
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
