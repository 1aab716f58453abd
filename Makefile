# The commands of the README: `make run`, `make test` and `make lint`. Each sets up .venv on a fresh
# machine, from requirements.lock (exact versions), so an upload to PyPI cannot change what we test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
UV_VERSION := 0.13.9

BENCH_LOCK := requirements-bench.lock
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test lint install lock bench bench-env coverage-doc clean

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Compile iamd's modules first: where PYTHONDONTWRITEBYTECODE is set (as in these machines' shells), Python never
# writes bytecode itself, and every iamd the tests start would compile ~200 modules again (~0.15 s a start).
# compileall writes it regardless, and skips what is up to date.
COMPILE := $(BIN)/python -m compileall -q src

run: $(STAMP)
	$(COMPILE)
	$(BIN)/iamd serve

# --dist loadfile: a file's tests on one worker, so a module's servers (its own iamd, moto, Chromium) start
# once, not once on each worker (docs/performance.md, "The test suite's time").
test: $(STAMP)
	$(COMPILE)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The quality gates (issue #12): ruff's and mypy's settings live in pyproject.toml ([tool.ruff],
# [tool.mypy]: mypy takes its files from there), the import contracts in [tool.importlinter]
# (docs/architecture.md). CI runs this before `make test`.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Upgrade on purpose: refresh every pin, reinstall, and regenerate what depends on botocore's model.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lint --universal --python-version 3.11 \
		--upgrade --no-header -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lint --extra bench --universal \
		--python-version 3.11 --no-header -c $(LOCK) -o $(BENCH_LOCK)
	$(MAKE) install coverage-doc

# The benchmarks' peers (moto's server) stay out of the test environment's lock.
$(BENCH_STAMP): $(STAMP) $(BENCH_LOCK)
	$(BIN)/python -m pip install --quiet -r $(BENCH_LOCK)
	touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_side_by_side.py

coverage-doc: $(STAMP)
	$(BIN)/iamd coverage > docs/coverage.md

clean:
	rm -rf $(VENV) data .pytest_cache
