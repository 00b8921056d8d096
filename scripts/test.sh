#!/usr/bin/env bash
# The test command (README "Run the tests"): sets up the venv and the embedding models if needed, starts the services the
# integration tests use (a local Elasticsearch, PostgreSQL and Redis; left running, `scripts/<name>.sh stop` ends
# each; the three-node Elasticsearch cluster and the Airflow Celery deployment are started by their tests),
# then runs every test. Extra arguments go to pytest, e.g. `scripts/test.sh tests/index -x`;
# `scripts/test.sh -m "not integration"` runs without services.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KMINGEST_ROOT"
case " $* " in
  *"not integration"*) ;;
  *) bash scripts/elasticsearch.sh start
     bash scripts/postgres.sh start && bash scripts/postgres.sh createdb kmingest_test
     bash scripts/redis.sh start ;;
esac
# the models the tests load: the defaults, the int8 MiniLM; the torch MiniLM comes from PyPI
kmingest models fetch bge-small-en-v1.5-q bge-small-zh-v1.5-q all-MiniLM-L6-v2-q
python -m pytest "$@"
