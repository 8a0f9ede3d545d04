#!/usr/bin/env bash
# Installs the pinned vegeta from the Go module proxy for the load-test smoke tests
# (loadtest/test/loadtest.test.ts: a 2 s run against a throwaway relay, and the remote
# runner against a running one). Without it those tests skip, and CI would not notice
# the load-test kit breaking. loadtest/src/vegeta.ts finds it in ~/go/bin.
set -euo pipefail

VEGETA_VERSION=v12.13.0
GOBIN="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
if [ -x "$GOBIN/vegeta" ] && go version -m "$GOBIN/vegeta" 2>/dev/null | grep -qE "mod[[:space:]]+github.com/tsenart/vegeta/v12[[:space:]]+${VEGETA_VERSION}[[:space:]]"; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-vegeta: go is not installed; the load-test smoke tests will skip" >&2
  exit 0
fi
echo "== installing vegeta ${VEGETA_VERSION} (go install)"
go install "github.com/tsenart/vegeta/v12@${VEGETA_VERSION}"
