# The two commands of README.md. Both create .venv and install MotCua into it first.
PYTHON ?= python3
VENV   := .venv
PORT   ?= 8000

.PHONY: demo test install serve clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e ".[test,bench]"
	touch $@

install: $(VENV)/.installed

## make demo: install, migrate SQLite under var/, load the demo province, serve on http://127.0.0.1:$(PORT)
demo: install
	PORT=$(PORT) $(VENV)/bin/motcua demo

## make test: the whole suite on SQLite and on PostgreSQL side by side (TEST_DATABASE_URL, or a throwaway cluster)
test: install
	$(VENV)/bin/python tools/run_tests.py

serve: install
	PORT=$(PORT) $(VENV)/bin/motcua serve

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts
