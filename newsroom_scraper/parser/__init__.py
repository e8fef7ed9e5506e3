"""The parser: one page in, one record out, no I/O (``parse_article``, ``parse_listing`` in parse.py).

``page.py`` decodes the bytes and cuts ``<head>`` and ``<main>``; ``layouts/`` holds all markup
of the site, one module per layout family with its versions; ``text/`` the German dates,
credits, whitespace, URLs and HTML blocks the layouts share.
"""
