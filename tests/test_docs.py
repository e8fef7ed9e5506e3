"""Docs that state facts the code owns agree with the code."""

from __future__ import annotations

from pathlib import Path

from newsroom_scraper.errors import Reason

ROOT = Path(__file__).resolve().parents[1]


def test_reasons_table_is_the_enumeration():
    table = "| reason | when |\n|---|---|\n" + "".join(f"| `{r.value}` | {r.when} |\n" for r in Reason)
    text = (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")
    assert table in text, "docs/fields.md: the reasons table differs from errors.Reason; it should read:\n" + table


def test_every_reason_is_raised_somewhere():
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "newsroom_scraper").rglob("*.py"))
    unused = [r.name for r in Reason if f"Reason.{r.name}" not in source.replace("class Reason", "")]
    assert not unused, f"Reason members never raised: {unused}"


def test_readme_architecture_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tree = readme[readme.index("## Architecture") : readme.index("## Benchmarks")]
    packages = [ROOT / "newsroom_scraper", ROOT / "replica" / "newsroom_replica"]
    modules = [p for package in packages for p in package.rglob("*.py") if p.name != "__main__.py"]
    missing = sorted(
        str(p.relative_to(ROOT))
        for p in modules
        if p.name != "__init__.py" and p.stem not in tree and f"{p.parent.name}/" not in tree
    )
    assert not missing, f"README.md's architecture map does not name: {missing}"


def test_failure_kinds_table_is_the_enumeration():
    from newsroom_scraper.errors import Failure

    table = "| kind | when |\n|---|---|\n" + "".join(f"| `{f.value}` | {f.when} |\n" for f in Failure)
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert table in text, "docs/reliability.md: the kinds table differs from errors.Failure; it should read:\n" + table
