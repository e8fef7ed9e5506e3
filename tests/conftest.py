"""Shared test fixtures: the real page from ../shared (skipped cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_PAGE = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "dortmund-article-2025-07-07-fabido.html"


@pytest.fixture(scope="session")
def real_page() -> bytes:
    """The real article page of 2025-07-07, kept in ../shared (never copied into the repo)."""
    if not REAL_PAGE.exists():
        pytest.skip("../shared/real-pages is not available")
    return REAL_PAGE.read_bytes()
