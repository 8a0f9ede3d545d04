#!/usr/bin/env bash
# Lints .github/workflows with actionlint (which runs shellcheck on every
# run: block when shellcheck is on PATH). Installs the pinned actionlint
# with `go install` when it is missing or a different version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTIONLINT_VERSION="v1.7.12"
BIN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/webhook-relay/bin"
ACTIONLINT="$BIN_DIR/actionlint-$ACTIONLINT_VERSION"

if [[ ! -x "$ACTIONLINT" ]]; then
  mkdir -p "$BIN_DIR"
  tmp="$(mktemp -d)"
  GOBIN="$tmp" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  mv "$tmp/actionlint" "$ACTIONLINT"
  rm -rf "$tmp"
fi

if command -v shellcheck >/dev/null 2>&1; then
  echo "actionlint $ACTIONLINT_VERSION with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
else
  echo "actionlint $ACTIONLINT_VERSION (shellcheck not installed: run: blocks are not shell-checked)"
fi
cd "$ROOT"
"$ACTIONLINT" -no-color
shellcheck_scripts=(scripts/check-workflows.sh scripts/check-terraform.sh scripts/ensure-vegeta.sh loadtest/run-all.sh)
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck "${shellcheck_scripts[@]}"
fi
echo "workflows ok"
