# `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001
STAMP := $(VENV)/.installed

.PHONY: install test demo bench clean format docs

# The product and, beside it, the replica newsroom: its own distribution (tests and `demo` use it).
$(STAMP): pyproject.toml replica/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e ./replica
	touch $(STAMP)

install: $(STAMP)

# The browser test (tests/test_hostile_pages_in_browser.py) drives Debian's chromium through
# Playwright. As root on Debian it is installed when missing (nothing to do when it is there);
# elsewhere, or when apt cannot get it, the test is skipped and says why.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	-@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
	fi

# pytest-randomly shuffles the tests (modules, then the tests in each) on every run; the line
# "Random test order: --randomly-seed=N" above the result names the order (tests/conftest.py), and
# `$(BIN)/python -m pytest -q --randomly-seed=N newsroom_scraper tests` replays it (`-p no:randomly`: file order).
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q newsroom_scraper replica/newsroom_replica tests

bench: $(STAMP)
	$(BIN)/python bench/parse.py

clean:
	rm -rf $(VENV) build *.egg-info replica/build replica/*.egg-info .pytest_cache .hypothesis

demo: $(STAMP)
	$(BIN)/newsroom-archive demo --port $(PORT)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Rewrite what is written from the code: the parser snapshots, then docs/fields.md's table.
docs: $(STAMP)
	$(BIN)/python -m newsroom_replica.snapshots
	$(BIN)/python -m newsroom_replica.fields_doc
