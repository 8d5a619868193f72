"""MISP feed subscriptions: managing them, and polling them.

Who may: an organisation's admins and analysts manage its feeds; readers may not (403
once the feed is loaded); other organisations' feeds answer 404 like a missing one. The
operator's command line (``system_viewer``) sees every feed. Creating, changing and
deleting a subscription is audited.

A poll goes in three steps, each in its own short transaction, so that the long parts
(the download, the import) hold no lock:

1. **claim** — the feed is due (or polling is forced) and no other poll holds it: its
   status becomes ``polling`` and its next poll is scheduled;
2. **fetch** — what is newer than the cursor is staged under ``var/feeds/``
   (:func:`cyberhub.formats.misp.feeds.fetch`), then imported as ONE ordinary ``misp``
   import job, with the rights of the feed's ``run_as`` user and the feed's default
   markings (status, counts, notices and provenance as for any import; the job's file
   name — and so every stored object's source — is ``misp-feed:<name>``);
3. **finish** — the cursor moves to the newest imported timestamp only if the import
   succeeded; otherwise the last error says why and the next poll tries again.
"""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, clean_pap, clean_tlp
from cyberhub.community.models import Role, User
from cyberhub.config import get_settings
from cyberhub.db import Database, utcnow
from cyberhub.errors import Conflict, HubError, InvalidInput, NotFound, PermissionDenied
from cyberhub.federation.models import FeedStatus, MispFeed
from cyberhub.formats.misp import feeds
from cyberhub.i18n import _, ngettext
from cyberhub.intel import imports
from cyberhub.intel.importer import ImportCounts
from cyberhub.intel.models import ImportStatus

log = logging.getLogger(__name__)

MIN_INTERVAL = 5  # minutes
MAX_INTERVAL = 7 * 24 * 60
# A poll that has held its feed this long is taken to have died with its worker.
STALE_POLL = timedelta(hours=6)
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")


def staging_dir() -> Path:
    path = get_settings().var_dir / "feeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_roots() -> list[Path]:
    return [Path(p.strip()) for p in get_settings().misp_feed_dirs.split(",") if p.strip()]


# ---------------------------------------------------------------- who may


def _require_manager(viewer: Viewer) -> None:
    if viewer.is_system:
        return
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not manage MISP feeds. Ask your organisation's "
                                 "admin for the analyst role."))


def _load(session: Session, viewer: Viewer, feed_id: uuid.UUID | str, *,
          lock: bool = False) -> MispFeed:
    try:
        fid = feed_id if isinstance(feed_id, uuid.UUID) else uuid.UUID(str(feed_id))
    except ValueError:
        raise NotFound() from None
    feed = session.get(MispFeed, fid, with_for_update=lock or None)
    if feed is None or not (viewer.is_system or feed.org_id == viewer.org_id):
        raise NotFound()
    _require_manager(viewer)
    return feed


def may_manage(viewer: Viewer) -> bool:
    return viewer.is_system or access.can_contribute(viewer)


# ---------------------------------------------------------------- reading


def list_feeds(session: Session, viewer: Viewer) -> list[MispFeed]:
    """The viewer's organisation's feeds by name (every feed for the operator)."""
    _require_manager(viewer)
    query = select(MispFeed).order_by(MispFeed.name, MispFeed.id)
    if not viewer.is_system:
        query = query.where(MispFeed.org_id == viewer.org_id)
    return list(session.scalars(query))


def get_feed(session: Session, viewer: Viewer, feed_id: uuid.UUID | str) -> MispFeed:
    return _load(session, viewer, feed_id)


def find_feeds(session: Session, ref: str) -> list[MispFeed]:
    """Feeds called ``ref`` (or with that id), for the operator's command line."""
    try:
        by_id = session.get(MispFeed, uuid.UUID(ref))
    except ValueError:
        by_id = None
    if by_id is not None:
        return [by_id]
    return list(session.scalars(select(MispFeed).where(MispFeed.name == ref.strip())))


# ---------------------------------------------------------------- writing


def _clean_name(session: Session, org_id: uuid.UUID, name: str,
                feed_id: uuid.UUID | None = None) -> str:
    name = " ".join(name.split())
    if not _NAME.match(name):
        raise InvalidInput(_("Give the feed a name of 1 to 100 characters."),
                           details={"field": "name"})
    clash = session.scalar(select(MispFeed.id).where(MispFeed.org_id == org_id,
                                                     MispFeed.name == name))
    if clash is not None and clash != feed_id:
        raise Conflict(_("Your organisation already has a feed called %(name)r; choose "
                         "another name.") % {"name": name}, details={"field": "name"})
    return name


def _clean_url(url: str, *, any_directory: bool) -> str:
    if not url.strip() or len(url) > 2000:
        raise InvalidInput(_("Give the feed's address: an http(s) URL of up to 2,000 "
                             "characters, or a directory."), details={"field": "url"})
    try:
        return feeds.check_location(url, local_roots=None if any_directory else local_roots(),
                                    private_addresses=get_settings().misp_feed_private_addresses,
                                    allow_http=get_settings().misp_feed_allow_http)
    except feeds.FeedError as exc:
        raise InvalidInput(exc.message, details={"field": "url"}) from None


def _clean_interval(minutes: int) -> int:
    if not MIN_INTERVAL <= minutes <= MAX_INTERVAL:
        raise InvalidInput(ngettext("Poll every %(min)d to %(max)d minute.",
                                    "Poll every %(min)d to %(max)d minutes.", MAX_INTERVAL) % {
            "min": MIN_INTERVAL, "max": MAX_INTERVAL}, details={"field": "interval_minutes"})
    return minutes


def _clean_run_as(session: Session, viewer: Viewer, org_id: uuid.UUID,
                  run_as: uuid.UUID | None) -> uuid.UUID:
    if run_as is None or run_as == viewer.user_id:
        if viewer.user_id is None:
            raise InvalidInput(_("Name the user whose rights the feed's imports run with."),
                               details={"field": "run_as"})
        return viewer.user_id
    if not (viewer.is_system or viewer.role in (Role.ORG_ADMIN, Role.HUB_ADMIN)):
        raise PermissionDenied(_("Only your organisation's admins may let a feed import as "
                                 "someone else."), details={"field": "run_as"})
    user = session.get(User, run_as)
    if user is None or user.org_id != org_id or not user.is_active \
            or user.role is Role.READER:
        raise InvalidInput(_("A feed imports as an active admin or analyst of its "
                             "organisation."), details={"field": "run_as"})
    return user.id


def _audience(session: Session, tlp: str, audience: Audience | None) -> dict[str, list[str]]:
    aud = imports.check_import_audience(session, clean_tlp(tlp), audience or Audience())
    return {"org_ids": [str(i) for i in aud.org_ids], "group_ids": [str(i) for i in aud.group_ids],
            "user_ids": [str(i) for i in aud.user_ids]}


def _describe(feed: MispFeed) -> dict[str, object]:
    return {"name": feed.name, "url": feeds.shown_location(feed.url), "tlp": feed.tlp.value,
            "pap": feed.pap.value if feed.pap else None,
            "interval_minutes": feed.interval_minutes, "enabled": feed.enabled,
            "run_as": str(feed.run_as_id)}


def create_feed(session: Session, viewer: Viewer, *, name: str, url: str, tlp: str = "GREEN",
                pap: str | None = None, audience: Audience | None = None,
                interval_minutes: int = 60, enabled: bool = True,
                run_as: uuid.UUID | None = None, any_directory: bool = False) -> MispFeed:
    """Subscribe the viewer's organisation to a feed. ``any_directory``: the operator's
    command line may name any local directory; members only those the settings allow."""
    _require_manager(viewer)
    if viewer.org_id is None:
        raise InvalidInput(_("A feed belongs to an organisation; add it while signed in as one of "
                             "its users."))
    feed = MispFeed(
        org_id=viewer.org_id, name=_clean_name(session, viewer.org_id, name),
        url=_clean_url(url, any_directory=any_directory), tlp=clean_tlp(tlp),
        pap=clean_pap(pap), audience=_audience(session, tlp, audience),
        interval_minutes=_clean_interval(interval_minutes), enabled=enabled,
        run_as_id=_clean_run_as(session, viewer, viewer.org_id, run_as),
        next_poll_at=utcnow(), last_status=FeedStatus.NEW, events_imported=0)
    session.add(feed)
    session.flush()
    audit.record(session, viewer.actor, "misp_feed.create", target_type="misp_feed",
                 target_id=feed.id, details=_describe(feed))
    return feed


def update_feed(session: Session, viewer: Viewer, feed_id: uuid.UUID | str, *,
                name: str | None = None, url: str | None = None, tlp: str | None = None,
                pap: str | None = None, audience: Audience | None = None,
                interval_minutes: int | None = None, enabled: bool | None = None,
                run_as: uuid.UUID | None = None, any_directory: bool = False) -> MispFeed:
    """Change a subscription; None leaves a field as it is (``pap=""`` clears it). A new
    address is a new feed: its cursor starts again. Resuming a paused feed makes it due
    at once."""
    feed = _load(session, viewer, feed_id, lock=True)
    before = _describe(feed)
    if name is not None:
        feed.name = _clean_name(session, feed.org_id, name, feed.id)
    if url is not None:
        new_url = _clean_url(url, any_directory=any_directory)
        if new_url != feed.url:
            feed.url, feed.cursor, feed.next_poll_at = new_url, None, utcnow()
    if tlp is not None:
        feed.tlp = clean_tlp(tlp)
    if pap is not None:  # "" clears the PAP marking
        feed.pap = clean_pap(pap)
    if audience is not None or tlp is not None:
        feed.audience = _audience(session, feed.tlp.value, audience if audience is not None
                                  else _stored_audience(feed))
    if interval_minutes is not None:
        feed.interval_minutes = _clean_interval(interval_minutes)
    if enabled is not None and enabled != feed.enabled:
        feed.enabled = enabled
        if enabled:
            feed.next_poll_at = utcnow()
    if run_as is not None:
        feed.run_as_id = _clean_run_as(session, viewer, feed.org_id, run_as)
    session.flush()
    after = _describe(feed)
    changed = {k: after[k] for k in after if after[k] != before[k]}
    audit.record(session, viewer.actor, "misp_feed.update", target_type="misp_feed",
                 target_id=feed.id, details={"name": feed.name, "changed": changed})
    return feed


def _stored_audience(feed: MispFeed) -> Audience:
    a = feed.audience or {}
    return Audience([uuid.UUID(i) for i in a.get("org_ids", [])],
                    [uuid.UUID(i) for i in a.get("group_ids", [])],
                    [uuid.UUID(i) for i in a.get("user_ids", [])])


def delete_feed(session: Session, viewer: Viewer, feed_id: uuid.UUID | str) -> None:
    """Unsubscribe. What the feed imported stays (it belongs to the organisation)."""
    feed = _load(session, viewer, feed_id, lock=True)
    details = _describe(feed)
    session.delete(feed)
    session.flush()
    audit.record(session, viewer.actor, "misp_feed.delete", target_type="misp_feed",
                 target_id=feed.id, details=details)


# ---------------------------------------------------------------- polling


def _claim(feed: MispFeed, now: datetime, *, force: bool) -> bool:
    """Take the feed for one poll, if it is due (or ``force``) and not being polled."""
    if feed.last_status is FeedStatus.POLLING and feed.last_polled_at is not None \
            and feed.last_polled_at > now - STALE_POLL:
        return False
    if not force and (not feed.enabled or feed.next_poll_at > now):
        return False
    feed.last_status = FeedStatus.POLLING
    feed.last_polled_at = now
    feed.next_poll_at = now + timedelta(minutes=feed.interval_minutes)
    return True


def request_poll(session: Session, viewer: Viewer, feed_id: uuid.UUID | str,
                 now: datetime | None = None) -> MispFeed:
    """"Poll now": claim the feed in the caller's transaction; the caller queues
    :func:`run_claimed` after the commit. A paused feed may be polled by hand."""
    feed = _load(session, viewer, feed_id, lock=True)
    if not _claim(feed, now or utcnow(), force=True):
        raise Conflict(_("The feed is being polled now; wait for this poll to finish."))
    session.flush()
    return feed


def claim_due(database: Database, now: datetime | None = None) -> list[uuid.UUID]:
    """Claim every enabled feed whose next poll is due; the caller runs each claim."""
    now = now or utcnow()
    with database.transaction() as session:
        due = session.scalars(
            select(MispFeed).where(
                MispFeed.enabled.is_(True), MispFeed.next_poll_at <= now,
                or_(MispFeed.last_status != FeedStatus.POLLING,
                    MispFeed.last_polled_at.is_(None),
                    MispFeed.last_polled_at <= now - STALE_POLL))
            .order_by(MispFeed.next_poll_at).with_for_update(skip_locked=True))
        return [feed.id for feed in due if _claim(feed, now, force=False)]


def claim(database: Database, feed_id: uuid.UUID, now: datetime | None = None, *,
          force: bool = True) -> bool:
    with database.transaction() as session:
        feed = session.get(MispFeed, feed_id, with_for_update=True)
        return feed is not None and _claim(feed, now or utcnow(), force=force)


@dataclass(frozen=True)
class PollResult:
    feed_id: uuid.UUID
    name: str
    status: FeedStatus
    events: int = 0  # events imported by this poll
    more: bool = False  # newer events wait for the next poll
    import_id: uuid.UUID | None = None
    error: str | None = None
    cursor: int | None = None


@dataclass(frozen=True)
class _Snapshot:
    id: uuid.UUID
    name: str
    url: str
    cursor: int | None
    run_as_id: uuid.UUID
    tlp: str
    pap: str | None
    audience: Audience


def run_claimed(database: Database, feed_id: uuid.UUID, *,
                on_fetch: Callable[[int, int], None] | None = None,
                on_import: Callable[[ImportCounts], None] | None = None) -> PollResult | None:
    """Fetch and import what is new in a claimed feed, and record the outcome."""
    with database.transaction() as session:
        feed = session.get(MispFeed, feed_id)
        if feed is None or feed.last_status is not FeedStatus.POLLING:
            return None
        snap = _Snapshot(feed.id, feed.name, feed.url, feed.cursor, feed.run_as_id,
                         feed.tlp.value, feed.pap.value if feed.pap else None,
                         _stored_audience(feed))
    stage = Path(tempfile.mkdtemp(prefix=f"{feed_id}-", dir=staging_dir()))
    try:
        return _poll(database, snap, stage, on_fetch, on_import)
    except Exception:
        log.exception("polling MISP feed %s crashed", feed_id)
        return _finish(database, snap, error=_(
            "The poll failed unexpectedly and nothing was stored; it is tried again at the "
            "next interval. The operators can find the cause in the hub's log."))
    finally:
        feeds.clear(stage)


def _poll(database: Database, snap: _Snapshot, stage: Path,
          on_fetch: Callable[[int, int], None] | None,
          on_import: Callable[[ImportCounts], None] | None) -> PollResult:
    try:
        fetched = feeds.fetch(snap.url, stage, since=snap.cursor,
                              limits=feeds.Limits.from_settings(), progress=on_fetch)
    except feeds.FeedError as exc:
        return _finish(database, snap, error=exc.message)
    if not fetched.events:
        return _finish(database, snap)
    try:
        with database.transaction() as session:
            user = session.get(User, snap.run_as_id)
            if user is None or not user.is_active:
                raise PermissionDenied(_("The user this feed imports as is no longer active; "
                                         "an admin must choose another."))
            viewer = access.viewer_for(session, user)
            job = imports.new_import(
                session, viewer, filename=f"misp-feed:{snap.name}", tlp=snap.tlp, pap=snap.pap,
                audience=snap.audience, fmt="misp",
                options={"since": snap.cursor, "feed_id": str(snap.id), "feed": snap.name,
                         "events": len(fetched.events)})
            imports.stage_file(job, stage)
            import_id = job.id
    except HubError as exc:
        return _finish(database, snap, error=exc.message)
    job = imports.run(database, import_id, on_import, keep_source=True)
    if job.status is not ImportStatus.SUCCEEDED:
        return _finish(database, snap, import_id=import_id,
                       error=job.message or _("The import of the feed's new events failed."))
    return _finish(database, snap, import_id=import_id, events=len(fetched.events),
                   cursor=fetched.cursor, more=fetched.more)


def _finish(database: Database, snap: _Snapshot, *, error: str | None = None,
            import_id: uuid.UUID | None = None, events: int = 0, cursor: int | None = None,
            more: bool = False) -> PollResult:
    status = FeedStatus.FAILED if error else FeedStatus.OK
    with database.transaction() as session:
        feed = session.get(MispFeed, snap.id, with_for_update=True)
        if feed is not None:
            feed.last_status = status
            feed.last_error = error[:4000] if error else None
            if import_id is not None:
                feed.last_import_id = import_id
            # The address may have changed during the poll: then the cursor is not its.
            if not error and cursor is not None and feed.url == snap.url:
                feed.cursor = max(feed.cursor or 0, cursor)
                feed.events_imported += events
            if more and feed.enabled:
                feed.next_poll_at = utcnow()  # take the rest at the next tick
            cursor = feed.cursor
    return PollResult(snap.id, snap.name, status, events if not error else 0, more, import_id,
                      error, cursor)


def poll_now(database: Database, feed_id: uuid.UUID, now: datetime | None = None, *,
             force: bool = True, on_fetch: Callable[[int, int], None] | None = None,
             on_import: Callable[[ImportCounts], None] | None = None) -> PollResult | None:
    """Claim and poll one feed in this process (the command line). None: another poll
    holds it (or, without ``force``, it is not due)."""
    if not claim(database, feed_id, now, force=force):
        return None
    return run_claimed(database, feed_id, on_fetch=on_fetch, on_import=on_import)


def fail_interrupted(session: Session) -> int:
    """At worker start: polls left running by a killed worker stored nothing; say so."""
    stuck: Sequence[MispFeed] = list(session.scalars(
        select(MispFeed).where(MispFeed.last_status == FeedStatus.POLLING)))
    for feed in stuck:
        feed.last_status = FeedStatus.FAILED
        feed.last_error = _("The poll was interrupted and nothing was stored; it is tried "
                            "again at the next interval.")
    return len(stuck)
