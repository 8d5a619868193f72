"""create_app(): mounts the REST API and the web app, error handlers and security headers."""

from __future__ import annotations

import functools
import gc
import logging
import re
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cyberhub import __version__, i18n, keyring, validation_messages
from cyberhub.config import Settings, get_settings, set_settings
from cyberhub.db import Database
from cyberhub.errors import (
    BadRequest,
    HubBusy,
    HubError,
    InternalError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
)
from cyberhub.i18n import _
from cyberhub.observability import logs, metrics
from cyberhub.observability.middleware import RequestObservation
from cyberhub.schemas import ERROR_RESPONSES

log = logging.getLogger("cyberhub.errors")

STATIC_DIR = Path(__file__).parent / "web" / "static"
# Leak-site post imports (ransomware.leakposts.MAX_FILE_BYTES), plus a form's envelope.
LEAK_POSTS_MAX_BODY = 65 * 1024 * 1024
# Dialogue attachments (dialogue.files.MAX_BYTES, 10 MB), plus the multipart envelope.
ATTACHMENT_MAX_BODY = 10 * 1024 * 1024 + 64 * 1024
ATTACHMENT_PATHS = re.compile(r"(/api/v1)?/dialogues/[0-9a-fA-F-]{36}/attachments")
# Evidence uploads: the file is streamed into the register's store (evidence_max_bytes).
EVIDENCE_PATHS = re.compile(r"(/api/v1)?/operations/[0-9a-fA-F-]{36}/evidence")

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
     b"form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# Sent only when the hub is served over HTTPS (CYBERHUB_SECURE_COOKIES): a browser that
# has seen it refuses plain HTTP to the hub for two years (the nginx sample sends none).
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
# Answers other than the built static files hold what one user may see: no cache keeps
# them (a route that streams a download sets its own, also no-store).
NO_STORE = (b"cache-control", b"no-store")
# Refusals an operator should see in the logs (ASVS V7.2): failed authentication,
# access-control and CSRF failures, throttling. One line each, without the message,
# the query string or any header.
security_log = logging.getLogger("cyberhub.security")
# A JSON answer (API, TAXII, problem details) a browser is led to open is saved, not
# rendered (ASVS 14.4.2); scripts reading it with fetch() are unaffected. Downloads
# name their own file.
JSON_ATTACHMENT = (b"content-disposition", b'attachment; filename="api.json"')
SECURITY_EVENTS = frozenset({401, 403, 429})


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class SecurityHeaders:
    """Pure ASGI middleware: headers on every response, and a cap on request bodies."""

    def __init__(self, app: ASGIApp, max_body: int, large_bodies: dict[str, int] | None = None,
                 large_prefixes: dict[str, int] | None = None,
                 large_patterns: dict[re.Pattern[str], int] | None = None,
                 hsts: bool = False) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + ([HSTS] if hsts else [])
        self.default_max_body = max_body
        # Paths that take files (imports): streamed to disk by their route, larger cap.
        self.large_bodies = large_bodies or {}
        # Path prefixes with their own cap (TAXII announces max_content_length).
        self.large_prefixes = large_prefixes or {}
        # Paths with an id in them (dialogue attachments): matched whole.
        self.large_patterns = large_patterns or {}

    def _max_body(self, path: str) -> int:
        if path in self.large_bodies:
            return self.large_bodies[path]
        for prefix, cap in self.large_prefixes.items():
            if path.startswith(prefix):
                return cap
        for pattern, cap in self.large_patterns.items():
            if pattern.fullmatch(path):
                return cap
        return self.default_max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        max_body = self._max_body(path)
        too_large = PayloadTooLarge(
            _("The request body is larger than %(n)d bytes.") % {"n": max_body})

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _v in headers}
                headers.extend((k, v) for k, v in self.headers if k not in present)
                if NO_STORE[0] not in present and not path.startswith("/static/"):
                    headers.append(NO_STORE)
                if JSON_ATTACHMENT[0] not in present and _is_json(headers):
                    headers.append(JSON_ATTACHMENT)
                message["headers"] = headers
            await send(message)

        query = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            # No path or parameter takes one, and PostgreSQL cannot even look it up: refused
            # here, alike on both engines, before any route reads it.
            await _send_json(send_with_headers, BadRequest(_(
                "The address holds a NUL character, which no path or query parameter of the "
                "hub takes; remove it.")), path)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > max_body:
                await _send_json(send_with_headers, too_large, path)
                return
        received = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        answered = False

        async def send_or_refuse(message: Message) -> None:
            # A streamed body went over the cap: whatever the framework made of the
            # interrupted read (a 400, usually), the client gets the 413 it deserves.
            nonlocal answered
            if not exceeded:
                await send_with_headers(message)
            elif not answered:
                answered = True
                await _send_json(send_with_headers, too_large, path)

        try:
            await self.app(scope, limited_receive, send_or_refuse)
        except _BodyTooLarge:
            if not answered:
                await _send_json(send_with_headers, too_large, path)
        except Exception as exc:
            # A bug: answered here, inside the locale, request-id and header middleware,
            # in the hub's error format (ASVS V7.4.1), then raised on for the server to
            # log with its trace (and for test clients to see).
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), path)
            if not started:
                request = Request(scope)
                # The plain error page: the failed page's context may hold anything.
                request.state.page_context = None
                request.state.error_template = None
                response = _error_response(request, InternalError())
                await response(scope, receive, send_with_headers)
            raise


class StaticAssets(StaticFiles):
    """The built static folder, without its dotfiles (build stamps, editor leftovers):
    a name starting with a dot is not an asset (ASVS V12.5.1)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if any(part.startswith(".") for part in PurePosixPath(path).parts):
            raise StarletteHTTPException(404)
        return await super().get_response(path, scope)


class LocaleScope:
    """Pure ASGI middleware: each request speaks the browser's language (its cookie, then
    ``Accept-Language``); the dependency that finds the signed-in user refines it with the
    user's own choice (:func:`cyberhub.i18n.prefer`). Answers say which in
    ``Content-Language``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import HTTPConnection

        conn = HTTPConnection(scope)
        locale = i18n.resolve(None, conn.cookies.get(i18n.COOKIE),
                              conn.headers.get("accept-language"))

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-language", i18n.get_locale().encode()))
                headers.append((b"vary", b"Accept-Language, Cookie"))
                message["headers"] = headers
            await send(message)

        with i18n.request_scope(locale):
            await self.app(scope, receive, send_with_language)


class ReadPositionCookie:
    """Pure ASGI middleware, on a hub with a read replica: hands a browser whose request
    wrote the primary's WAL position after it (``deps.db_session`` notes it), so that
    its next pages read from the replica only once the replica has replayed that far
    (``cyberhub.replica``). The value is not secret and needs no signature: a forged
    one only keeps that browser's reads on the primary, or shows it data no older than
    any client may get."""

    def __init__(self, app: ASGIApp, lifetime: int) -> None:
        self.app = app
        self.lifetime = lifetime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from cyberhub import replica
        from cyberhub.web import cookies

        state = scope.setdefault("state", {})

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                lsn = state.get(replica.COOKIE_STATE)
                if lsn is not None:
                    secure = "; Secure" if get_settings().secure_cookies else ""
                    cookie = (f"{cookies.name(replica.COOKIE)}="
                              f"{replica.format_position(lsn)}; Max-Age={self.lifetime}; "
                              f"Path=/; HttpOnly; SameSite=Lax{secure}")
                    message["headers"] = [*message.get("headers", []),
                                          (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_position)


class _BodyTooLarge(Exception):
    pass


async def _send_json(send: Send, error: HubError, path: str = "") -> None:
    import orjson

    from cyberhub.taxii import media

    taxii = media.is_taxii_path(path)
    body = orjson.dumps(media.error_body(error) if taxii else error.body())
    content_type = media.TAXII.encode() if taxii else b"application/json"
    await send({"type": "http.response.start", "status": error.status_code,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    if "text/html" not in accept and accept.startswith("application/json"):
        # A page's script that asks for JSON (a security key's options) reads the error.
        return False
    return "text/html" in accept or not path.startswith("/api")


def _error_response(request: Request, error: HubError) -> Response:
    from cyberhub.taxii import media

    if error.status_code in SECURITY_EVENTS:
        metrics.record_refusal(error.status_code, error.code)
        security_log.warning("refused %s %s %s: %s from %s", error.status_code,
                             request.method, request.url.path, error.code,
                             request.client.host if request.client else "-")
    headers: dict[str, str] = {}
    if isinstance(error, TooManyRequests | HubBusy):
        headers["Retry-After"] = str(error.retry_after)
    if media.is_taxii_path(request.url.path):
        if error.status_code == 401:
            headers.update(media.UNAUTHENTICATED_HEADERS)
        return media.error_response(error, headers)
    if error.status_code == 401 and request.url.path.startswith("/api/"):
        headers["WWW-Authenticate"] = 'Bearer realm="cyberhub"'
    if _wants_html(request):
        from cyberhub.web.render import error_page

        return error_page(request, error, headers=headers)
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


async def _limit_threads() -> None:
    """As many requests at once in the worker threads as the process has database
    connections: more would only queue for a connection and time out there."""
    import anyio.to_thread

    s = get_settings()
    anyio.to_thread.current_default_thread_limiter().total_tokens = max(
        1, s.db_pool_size + s.db_max_overflow)


async def _freeze_start_up_objects() -> None:
    """Put what start-up made (routes, templates, the ORM's mappings: some 400,000 objects)
    out of the garbage collector's reach. A full collection otherwise walks all of them,
    for a few hundred milliseconds in which the process answers no one: a tail in every
    latency figure under load."""
    gc.collect()
    gc.freeze()


def create_served_app() -> FastAPI:
    """The app as ``cyberhub serve`` runs it in each process (tests use ``create_app``)."""
    app = create_app()
    app.router.on_startup.append(_freeze_start_up_objects)
    return app


async def _warm_templates() -> None:
    from cyberhub.web import render

    render.warm()


@functools.cache
def _hub_routes() -> tuple[BaseRoute, ...]:
    """The hub's route groups, made once per process and shared by every app made in it.

    FastAPI prepares an included router's routes (their parameter and response models)
    when the first request reaches them, and keeps them in the included group: about a
    second for the hub's 260 routes. Sharing the groups pays that once per process, not
    once per app (the test suite makes an app for each test). No route depends on the
    app: settings and database are read from ``request.app.state``."""
    from cyberhub.api import api_router
    from cyberhub.observability.api import router as observability_router
    from cyberhub.taxii.api import router as taxii_router
    from cyberhub.web.pages import web_router

    groups = APIRouter()
    # Routes are tried one by one, in this order, and no two groups share a path: the
    # TAXII server, most of an automated hub's traffic, first (behind the API's 180 routes
    # it paid about a millisecond per request, a tenth of a page of 100 objects).
    groups.include_router(observability_router)
    groups.include_router(taxii_router)
    groups.include_router(api_router, prefix="/api/v1", responses=ERROR_RESPONSES)
    groups.include_router(web_router)
    return tuple(groups.routes)


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    if settings is not None:
        set_settings(settings)
    settings = get_settings()
    keyring.check()  # the keys made on first use, or the key service reached
    database = database or Database(settings.resolved_database_url(),
                                    replica_url=settings.database_replica_url,
                                    replica_max_lag=settings.replica_max_lag_seconds)

    import cyberhub.notifications.delivery  # noqa: F401 - listens to the event bus
    from cyberhub.web.common import RedirectRequired, redirect_response

    app = FastAPI(
        title="cyberhub", version=__version__,
        description="REST API of a cyberhub: organisations, users, groups, tokens and "
                    "shareable records under TLP 2.0.",
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.router.on_startup.append(_limit_threads)
    from cyberhub.web import render

    render.use_bytecode_cache(settings.var_dir)
    app.router.on_startup.append(_warm_templates)
    logs.configure(settings.log_format, settings.log_level)

    @app.exception_handler(HubError)
    async def hub_error(request: Request, exc: HubError) -> Response:
        return _error_response(request, exc)

    @app.exception_handler(RedirectRequired)
    async def redirect_required(request: Request, exc: RedirectRequired) -> Response:
        return redirect_response(request, exc)

    @app.exception_handler(PoolTimeout)
    async def pool_exhausted(request: Request, exc: PoolTimeout) -> Response:
        return _error_response(request, HubBusy(_(
            "The hub is busy: every database connection is in use. Try again in a moment.")))

    @app.exception_handler(DBAPIError)
    async def database_busy(request: Request, exc: DBAPIError) -> Response:
        from cyberhub.deps import database_fault, is_locked

        if isinstance(exc, OperationalError) and is_locked(exc):
            return _error_response(request, HubBusy())
        fault = database_fault(exc)
        if fault is None:
            raise exc
        log.warning("database fault on %s %s: %s", request.method, request.url.path,
                    str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip()
                    else type(exc).__name__)
        # The page being re-rendered may hold records the failed transaction expired:
        # the plain error page needs nothing from the database.
        request.state.page_context = None
        request.state.error_template = None
        return _error_response(request, fault)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details: list[dict[str, Any]] = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
             "problem": validation_messages.problem(e)} for e in exc.errors()]
        err = HubError(_("The request is not valid: %(what)s")
                       % {"what": "; ".join(f"{d['field']}: {d['problem']}" for d in details)},
                       details=details, code="invalid_input")
        # TAXII answers a request it cannot parse with 400 (section 3.6).
        err.status_code = 400 if request.url.path.startswith("/taxii2") else 422
        return _error_response(request, err)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error_response(request, NotFound(_("No such page or record.")))
        err = HubError(str(exc.detail), code="http_error")
        err.status_code = exc.status_code
        return _error_response(request, err)

    app.router.routes.extend(_hub_routes())
    app.mount("/static", StaticAssets(directory=STATIC_DIR, check_dir=False), name="static")
    if database.replica is not None:
        app.router.on_startup.append(database.replica.start)
        app.add_middleware(ReadPositionCookie, lifetime=database.replica.cookie_lifetime())
    app.add_middleware(SecurityHeaders, max_body=settings.max_body_bytes,
                       large_bodies={"/api/v1/import": settings.max_import_bytes,
                                     "/import": settings.max_import_bytes,
                                     "/import/csv": settings.max_import_bytes,
                                     "/import/text": settings.max_import_bytes,
                                     # Chain-explorer exports (ransomware payments).
                                     "/api/v1/ransomware/payments/import": 9 * 1024 * 1024,
                                     "/ransomware/payments/import": 9 * 1024 * 1024,
                                     **dict.fromkeys(("/api/v1/ransomware/leak-posts/import",
                                                      "/ransomware/leak-posts/import"),
                                                     LEAK_POSTS_MAX_BODY)},
                       large_prefixes={"/taxii2/": settings.max_taxii_bytes},
                       large_patterns={ATTACHMENT_PATHS: ATTACHMENT_MAX_BODY,
                                       EVIDENCE_PATHS: settings.evidence_max_bytes
                                       + 64 * 1024},
                       hsts=settings.secure_cookies)
    # Outermost, so that even the body-size refusal speaks the browser's language.
    app.add_middleware(LocaleScope)
    # Outermost of all: the request id is known to every log line, and every answer
    # (refusals included) is counted and timed.
    app.add_middleware(RequestObservation)
    return app
