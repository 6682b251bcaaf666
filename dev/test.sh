#!/usr/bin/env bash
# `make test`: run the whole suite. The session fixtures in tests/integration
# start the test broker (port OLF_TEST_KAFKA_PORT, default 19092) and the
# three-node test cluster (node 1 on OLF_TEST_KAFKA_CLUSTER_PORT, default
# 19392) when they are not running and stop them again; this wrapper makes
# sure that also happens when pytest is interrupted or killed.
set -euo pipefail
cd "$(dirname "$0")/.."

export OLF_TEST_KAFKA_PORT="${OLF_TEST_KAFKA_PORT:-19092}"
export OLF_TEST_KAFKA_CLUSTER_PORT="${OLF_TEST_KAFKA_CLUSTER_PORT:-19392}"
was_running=false
if OLF_KAFKA_PORT="$OLF_TEST_KAFKA_PORT" bash dev/kafka/kafka.sh status >/dev/null 2>&1; then
    was_running=true
fi
cluster_was_running=false
if OLF_KAFKA_CLUSTER_PORT="$OLF_TEST_KAFKA_CLUSTER_PORT" bash dev/kafka/cluster.sh status \
    >/dev/null 2>&1; then
    cluster_was_running=true
fi

cleanup() {
    # Workers that pytest could not stop itself (it was killed): their process
    # groups, listed by tests/integration/worker.py (and Customer service
    # processes, by tests/integration/customer_service_process.py).
    local pid_file pid
    for pid_file in ".local/test-workers-$OLF_TEST_KAFKA_PORT"/*; do
        [[ -e $pid_file ]] || continue
        pid=$(basename "$pid_file")
        # Only if that pid is still an OLF worker or the service, not a reused number.
        if grep -qsE "app.main|customer_service" "/proc/$pid/cmdline"; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        rm -f "$pid_file"
    done
    if [[ "$was_running" == false ]]; then
        OLF_KAFKA_PORT="$OLF_TEST_KAFKA_PORT" bash dev/kafka/kafka.sh stop >/dev/null 2>&1 || true
    fi
    if [[ "$cluster_was_running" == false ]]; then
        OLF_KAFKA_CLUSTER_PORT="$OLF_TEST_KAFKA_CLUSTER_PORT" bash dev/kafka/cluster.sh stop \
            >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

.venv/bin/pytest "$@"
