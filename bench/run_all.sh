#!/bin/sh
# Run every benchmark in turn (one at a time: they would disturb each other's numbers).
# Usage: bench/run_all.sh [--quick]   (from anywhere; uses the project's .venv)
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
QUICK=""
[ "${1:-}" = "--quick" ] && QUICK="--quick"
for bench in bench_claim bench_dispatch bench_updates bench_memory; do
    echo "=== $bench $QUICK"
    "$PY" "bench/$bench.py" $QUICK
    echo
done
echo "=== bench_chart"
if [ -n "$QUICK" ]; then "$PY" bench/bench_chart.py 5; else "$PY" bench/bench_chart.py; fi
echo "=== bench_taps $QUICK"
"$PY" bench/bench_taps.py $QUICK
