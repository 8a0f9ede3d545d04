#!/usr/bin/env bash
# Copies Grafana dashboards and Prometheus alert rules from grafana/ (their one
# source) into the Helm chart, which cannot read files outside its directory.
#   scripts/sync-chart-assets.sh          refresh the chart's copies
#   scripts/sync-chart-assets.sh --check  exit 1 if the copies drifted (CI)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="$ROOT/chart/webhook-relay/files"
MODE="${1:-sync}"

# source-dir:pattern:target-dir
PAIRS=(
  "grafana/dashboards:*.json:dashboards"
  "grafana/alerts:*.yaml:alerts"
)

drift=0
for pair in "${PAIRS[@]}"; do
  IFS=: read -r src pattern dest <<<"$pair"
  want="$(mktemp -d)"
  # shellcheck disable=SC2086 # the pattern must glob
  for f in "$ROOT/$src"/$pattern; do
    [[ -e "$f" ]] && cp "$f" "$want/"
  done
  if [[ "$MODE" == "--check" ]]; then
    if ! diff -r "$want" "$FILES/$dest" >/dev/null 2>&1; then
      echo "chart/webhook-relay/files/$dest differs from $src: run scripts/sync-chart-assets.sh" >&2
      diff -r "$want" "$FILES/$dest" >&2 || true
      drift=1
    fi
  else
    rm -rf "${FILES:?}/$dest"
    mkdir -p "$FILES/$dest"
    cp -r "$want/." "$FILES/$dest/"
  fi
  rm -rf "$want"
done
exit "$drift"
