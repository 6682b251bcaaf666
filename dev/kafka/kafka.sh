#!/usr/bin/env bash
# Local Apache Kafka node (KRaft, combined broker+controller) for development
# and tests: a single-node broker by default, or one node of the three-node
# cluster that dev/kafka/cluster.sh runs. No Docker, no Kafka tarball: the jars
# come from Maven Central via dev/kafka/pom.xml and are cached under $OLF_LOCAL_DIR.
#
# Usage: dev/kafka/kafka.sh start|stop|status|logs-path|launch|wait|kill
#   start  launch the node and wait until it answers (a no-op if it runs)
#   launch start the node without waiting: the nodes of a cluster answer only
#          once a majority of its controllers runs, so cluster.sh launches all
#          of them first and then waits for each
#   wait   wait until the running node answers
#   kill   SIGKILL the node (a crash, for fault drills); stop shuts it down cleanly
#
# Environment:
#   OLF_LOCAL_DIR              where generated files live (default <repo>/.local)
#   OLF_KAFKA_PORT             client port (default 9092)
#   OLF_KAFKA_CONTROLLER_PORT  KRaft controller port (default port+1)
#   OLF_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 60)
#   OLF_KAFKA_HEAP_OPTS        broker heap (default "-Xms256m -Xmx768m")
# Set by cluster.sh for the nodes of a cluster (defaults: a single node):
#   OLF_KAFKA_NODE_ID          this node's id (default 1)
#   OLF_KAFKA_VOTERS           controller.quorum.voters (default this node alone)
#   OLF_KAFKA_CLUSTER_ID       cluster id to format new storage with (default a new one)
#   OLF_KAFKA_REPLICATION      replicas of the broker's own topics and of topics
#                              created without a replication factor (default 1)
#   OLF_KAFKA_MIN_INSYNC       their min.insync.replicas (default 1)
#
# All files are per port, so brokers on different ports can run side by side.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
POM=$SCRIPT_DIR/pom.xml
LOG4J_CONFIG=$SCRIPT_DIR/log4j2.yaml

LOCAL_DIR=${OLF_LOCAL_DIR:-$REPO_ROOT/.local}
KAFKA_DIR=$LOCAL_DIR/kafka
JARS_DIR=$KAFKA_DIR/jars
# Written after a successful copy; holds the sha256 of the pom it came from.
JARS_MARKER=$JARS_DIR/.olf-jars-complete

PORT=${OLF_KAFKA_PORT:-9092}
CONTROLLER_PORT=${OLF_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
START_TIMEOUT=${OLF_KAFKA_START_TIMEOUT:-60}
HEAP_OPTS=${OLF_KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
NODE_ID=${OLF_KAFKA_NODE_ID:-1}
VOTERS=${OLF_KAFKA_VOTERS:-$NODE_ID@127.0.0.1:$CONTROLLER_PORT}
CLUSTER_ID=${OLF_KAFKA_CLUSTER_ID:-}
REPLICATION=${OLF_KAFKA_REPLICATION:-1}
MIN_INSYNC=${OLF_KAFKA_MIN_INSYNC:-1}
STOP_TIMEOUT=30
KILL_WAIT_SECONDS=10

DATA_DIR=$KAFKA_DIR/data-$PORT
LOG_FILE=$KAFKA_DIR/broker-$PORT.log
PID_FILE=$KAFKA_DIR/broker-$PORT.pid
PROPS_FILE=$KAFKA_DIR/server-$PORT.properties

# Short-lived tool JVMs: small heap and C1 only start noticeably faster.
TOOL_JVM_OPTS=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
               -Djava.awt.headless=true)

die() {
    echo "kafka.sh: $*" >&2
    exit 1
}

# say MESSAGE / warn MESSAGE: a line on stdout / stderr that never fails, not
# even on a closed pipe or terminal, so that no message can cut a stop short.
say() {
    printf '%s\n' "$*" 2>/dev/null || true
}

warn() {
    printf 'kafka.sh: %s\n' "$*" >&2 2>/dev/null || true
}

# ---------------------------------------------------------------- prerequisites

require_java() {
    command -v java >/dev/null 2>&1 ||
        die "java not found: install a Java 17+ JDK (Debian: apt-get install openjdk-17-jdk-headless)"
    local major
    major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
    if [[ -z $major || $major -lt 17 ]]; then
        die "java ${major:-?} is too old: Kafka 4 needs Java 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
    fi
}

require_maven() {
    command -v mvn >/dev/null 2>&1 ||
        die "mvn not found: install Maven to download the Kafka jars (Debian: apt-get install maven)"
}

check_ports() {
    [[ $PORT =~ ^[0-9]+$ ]] || die "OLF_KAFKA_PORT must be a number, got '$PORT'"
    [[ $CONTROLLER_PORT =~ ^[0-9]+$ ]] ||
        die "OLF_KAFKA_CONTROLLER_PORT must be a number, got '$CONTROLLER_PORT'"
    [[ $PORT != "$CONTROLLER_PORT" ]] || die "client and controller port are both $PORT"
    [[ $NODE_ID =~ ^[0-9]+$ ]] || die "OLF_KAFKA_NODE_ID must be a number, got '$NODE_ID'"
    [[ $REPLICATION =~ ^[1-9][0-9]*$ && $MIN_INSYNC =~ ^[1-9][0-9]*$ ]] ||
        die "OLF_KAFKA_REPLICATION and OLF_KAFKA_MIN_INSYNC must be numbers >= 1"
}

# ---------------------------------------------------------------- jar cache

pom_sha() {
    sha256sum "$POM" | cut -d ' ' -f 1
}

jars_are_current() {
    [[ -f $JARS_MARKER && $(cat "$JARS_MARKER") == "$(pom_sha)" ]]
}

# Copies the broker's jars into $JARS_DIR unless the cache matches the pom.
# A lock keeps two concurrent starts (e.g. two test brokers) from both
# downloading into the same directory.
ensure_jars() {
    jars_are_current && return 0
    mkdir -p "$KAFKA_DIR"
    exec 9>"$KAFKA_DIR/jars.lock"
    flock 9
    if ! jars_are_current; then
        require_maven
        echo "Downloading Kafka jars with Maven into $JARS_DIR (the first download takes a while)..."
        # Start from an empty directory so jars of an older pom do not linger.
        rm -rf "$JARS_DIR"
        # Output goes to a file: Debian's mvn prints stray colour escapes even
        # with -q -B, and the details only matter when it fails.
        local mvn_log=$KAFKA_DIR/mvn.log
        if ! mvn -q -B -f "$POM" -Dkafka.jars.dir="$JARS_DIR" package >"$mvn_log" 2>&1; then
            tail -n 30 "$mvn_log" >&2
            die "Maven could not download the Kafka jars (full output: $mvn_log)"
        fi
        pom_sha >"$JARS_MARKER"
    fi
    flock -u 9
}

classpath() {
    # Java expands "dir/*" to every .jar in dir itself.
    echo "$JARS_DIR/*"
}

run_tool() {
    java "${TOOL_JVM_OPTS[@]}" -cp "$(classpath)" "$@"
}

# ---------------------------------------------------------------- process state

# Serialises start and stop for one port: two concurrent starts (e.g. from
# parallel test workers) must not launch two brokers or clobber the pid file.
lock_port() {
    mkdir -p "$KAFKA_DIR"
    exec 8>"$KAFKA_DIR/broker-$PORT.lock"
    flock 8
}

read_pid() {
    [[ -f $PID_FILE ]] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    echo "$pid"
}

# True if $1 is our broker for this port. Checking the command line guards
# against a stale pid file whose pid was reused by another process.
is_our_broker() {
    local pid=$1 cmdline
    # 2>/dev/null first: it must already apply when the < redirect fails.
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ $cmdline == *kafka.Kafka* && $cmdline == *"$PROPS_FILE"* ]]
}

# Prints the broker pid if it is running; fails otherwise.
running_pid() {
    local pid
    pid=$(read_pid) || return 1
    is_our_broker "$pid" || return 1
    echo "$pid"
}

port_in_use() {
    # A plain TCP connect: succeeds only if something listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- start

write_server_properties() {
    cat >"$PROPS_FILE" <<EOF
# Generated by dev/kafka/kafka.sh; rewritten on every start.
process.roles=broker,controller
node.id=$NODE_ID
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters=$VOTERS
log.dirs=$DATA_DIR

num.partitions=8
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0

# One replica on a single node; three (two in sync) on cluster.sh's nodes. The
# defaults also apply to topics a client has auto-created.
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_INSYNC
offsets.topic.replication.factor=$REPLICATION
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_INSYNC
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_INSYNC
EOF
}

# Formats the KRaft data dir once. A new cluster id is only needed the first
# time (the nodes of a cluster share cluster.sh's); --ignore-formatted makes a
# repeated format of the same dir harmless.
format_storage() {
    [[ -f $DATA_DIR/meta.properties ]] && return 0
    local cluster_id=$CLUSTER_ID
    [[ -n $cluster_id ]] || cluster_id=$(run_tool kafka.tools.StorageTool random-uuid)
    mkdir -p "$DATA_DIR"
    run_tool kafka.tools.StorageTool format --config "$PROPS_FILE" \
        --cluster-id "$cluster_id" --ignore-formatted >>"$LOG_FILE" 2>&1 ||
        fail_with_log "formatting $DATA_DIR failed"
}

launch_broker() {
    # setsid: the broker gets its own session, so it outlives this script and
    # is not hit by signals sent to the caller's process group. No wrapper
    # process stays between us and java, so $! is the broker's own pid.
    # 8>&- 9>&-: the broker must not inherit (and so hold) our lock files.
    # shellcheck disable=SC2086  # HEAP_OPTS is a list of JVM flags
    setsid nohup java $HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J_CONFIG" \
        -cp "$(classpath)" kafka.Kafka "$PROPS_FILE" \
        >>"$LOG_FILE" 2>&1 </dev/null 8>&- 9>&- &
    local pid=$!
    echo "$pid" >"$PID_FILE"
    # $! is known as soon as bash has forked; until the child has exec'd
    # setsid, its command line is still this script's, and is_our_broker would
    # take it for a broker that already exited (seen on a busy machine).
    local deadline=$((SECONDS + 10))
    until is_our_broker "$pid" || ((SECONDS >= deadline)); do
        sleep 0.05
    done
}

# One real request to the broker, an ApiVersions round trip, in bash: a tool
# JVM costs seconds of CPU, which three nodes starting side by side on two
# cores waited for. A broker binds its port early but answers only once it
# runs (registered, unfenced), so a reply is the signal; silence for 2 s is not.
broker_answers() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
    # Size 11; api key 18 (ApiVersions), version 0, correlation id 1, client id "x".
    printf '\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01x' >&3
    # The reply starts with its size (4 bytes) and our correlation id.
    reply=$(timeout 2 head -c 8 <&3 | od -An -tx1 | tr -d ' \n') || true
    exec 3<&-
    [[ ${#reply} -eq 16 && $reply == *00000001 ]]
}

fail_with_log() {
    echo "kafka.sh: $1; last 30 lines of $LOG_FILE:" >&2
    tail -n 30 "$LOG_FILE" >&2 || true
    exit 1
}

# Polls with real requests until the broker answers, it dies, or time is up.
wait_until_ready() {
    local pid=$1
    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        is_our_broker "$pid" || {
            rm -f "$PID_FILE"
            fail_with_log "Kafka exited during startup"
        }
        broker_answers 2>/dev/null && return 0
        sleep 0.5
    done
    fail_with_log "Kafka did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s (pid $pid still running; stop it with: $0 stop)"
}

cmd_start() {
    local pid
    lock_port
    if pid=$(running_pid); then
        # May still be starting (e.g. a concurrent start): wait for it too.
        wait_until_ready "$pid"
        say "Kafka already running on 127.0.0.1:$PORT (pid $pid)"
        return 0
    fi
    launch_new
    pid=$(cat "$PID_FILE")
    wait_until_ready "$pid"
    say "Kafka ready on 127.0.0.1:$PORT (pid $pid)"
}

cmd_launch() {
    local pid
    lock_port
    if pid=$(running_pid); then
        say "Kafka already running on 127.0.0.1:$PORT (pid $pid)"
        return 0
    fi
    launch_new
}

cmd_wait() {
    local pid
    pid=$(running_pid) || die "Kafka is not running on 127.0.0.1:$PORT"
    wait_until_ready "$pid"
    say "Kafka ready on 127.0.0.1:$PORT (pid $pid)"
}

# Launches a node that is not running; the caller holds the port's lock.
launch_new() {
    rm -f "$PID_FILE" # stale, if present

    require_java
    for p in "$PORT" "$CONTROLLER_PORT"; do
        port_in_use "$p" &&
            die "port $p on 127.0.0.1 is already in use by another process (choose others with OLF_KAFKA_PORT / OLF_KAFKA_CONTROLLER_PORT)"
    done
    ensure_jars

    mkdir -p "$KAFKA_DIR"
    # Keep the previous run's log for post-mortems; start this one fresh.
    [[ -f $LOG_FILE ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
    : >"$LOG_FILE"
    write_server_properties
    format_storage
    launch_broker
    say "Kafka log: $LOG_FILE"
}

# ---------------------------------------------------------------- stop / status

# Ends in bounded time: SIGTERM, SIGKILL after STOP_TIMEOUT, then at most
# KILL_WAIT_SECONDS for the process to go.
cmd_stop() {
    local pid
    # A stop, once begun, runs to its end, even when the terminal that started it
    # closes or its output goes to a reader that is gone.
    trap '' HUP PIPE
    lock_port
    if ! pid=$(running_pid); then
        rm -f "$PID_FILE"
        say "Kafka not running on 127.0.0.1:$PORT"
        return 0
    fi
    # A controlled shutdown usually takes a few seconds; poll rather than
    # sleep a fixed time.
    if ! signal_and_wait TERM "$pid" "$STOP_TIMEOUT"; then
        warn "Kafka (pid $pid) did not exit within ${STOP_TIMEOUT}s: killing it"
        signal_and_wait KILL "$pid" "$KILL_WAIT_SECONDS" ||
            die "Kafka (pid $pid) is still there ${KILL_WAIT_SECONDS}s after SIGKILL"
    fi
    rm -f "$PID_FILE"
    say "Kafka stopped"
}

# signal_and_wait SIGNAL PID SECONDS: sends our broker SIGNAL and waits at most
# SECONDS for it to go; fails if it is still there.
signal_and_wait() {
    local signal=$1 pid=$2
    kill -"$signal" "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + $3))
    while is_our_broker "$pid" && ((SECONDS < deadline)); do
        sleep 0.1
    done
    ! is_our_broker "$pid"
}

# A crash: no controlled shutdown, so the partitions this node leads move only
# once the controller notices it is gone (broker.session.timeout.ms, 9 s).
cmd_kill() {
    local pid
    lock_port
    if ! pid=$(running_pid); then
        say "Kafka not running on 127.0.0.1:$PORT"
        return 0
    fi
    signal_and_wait KILL "$pid" "$KILL_WAIT_SECONDS" ||
        die "Kafka (pid $pid) is still there ${KILL_WAIT_SECONDS}s after SIGKILL"
    rm -f "$PID_FILE"
    say "Kafka killed"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        echo "Kafka running on 127.0.0.1:$PORT (pid $pid)"
        return 0
    fi
    echo "Kafka not running on 127.0.0.1:$PORT"
    return 1
}

usage() {
    echo "usage: $0 start|stop|status|logs-path|launch|wait|kill" >&2
    exit 2
}

main() {
    [[ $# -eq 1 ]] || usage
    check_ports
    case $1 in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        logs-path) echo "$LOG_FILE" ;;
        launch) cmd_launch ;;
        wait) cmd_wait ;;
        kill) cmd_kill ;;
        *) usage ;;
    esac
}

main "$@"
