# Two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DB := demo/vekl-demo.sqlite3
# Store tests also run on PostgreSQL here; where none answers they are skipped (outside CI).
export VEKL_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test lint typecheck pytest install clean bench lock

# Every dependency comes pinned from the lock file (see `make lock`), the project itself
# without its dependencies, so a new release upstream changes nothing until the lock does.
# pip, setuptools and wheel come from the lock as well (see build-tools.in), before anything
# else, replacing the old ones the venv was seeded with.
LOCK := requirements.lock
BUILD_TOOLS := build-tools.in
$(STAMP): pyproject.toml $(LOCK)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip setuptools wheel
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Regenerate the lock from pyproject.toml (extras postgres and dev, Python 3.11 on Linux) and
# the packaging tools in $(BUILD_TOOLS).
# Pins that still fit are kept; `make lock LOCK_ARGS=--upgrade` moves everything to the
# newest releases, `LOCK_ARGS='--upgrade-package ortools'` just one.
LOCK_ARGS ?=
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(BUILD_TOOLS) --extra postgres --extra dev \
		--python-version 3.11 --python-platform linux \
		--custom-compile-command 'make lock' $(LOCK_ARGS) -o $(LOCK)

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

# Printable documents (WeasyPrint: letters, protocols, reports) need Pango, HarfBuzz's
# subsetter and fonts with Latin, Cyrillic and Arabic glyphs; install them where they are
# missing and we may.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
.PHONY: pdf-libraries
pdf-libraries:
	@if ! (ldconfig -p | grep -q libharfbuzz-subset && ldconfig -p | grep -q libpangoft2 \
		&& fc-list | grep -q DejaVuSans); then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get install -y -q $(PDF_PACKAGES) >/dev/null 2>&1 || \
			 (apt-get update -q && apt-get install -y -q $(PDF_PACKAGES))); \
		else echo "missing: some of $(PDF_PACKAGES); PDF documents cannot be made"; fi; fi

install: $(STAMP) $(NODE_STAMP) pdf-libraries

demo: $(STAMP) pdf-libraries
	rm -rf demo && mkdir -p demo
	set -a && . examples/installation.env && set +a && \
	VEKL_DATABASE_URL=sqlite:///$(DEMO_DB) VEKL_MAIL_DIR=demo/mail VEKL_ENVIRONMENT=development \
		$(BIN)/vekl demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Two processes (one per core here), a test file per process at a time; each process
# works in a PostgreSQL database of its own. `make pytest PYTEST_ARGS=` runs in one.
PYTEST_ARGS ?= -n auto --dist loadfile
pytest: $(STAMP) $(NODE_STAMP) $(CHROMIUM) pdf-libraries
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Speed and quality measurements (minutes each); results go into benchmarks/README.md by hand.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.matching_run
	$(BIN)/python -m benchmarks.notifications_run
	$(BIN)/python -m benchmarks.web_load
	$(BIN)/python -m benchmarks.lottery_draw
	$(BIN)/python -m benchmarks.lottery_letters

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
