#!/bin/sh
# Run every benchmark in turn (one at a time: they would disturb each other's numbers).
# Usage: bench/run_all.sh [--quick]   (from anywhere; uses the project's .venv)
# A script that misses a target exits 1 after printing its table; the run goes on.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
QUICK=""
[ "${1:-}" = "--quick" ] && QUICK="--quick"
for bench in bench_claim bench_reminders bench_taps bench_broadcast bench_slow_api \
    bench_startup bench_memory bench_chart bench_card bench_illustrations; do
    [ -f "bench/$bench.py" ] || continue
    echo "=== $bench $QUICK"
    "$PY" "bench/$bench.py" $QUICK || echo "($bench: a target was missed or the run failed, see above)"
    echo
done
