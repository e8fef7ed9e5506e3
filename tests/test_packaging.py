"""The product's wheel: it carries its Datasette configuration and never the replica."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # builds and installs the wheel with pip in child processes (tests/conftest.py: e2e)

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_holds_the_datasette_config_and_no_replica(tmp_path):
    # Built from a copy, so no build/ folder of the checkout (stale files included) ends up in it.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "newsroom_scraper", source / "newsroom_scraper", ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("newsroom_archive-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("metadata.yml", "settings.json", "plugins/search.py", "templates/first-mentions.html"):
        assert f"newsroom_scraper/reader/{data}" in names
    assert not [name for name in names if "replica" in name.split("/")[0] or "/replica/" in name]
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "replica" not in zipfile.ZipFile(wheel).read(entry_points).decode()

    # Installed from the wheel (not the checkout), the package finds its configuration and serves with it.
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    code = (
        "from newsroom_scraper.reader.web import CONFIG_DIR, make_datasette\n"
        "from newsroom_scraper.store import Archive\n"
        "Archive('db.sqlite').close()\n"
        "datasette = make_datasette('db.sqlite')\n"
        "print(CONFIG_DIR)\n"
        "print(datasette.plugins_dir)\n"
        "print(datasette.metadata('title'), datasette.setting('suggest_facets'))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    config_dir, plugins_dir, served = completed.stdout.splitlines()
    assert Path(config_dir).is_relative_to(target) and Path(plugins_dir) == Path(config_dir) / "plugins"
    assert served == "Newsroom archive of the City of Dortmund False"
