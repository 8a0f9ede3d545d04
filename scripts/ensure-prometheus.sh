#!/usr/bin/env bash
# Installs Debian's prometheus package (the server and promtool) for the observability
# test core/test/observability/prometheus.test.ts, which starts its own Prometheus on a
# free port against a running relay. apt only; the package's own service is not used.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends prometheus
