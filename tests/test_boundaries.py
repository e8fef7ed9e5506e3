"""The product never imports the test site: not in its source, not at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PRODUCT = Path(__file__).resolve().parents[1] / "newsroom_scraper"
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


def test_no_module_of_the_product_imports_the_replica():
    modules = sorted(PRODUCT.rglob("*.py"))
    assert len(modules) > 20
    offenders = [
        str(path.relative_to(PRODUCT))
        for path in modules
        if any(name == REPLICA or name.startswith(REPLICA + ".") for name in imported_modules(path))
    ]
    assert offenders == []


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
