# Two commands on a fresh machine: `make run` (the example app) and `make test`.
# Both create .venv and install the project (editable) with what they need.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: run test coverage lint bench nextjs docs messages assets clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/flask --app example run --debug

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest

coverage: $(BIN)/.installed
	$(BIN)/python -m coverage run -m pytest
	$(BIN)/python -m coverage report

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

# The documentation site (Sphinx, MyST Markdown) in docs/_build/html, warnings as
# errors; no network needed (intersphinx reads docs/_inventories/).
docs: $(BIN)/.installed
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(BIN)/.installed  # exits 1 if a goal is missed; BENCH_ARGS=--write keeps RESULTS.md
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory nextjs; \
	else echo "npm not found: benchmark 7 runs without its Next.js peer"; fi
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Benchmark 7's peer: the UpdateName form as a Next.js Server Action (pinned by its
# package-lock.json), installed and built once.
NEXTJS = benchmarks/nextjs
nextjs: $(NEXTJS)/.next/BUILD_ID
$(NEXTJS)/.next/BUILD_ID: $(NEXTJS)/package-lock.json $(wildcard $(NEXTJS)/app/*.js) $(NEXTJS)/next.config.js
	cd $(NEXTJS) && npm ci --no-audit --no-fund && NEXT_TELEMETRY_DISABLED=1 npx --no-install next build

# The message catalogue (.pot) and the German translation (.po and .mo, committed).
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -k lazy -k N_ --no-location --sort-output \
		--project=Flask-Server-Functions --version=0.1 \
		-o flask_server_functions/translations/flask_server_functions.pot flask_server_functions
	$(BIN)/python -m tools.messages

# The minified copies of the extension's scripts (static/*.min.js, committed).
assets: $(BIN)/.installed
	$(BIN)/python -m tools.minify

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build $(NEXTJS)/node_modules $(NEXTJS)/.next
