"""The reader's Datasette: ``web.py`` builds and serves it; ``metadata.yml``, ``settings.json``,
``plugins/`` and ``templates/`` beside it configure it (``archive/`` in a checkout links to
them); ``diffs.py`` computes what changed between versions for its pages."""

# The name Datasette serves the archive under: part of every URL the reader publishes
# (/newsroom/articles/1, /newsroom/search), so it never changes, whatever the file is called.
# Templates get it as ``archive_db`` (plugins/pages.py); their file names carry it too, as
# Datasette's convention wants (row-newsroom-articles.html), and metadata.yml's databases key.
DATABASE_NAME = "newsroom"
