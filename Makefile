# Two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB := demo/vekl-demo.sqlite3
# Store tests also run on PostgreSQL here; where none answers they are skipped (outside CI).
export VEKL_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint typecheck pytest install clean bench

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgres,dev]'
	touch $(STAMP)

NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Browser tests drive Debian's Chromium; install it where it is missing and we may.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q chromium)); \
	else echo "chromium is not installed; browser tests will be skipped (outside CI)"; fi

install: $(STAMP) $(NODE_STAMP)

demo: $(STAMP)
	rm -rf demo && mkdir -p demo
	VEKL_DATABASE_URL=sqlite:///$(DEMO_DB) VEKL_MAIL_DIR=demo/mail VEKL_ENVIRONMENT=development \
		$(BIN)/vekl demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Speed and quality measurements (minutes each); results go into benchmarks/README.md by hand.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.matching_run
	$(BIN)/python -m benchmarks.notifications_run
	$(BIN)/python -m benchmarks.web_load

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
