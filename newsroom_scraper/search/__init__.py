"""German full-text search: spelling variants for the trigram index (variants.py) and the
reader's query turned into safe MATCH expressions for the word and trigram indexes (words.py)."""
