"""Partner hubs: registering them (hub admins), and what the sharing rules make of them.

A partner is represented here by one organisation (``Peer.org_id``): the partner's own
client signs in as a user of it, and what this hub pulls from the partner is stored as
its records. Credentials for the partner's server are kept encrypted
(:func:`cyberhub.community.security.encrypt_secret`).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_tlp
from cyberhub.community import security
from cyberhub.community.models import GroupMember, Organisation, User
from cyberhub.community.service import find_organisation, find_user, require_hub_admin
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.federation.models import Peer, PeerDirection
from cyberhub.i18n import _, ngettext

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
_COLLECTION_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?/collections/[^/\s]+/$")
MIN_INTERVAL, MAX_INTERVAL = 1, 7 * 24 * 60


def _interval_text() -> str:
    return ngettext("Sync every %(min)d to %(max)d minute.",
                    "Sync every %(min)d to %(max)d minutes.", MAX_INTERVAL) % {
                        "min": MIN_INTERVAL, "max": MAX_INTERVAL}


def partner_for(session: Session, org_id: uuid.UUID | None) -> Peer | None:
    """The partner hub that ``org_id`` stands for, if it stands for one."""
    if org_id is None:
        return None
    return session.scalar(select(Peer).where(Peer.org_id == org_id))


def rule(session: Session, peer: Peer) -> access.Partner:
    groups = frozenset(session.scalars(select(GroupMember.group_id).where(
        GroupMember.org_id == peer.org_id)))
    return access.Partner(peer.org_id, peer.share_green, groups)


def list_peers(session: Session, viewer: Viewer) -> list[Peer]:
    require_hub_admin(viewer)
    return list(session.scalars(select(Peer).order_by(Peer.name)))


def get_peer(session: Session, viewer: Viewer, ref: str) -> Peer:
    require_hub_admin(viewer)
    try:
        found = session.get(Peer, uuid.UUID(ref))
    except ValueError:
        found = session.scalar(select(Peer).where(Peer.name == ref.strip()))
    if found is None:
        raise NotFound(_("No partner hub %(ref)r.") % {"ref": ref[:100]})
    return found


@dataclass(frozen=True)
class PeerSpec:
    name: str
    url: str
    org: str  # the local organisation standing for the partner (name or id)
    run_as: str  # e-mail of a user of that organisation
    remote_user: str = ""
    secret: str = ""
    direction: str = "pull"
    share_green: bool = False
    tlp: str = "AMBER"
    audience: tuple[str, ...] = ()  # organisations here that receive its AMBER (names)
    interval_minutes: int = 15
    match_key: str = ""
    match_key_id: str = ""
    contact: str = ""  # the partner's point of contact, named when a value matches
    trust: int | None = None  # confidence (0-100) for its objects that state none


def _org(session: Session, ref: str, field: str) -> Organisation:
    found: Organisation | None = None
    try:
        found = session.get(Organisation, uuid.UUID(ref))
    except ValueError:
        found = find_organisation(session, ref)
    if found is None:
        raise InvalidInput(_("No organisation %(ref)r.") % {"ref": ref[:100]},
                           details={"field": field})
    return found


def _check_transport(url: str) -> None:
    """A partner's token and what the hub shares travel to its URL: over TLS, except to
    this machine (tests, a tunnel's local end) — ASVS V9.2.2, V9.2.3."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = (parts.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InvalidInput(_("A partner hub is reached over https://: its token and what we "
                             "share must not cross the network in clear (http:// is accepted "
                             "for this machine only)."), details={"field": "url"})


def add_peer(session: Session, viewer: Viewer, spec: PeerSpec) -> Peer:
    require_hub_admin(viewer)
    name = spec.name.strip()
    if not _NAME.match(name):
        raise InvalidInput(_("A partner's name is 1–100 letters, digits, spaces, '.', '_' or "
                             "'-'."), details={"field": "name"})
    if session.scalar(select(Peer.id).where(Peer.name == name)) is not None:
        raise InvalidInput(_("A partner named %(name)r exists.") % {"name": name},
                           details={"field": "name"})
    url = spec.url.strip()
    if not url.endswith("/"):
        url += "/"
    if not _COLLECTION_URL.match(url) or len(url) > 2000:
        raise InvalidInput(_("Give the partner's TAXII collection address, such as "
                             "https://hub.example/taxii2/hub/collections/<id>/."),
                           details={"field": "url"})
    _check_transport(url)
    try:
        direction = PeerDirection(spec.direction)
    except ValueError:
        raise InvalidInput(_("Direction is pull, push or both."),
                           details={"field": "direction"}) from None
    org = _org(session, spec.org, "org")
    if partner_for(session, org.id) is not None:
        raise InvalidInput(_("%(org)s already stands for another partner hub.")
                           % {"org": org.name}, details={"field": "org"})
    user = find_user(session, spec.run_as)
    if user is None or user.org_id != org.id or not user.is_active:
        raise InvalidInput(_("The partner's imports run as an active user of %(org)s; "
                             "%(email)s is not one.") % {"org": org.name,
                                                         "email": spec.run_as},
                           details={"field": "run_as"})
    if not MIN_INTERVAL <= spec.interval_minutes <= MAX_INTERVAL:
        raise InvalidInput(_interval_text(),
                           details={"field": "interval_minutes"})
    if spec.match_key and (len(spec.match_key) < 32 or not spec.match_key_id.strip()):
        raise InvalidInput(_("A matching key is at least 32 characters and has an id both "
                             "hubs use for it."), details={"field": "match_key"})
    if spec.trust is not None and not 0 <= spec.trust <= 100:
        raise InvalidInput(_("Trust is a confidence from 0 to 100."),
                           details={"field": "trust"})
    tlp = clean_tlp(spec.tlp)
    audience = Audience(org_ids=[_org(session, a, "audience").id for a in spec.audience])
    if not audience.empty:
        audience = check_audience(session, tlp if tlp.value != "GREEN" else clean_tlp("AMBER"),
                                  audience)
    peer = Peer(
        name=name, url=url, remote_user=spec.remote_user.strip(),
        secret=security.encrypt_secret(spec.secret) if spec.secret else "",
        direction=direction, org_id=org.id, run_as_id=user.id,
        share_green=spec.share_green, tlp=tlp,
        audience={"org_ids": [str(i) for i in audience.org_ids], "group_ids": [],
                  "user_ids": []},
        match_key=security.encrypt_secret(spec.match_key) if spec.match_key else "",
        match_key_id=spec.match_key_id.strip()[:64], contact=spec.contact.strip()[:320],
        trust=spec.trust,
        interval_minutes=spec.interval_minutes, next_sync_at=utcnow(), failures=0,
        objects_pulled=0, objects_pushed=0)
    session.add(peer)
    session.flush()
    audit.record(session, viewer.actor, "peer.create", target_type="peers", target_id=peer.id,
                 details={"name": name, "url": url, "direction": direction.value,
                          "org": org.name, "share_green": spec.share_green})
    return peer


def update_peer(session: Session, viewer: Viewer, peer: Peer, *, url: str | None = None,
                remote_user: str | None = None, secret: str | None = None,
                direction: str | None = None, share_green: bool | None = None,
                tlp: str | None = None, interval_minutes: int | None = None,
                contact: str | None = None, trust: int | None = None) -> None:
    """Change a partner's settings; its cursors stay (a new URL starts reading afresh)."""
    require_hub_admin(viewer)
    changes: dict[str, object] = {}
    if url is not None:
        clean = url.strip() if url.strip().endswith("/") else url.strip() + "/"
        if not _COLLECTION_URL.match(clean) or len(clean) > 2000:
            raise InvalidInput(_("Give the partner's TAXII collection address, such as "
                                 "https://hub.example/taxii2/hub/collections/<id>/."),
                               details={"field": "url"})
        _check_transport(clean)
        if clean != peer.url:
            peer.url, peer.pull_cursor = clean, None
            changes["url"] = clean
    if direction is not None:
        try:
            peer.direction = PeerDirection(direction)
        except ValueError:
            raise InvalidInput(_("Direction is pull, push or both."),
                               details={"field": "direction"}) from None
        changes["direction"] = direction
    if interval_minutes is not None:
        if not MIN_INTERVAL <= interval_minutes <= MAX_INTERVAL:
            raise InvalidInput(_interval_text(),
                               details={"field": "interval_minutes"})
        peer.interval_minutes = interval_minutes
        changes["interval_minutes"] = interval_minutes
    if trust is not None:
        if not 0 <= trust <= 100:
            raise InvalidInput(_("Trust is a confidence from 0 to 100."),
                               details={"field": "trust"})
        peer.trust = trust
        changes["trust"] = trust
    if tlp is not None:
        peer.tlp = clean_tlp(tlp)
        changes["tlp"] = peer.tlp.value
    if share_green is not None:
        peer.share_green = share_green
        changes["share_green"] = share_green
    if remote_user is not None:
        peer.remote_user = remote_user.strip()
        changes["remote_user"] = peer.remote_user
    if secret is not None:
        peer.secret = security.encrypt_secret(secret) if secret else ""
        changes["credentials"] = "replaced"
    if contact is not None:
        peer.contact = contact.strip()[:320]
        changes["contact"] = peer.contact
    audit.record(session, viewer.actor, "peer.update", target_type="peers", target_id=peer.id,
                 details={"name": peer.name, **changes})


def set_match_key(session: Session, viewer: Viewer, peer: Peer, key: str, key_id: str) -> None:
    """Rotate (or remove, with an empty key) the matching key agreed with the partner;
    the digests under the old key are dropped at once."""
    require_hub_admin(viewer)
    if key and (len(key) < 32 or not key_id.strip()):
        raise InvalidInput(_("A matching key is at least 32 characters and has an id both "
                             "hubs use for it."), details={"field": "match_key"})
    from cyberhub.federation.models import MatchDigest

    session.execute(delete(MatchDigest).where(MatchDigest.peer_id == peer.id))
    peer.match_key = security.encrypt_secret(key) if key else ""
    peer.match_key_id = key_id.strip()[:64] if key else ""
    peer.match_indexed_at = None
    audit.record(session, viewer.actor, "peer.match_key", target_type="peers",
                 target_id=peer.id, details={"name": peer.name, "key_id": peer.match_key_id})


def set_enabled(session: Session, viewer: Viewer, peer: Peer, enabled: bool) -> None:
    require_hub_admin(viewer)
    peer.enabled = enabled
    if enabled:
        peer.next_sync_at = utcnow()
    audit.record(session, viewer.actor, "peer.resume" if enabled else "peer.pause",
                 target_type="peers", target_id=peer.id, details={"name": peer.name})


def remove_peer(session: Session, viewer: Viewer, peer: Peer) -> None:
    require_hub_admin(viewer)
    audit.record(session, viewer.actor, "peer.delete", target_type="peers", target_id=peer.id,
                 details={"name": peer.name})
    session.delete(peer)
    session.flush()


def credentials(peer: Peer) -> tuple[str, str]:
    return peer.remote_user, (security.decrypt_secret(peer.secret) or "") if peer.secret else ""


def run_as(session: Session, peer: Peer) -> Viewer:
    user = session.get(User, peer.run_as_id)
    if user is None or not user.is_active:
        return access.ANONYMOUS
    return access.viewer_for(session, user)
