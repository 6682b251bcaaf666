#!/usr/bin/env bash
# A local three-node Apache Kafka cluster on 127.0.0.1, shaped like production:
# every node is a broker and a KRaft controller (three voters, so any one node
# may go), and topics get three replicas, two of them in sync for a write
# (default.replication.factor=3, min.insync.replicas=2). Each node is run by
# dev/kafka/kafka.sh, from the same Maven jars, with its own ports and files.
#
# Usage: dev/kafka/cluster.sh start|stop|status|wait|bootstrap
#        dev/kafka/cluster.sh start-node|stop-node|kill-node|port N   (N = 1, 2 or 3)
#   start      start the nodes that are not running and wait until all answer
#   stop       stop every node cleanly
#   wait       wait until every node answers
#   bootstrap  print the bootstrap servers, host:port,host:port,host:port
#   kill-node  SIGKILL one node (a crash); start-node brings it back
#
# Environment:
#   OLF_KAFKA_CLUSTER_PORT  client port of node 1 (default 9094); node N listens
#                           on port + 2(N-1) and its controller on the port after
#   OLF_KAFKA_HEAP_OPTS     heap of each node (default "-Xms192m -Xmx512m")
#   and kafka.sh's OLF_LOCAL_DIR, OLF_KAFKA_START_TIMEOUT.
#
# Run OLF against it with OLF_BROKER_URL=kafka://$(dev/kafka/cluster.sh bootstrap),
# OLF_TOPIC_REPLICATION_FACTOR=3 and OLF_TOPIC_MIN_INSYNC_REPLICAS=2 (docs/operations.md).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
KAFKA_SH=$SCRIPT_DIR/kafka.sh
KAFKA_DIR=${OLF_LOCAL_DIR:-$REPO_ROOT/.local}/kafka

NODES=3
BASE_PORT=${OLF_KAFKA_CLUSTER_PORT:-9094}
# Three JVMs: a smaller heap each than a single broker's.
export OLF_KAFKA_HEAP_OPTS=${OLF_KAFKA_HEAP_OPTS:--Xms192m -Xmx512m}
CLUSTER_ID_FILE=$KAFKA_DIR/cluster-$BASE_PORT.id

die() {
    echo "cluster.sh: $*" >&2
    exit 1
}

[[ $BASE_PORT =~ ^[0-9]+$ ]] || die "OLF_KAFKA_CLUSTER_PORT must be a number, got '$BASE_PORT'"

node_port() {
    echo $((BASE_PORT + 2 * ($1 - 1)))
}

# addresses OFFSET [ID]: every node's 127.0.0.1:port+OFFSET, comma-separated,
# each preceded by "N@" when ID is given.
addresses() {
    local offset=$1 with_id=${2:-} node list=()
    for ((node = 1; node <= NODES; node++)); do
        list+=("${with_id:+$node@}127.0.0.1:$(($(node_port "$node") + offset))")
    done
    local IFS=,
    echo "${list[*]}"
}

voters() {
    addresses 1 id
}

bootstrap() {
    addresses 0
}

# Every node's storage must be formatted with one cluster id, kept beside the
# data; a node's own data already says which (its meta.properties).
cluster_id() {
    if [[ ! -s $CLUSTER_ID_FILE ]]; then
        mkdir -p "$KAFKA_DIR"
        local existing
        existing=$(sed -n 's/^cluster\.id=//p' "$KAFKA_DIR/data-$(node_port 1)/meta.properties" \
            2>/dev/null || true)
        if [[ -n $existing ]]; then
            echo "$existing" >"$CLUSTER_ID_FILE"
        else
            # A KRaft cluster id: 16 random bytes, URL-safe base64 without padding.
            head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$CLUSTER_ID_FILE"
        fi
    fi
    cat "$CLUSTER_ID_FILE"
}

# node N COMMAND: kafka.sh COMMAND for node N.
node() {
    local number=$1 command=$2 port
    [[ $number =~ ^[1-3]$ ]] || die "no node '$number': the nodes are 1, 2 and 3"
    port=$(node_port "$number")
    local id=
    [[ $command == launch || $command == start ]] && id=$(cluster_id)
    OLF_KAFKA_PORT=$port \
        OLF_KAFKA_CONTROLLER_PORT=$((port + 1)) \
        OLF_KAFKA_NODE_ID=$number \
        OLF_KAFKA_VOTERS=$(voters) \
        OLF_KAFKA_CLUSTER_ID=$id \
        OLF_KAFKA_REPLICATION=3 \
        OLF_KAFKA_MIN_INSYNC=2 \
        bash "$KAFKA_SH" "$command" | sed "s/^/node $number: /"
}

# each_node COMMAND: node N COMMAND for every node, side by side (a node's
# start is mostly JVM start-up); fails if any of them failed.
each_node() {
    local command=$1 number pids=() failed=0
    for ((number = 1; number <= NODES; number++)); do
        node "$number" "$command" &
        pids+=($!)
    done
    for number in "${pids[@]}"; do
        wait "$number" || failed=1
    done
    return "$failed"
}

usage() {
    echo "usage: $0 start|stop|status|wait|bootstrap|start-node N|stop-node N|kill-node N|port N" >&2
    exit 2
}

main() {
    case ${1:-} in
        start)
            cluster_id >/dev/null # once, before the nodes that share it start side by side
            # No node answers before a majority of the controllers runs, so
            # all are launched before any is waited for.
            each_node launch
            each_node wait
            echo "Kafka cluster ready: $(bootstrap)"
            ;;
        stop) each_node stop ;;
        status)
            local failed=0 number
            for ((number = 1; number <= NODES; number++)); do
                node "$number" status || failed=1
            done
            return "$failed"
            ;;
        wait) each_node wait ;;
        bootstrap) bootstrap ;;
        start-node | stop-node | kill-node)
            [[ $# -eq 2 ]] || usage
            node "$2" "${1%-node}"
            ;;
        port)
            [[ $# -eq 2 && $2 =~ ^[1-3]$ ]] || usage
            node_port "$2"
            ;;
        *) usage ;;
    esac
}

main "$@"
