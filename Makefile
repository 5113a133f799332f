# Two commands set up everything on a fresh machine (README): `make demo`, `make test`.
# Each installs what it needs on first use: a venv from PyPI, Node tools from npm.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SPARK_STAMP := $(VENV)/.spark-installed
PYTEST_ARGS ?=

.PHONY: demo test bench install node spark clean

$(STAMP): pyproject.toml setup.py distributor/trees/_keccak.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || (apt-get update -q && apt-get install -y -q nodejs npm)
	# `npm ci`: exactly the versions in package-lock.json (which lists anvil's per-platform optional packages)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: $(NODE_STAMP)

# The Spark extra (issue 18, DECISIONS D29): pyspark + sqlglot, and a Java 17 runtime when none
# is on the machine. The demo does not need it; the tests do.
$(SPARK_STAMP): $(STAMP) pyproject.toml
	bash scripts/ensure-java.sh
	$(BIN)/pip install -q -e '.[test,spark]'
	touch $@

spark: $(SPARK_STAMP)

demo: $(STAMP)
	$(BIN)/epochdrop demo

test: $(STAMP) $(NODE_STAMP) $(SPARK_STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Every bench, after installing the peers they compare against (bench/peers.py: their own
# venvs under .cache/bench-venvs/). Each prints its JSON as its last line.
bench: $(STAMP) $(NODE_STAMP) $(SPARK_STAMP)
	$(BIN)/python -m bench.peers
	$(BIN)/python bench/indexer.py
	$(BIN)/python bench/snapshots.py
	$(BIN)/python bench/demo.py
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/merkle.py --oz-claims 100000
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/solana.py
	$(BIN)/python bench/engines.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis .cache
