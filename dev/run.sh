#!/usr/bin/env bash
# `make run`: the whole system on this machine: the local Kafka broker, one
# OLF worker and the event generator. Ctrl-C stops everything it started.
# The children run in their own sessions (setsid), so Ctrl-C reaches only this
# script, which then stops them in order: generator, worker, broker.
set -euo pipefail
cd "$(dirname "$0")/.."

export OLF_KAFKA_PORT="${OLF_KAFKA_PORT:-9092}"
export OLF_BROKER_URL="${OLF_BROKER_URL:-kafka://127.0.0.1:${OLF_KAFKA_PORT}}"
export OLF_WEB_PORT="${OLF_WEB_PORT:-6066}"
LOG_DIR=.local/run
mkdir -p "$LOG_DIR"

broker_started=false

answers() {  # true when the URL returns HTTP 2xx
    .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$1" >/dev/null 2>&1
}
pids=()

cleanup() {
    trap - EXIT INT TERM
    echo
    echo "Stopping..."
    local index
    for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
        kill -TERM "${pids[index]}" 2>/dev/null || true
        wait "${pids[index]}" 2>/dev/null || true
    done
    if [[ "$broker_started" == true ]]; then
        bash dev/kafka/kafka.sh stop
    fi
}
trap cleanup EXIT
trap 'exit 0' INT    # Ctrl-C is how a user ends a run: not an error
trap 'exit 143' TERM

if ! bash dev/kafka/kafka.sh status >/dev/null 2>&1; then
    bash dev/kafka/kafka.sh start
    broker_started=true
fi

echo "Starting the OLF worker (log: $LOG_DIR/worker.log)..."
setsid .venv/bin/faust -A app.main worker -l info >"$LOG_DIR/worker.log" 2>&1 &
pids+=($!)

base_url="http://127.0.0.1:${OLF_WEB_PORT}"
stats_url="$base_url/api/stats/summary"
for _ in $(seq 1 120); do
    if answers "$stats_url"; then
        break
    fi
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
        echo "The worker exited; last lines of $LOG_DIR/worker.log:"
        tail -n 30 "$LOG_DIR/worker.log"
        exit 1
    fi
    sleep 0.5
done
answers "$stats_url" || { echo "The worker did not answer on $stats_url"; exit 1; }

echo "Starting the event generator (log: $LOG_DIR/generator.log)..."
setsid .venv/bin/python dev/generate_events.py --rate "${OLF_GENERATOR_RATE:-10}" \
    >"$LOG_DIR/generator.log" 2>&1 &
pids+=($!)

cat <<MSG

OLF is running. Live statistics:
    $stats_url
    $base_url/api/stats/customers?by=country   (or by=segment, by=status)
    $base_url/api/stats/timeseries?metric=signups&window=1m
Press Ctrl-C to stop the worker, the generator and the broker.
MSG

wait -n "${pids[@]}"
echo "A process exited unexpectedly; see $LOG_DIR/."
