#!/usr/bin/env bash
# The test command (README "Run the tests"): sets up the venv if needed, then runs every test, integration
# ones included. Extra arguments go to pytest, e.g. `scripts/test.sh tests/index -x`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KMINGEST_ROOT"
python -m pytest "$@"
