# Every target makes its own virtual environment, so each works on a fresh machine with only python3.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint bench clean

$(PY):
	python3 -m venv $(VENV)

demo: $(PY)
	$(PIP) -e '.[demo]'
	$(VENV)/bin/labcheck demo

test: $(PY)
	$(PIP) -e '.[dev]'
	$(PY) -m pytest

lint: $(PY)
	$(PIP) -e '.[dev]'
	$(VENV)/bin/ruff check src labs tests benchmarks
	$(VENV)/bin/ruff format --check src labs tests benchmarks
	$(VENV)/bin/mypy src
	# Each lab is checked on its own: every lab has a checks.py, and one mypy run cannot hold two modules of one name.
	for lab in labs/*/; do $(VENV)/bin/mypy $$lab*.py || exit 1; done
	$(VENV)/bin/lint-imports

bench: $(PY)
	$(PIP) -e '.[dev]'
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/verify_moto.py
	$(PY) benchmarks/cohort.py --learners 200

clean:
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache .pytest_cache
