"""Observability: Prometheus metrics, structured logs with request ids, health checks.

See docs/observability.md. ``metrics`` defines every metric (multi-process safe when
``PROMETHEUS_MULTIPROC_DIR`` is set), ``logs`` the request-id context and the JSON
formatter, ``health`` the readiness checks, ``middleware`` the ASGI middleware that ties
a request to its id, its log lines and its metrics, and ``api`` the routes.
"""
