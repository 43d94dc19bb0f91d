# Two commands: `make demo` opens the dashboard on the simulated lab, `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8501
export HF_HUB_OFFLINE ?= 1
export MUJOCO_GL ?= egl
# Test workers (pytest-xdist): each test file runs whole on one worker; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2

.PHONY: setup demo test lint bench

setup:
	@scripts/setup.sh

demo: setup
	$(PY) -m core demo
	$(PY) -m streamlit run app/asgi.py --server.port $(PORT)

test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Formatting and lint (settings in pyproject.toml); CI runs it before the tests.
lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

bench: setup
	@for script in bench/*_bench.py; do echo "== $$script"; $(PY) $$script || exit 1; done
