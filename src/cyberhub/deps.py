"""Request boundary: one transaction per request, and who is asking.

Routes receive a :class:`Ctx` and hand its session and viewer to services. The
transaction commits when the route returns and rolls back when it raises (unless
the error asks to keep what was written, as a failed sign-in does).

With a read replica (``cyberhub.replica``), the dependencies that find out who is asking
do so on the primary and then, for a safe request, let the rest of its reads go to the
replica (:func:`route_reads`); after a request that wrote, :func:`db_session` notes the
primary's WAL position for its client, so that the client's next reads wait for it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from cyberhub import access, audit, db, i18n, replica
from cyberhub.access import Viewer
from cyberhub.community import auth
from cyberhub.community.models import ApiToken, TokenScope, User, WebSession
from cyberhub.db import Database
from cyberhub.errors import (
    DatabaseUnavailable,
    HubBusy,
    HubError,
    NotAuthenticated,
    PermissionDenied,
    StorageFull,
)
from cyberhub.i18n import _
from cyberhub.web import cookies, csrf

log = logging.getLogger(__name__)

SESSION_COOKIE = "cyberhub_session"  # "__Host-cyberhub_session" behind TLS: web.cookies
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_locked(exc: OperationalError) -> bool:
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def database_fault(exc: DBAPIError) -> HubError | None:
    """What a user is told when the database itself fails rather than the request: the
    connection to PostgreSQL is gone or refused (503, try again), or SQLite's disk is
    full (507). ``None`` for anything else, which stays a bug to fix."""
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError) and "database or disk is full" in str(orig):
        return StorageFull()
    if exc.connection_invalidated:
        return DatabaseUnavailable()
    if orig is not None and type(orig).__module__.startswith("psycopg"):
        import psycopg

        if isinstance(orig, psycopg.errors.DiskFull):
            return StorageFull()
        # Errors without a SQLSTATE come from the client side (refused, closed, lost);
        # class 08 is a connection exception, 57P0x the server shutting down or starting.
        state = getattr(orig, "sqlstate", None)
        if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) and (
                state is None or state.startswith("08") or state.startswith("57P0")):
            return DatabaseUnavailable()
    return None


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def db_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    reading = request.method in SAFE_METHODS
    session = (database.read_sessionmaker if reading else database.sessionmaker)()
    standby = database.replica
    if standby is not None:
        # Writes are noted (a request that wrote moves its client's read position on);
        # a safe request's reads may go to the replica once route_reads allows it.
        replica.track(session)
    try:
        yield session
        try:
            session.commit()
        except OperationalError as exc:
            fault = database_fault(exc)
            if not is_locked(exc) and not isinstance(fault, StorageFull):
                raise
            session.rollback()
            # A read whose only write was housekeeping (the session's last-seen time)
            # may lose it; a read that had to be audited must not be answered.
            if not reading or session.info.get(audit.MUST_COMMIT):
                raise (fault or HubBusy()) from None
        else:
            _note_read_position(request, session, reading)
    except HubError as exc:
        if exc.keep_changes:
            session.commit()
            _note_read_position(request, session, reading)
        else:
            session.rollback()
        raise
    except BaseException as exc:
        session.rollback()
        if standby is not None and isinstance(exc, DBAPIError) \
                and replica.served_by_replica(session):
            standby.suspect()
        raise
    finally:
        session.close()
        if standby is not None:
            _end_routing(request, session)


def route_reads(request: Request, session: Session, token: ApiToken | None = None) -> None:
    """Who is asking is known (read from the primary): the rest of a safe request's
    reads may go to the replica, if it may answer this client (``replica.Replica.route``).
    Every dependency that authenticates a request calls this last; a route that reads
    without one stays on the primary."""
    standby: replica.Replica | None = request.app.state.database.replica
    if standby is None:
        return
    if token is not None:
        session.info[replica.CLIENT] = token.id  # whose read position a write moves on
    if request.method not in SAFE_METHODS or db.READ_BIND in session.info:
        return
    # Authentication may have written (a session's last-seen time, a token's use): a
    # session that wrote reads from the primary from then on, so it needs no replica.
    session.flush()
    if not replica.wrote(session):
        standby.route(session, cookie=request.cookies.get(cookies.name(replica.COOKIE)),
                      token_id=token.id if token is not None else None)


def _note_read_position(request: Request, session: Session, reading: bool) -> None:
    """After a request that wrote (every unsafe one, and a safe one that wrote — a
    session's last-seen time, an audited read): the primary's WAL position, which its
    client's next reads on the replica must wait for. Browsers get it in a cookie
    (``app.ReadPositionCookie``); an API token's is kept in Redis."""
    standby: replica.Replica | None = request.app.state.database.replica
    if standby is None or (reading and not replica.wrote(session)):
        return
    try:
        lsn = standby.written_position()
        token_id = session.info.get(replica.CLIENT)
        if token_id is not None:
            replica.remember_token_position(token_id, lsn, standby.cookie_lifetime())
        else:
            setattr(request.state, replica.COOKIE_STATE, lsn)
    except Exception as exc:
        # What was written stays written; the client's next read may come from a replica
        # that has not replayed it yet (for at most the lag bound).
        log.warning("replica: the read position after a write could not be kept (%s)",
                    str(exc).strip().splitlines()[0] if str(exc).strip()
                    else type(exc).__name__)


def _end_routing(request: Request, session: Session) -> None:
    if request.method in SAFE_METHODS:
        from cyberhub.observability import metrics

        metrics.record_db_read("replica" if replica.served_by_replica(session) else "primary")
    replica.release(session)


DbSession = Annotated[Session, Depends(db_session, scope="function")]


@dataclass
class Ctx:
    """Everything a route needs to call a service on behalf of the requester."""

    session: Session
    viewer: Viewer
    request: Request
    user: User | None = None
    web_session: WebSession | None = None
    token: ApiToken | None = None
    session_cookie: str | None = None

    @property
    def ip(self) -> str | None:
        return client_ip(self.request)

    def require_user(self) -> User:
        if self.user is None:
            raise NotAuthenticated(_("Sign in first."))
        return self.user


def refuse_partner_accounts(session: Session, user: User) -> None:
    """An account of an organisation that stands for a partner hub is that hub's client:
    it may use the TAXII server and the matching endpoint only, where what may leave to
    the partner is enforced (``access.may_leave_to``) — not the REST API or the pages."""
    from sqlalchemy import select

    from cyberhub.federation.models import Peer

    if session.scalar(select(Peer.id).where(Peer.org_id == user.org_id)) is not None:
        raise PermissionDenied(_("This account stands for a partner hub: it may use the "
                                 "TAXII server only."))


def _from_session(request: Request, session: Session) -> Ctx:
    cookie = request.cookies.get(cookies.name(SESSION_COOKIE))
    ws = auth.resolve_session(session, cookie)
    if ws is None or not ws.fully_authenticated:
        return Ctx(session, access.ANONYMOUS, request, web_session=ws, session_cookie=cookie)
    i18n.prefer(ws.user.locale)
    refuse_partner_accounts(session, ws.user)
    viewer = access.viewer_for(session, ws.user, client_ip(request))
    return Ctx(session, viewer, request, user=ws.user, web_session=ws, session_cookie=cookie)


def refuse_unenrolled(user: User | None) -> None:
    """The API is closed to a user who owes a second factor (a hub administrator, or a
    member of an organisation that requires one, who has not enrolled yet) or who still
    signs in with a one-time password."""
    if auth.must_change_password(user):
        raise PermissionDenied(_("Your password was set by an administrator: choose your own "
                                 "first (/profile/password)."))
    if user is None or not auth.must_enrol(user):
        return
    if auth.second_factor_rule(user) == "role":
        raise PermissionDenied(_("Hub administrators must use two-factor sign-in; enrol in "
                                 "your profile (/profile/2fa) first."))
    raise PermissionDenied(_("Your organisation requires two-factor sign-in; enrol in your "
                             "profile first."))


def api_ctx(request: Request, session: DbSession) -> Ctx:
    """REST: a Bearer token, or the browser session (then unsafe methods need the CSRF
    header). Read tokens may only read."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _sep, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated(_("Use 'Authorization: Bearer <token>'."))
        token = auth.authenticate_token(session, secret.strip(), ip=client_ip(request))
        i18n.prefer(token.user.locale)
        if request.method not in SAFE_METHODS and token.scope is not TokenScope.WRITE:
            raise PermissionDenied(_("This token may only read; create a write token to make "
                                     "changes."))
        # A token must not bypass the organisation's two-factor rule (say, one created
        # before the rule was switched on).
        refuse_unenrolled(token.user)
        refuse_partner_accounts(session, token.user)
        viewer = access.viewer_for(session, token.user, client_ip(request))
        route_reads(request, session, token)
        return Ctx(session, viewer, request, user=token.user, token=token)
    ctx = _from_session(request, session)
    if ctx.user is None:
        raise NotAuthenticated(_("Sign in, or send an API token as 'Authorization: Bearer "
                                 "<token>'."))
    refuse_unenrolled(ctx.user)
    if request.method not in SAFE_METHODS:
        csrf.check(request, ctx.session_cookie, request.headers.get(csrf.HEADER))
    route_reads(request, session)
    return ctx


ApiCtx = Annotated[Ctx, Depends(api_ctx)]


async def posted_csrf_token(request: Request) -> str | None:
    """The CSRF token an unsafe request carries, in its header or its form. Reading the
    form needs the event loop; nothing here touches the database."""
    if request.method in SAFE_METHODS:
        return None
    token = request.headers.get(csrf.HEADER)
    if token is None:
        form = await request.form()
        value = form.get(csrf.FIELD)
        token = value if isinstance(value, str) else None
    return token


def web_ctx(request: Request, session: DbSession,
            token: Annotated[str | None, Depends(posted_csrf_token)]) -> Ctx:
    """Web pages: the browser session; every unsafe method carries a CSRF token.

    Synchronous on purpose, so that it runs in a worker thread: its first statement may
    wait for SQLite's write lock, and waiting on the event loop would stop every other
    request, the lock holder's own commit included."""
    ctx = _from_session(request, session)
    if request.method not in SAFE_METHODS:
        csrf.check(request, ctx.session_cookie, token)
    route_reads(request, session)
    return ctx


WebCtx = Annotated[Ctx, Depends(web_ctx)]
