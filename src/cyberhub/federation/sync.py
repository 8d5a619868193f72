"""Sync with a partner hub over TAXII 2.1: pull its collection, push ours.

**Pull** reads the partner's collection from the cursor (``added_after``, every
version), stages what arrives as one bundle and imports it as ONE import job of the
organisation standing for the partner (``from_partner``: a version the hub already
holds is unchanged, AMBER+STRICT and RED are refused and audited). The cursor moves to
the partner's last date added only when that import succeeded, so an interrupted sync
starts again where the last good one ended and nothing is taken twice.

**Push** sends, oldest first, what may leave to the partner
(:func:`cyberhub.access.may_leave_to`) and changed since the push cursor, in envelopes
of :data:`PAGE` objects, and waits for each status; the cursor moves after each
envelope the partner accepted.

Transient failures (no answer, 429, 5xx) are retried a few times with back-off within
a run; a failed run leaves the cursors where they were and the next is scheduled with
exponential back-off (capped at the partner's interval).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx2
import orjson
from sqlalchemy import and_, or_, select, update

from cyberhub import audit
from cyberhub.access import system_viewer
from cyberhub.audience import Audience
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.federation import origins, peers, wire
from cyberhub.federation.models import Peer
from cyberhub.i18n import _
from cyberhub.intel import export, imports
from cyberhub.intel.models import Import, ImportStatus, StixObject
from cyberhub.taxii.media import TAXII, names_taxii_21

log = logging.getLogger(__name__)

PAGE: Final = 1000
MAX_PAGES: Final = 1000  # per pull run: a million objects; the rest comes next run
RETRIES: Final = 3
MAX_RESPONSE_BYTES: Final = 64 * 1024**2  # one page of a partner's answer
MAX_STAGED_BYTES: Final = 8 * 1024**3  # what one pull may stage; the rest comes next run
STATUS_WAIT_SECONDS: Final = 300.0


_STATUS_ID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
# A TAXII timestamp (the STIX format, UTC), as a partner states its last date added.
_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z", re.ASCII)


class SyncError(Exception):
    """The partner could not be reached or answered something unusable."""


@dataclass
class Outcome:
    pulled: int = 0  # objects the partner sent
    stored: int = 0  # new objects and versions kept
    pushed: int = 0
    error: str | None = None
    # Where a pull's time went (bench/bench_sync.py): reading the partner's pages
    # (requests, parsing, staging) and importing what they held.
    fetch_seconds: float = 0.0
    import_seconds: float = 0.0


Progress = Callable[[str, int], None]  # ("pull" | "push", objects so far)


# ------------------------------------------------------------------ HTTP

class _Client:
    def __init__(self, peer: Peer) -> None:
        user, secret = peers.credentials(peer)
        self.collection = peer.url
        self.api_root = peer.url.split("/collections/")[0] + "/"
        self.peer_name = peer.name
        settings = get_settings()
        self.http = httpx2.Client(
            timeout=httpx2.Timeout(settings.peer_read_timeout,
                                   connect=settings.peer_connect_timeout),
            follow_redirects=False,
            trust_env=False, auth=(user, secret) if user else None,
            headers={"Accept": TAXII,
                     **({"Authorization": f"Bearer {secret}"} if secret and not user else {})})

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        """One request; a body past MAX_RESPONSE_BYTES is refused, not held."""
        request = self.http.build_request(method, url, **kwargs)
        response = self.http.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise SyncError(_("The partner's answer is larger than %(n)d bytes.")
                                    % {"n": MAX_RESPONSE_BYTES})
        finally:
            response.close()
        return httpx2.Response(response.status_code, headers=response.headers,
                               content=bytes(body), request=request)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        delay = 0.5
        for attempt in range(RETRIES + 1):
            try:
                response = self._send(method, url, **kwargs)
            except httpx2.HTTPError as exc:
                if attempt == RETRIES:
                    raise SyncError(_("The partner %(name)s did not answer: %(error)s")
                                    % {"name": self.peer_name, "error": exc}) from None
            else:
                if response.status_code not in (429, 502, 503, 504) or attempt == RETRIES:
                    return response
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def json(self, response: httpx2.Response, what: str) -> dict[str, Any]:
        if response.status_code >= 400:
            raise SyncError(_("The partner answered %(status)d to %(what)s: %(body)s") % {
                "status": response.status_code, "what": what, "body": response.text[:300]})
        media = response.headers.get("content-type", "")
        if response.content and not names_taxii_21(media):
            # As the OASIS client does: a login page or a proxy's answer is not the partner.
            raise SyncError(_("The partner answered %(what)s as '%(media)s', not as TAXII "
                              "2.1 (%(taxii)s).") % {"what": what, "media": media[:100],
                                                      "taxii": TAXII})
        try:
            body = orjson.loads(response.content) if response.content else {}
        except orjson.JSONDecodeError:
            raise SyncError(_("The partner's answer to %(what)s is not JSON.")
                            % {"what": what}) from None
        if not isinstance(body, dict):
            raise SyncError(_("The partner's answer to %(what)s is not a TAXII resource.")
                            % {"what": what})
        return body


# ------------------------------------------------------------------ pull

def _pages(client: _Client, cursor: str | None,
           stated: dict[str, str]) -> Iterator[tuple[list[Any], str | None]]:
    """(objects, date added of the last) page by page from the cursor; the origins the
    partner states go into ``stated``.

    The next page is requested as soon as this one's ``next`` is known, so the partner
    renders it while this hub stages this one (one request in flight at a time, in
    order: the partner sees the same requests as without it)."""
    base: dict[str, str] = {"limit": str(PAGE), "match[version]": "all"}
    if cursor:
        base["added_after"] = cursor
    url = client.collection + "objects/"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-page") as ahead:
        pending = ahead.submit(client.request, "GET", url, params=dict(base))
        for page in range(MAX_PAGES):
            response = pending.result()
            body = client.json(response, "objects")
            found = body.get("objects", [])
            if not isinstance(found, list) or not all(isinstance(o, dict) for o in found):
                raise SyncError(_("The partner's envelope does not hold a list of objects."))
            stated.update(origins.read(body))
            more = bool(body.get("more")) and bool(found)
            if more:
                token = body.get("next")
                if not isinstance(token, str) or not token:
                    raise SyncError(_("The partner said there is more but gave no next."))
                if page + 1 < MAX_PAGES:
                    pending = ahead.submit(client.request, "GET", url,
                                           params={**base, "next": token})
            yield found, response.headers.get("X-TAXII-Date-Added-Last")
            if not more:
                return


def _date_added(value: str) -> str:
    """The partner's ``X-TAXII-Date-Added-Last``, checked: it becomes the pull cursor,
    sent back to the partner as ``added_after`` on the next run."""
    if _TIMESTAMP.fullmatch(value):
        with contextlib.suppress(ValueError):
            datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")  # a real date: no 02-30
            return value
    raise SyncError(_("The partner's X-TAXII-Date-Added-Last header %(value)r is not a "
                      "timestamp such as 2026-03-14T10:00:00.000Z.") % {"value": value[:60]})


def _clear_abandoned(database: Database, peer_id: uuid.UUID) -> None:
    """What a pull killed half way left behind (a run of this partner that lost its
    lease): its import, still "running", is marked failed — its transaction never
    committed, so nothing of it is stored — and its staged pages are deleted. A slow run
    that is still alive is left alone: its import shows progress, its staged file grows."""
    quiet = get_settings().sync_lease_seconds
    keep: set[str] = set()
    with database.transaction() as session:
        for job in session.scalars(select(Import).where(
                Import.status == ImportStatus.RUNNING)):
            options = job.options or {}
            if options.get("peer_id") != str(peer_id) or not options.get("pulled"):
                continue
            if not imports.fail_if_abandoned(job, quiet) and job.staged_path:
                keep.add(job.staged_path)
    for path in _staging().glob(f"{peer_id}-*.json"):
        with contextlib.suppress(OSError):
            if str(path) not in keep and time.time() - path.stat().st_mtime >= quiet:
                path.unlink()


def _pull(database: Database, peer_id: uuid.UUID, client: _Client, cursor: str | None,
          progress: Progress | None, outcome: Outcome) -> tuple[int, int, str | None]:
    _clear_abandoned(database, peer_id)
    stage = _staging() / f"{peer_id}-{uuid.uuid4().hex}.json"
    count, last = 0, cursor
    stated: dict[str, str] = {}
    started = time.perf_counter()
    try:
        with stage.open("wb") as out:
            out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode()
                      + b'","objects":[')
            for objects, added_last in _pages(client, cursor, stated):
                for obj in objects:
                    try:
                        staged = orjson.dumps(obj)
                    except orjson.JSONEncodeError:  # deeper than orjson writes (it reads deeper)
                        raise SyncError(_("The partner sent an object nested too deep to "
                                          "be read (%(id)s).")
                                        % {"id": str(obj.get("id"))[:100]}) from None
                    out.write((b"," if count else b"") + staged)
                    count += 1
                if added_last:
                    last = _date_added(added_last)
                if out.tell() > MAX_STAGED_BYTES:
                    break  # enough for one run: the cursor resumes after this page
                _heartbeat(database, peer_id)
                if progress:
                    progress("pull", count)
            out.write(b"]}")
        outcome.fetch_seconds = time.perf_counter() - started
        if not count:
            return 0, 0, cursor
        started = time.perf_counter()
        with database.transaction() as session:
            peer = session.get(Peer, peer_id)
            assert peer is not None
            viewer = peers.run_as(session, peer)
            if viewer.user_id is None:
                raise SyncError(_("The partner's import user is no longer active."))
            job = imports.new_import(
                session, viewer, filename=f"peer-{peer.name}.json", tlp=peer.tlp.value,
                audience=Audience(org_ids=[uuid.UUID(i)
                                           for i in peer.audience.get("org_ids", [])]),
                mode="lenient", options={"peer_id": str(peer.id), "peer": peer.name,
                                         "pulled": True,
                                         "sender": origins.hub_address(peer.url),
                                         "origins": stated})
            imports.stage_file(job, stage)
            job_id = job.id
        job = imports.run(database, job_id, keep_source=True)
        outcome.import_seconds = time.perf_counter() - started
        if job.status is not ImportStatus.SUCCEEDED:
            raise SyncError(_("Importing the partner's objects failed: %(message)s")
                            % {"message": job.message})
        _apply_trust(database, peer_id, job_id)
        return count, job.objects_stored + job.objects_new_versions, last
    finally:
        stage.unlink(missing_ok=True)


def _apply_trust(database: Database, peer_id: uuid.UUID, import_id: uuid.UUID) -> None:
    """The source's trust becomes the confidence of its objects that state none."""
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is None or peer.trust is None:
            return
        session.execute(update(StixObject).where(
            StixObject.import_id == import_id, StixObject.confidence.is_(None))
            .values(confidence=peer.trust))


# ------------------------------------------------------------------ push

def _outgoing(database: Database, peer_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None
              ) -> tuple[list[bytes], dict[str, str], tuple[datetime, uuid.UUID] | None]:
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        assert peer is not None
        rule = peers.rule(session, peer)
        from cyberhub import access

        where = [access.may_leave_to(StixObject, rule)]
        if after is not None:
            at, rid = after
            where.append(or_(StixObject.updated_at > at,
                             and_(StixObject.updated_at == at, StixObject.id > rid)))
        rows = session.execute(
            select(StixObject.id, StixObject.stix_id, StixObject.updated_at, StixObject.tlp,
                   StixObject.data, StixObject.origin_hub)
            .where(*where).order_by(StixObject.updated_at, StixObject.id).limit(PAGE)).all()
    if not rows:
        return [], {}, after
    return ([export.with_hub_marking(r.data, r.tlp) for r in rows],
            {r.stix_id: r.origin_hub for r in rows if r.origin_hub},
            (rows[-1].updated_at, rows[-1].id))


def _push(database: Database, peer_id: uuid.UUID, client: _Client,
          after: tuple[datetime, uuid.UUID] | None, progress: Progress | None) -> int:
    sent = 0
    while True:
        objects, stated, position = _outgoing(database, peer_id, after)
        if not objects:
            return sent
        body = (b'{"' + origins.PROPERTY.encode() + b'":' + orjson.dumps(stated) + b","
                if stated else b"{") + b'"objects":[' + b",".join(objects) + b"]}"
        wire.record("push", f"partner:{client.peer_name}", body)
        response = client.request("POST", client.collection + "objects/", content=body,
                                  headers={"Content-Type": TAXII})
        status = client.json(response, "the objects sent")
        _wait(client, status)
        sent += len(objects)
        after = position
        with database.transaction() as session:
            peer = session.get(Peer, peer_id)
            assert peer is not None and position is not None
            peer.push_cursor, peer.push_cursor_id = position
            peer.objects_pushed += len(objects)
            peer.syncing_since = utcnow()
        if progress:
            progress("push", sent)


def _wait(client: _Client, status: dict[str, Any]) -> None:
    deadline = time.monotonic() + STATUS_WAIT_SECONDS
    delay = 0.2
    while status.get("status") != "complete":
        if time.monotonic() > deadline:
            raise SyncError(_("The partner did not finish processing the objects sent."))
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
        status_id = status.get("id")
        if not isinstance(status_id, str) or not _STATUS_ID.match(status_id):
            raise SyncError(_("The partner's status resource has no usable id."))
        response = client.request("GET", f"{client.api_root}status/{status_id}/")
        status = client.json(response, "the status request")
    if status.get("failure_count"):
        log.warning("partner %s refused %s objects", client.peer_name,
                    status.get("failure_count"))


# ------------------------------------------------------------------ a run

def _staging() -> Path:
    path = get_settings().var_dir / "sync"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _heartbeat(database: Database, peer_id: uuid.UUID) -> None:
    """The run is alive: keep its lease (see ``Settings.sync_lease_seconds``)."""
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is not None:
            peer.syncing_since = utcnow()


def claim(database: Database, peer_id: uuid.UUID, *, force: bool = False) -> bool:
    """Mark the partner as syncing unless a live run holds it (or it is not due)."""
    now = utcnow()
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return False
        lease = timedelta(seconds=get_settings().sync_lease_seconds)
        if peer.syncing_since is not None and now - peer.syncing_since < lease:
            return False
        if not force and (not peer.enabled or peer.next_sync_at > now):
            return False
        peer.syncing_since = now
        return True


def claim_due(database: Database) -> list[uuid.UUID]:
    with database.transaction() as session:
        due = list(session.scalars(select(Peer.id).where(
            Peer.enabled.is_(True), Peer.next_sync_at <= utcnow())))
    return [p for p in due if claim(database, p)]


def run_claimed(database: Database, peer_id: uuid.UUID,
                progress: Progress | None = None) -> Outcome:
    """Pull and/or push once for a claimed partner, then record how it went."""
    outcome = Outcome()
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return outcome
        client = _Client(peer)
        pulls, pushes, cursor = peer.pulls, peer.pushes, peer.pull_cursor
        after = ((peer.push_cursor, peer.push_cursor_id)
                 if peer.push_cursor and peer.push_cursor_id else None)
    new_cursor = cursor
    try:
        if pulls:
            outcome.pulled, outcome.stored, new_cursor = _pull(
                database, peer_id, client, cursor, progress, outcome)
        if pushes:
            outcome.pushed = _push(database, peer_id, client, after, progress)
    except SyncError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # an unexpected answer must not kill the worker
        log.exception("sync with partner %s crashed", peer_id)
        outcome.error = _("The sync failed unexpectedly (%(kind)s); the operators can find "
                          "the cause in the hub's log.") % {"kind": type(exc).__name__}
    finally:
        client.close()
    _finish(database, peer_id, outcome, new_cursor)
    if outcome.error is None:
        _refresh_matching(database, peer_id)
    return outcome


def _refresh_matching(database: Database, peer_id: uuid.UUID) -> None:
    """Keep the digests offered to the partner no older than an hour."""
    from cyberhub.federation import matching

    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        due = peer is not None and bool(peer.match_key) and (
            peer.match_indexed_at is None
            or utcnow() - peer.match_indexed_at > timedelta(hours=1))
    if due:
        matching.rebuild_index(database, peer_id)


def _finish(database: Database, peer_id: uuid.UUID, outcome: Outcome,
            cursor: str | None) -> None:
    now = utcnow()
    with database.transaction() as session:
        peer = session.get(Peer, peer_id)
        if peer is None:
            return
        peer.syncing_since = None
        if outcome.error is None:
            peer.pull_cursor = cursor
            peer.objects_pulled += outcome.stored
            peer.last_success_at = now
            peer.last_error = None
            peer.failures = 0
            peer.next_sync_at = now + timedelta(minutes=peer.interval_minutes)
        else:
            peer.failures += 1
            peer.last_error = outcome.error[:2000]
            backoff = min(2 ** (peer.failures - 1), peer.interval_minutes)
            peer.next_sync_at = now + timedelta(minutes=backoff)
        audit.record(session, system_viewer("sync").actor, "peer.sync", target_type="peers",
                     target_id=peer.id, details={
                         "name": peer.name, "pulled": outcome.pulled, "stored": outcome.stored,
                         "pushed": outcome.pushed, "error": outcome.error})


def sync_now(database: Database, peer_id: uuid.UUID,
             progress: Progress | None = None) -> Outcome:
    """Claim and run at once (the command line, the page's button)."""
    if not claim(database, peer_id, force=True):
        return Outcome(error=_("A sync with this partner is already running."))
    return run_claimed(database, peer_id, progress)
