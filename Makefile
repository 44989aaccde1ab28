# Thin wrapper over dev.py, which needs nothing but Python 3.11+.
PY ?= python3
.PHONY: help install app test lint bench golden
help:     ## list the tasks
	@$(PY) dev.py
install:  ## create or refresh .venv
	$(PY) dev.py install
app:      ## start the app on the shipped defaults
	$(PY) dev.py app
test:     ## run the whole test suite
	$(PY) dev.py test
lint:     ## ruff format --check, ruff check and mypy
	$(PY) dev.py lint
bench:    ## benchmarks (figures printed, never asserted)
	$(PY) dev.py bench
golden:   ## regenerate golden projections on purpose
	$(PY) dev.py golden
