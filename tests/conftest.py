"""Shared test fixtures: the real page from ../shared (skipped cleanly when absent), and the
Hypothesis profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

REAL_PAGE = Path(__file__).resolve().parents[2] / "shared" / "real-pages" / "dortmund-article-2025-07-07-fabido.html"

# Property tests explore the same examples on every run, so CI is as repeatable as a
# developer's machine; HYPOTHESIS_PROFILE=explore searches afresh.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(scope="session")
def real_page() -> bytes:
    """The real article page of 2025-07-07, kept in ../shared (never copied into the repo)."""
    if not REAL_PAGE.exists():
        pytest.skip("../shared/real-pages is not available")
    return REAL_PAGE.read_bytes()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """pytest-randomly prints its seed in the header, which -q (make test) hides: repeat it at the end."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(
            f"Random test order: --randomly-seed={seed} replays it (-p no:randomly: file order)"
        )
