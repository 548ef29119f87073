# Throughline: `make run` starts the dashboard, `make test` runs every test, `make bench` the benchmarks.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
ADDRESS ?= 127.0.0.1

.PHONY: run test bench setup setup-dev sample clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.req: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.req-dev: requirements.txt requirements-dev.txt $(VENV)/.req
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.req
setup-dev: $(VENV)/.req-dev

sample: setup
	$(PY) -m core load-sample

run: setup sample
	$(PY) -m streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true

test: setup-dev
	bash scripts/ensure-chromium.sh
	bash scripts/test-all.sh

bench: setup-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache
