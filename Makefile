# OLF developer commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run test lint unit integration install broker-start broker-stop clean distclean

run: $(STAMP)  ## Start broker, one worker and the event generator; Ctrl-C stops them.
	@bash dev/run.sh

test: $(STAMP) lint  ## Lint, then the whole suite against a real local broker.
	@bash dev/test.sh

lint: $(STAMP)  ## ruff and mypy, as configured in pyproject.toml.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)  ## Only the tests that need no broker.
	$(BIN)/pytest -m "not integration"

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found: install Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

broker-start:  ## Start the local Kafka broker (OLF_KAFKA_PORT, default 9092).
	@bash dev/kafka/kafka.sh start

broker-stop:
	@bash dev/kafka/kafka.sh stop

clean:  ## Remove broker data, worker state and caches (keeps the Kafka jars and the venv).
	-@bash dev/kafka/kafka.sh stop >/dev/null 2>&1
	-@OLF_KAFKA_PORT=19092 bash dev/kafka/kafka.sh stop >/dev/null 2>&1
	rm -rf .local/kafka/data-* .local/olf .pytest_cache .mypy_cache .ruff_cache

distclean: clean  ## Also remove the Kafka jar cache and the virtualenv.
	rm -rf .local $(VENV)
