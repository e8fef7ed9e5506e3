"""Datasette column descriptions of the articles table, taken from the Article dataclass.

Each field's ``doc`` (items.py) describes its column, so a new field is described without an
edit to metadata.yml; metadata.yml describes the columns the store derives (published_date,
tags_text, …) and may override any of these (Datasette lets local metadata win).
"""

from dataclasses import fields
from typing import Any

from newsroom_scraper.items import Article
from newsroom_scraper.reader import DATABASE_NAME
from newsroom_scraper.reader.hooks import hookimpl


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    columns = {f.name: f.metadata["doc"] for f in fields(Article)}
    return {"databases": {DATABASE_NAME: {"tables": {"articles": {"columns": columns}}}}}
