"""The ASGI middleware that follows each request: its id, its access line, its metrics."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cyberhub.observability import logs, metrics

access_log = logging.getLogger("cyberhub.access")
# Any token is a valid method to the server; the label keeps to these (and "other"), so
# that a client cannot grow the number of series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that answered (``/api/v1/notes/{note_id}``), never the
    path. The router leaves the matched route in the scope with its own template; the
    prefix of the router that included it (static, such as ``/api/v1``) is what of the
    path comes before the part that the route's pattern matches."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    pattern = getattr(route, "path_regex", None)
    if isinstance(template, str):
        path = str(scope.get("path", ""))[len(root_path):]
        if pattern is None or pattern.match(path):
            return template
        for i, char in enumerate(path):
            if char == "/" and i and pattern.match(path[i:]):
                return path[:i] + template
        return template
    if scope.get("endpoint") is not None:
        # A mounted app (the static files): its mount point stands for all its paths.
        mounted = str(scope.get("root_path", ""))[len(root_path):]
        if mounted:
            return f"{mounted}/{{path}}"
    return metrics.UNMATCHED


class RequestObservation:
    """Pure ASGI middleware, outermost: takes the client's ``X-Request-ID`` when it is
    well-formed (else makes one), answers with it, stamps every log line of the request
    with it, writes one access line, and counts the request by method, route template
    and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                supplied = value.decode("latin-1")
                break
        request_id = logs.accept_request_id(supplied)
        token = logs.request_id_var.set(request_id)
        root_path = str(scope.get("root_path", ""))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", ""))
            route = route_template(scope, root_path)
            metrics.record_request(method if method in METHODS else "other", route, status,
                                   elapsed)
            # The path without its query string: queries may carry tokens or values.
            access_log.info("%s %s %d %.1fms", method, scope.get("path", ""), status,
                            elapsed * 1000, extra={"http": {
                                "method": method, "path": scope.get("path", ""),
                                "route": route, "status": status,
                                "duration_ms": round(elapsed * 1000, 1)}})
            logs.request_id_var.reset(token)
