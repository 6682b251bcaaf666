#!/usr/bin/env bash
# `make run`: the whole system on this machine: the local Kafka broker, one
# OLF worker, the Customer service and its traffic simulator. Ctrl-C stops
# everything it started. The children run in their own sessions (setsid), so
# Ctrl-C reaches only this script, which then stops them in reverse order:
# simulator, Customer service, worker, broker.
set -euo pipefail
cd "$(dirname "$0")/.."

export OLF_KAFKA_PORT="${OLF_KAFKA_PORT:-9092}"
export OLF_BROKER_URL="${OLF_BROKER_URL:-kafka://127.0.0.1:${OLF_KAFKA_PORT}}"
export OLF_WEB_PORT="${OLF_WEB_PORT:-6066}"
export CUSTOMER_SERVICE_BROKER_URL="${CUSTOMER_SERVICE_BROKER_URL:-$OLF_BROKER_URL}"
export CUSTOMER_SERVICE_PORT="${CUSTOMER_SERVICE_PORT:-6070}"
LOG_DIR=.local/run
mkdir -p "$LOG_DIR"

broker_started=false

answers() {  # true when the URL returns HTTP 2xx
    .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$1" >/dev/null 2>&1
}
pids=()

# wait_until_answering NAME URL LOG: wait until the last started process serves
# URL; fail with the tail of its LOG if it exits or does not answer in 60 s.
wait_until_answering() {
    local name=$1 url=$2 log=$3
    for _ in $(seq 1 120); do
        answers "$url" && return 0
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then
            echo "The $name exited; last lines of $log:"
            tail -n 30 "$log"
            exit 1
        fi
        sleep 0.5
    done
    echo "The $name did not answer on $url within 60 s; see $log"
    exit 1
}

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
wait_until_answering "OLF worker" "$stats_url" "$LOG_DIR/worker.log"

echo "Starting the Customer service (log: $LOG_DIR/customer-service.log)..."
setsid .venv/bin/python -m customer_service serve >"$LOG_DIR/customer-service.log" 2>&1 &
pids+=($!)
service_url="http://127.0.0.1:${CUSTOMER_SERVICE_PORT}"
wait_until_answering "Customer service" "$service_url/status" "$LOG_DIR/customer-service.log"

echo "Starting the simulator (log: $LOG_DIR/simulator.log)..."
setsid .venv/bin/python -m customer_service simulate --changes 0 \
    --rate "${OLF_SIMULATOR_RATE:-10}" >"$LOG_DIR/simulator.log" 2>&1 &
pids+=($!)

cat <<MSG

OLF is running. Live dashboard:
    $base_url/
Live statistics (JSON; all endpoints: $base_url/api/openapi.json):
    $stats_url
    $base_url/api/stats/customers?by=country   (or by=segment, by=status)
    $base_url/api/stats/timeseries?metric=signups&window=1m
The Customer service, which publishes every change to OLF:
    $service_url/customers?limit=5
    $service_url/status
Compare both sides at any time: make reconcile
Press Ctrl-C to stop the simulator, the Customer service, the worker and the broker.
MSG

wait -n "${pids[@]}"
echo "A process exited unexpectedly; see $LOG_DIR/."
