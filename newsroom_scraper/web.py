"""Datasette on the archive: the configuration lives in archive/ (metadata.yml, templates).

``make_datasette`` builds the app (tests use its in-process client); ``serve`` runs it.
Plain ``datasette archive/newsroom.db -m archive/metadata.yml`` serves the same thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.database import Database

ARCHIVE_DIR = Path(__file__).resolve().parent.parent / "archive"
DATABASE_NAME = "newsroom"

# Read-only serving of a file a scheduled crawl updates: mutable mode (Datasette reads it
# with mode=ro), no arbitrary SQL for visitors' long queries to hog, no facet suggestions
# (they cost most of a search page's time), signed tokens off.
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 2000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "suggest_facets": False,
    "allow_signed_tokens": False,
    "allow_download": True,
    "facet_time_limit_ms": 500,
}


def load_metadata(path: Path = ARCHIVE_DIR / "metadata.yml") -> dict[str, Any]:
    """The archive's Datasette metadata (title, licence, descriptions, facets, queries)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def make_datasette(db_path: str | Path) -> Datasette:
    """A Datasette app serving ``db_path`` as the database ``newsroom``, whatever the file is called."""
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `newsroom-archive crawl` first")
    templates = ARCHIVE_DIR / "templates"
    plugins = ARCHIVE_DIR / "plugins"
    datasette = Datasette(
        metadata=load_metadata(),
        settings=SETTINGS,
        template_dir=str(templates) if templates.is_dir() else None,
        plugins_dir=str(plugins) if any(plugins.glob("*.py")) else None,
    )
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=DATABASE_NAME)
    return datasette


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve the archive until interrupted."""
    import uvicorn

    app = make_datasette(db_path).app()
    print(f"Serving the archive on http://{host}:{port}/{DATABASE_NAME}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
