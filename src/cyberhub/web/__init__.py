"""Server-rendered web app (Jinja2 + htmx)."""
