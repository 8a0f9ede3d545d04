#!/usr/bin/env bash
# The measured set behind docs/load-testing.md: scenarios, the end-to-end ceiling, worker
# scaling, tuning sweeps. About 45 minutes on 2 cores. Waits for a quiet machine
# (load1 < 1.5) before each run, within a budget (LOADTEST_QUIET_WAIT_S per step below).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-loadtest/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)}
RATE=${RATE:-400}
SUSTAINABLE=${SUSTAINABLE:-300}
FIRST_WAIT_S=${FIRST_WAIT_S:-600}
WAIT_S=${WAIT_S:-180}
LOADTEST_QUIET_WAIT_S=$FIRST_WAIT_S node loadtest/run.ts record active active-1k active-100k ramp fanout5 slow flaky burst \
  --rate "$RATE" --seconds 10 --sustainable "$SUSTAINABLE" --burst-seconds 30 --out "$OUT/scenarios"
LOADTEST_QUIET_WAIT_S=$WAIT_S node loadtest/run.ts active --rate "${SCALING_RATE:-1200}" --seconds 10 --workers 1,2,4 --out "$OUT/scaling"
# Where one worker stops keeping up: one subscription at rising constant rates.
for r in ${CEILING_RATES:-1600 2000}; do
  LOADTEST_QUIET_WAIT_S=$WAIT_S node loadtest/run.ts active --rate "$r" --seconds 10 --out "$OUT/ceiling-$r"
done
LOADTEST_QUIET_WAIT_S=$WAIT_S node loadtest/run.ts active --rate "${OVER_RATE:-2500}" --seconds 10 --workers 1,2 --out "$OUT/ceiling-${OVER_RATE:-2500}"
# Ingest settings near the ingest ceiling; delivery settings below (latency) and above
# (throughput) the delivery ceiling.
read -r -a sweeps <<< "${SWEEPS:-pool batch-max batch-wait read-count concurrency worker-pool}"
read -r -a delivery_sweeps <<< "${DELIVERY_SWEEPS:-read-count concurrency worker-pool egress-connections}"
LOADTEST_QUIET_WAIT_S=$WAIT_S node loadtest/sweep.ts "${sweeps[@]}" --seconds 10 \
  --ingest-rate "${INGEST_RATE:-2500}" --delivery-rate "${DELIVERY_RATE:-1000}" --out "$OUT/sweeps"
LOADTEST_QUIET_WAIT_S=$WAIT_S node loadtest/sweep.ts "${delivery_sweeps[@]}" --seconds 10 \
  --delivery-rate "${DELIVERY_OVER_RATE:-2500}" --out "$OUT/sweeps-delivery"
