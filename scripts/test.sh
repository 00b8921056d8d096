#!/usr/bin/env bash
# The test command (README "Run the tests"): sets up the venv if needed, starts the services the
# integration tests use (a local Elasticsearch; left running, `scripts/elasticsearch.sh stop` ends it),
# then runs every test. Extra arguments go to pytest, e.g. `scripts/test.sh tests/index -x`;
# `scripts/test.sh -m "not integration"` runs without services.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KMINGEST_ROOT"
case " $* " in
  *"not integration"*) ;;
  *) bash scripts/elasticsearch.sh start ;;
esac
python -m pytest "$@"
