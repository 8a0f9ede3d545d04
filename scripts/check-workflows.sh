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

# ShellCheck lints the workflows' run: blocks (through actionlint) and every script.
if ! command -v shellcheck >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends shellcheck >/dev/null
fi
echo "actionlint $ACTIONLINT_VERSION with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
cd "$ROOT"
"$ACTIONLINT" -no-color
shopt -s nullglob
shellcheck_scripts=(scripts/*.sh scripts/*/*.sh loadtest/*.sh .ci/run)
shellcheck "${shellcheck_scripts[@]}"
echo "shellcheck: ${#shellcheck_scripts[@]} scripts"
echo "workflows ok"
