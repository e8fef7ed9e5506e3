"""The layers' boundaries where import-linter does not look.

`lint-imports` (run by `make test`; the contracts are in pyproject.toml's [tool.importlinter])
checks the import statements of every module in its graph. Two things escape it: the Datasette
plugins in reader/plugins/ (a folder without ``__init__.py``, loaded by path, so in no graph) and
what importing a module loads at run time (a package's ``__init__`` runs first). They are checked
here, and that no product module imports what only the benchmarks need (a plain install lacks it).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

PRODUCT = Path(__file__).resolve().parents[1] / "newsroom_scraper"
PLUGINS = PRODUCT / "reader" / "plugins"
REPLICA = "newsroom_replica"


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from … import`` of ``path`` names (relative imports left out)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(PRODUCT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_import_contracts_see_every_module_but_the_datasette_plugins():
    graph = grimp.build_graph("newsroom_scraper", cache_dir=None)
    modules = {module_name(path) for path in PRODUCT.rglob("*.py")}
    plugins = {module_name(path) for path in PLUGINS.glob("*.py")}
    assert len(modules) > 40 and len(plugins) >= 5
    assert modules - plugins == set(graph.modules)  # a new folder without __init__.py would escape them


@pytest.mark.parametrize("plugin", sorted(PLUGINS.glob("*.py")), ids=lambda path: path.name)
def test_the_datasette_plugins_import_no_replica_crawl_or_warc(plugin: Path):
    forbidden = (
        REPLICA,
        "scrapy",
        "twisted",
        "warcio",
        *(f"newsroom_scraper.{p}" for p in ("crawl", "evidence", "spiders")),
    )
    assert (
        sorted(
            name for name in imported_modules(plugin) if name.split(".")[0] in forbidden or name.startswith(forbidden)
        )
        == []
    )


def loaded_after_import(*modules: str) -> set[str]:
    """The top-level packages that are in ``sys.modules`` after a fresh interpreter imports ``modules``."""
    code = f"import sys, {', '.join(modules)}\nprint(' '.join(sorted({{name.split('.')[0] for name in sys.modules}})))"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(completed.stdout.split())


@pytest.mark.e2e
def test_importing_the_product_leaves_the_replica_unloaded():
    code = (
        "import sys, newsroom_scraper, newsroom_scraper.cli, newsroom_scraper.crawl.run, newsroom_scraper.reader.web\n"
        "from click import Context\n"
        "from newsroom_scraper.cli import main\n"
        "main.list_commands(Context(main))  # listing the plugins' commands imports none of them\n"
        f"print({REPLICA!r} in sys.modules, any(name.startswith({REPLICA + '.'!r}) for name in sys.modules))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout == "False False\n"


@pytest.mark.e2e
def test_importing_the_parser_loads_no_store_scrapy_or_warc():
    loaded = loaded_after_import("newsroom_scraper.parser.parse")
    assert "lxml" in loaded  # the check sees third-party packages
    assert loaded & {"scrapy", "twisted", "warcio", "sqlite3", "sqlite_utils", "datasette", REPLICA} == set()


@pytest.mark.e2e
def test_importing_the_store_loads_no_scrapy_or_warc():
    # lxml and trafilatura do load: newsroom_scraper/__init__.py offers parse_article, so importing
    # any module of the package imports the parser first (import-linter does not follow that).
    loaded = loaded_after_import("newsroom_scraper.store")
    assert "sqlite_utils" in loaded
    assert loaded & {"scrapy", "twisted", "warcio", "datasette", REPLICA} == set()


def test_no_module_of_the_product_imports_what_only_the_benchmarks_or_others_need():
    """beautifulsoup4 is in the ``bench`` extra (bench/parse.py compares with it); bleach is no
    dependency any more (the reader cleans with nh3): a product import of either would fail on a
    plain install."""
    offenders = {
        str(path.relative_to(PRODUCT)): sorted(names)
        for path in sorted(PRODUCT.rglob("*.py"))
        if (names := {name for name in imported_modules(path) if name.split(".")[0] in ("bs4", "bleach")})
    }
    assert offenders == {}
