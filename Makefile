# `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001
STAMP := $(VENV)/.installed

.PHONY: install lint test test-fast demo bench bench-quick clean format docs screenshots tools

# The product and, beside it, the replica newsroom: its own distribution (tests and `demo` use it).
$(STAMP): pyproject.toml replica/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' -e ./replica
	touch $(STAMP)

install: $(STAMP)

# The browser tests (tests/test_browser.py, tests/test_hostile_pages_in_browser.py) drive Debian's chromium through
# Playwright. As root on Debian it is installed when missing (nothing to do when it is there);
# elsewhere, or when apt cannot get it, the test is skipped and says why.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	-@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
	fi

# axe-core (npm, MPL-2.0) checks the pages' accessibility in tests/test_browser.py: installed from the
# npm registry into tests/.axe/ (not committed) when missing; without npm the test skips and says why.
AXE_VERSION := 4.10.2
AXE := tests/.axe/node_modules/axe-core/axe.min.js
$(AXE):
	-@command -v npm >/dev/null && npm install --silent --prefix tests/.axe --no-save --no-audit --no-fund \
		--no-package-lock axe-core@$(AXE_VERSION) >/dev/null || echo "npm is missing: the axe-core checks will skip"

# Formatting, lint, types, then the import contracts between the layers (pyproject.toml's [tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/lint-imports --no-logo

# pytest-randomly shuffles the tests (modules, then the tests in each) on every run; the line
# "Random test order: --randomly-seed=N" above the result names the order (tests/conftest.py), and
# `$(BIN)/python -m pytest -q --randomly-seed=N newsroom_scraper tests` replays it (`-p no:randomly`: file order).
PYTEST := $(BIN)/python -m pytest -q newsroom_scraper replica/newsroom_replica tests
# ReplayWeb.page (npm `replaywebpage`, AGPL, never a dependency: a test fixture) replays the
# WACZ that `export-wacz` writes in tests/test_wacz.py; without npm that one test skips.
REPLAYWEBPAGE := .cache/replaywebpage/package/sw.js
$(REPLAYWEBPAGE):
	-@command -v npm >/dev/null 2>&1 && mkdir -p .cache/replaywebpage && cd .cache/replaywebpage && \
		npm pack --silent replaywebpage@2.5.3 >/dev/null && tar xzf replaywebpage-2.5.3.tgz || \
		echo "npm is missing: tests/test_wacz.py's ReplayWeb.page test will skip"

# pywb (GPL, pins old packages: never a dependency, a test fixture in a virtualenv of its own) replays
# tests/test_held_out.py's archive; bench/pywb_replay.py installs it. Where pip cannot, that part skips.
PYWB := .cache/pywb-venv/bin/wayback
$(PYWB): $(STAMP)
	-@$(BIN)/python bench/pywb_replay.py --install-only >/dev/null 2>&1 || \
		echo "pywb could not be installed: tests/test_held_out.py's pywb replay will skip"

test: $(STAMP) $(CHROMIUM) $(AXE) $(REPLAYWEBPAGE) $(PYWB) tools lint
	$(PYTEST)

# The same checks and every test but the end-to-end ones (@pytest.mark.e2e: crawls, servers and other
# child processes; tests/conftest.py), which take most of the time.
test-fast: lint
	$(PYTEST) -m "not e2e"

# GNU wget writes the "other tool's" WARC that tests import; brotli's and zstd's commands decode
# a payload as the cite block says (tests/test_archival.py). Installed with apt-get when missing
# and run as root (a no-op when present); otherwise those tests skip and say why.
tools:
	@command -v wget >/dev/null 2>&1 && command -v brotli >/dev/null 2>&1 && command -v zstd >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget brotli zstd >/dev/null; } || \
		echo "wget, brotli or zstd is not installed: tests/test_archival.py's tests that use them will skip"

# Every figure of docs/benchmarks.md and the simulated month of docs/operations.md (about 15 minutes
# here, the 30 simulated nights some 3 more; 100k articles: see docs/benchmarks.md).
BENCH_OUT ?= /tmp/newsroom-bench
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	mkdir -p $(BENCH_OUT)
	rm -f $(BENCH_OUT)/crawl-*.json
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/replica_rate.py
	$(BIN)/python bench/replica_rate.py --pad-kb 408 --requests 200
	$(BIN)/python bench/crawl.py --articles 1000 --rounds 3 --profile --json $(BENCH_OUT)/crawl-1000.json
	$(BIN)/python bench/crawl.py --articles 2000 --rounds 1 --concurrency 8 --pad-kb 408 --warc on --json $(BENCH_OUT)/crawl-2000.json
	$(BIN)/python bench/crawl.py --articles 10000 --rounds 1 --concurrency 8 --pad-kb 408 --warc on --json $(BENCH_OUT)/crawl-10000.json
	$(BIN)/python bench/nightly_cost.py --articles 3000
	$(BIN)/python bench/nightly_cost.py --articles 10000
	$(BIN)/python bench/nightly_run.py --rounds 1
	$(BIN)/python bench/nights.py --nights 30 --history-mb 100
	$(BIN)/python bench/reparse.py --articles 2000
	$(BIN)/python bench/search.py --sizes 1000 10000 --rounds 3 --pages --json $(BENCH_OUT)/search.json
	$(BIN)/python bench/growth.py --search $(BENCH_OUT)/search.json --crawl $(BENCH_OUT)/crawl-[0-9]*.json --png docs/growth.png

# A smoke run of every bench script (seconds): they still run, the figures mean little.
bench-quick: $(STAMP)
	$(BIN)/python bench/parse.py --runs 5 --memory 0
	$(BIN)/python bench/replica_rate.py --articles 20 --requests 40 --rounds 1
	$(BIN)/python bench/crawl.py --articles 60 --rounds 1 --concurrency 8 --pad-kb 0 --json /tmp/newsroom-bench-quick-crawl.json
	$(BIN)/python bench/nightly_cost.py --articles 60 --added 2
	$(BIN)/python bench/nightly_run.py --articles 30 --added 2 --pad-kb 0 --rounds 1
	$(BIN)/python bench/nights.py --nights 3 --articles 60 --relaunch 2:1 --search-down 1:1 --sitemap-gone 3:1
	$(BIN)/python bench/reparse.py --articles 60
	$(BIN)/python bench/search.py --sizes 100 --rounds 1 --pages --json /tmp/newsroom-bench-quick-search.json
	$(BIN)/python bench/changes.py --size 100 --rounds 2
	$(BIN)/python bench/growth.py --search /tmp/newsroom-bench-quick-search.json --crawl /tmp/newsroom-bench-quick-crawl.json

clean:
	rm -rf $(VENV) build *.egg-info replica/build replica/*.egg-info .pytest_cache .hypothesis .import_linter_cache

demo: $(STAMP)
	$(BIN)/newsroom-archive demo --port $(PORT)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Rewrite what is written from the code: the parser snapshots, then docs/fields.md's table.
docs: $(STAMP)
	$(BIN)/python -m newsroom_replica.snapshots
	$(BIN)/python -m newsroom_replica.fields_doc

# The README's screenshots (docs/screenshots/), taken by the browser test.
screenshots: $(STAMP) /usr/bin/chromium $(AXE)
	NEWSROOM_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:randomly tests/test_browser.py
