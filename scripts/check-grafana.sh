#!/usr/bin/env bash
# Checks the observability artefacts:
#   1. generated dashboards, alert rules and grafana/generated/queries.json are fresh;
#   2. dashboard JSON is valid (tap: ids, layout, variables, datasources, links, PromQL);
#   3. promtool check rules + promtool test rules (firing and quiet cases);
#   4. promtool check config for the compose stack's Prometheus;
#   5. docker compose config for docker-compose.yml (when the compose plugin exists).
# promtool comes from Debian's prometheus package; it is installed when missing.
# CHECK_GRAFANA_REQUIRE_COMPOSE=1 turns a missing `docker compose` into a failure.
set -euo pipefail

cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

if ! command -v promtool >/dev/null 2>&1; then
  step "installing promtool (Debian package prometheus)"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

step "generated files are up to date"
node grafana/src/generate.ts --check

step "dashboard JSON and alert metadata"
npx tap grafana/test/dashboards.test.ts grafana/test/alerts.test.ts

step "alert rules"
promtool check rules grafana/alerts/webhook-relay.rules.yaml
promtool test rules grafana/alerts/tests/*.test.yaml

step "compose Prometheus config"
promtool check config deploy/compose/prometheus/prometheus.yml

step "docker compose config"
if docker compose version >/dev/null 2>&1; then
  docker compose --profile demo config --quiet
  echo "docker-compose.yml is valid"
elif [ "${CHECK_GRAFANA_REQUIRE_COMPOSE:-0}" = "1" ]; then
  echo "docker compose is not installed and CHECK_GRAFANA_REQUIRE_COMPOSE=1" >&2
  exit 1
else
  echo "SKIP: docker compose plugin not installed (go install github.com/docker/compose/v2/cmd@v2.29.7, then copy the binary to ~/.docker/cli-plugins/docker-compose)"
fi

step "all observability checks passed"
