#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, combined broker+controller)
# for development and tests. No Docker, no Kafka tarball: the jars come from
# Maven Central via dev/kafka/pom.xml and are cached under $OLF_LOCAL_DIR.
#
# Usage: dev/kafka/kafka.sh start|stop|status|logs-path
#
# Environment:
#   OLF_LOCAL_DIR              where generated files live (default <repo>/.local)
#   OLF_KAFKA_PORT             client port (default 9092)
#   OLF_KAFKA_CONTROLLER_PORT  KRaft controller port (default port+1)
#   OLF_KAFKA_START_TIMEOUT    seconds to wait for the broker (default 60)
#   OLF_KAFKA_HEAP_OPTS        broker heap (default "-Xms256m -Xmx768m")
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
STOP_TIMEOUT=30
KILL_WAIT_SECONDS=10

DATA_DIR=$KAFKA_DIR/data-$PORT
LOG_FILE=$KAFKA_DIR/broker-$PORT.log
PID_FILE=$KAFKA_DIR/broker-$PORT.pid
PROPS_FILE=$KAFKA_DIR/server-$PORT.properties
# Client settings for the readiness check (see wait_until_ready).
TOOL_CONFIG=$KAFKA_DIR/tool-$PORT.properties

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
node.id=1
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
log.dirs=$DATA_DIR

num.partitions=8
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0

# Single node: every internal topic has exactly one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
}

write_tool_config() {
    # Without these the admin client would retry for 60 s per attempt; short
    # timeouts keep each readiness check bounded while still letting it retry
    # the connection a few times inside one JVM.
    cat >"$TOOL_CONFIG" <<EOF
request.timeout.ms=3000
default.api.timeout.ms=5000
reconnect.backoff.ms=100
reconnect.backoff.max.ms=500
EOF
}

# Formats the KRaft data dir once. A new cluster id is only needed the first
# time; --ignore-formatted makes a repeated format of the same dir harmless.
format_storage() {
    [[ -f $DATA_DIR/meta.properties ]] && return 0
    local cluster_id
    cluster_id=$(run_tool kafka.tools.StorageTool random-uuid)
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
    echo $! >"$PID_FILE"
}

# One real request to the broker: a DescribeCluster round trip.
broker_answers() {
    run_tool org.apache.kafka.tools.ClusterTool cluster-id \
        --bootstrap-server "127.0.0.1:$PORT" --config "$TOOL_CONFIG" >/dev/null 2>&1
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
    write_tool_config
    while ((SECONDS < deadline)); do
        is_our_broker "$pid" || {
            rm -f "$PID_FILE"
            fail_with_log "Kafka exited during startup"
        }
        broker_answers && return 0
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
    pid=$(cat "$PID_FILE")
    say "Kafka log: $LOG_FILE"
    wait_until_ready "$pid"
    say "Kafka ready on 127.0.0.1:$PORT (pid $pid)"
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
    kill -TERM "$pid" 2>/dev/null || true
    # A controlled shutdown usually takes a few seconds; poll rather than
    # sleep a fixed time.
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while is_our_broker "$pid" && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if is_our_broker "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        warn "Kafka (pid $pid) did not exit within ${STOP_TIMEOUT}s: killed it"
        deadline=$((SECONDS + KILL_WAIT_SECONDS))
        while is_our_broker "$pid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if is_our_broker "$pid"; then
            die "Kafka (pid $pid) is still there ${KILL_WAIT_SECONDS}s after SIGKILL"
        fi
    fi
    rm -f "$PID_FILE"
    say "Kafka stopped"
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
    echo "usage: $0 start|stop|status|logs-path" >&2
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
        *) usage ;;
    esac
}

main "$@"
