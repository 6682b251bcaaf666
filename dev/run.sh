#!/usr/bin/env bash
# `make run`: the whole system on this machine: the local Kafka broker, one
# OLF worker, the Customer service, the Orders service and their simulators.
#
# However the run ends (Ctrl-C, SIGTERM, the terminal closed (SIGHUP), output
# piped to a reader that is gone, a failed start), the cleanup stops everything
# it started, in reverse order: the simulators, the Orders service, the
# Customer service, the worker, the broker.
# The children run in their own sessions (setsid), so a signal from the
# terminal reaches only this script. Each child's process group gets SIGTERM,
# then SIGKILL if anything of it is left after STOP_GRACE_SECONDS.
set -euo pipefail
# Writing to a closed pipe (`make run | tee run.log`, Ctrl-C ends tee too)
# would kill the script before its cleanup ran; with SIGPIPE ignored the write
# just fails, and say (below) ignores that.
trap '' PIPE
cd "$(dirname "$0")/.."

export OLF_KAFKA_PORT="${OLF_KAFKA_PORT:-9092}"
export OLF_BROKER_URL="${OLF_BROKER_URL:-kafka://127.0.0.1:${OLF_KAFKA_PORT}}"
export OLF_WEB_PORT="${OLF_WEB_PORT:-6066}"
export CUSTOMER_SERVICE_BROKER_URL="${CUSTOMER_SERVICE_BROKER_URL:-$OLF_BROKER_URL}"
export CUSTOMER_SERVICE_PORT="${CUSTOMER_SERVICE_PORT:-6070}"
export ORDERS_SERVICE_BROKER_URL="${ORDERS_SERVICE_BROKER_URL:-$OLF_BROKER_URL}"
export ORDERS_SERVICE_PORT="${ORDERS_SERVICE_PORT:-6072}"
export ORDERS_SERVICE_CUSTOMER_SERVICE_URL="${ORDERS_SERVICE_CUSTOMER_SERVICE_URL:-http://127.0.0.1:${CUSTOMER_SERVICE_PORT}}"
# Where the children's logs go (tests/integration/test_make_run.py uses its own).
LOG_DIR=${OLF_RUN_LOG_DIR:-.local/run}
mkdir -p "$LOG_DIR"
# Seconds a child's process group has to exit after SIGTERM before it gets
# SIGKILL. A worker's stop takes a few seconds (and ends by itself after
# OLF_STOP_TIMEOUT, for when no script like this one watches it).
STOP_GRACE_SECONDS=20

broker_started=false
broker_starter=  # pid of the running `kafka.sh start`, while it runs
pids=()          # the children, each leading its process group
names=()

# say MESSAGE: print a line; never fails, not even on a closed terminal or pipe,
# so that no message can cut the cleanup short.
say() {
    printf '%s\n' "$*" 2>/dev/null || true
}

answers() {  # true when the URL returns HTTP 2xx
    .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$1" >/dev/null 2>&1
}

# start_child NAME LOG COMMAND...: run COMMAND in a session of its own, output to LOG.
start_child() {
    local name=$1 log=$2
    shift 2
    setsid "$@" >"$log" 2>&1 </dev/null &
    pids+=($!)
    names+=("$name")
}

# wait_until_answering NAME URL LOG: wait until the last started process serves
# URL; fail with the tail of its LOG if it exits or does not answer in 60 s.
wait_until_answering() {
    local name=$1 url=$2 log=$3
    for _ in $(seq 1 120); do
        answers "$url" && return 0
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then
            say "The $name exited; last lines of $log:"
            tail -n 30 "$log" 2>/dev/null || true
            exit 1
        fi
        sleep 0.5
    done
    say "The $name did not answer on $url within 60 s; see $log"
    exit 1
}

# group_alive PID: whether anything of the process group PID leads still runs.
# (Right after start_child, setsid may not have made the group yet: then PID.)
group_alive() {
    kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null
}

# stop_group NAME PID: SIGTERM to the process group PID leads; SIGKILL to what
# is left of it after STOP_GRACE_SECONDS.
stop_group() {
    local name=$1 pid=$2 tenths
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((tenths = 0; tenths < STOP_GRACE_SECONDS * 10; tenths++)); do
        group_alive "$pid" || return 0
        sleep 0.1
    done
    say "The $name did not stop within $STOP_GRACE_SECONDS s: killing it."
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    # Nothing may cut the cleanup short: not a second signal (closing a terminal
    # can send SIGHUP twice: from its shell, then from the kernel when that shell
    # exits), nor a failed command. What it starts inherits the ignored signals.
    trap '' HUP INT TERM
    trap - EXIT
    set +e
    say ""
    say "Stopping..."
    local index
    for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
        stop_group "${names[index]}" "${pids[index]}"
    done
    if [[ -n $broker_starter ]]; then
        stop_group "broker's start" "$broker_starter"
    fi
    if [[ $broker_started == true ]]; then
        bash dev/kafka/kafka.sh stop ||
            say "Could not stop the broker; its log: $(bash dev/kafka/kafka.sh logs-path)"
    fi
}
trap cleanup EXIT
trap 'exit 0' INT    # Ctrl-C is how a user ends a run: not an error
trap 'exit 129' HUP
trap 'exit 143' TERM

if ! bash dev/kafka/kafka.sh status >/dev/null 2>&1; then
    # Set before the start: a signal during it must still stop the broker it launched.
    broker_started=true
    # In the background, and in a session of its own like the children: a signal
    # interrupts `wait` at once (it would wait for a foreground command), and the
    # cleanup can stop the start, Maven and Java tools included.
    setsid bash dev/kafka/kafka.sh start </dev/null &
    broker_starter=$!
    wait "$broker_starter"  # if it fails, kafka.sh has said why
    broker_starter=
fi

say "Starting the OLF worker (log: $LOG_DIR/worker.log)..."
start_child "OLF worker" "$LOG_DIR/worker.log" .venv/bin/faust -A app.main worker -l info

base_url="http://127.0.0.1:${OLF_WEB_PORT}"
stats_url="$base_url/api/stats/summary"
wait_until_answering "OLF worker" "$stats_url" "$LOG_DIR/worker.log"

say "Starting the Customer service (log: $LOG_DIR/customer-service.log)..."
start_child "Customer service" "$LOG_DIR/customer-service.log" \
    .venv/bin/python -m customer_service serve
service_url="http://127.0.0.1:${CUSTOMER_SERVICE_PORT}"
wait_until_answering "Customer service" "$service_url/status" "$LOG_DIR/customer-service.log"

say "Starting the simulator (log: $LOG_DIR/simulator.log)..."
start_child "simulator" "$LOG_DIR/simulator.log" \
    .venv/bin/python -m customer_service simulate --changes 0 --rate "${OLF_SIMULATOR_RATE:-10}"

say "Starting the Orders service (log: $LOG_DIR/orders-service.log)..."
start_child "Orders service" "$LOG_DIR/orders-service.log" \
    .venv/bin/python -m orders_service serve
orders_url="http://127.0.0.1:${ORDERS_SERVICE_PORT}"
wait_until_answering "Orders service" "$orders_url/status" "$LOG_DIR/orders-service.log"

say "Starting the orders simulator (log: $LOG_DIR/orders-simulator.log)..."
start_child "orders simulator" "$LOG_DIR/orders-simulator.log" \
    .venv/bin/python -m orders_service simulate --requests 0 --rate "${OLF_ORDERS_SIMULATOR_RATE:-2}"

say "
OLF is running. Live dashboard:
    $base_url/
Live statistics (JSON; all endpoints: $base_url/api/openapi.json):
    $stats_url
    $base_url/api/stats/customers?by=country   (or by=segment, by=status)
    $base_url/api/stats/timeseries?metric=signups&window=1m
The Customer service, which publishes every change to OLF:
    $service_url/customers?limit=5
    $service_url/status
The Orders service, which publishes every order to order-events:
    $orders_url/status
Compare both sides at any time: make reconcile (orders: make reconcile-orders)
Press Ctrl-C to stop the simulators, both services, the worker and the broker."

wait -n "${pids[@]}" || true
say "A process exited unexpectedly; see $LOG_DIR/."
exit 1
