"""Notes: the first shareable record type (title, sanitised Markdown body, markings)."""
