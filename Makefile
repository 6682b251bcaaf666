# OLF developer commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
# The benchmark's extra (Quix Streams, confluent-kafka, matplotlib): only `make bench` installs it.
BENCH_STAMP := $(VENV)/.bench-installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
# Debian's Chromium, for the dashboard's browser test (Playwright drives it; its
# own browser downloads are never used). Installed once, as root or with sudo.
CHROMIUM := /usr/bin/chromium
# Debian's wrk, the HTTP load of the benchmark's reads part; only `make bench` installs it.
WRK := /usr/bin/wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test faults cluster lint unit integration bench install chromium broker-start broker-stop cluster-start cluster-stop clean distclean simulate reconcile republish simulate-orders reconcile-orders republish-orders help

run: $(STAMP)  ## Broker, one worker, both services and their simulators; Ctrl-C stops them.
	@bash dev/run.sh

test: $(STAMP) $(CHROMIUM) lint  ## Lint, then the whole suite (fault tests included) against a real local broker.
	@bash dev/test.sh

faults: $(STAMP)  ## Only the fault tests (kill -9, broker restart, failover, lost local state); see docs/guarantees.md.
	@bash dev/test.sh -m faults

cluster: $(STAMP)  ## Only the tests on a local three-broker cluster (a broker killed, a rolling restart).
	@bash dev/test.sh -m cluster

lint: $(STAMP)  ## ruff and mypy, as configured in pyproject.toml.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)  ## Only the tests that need no broker.
	$(BIN)/pytest -m "not integration"

integration: $(STAMP) $(CHROMIUM)  ## Only the tests against the real local broker (fault tests included).
	@bash dev/test.sh -m integration

bench: $(STAMP) $(BENCH_STAMP) $(WRK)  ## OLF beside its ceilings and Quix Streams, kill -9, restore, latency, memory, reads; writes BENCHMARKS.md (ARGS=--quick).
	$(BIN)/python -m dev.benchmark $(ARGS)

simulate: $(STAMP)  ## Drive the running Customer service with realistic traffic (ARGS="--rate 50 ...").
	$(BIN)/python -m customer_service simulate $(ARGS)

reconcile: $(STAMP)  ## Compare the Customer service's database with OLF's counts; exit 1 on drift.
	$(BIN)/python -m customer_service reconcile $(ARGS)

simulate-orders: $(STAMP)  ## Place and cancel orders for the running Customer service's customers.
	$(BIN)/python -m orders_service simulate $(ARGS)

reconcile-orders: $(STAMP)  ## Compare the Orders service's totals per currency with OLF's; exit 1 on drift.
	$(BIN)/python -m orders_service reconcile $(ARGS)

republish-orders: $(STAMP)  ## Write a snapshot of every order to the outbox, so OLF rebuilds its totals.
	$(BIN)/python -m orders_service republish $(ARGS)

republish: $(STAMP)  ## Write a snapshot of every customer to the outbox, so OLF rebuilds its counts.
	$(BIN)/python -m customer_service republish $(ARGS)

install: $(STAMP) $(CHROMIUM)  ## The virtualenv with OLF and its dev tools, and Chromium.

chromium: $(CHROMIUM)  ## Install Debian's chromium unless it is there.

$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(WRK):
	$(SUDO) apt-get update
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found: install Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@rm -f $(VENV)/.bench-installed-* && touch $@

broker-start:  ## Start the local Kafka broker (OLF_KAFKA_PORT, default 9092).
	@bash dev/kafka/kafka.sh start

broker-stop:  ## Stop the local Kafka broker.
	@bash dev/kafka/kafka.sh stop

cluster-start:  ## Start a local three-broker Kafka cluster (OLF_KAFKA_CLUSTER_PORT, default 9094-9099).
	@bash dev/kafka/cluster.sh start

cluster-stop:  ## Stop the local three-broker cluster.
	@bash dev/kafka/cluster.sh stop

clean:  ## Remove broker data, worker state and caches (keeps the Kafka jars and the venv).
	-@bash dev/kafka/kafka.sh stop >/dev/null 2>&1
	-@OLF_KAFKA_PORT=19092 bash dev/kafka/kafka.sh stop >/dev/null 2>&1
	-@bash dev/kafka/cluster.sh stop >/dev/null 2>&1
	-@OLF_KAFKA_CLUSTER_PORT=19392 bash dev/kafka/cluster.sh stop >/dev/null 2>&1
	rm -rf .local/kafka/data-* .local/kafka/cluster-*.id .local/olf .local/customer-service .local/orders-service .pytest_cache .mypy_cache .ruff_cache

distclean: clean  ## Also remove the Kafka jar cache and the virtualenv.
	rm -rf .local $(VENV)

help:  ## List the targets and what they do (`make` alone is `make run`).
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))
