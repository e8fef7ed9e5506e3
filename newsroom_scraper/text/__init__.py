"""Helpers every layout shares: German dates, credits, whitespace, URLs, HTML sanitising.

They live here, with their own tests, so that two layouts never carry two copies
of the same rule.
"""
