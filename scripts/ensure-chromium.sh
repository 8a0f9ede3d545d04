#!/usr/bin/env bash
# Installs Debian's chromium for the admin UI browser tests (ui/test/*.test.ts), which
# drive it with playwright-core. No browser download from a CDN: apt only.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
