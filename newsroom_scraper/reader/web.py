"""Datasette on the archive, configured by the files beside it (this package, ``reader/``).

``make_datasette`` builds the app (tests use its in-process client); ``serve`` runs it. The
configuration (metadata.yml, settings.json, plugins/, and templates/ when there is one) is
package data, found with importlib.resources, so an installed wheel serves as a checkout does.
In a checkout, ``archive/`` holds symbolic links to the same files, and ``datasette archive/``
(Datasette's configuration-directory mode: the database, metadata.yml, settings.json and
plugins/ of that folder) serves the same thing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from datasette.app import Datasette
from datasette.database import Database

from newsroom_scraper.reader import DATABASE_NAME

# A wheel installs as plain files, so the package-data folder is a real directory (Datasette
# wants paths for plugins and templates); a zipped install is not supported.
CONFIG_DIR = Path(str(files("newsroom_scraper") / "reader"))


def load_metadata(path: Path = CONFIG_DIR / "metadata.yml") -> dict[str, Any]:
    """The archive's Datasette metadata (title, licence, descriptions, facets, queries)."""
    with path.open(encoding="utf-8") as handle:
        metadata: dict[str, Any] = yaml.safe_load(handle)
    if DATABASE_NAME not in metadata.get("databases", {}):
        raise ValueError(f"{path} describes no database {DATABASE_NAME!r}: its key must be the served name")
    return metadata


def load_settings(path: Path = CONFIG_DIR / "settings.json") -> dict[str, Any]:
    """Datasette settings for a read-only public archive (reader/settings.json).

    A file a scheduled crawl updates is served mutable (Datasette reads it with mode=ro);
    facet suggestions are off (they cost most of a search page's time).
    """
    settings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return settings


def make_datasette(db_path: str | Path, *, public_url: str | None = None) -> Datasette:
    """A Datasette app serving ``db_path`` as the database ``DATABASE_NAME``, whatever the file is called.

    ``public_url``: where readers reach the archive (``https://archiv.example.org``; the paths follow
    it), for the absolute permalinks of citations; None: the host each request names.
    """
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `newsroom-archive crawl` first")
    templates = CONFIG_DIR / "templates"
    plugins = CONFIG_DIR / "plugins"
    metadata = load_metadata()
    if public_url:
        check_public_url(public_url)
        metadata.setdefault("plugins", {}).setdefault("newsroom-citation", {})["public_url"] = public_url
    datasette = Datasette(
        metadata=metadata,
        settings=load_settings(),
        template_dir=str(templates) if templates.is_dir() else None,
        plugins_dir=str(plugins) if any(plugins.glob("*.py")) else None,
    )
    # A file the server may not write is served immutable: WAL mode needs write access for its
    # shared-memory index, and a read-only archive made every page answer 500. A writable one is
    # served mutable (read with mode=ro), so a crawl may write it while it is served.
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    datasette.add_database(Database(datasette, path=str(path), is_mutable=writable), name=DATABASE_NAME)
    if "_memory" in datasette.databases:  # an in-memory database to run any SQL on: not ours to offer
        datasette.remove_database("_memory")
    return datasette


def check_public_url(url: str) -> None:
    """Refuse a public address that is no absolute http(s) URL without query (ValueError)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"--base-url {url!r}: give the archive's public address, e.g. https://archiv.example.org")


def serve(
    db_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    public_url: str | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> None:
    """Serve the archive until interrupted (``public_url``: see ``make_datasette``); ``wrap`` puts more
    routes in front of Datasette's app (the command adds replay and Memento from the WARC, which the
    reader does not read itself)."""
    import uvicorn

    app = make_datasette(db_path, public_url=public_url).app()
    if wrap is not None:
        app = wrap(app)
    print(f"Serving the archive on http://{host}:{port}/{DATABASE_NAME}", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
