#!/usr/bin/env bash
# Starts the docker-compose stack (Elasticsearch, Airflow 3, the portal) with one command. On the first run
# it writes .env with fresh random secrets (never committed: .env is in .gitignore). Needs Docker with the
# compose plugin. Stop with: docker compose down   (add -v to delete the index and the Airflow DB too)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .env ]; then
  umask 077
  {
    echo "AIRFLOW_JWT_SECRET=$(openssl rand -hex 32)"
    echo "AIRFLOW_FERNET_KEY=$(openssl rand -base64 32 | tr '+/' '-_')"
    echo "KMINGEST_SESSION_SECRET=$(openssl rand -hex 32)"
  } > .env
  echo "==> wrote .env with new secrets"
fi
docker compose up -d --build --wait
echo
echo "Airflow UI:  http://localhost:8080   (the kmingest_<source> DAGs start on their own; watch them there)"
echo "Portal:      http://localhost:8000   (demo sign-ins: alice, hana, bob, zhangsan, wangwei, kmlead)"
