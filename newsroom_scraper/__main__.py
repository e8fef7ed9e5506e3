"""``python -m newsroom_scraper`` is ``newsroom-archive``."""

from .cli import main

main()
