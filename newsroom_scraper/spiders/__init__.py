"""Scrapy spiders: discovery only. ``newsroom`` is the one the project runs."""
