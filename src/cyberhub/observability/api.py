"""``/metrics``, ``/healthz`` and ``/readyz``: for the hub's operators and their tools,
outside the API's schema."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from cyberhub.config import Settings
from cyberhub.errors import NotFound
from cyberhub.observability import health, metrics

router = APIRouter(include_in_schema=False)

# A request that came through a proxy is never "from loopback", whatever its peer is.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def may_scrape(request: Request, settings: Settings) -> bool:
    """The bearer token when one is set; else (or also) a direct loopback peer."""
    token = settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _sep, value = given.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                value.strip().encode(), token.encode()):
            return True
    if not settings.metrics_loopback or request.client is None:
        return False
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    if not may_scrape(request, request.app.state.settings):
        raise NotFound()
    body = await run_in_threadpool(metrics.exposition, request.app.state.database)
    return Response(body, media_type=metrics.CONTENT_TYPE)


@router.get("/healthz")
async def healthz() -> JSONResponse:
    """Liveness: the process answers (no dependency is checked)."""
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: the database, its migrations and (when configured) Redis and the key
    service."""
    ready, body = await run_in_threadpool(health.readiness, request.app.state.database,
                                          request.app.state.settings)
    return JSONResponse(body, status_code=200 if ready else 503,
                        headers={"Cache-Control": "no-store"})
