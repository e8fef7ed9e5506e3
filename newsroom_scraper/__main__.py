"""``python -m newsroom_scraper`` is ``newsroom-archive``."""

from newsroom_scraper.cli import main

main()
