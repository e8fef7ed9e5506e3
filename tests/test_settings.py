"""Every setting of the project has its default in settings.py alone, read without fallbacks."""

from __future__ import annotations

import re
from pathlib import Path

import newsroom_scraper.settings as project

PRODUCT = Path(__file__).resolve().parents[1] / "newsroom_scraper"
READ = re.compile(r"""settings(?:\.get\w*\(|\[)\s*["'](NEWSROOM_[A-Z_]+)["']\s*(,\s*[^)\]]+)?[)\]]""")


def reads() -> list[tuple[str, str, str | None]]:
    """(module, setting, fallback or None) for every read of a NEWSROOM_ setting in the product."""
    found = []
    for path in sorted(PRODUCT.rglob("*.py")):
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            found.append((str(path.relative_to(PRODUCT)), match.group(1), match.group(2)))
    return found


def test_the_product_reads_its_settings():
    assert len(reads()) >= 10  # the pattern finds them: a rename of the reading code would show here


def test_every_setting_read_has_its_default_in_settings_py():
    missing = sorted({(module, name) for module, name, _ in reads() if not hasattr(project, name)})
    assert missing == []


def test_no_setting_is_read_with_a_fallback_of_its_own():
    fallbacks = [(module, name, fallback) for module, name, fallback in reads() if fallback]
    assert fallbacks == []
