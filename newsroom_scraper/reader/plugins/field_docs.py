"""Datasette column descriptions of the articles table, taken from the Article dataclass.

Each field's ``doc`` (items.py) describes its column, so a new field is described without an
edit to metadata.yml; metadata.yml describes the columns the store derives (published_date,
tags_text, …) and may override any of these (Datasette lets local metadata win).
"""

from dataclasses import fields

from datasette import hookimpl

from newsroom_scraper.items import Article
from newsroom_scraper.reader import DATABASE_NAME


@hookimpl
def get_metadata(datasette, key, database, table):
    columns = {f.name: f.metadata["doc"] for f in fields(Article)}
    return {"databases": {DATABASE_NAME: {"tables": {"articles": {"columns": columns}}}}}
