#!/usr/bin/env bash
# Makes `docker compose` available so CI can validate docker-compose.yml (`docker compose config`). There is
# no Docker engine here, only the client; the compose v2 plugin is built once from the Go module proxy and
# cached under ~/.cache/kmingest (about 3 minutes on 2 cores the first time).
set -euo pipefail
docker compose version >/dev/null 2>&1 && exit 0
VERSION=v2.40.3
cached="${KMINGEST_VENV_ROOT:-$HOME/.cache/kmingest}/docker-compose-$VERSION"
if [ ! -x "$cached" ]; then
  echo "==> building the docker compose plugin $VERSION (once)" >&2
  src=$(go mod download -json "github.com/docker/compose/v2@$VERSION" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  work=$(mktemp -d)
  cp -r "$src/." "$work" && chmod -R u+w "$work"
  mkdir -p "$(dirname "$cached")"
  (cd "$work" && go build -trimpath -o "$cached.tmp" ./cmd)
  mv "$cached.tmp" "$cached"
  rm -rf "$work"
fi
mkdir -p "$HOME/.docker/cli-plugins"
ln -sf "$cached" "$HOME/.docker/cli-plugins/docker-compose"
docker compose version
