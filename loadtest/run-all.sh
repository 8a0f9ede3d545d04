#!/usr/bin/env bash
# The measured set behind docs/load-testing.md: scenarios, worker scaling, tuning sweeps.
# About 30 minutes on 2 cores. Waits for a quiet machine (load1 < 1.5) before each run,
# within a budget (LOADTEST_QUIET_WAIT_S per step below).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)}
RATE=${RATE:-200}
SUSTAINABLE=${SUSTAINABLE:-100}
LOADTEST_QUIET_WAIT_S=${FIRST_WAIT_S:-600} node loadtest/run.ts record active active-1k active-100k ramp fanout5 slow flaky burst \
  --rate "$RATE" --seconds 10 --sustainable "$SUSTAINABLE" --burst-seconds 30 --out "$OUT/scenarios"
LOADTEST_QUIET_WAIT_S=${WAIT_S:-180} node loadtest/run.ts active --rate "${SCALING_RATE:-600}" --seconds 10 --workers 1,2,4 --out "$OUT/scaling"
LOADTEST_QUIET_WAIT_S=${WAIT_S:-180} node loadtest/sweep.ts ${SWEEPS:-pool batch-max batch-wait read-count concurrency worker-pool} --seconds 10 \
  --ingest-rate "${INGEST_RATE:-1000}" --delivery-rate "${DELIVERY_RATE:-600}" --out "$OUT/sweeps"
