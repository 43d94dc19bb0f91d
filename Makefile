# Two commands: `make demo` opens the dashboard on the simulated lab, `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8501
export HF_HUB_OFFLINE ?= 1
export MUJOCO_GL ?= egl

.PHONY: setup demo test bench

setup:
	@scripts/setup.sh

demo: setup
	$(PY) -m core demo
	$(PY) -m streamlit run app/asgi.py --server.port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	@for script in bench/*_bench.py; do echo "== $$script"; $(PY) $$script || exit 1; done
