"""The reader's Datasette: ``web.py`` builds and serves it; ``metadata.yml``, ``settings.json``,
``plugins/`` and ``templates/`` beside it configure it (``archive/`` in a checkout links to
them); ``history.py`` computes what changed between versions for its pages."""
