"""One-time report links: a member lets a victim organisation without an account report
an incident, which becomes the member organisation's record.

The token is 256 random bits; only its SHA-256 is stored. A link expires (14 days by
default) and works once: the first complete submission uses it up. Requests with a link
that is unknown, expired or used are counted per address and throttled like sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.audience import Audience, check_audience, clean_tlp
from cyberhub.community.models import Role
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied, TooManyRequests
from cyberhub.i18n import _, ngettext
from cyberhub.ransomware.incidents import IncidentInput, create_incident
from cyberhub.ransomware.models import Incident, ReportAttempt, ReportLink
from cyberhub.sharing import TLP

__all__ = ["LINK_TLPS", "issue_link", "list_links", "open_link", "submit_report"]

LINK_TLPS = (TLP.AMBER_STRICT, TLP.AMBER)
DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_BAD_ATTEMPTS = 20  # per address and sign-in window


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_link(session: Session, viewer: Viewer, *, tlp: str | TLP = TLP.AMBER_STRICT,
               audience_org_ids: list[uuid.UUID] | None = None,
               days: int = DEFAULT_DAYS) -> tuple[ReportLink, str]:
    """A new link for the viewer's organisation; returns it and its token (shown once)."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not issue report links. Ask your organisation's "
                                 "admin for the analyst role."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    if tlp_ not in LINK_TLPS:
        raise InvalidInput(_("A victim's report is shared as TLP:AMBER+STRICT (the default) or "
                             "TLP:AMBER."), details={"field": "tlp"})
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(_("A link is valid for 1 to %(n)d days.") % {"n": MAX_DAYS},
                           details={"field": "days"})
    aud = check_audience(session, tlp_, Audience(org_ids=list(audience_org_ids or [])))
    token = secrets.token_urlsafe(32)
    link = ReportLink(token_hash=_hash(token), org_id=viewer.org_id,
                      created_by_id=viewer.user_id, tlp=tlp_,
                      audience_org_ids=[str(i) for i in aud.org_ids],
                      expires_at=utcnow() + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session, viewer.actor, "report_link.issue",
                 target_type="ransomware_report_links", target_id=link.id,
                 details={"tlp": tlp_.value, "days": days})
    return link, token


def list_links(session: Session, viewer: Viewer) -> list[ReportLink]:
    """The links the viewer's organisation issued, newest first."""
    if viewer.org_id is None:
        return []
    return list(session.scalars(select(ReportLink).where(ReportLink.org_id == viewer.org_id)
                                .order_by(ReportLink.created_at.desc()).limit(200)))


def _throttle(session: Session, ip: str | None) -> None:
    s = get_settings()
    since = utcnow() - timedelta(minutes=s.signin_window_minutes)
    bad = session.scalar(select(func.count()).select_from(ReportAttempt).where(
        ReportAttempt.ip == ip, ReportAttempt.at >= since)) or 0
    if bad >= MAX_BAD_ATTEMPTS:
        raise TooManyRequests(
            ngettext("Too many unknown or used report links. Wait %(n)d minute and try again.",
                     "Too many unknown or used report links. Wait %(n)d minutes and try again.",
                     s.signin_window_minutes)
            % {"n": s.signin_window_minutes}, retry_after=s.signin_window_minutes * 60)


def open_link(session: Session, token: str, *, ip: str | None) -> ReportLink:
    """The link for a token that is known, unexpired and unused; otherwise the attempt is
    counted (and kept when the request fails) and the answer is 404."""
    _throttle(session, ip)
    link = None
    if token and len(token) <= 100:
        link = session.scalar(select(ReportLink).where(ReportLink.token_hash == _hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        session.add(ReportAttempt(ip=ip))
        session.flush()
        raise NotFound(_("This report link is unknown, expired or already used. Ask the "
                         "organisation that sent it for a new one."), keep_changes=True)
    return link


def submit_report(session: Session, token: str, raw: IncidentInput, *,
                  ip: str | None) -> Incident:
    """The victim's report: an incident of the issuing organisation, and the link used up."""
    link = open_link(session, token, ip=ip)
    issuer = Viewer(user_id=link.created_by_id, org_id=link.org_id, role=Role.ANALYST,
                    label=f"report link {link.id}", ip=ip)
    actor = audit.Actor(None, link.org_id, f"victim via report link {link.id}", ip)
    incident = create_incident(
        session, issuer, raw, tlp=link.tlp,
        audience=Audience(org_ids=[uuid.UUID(i) for i in link.audience_org_ids]),
        via_link=True, actor=actor)
    used = session.execute(update(ReportLink).where(
        ReportLink.id == link.id, ReportLink.used_at.is_(None)).values(
        used_at=utcnow(), incident_id=incident.id))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(_("This report link is unknown, expired or already used. Ask the "
                         "organisation that sent it for a new one."))
    audit.record(session, actor, "report_link.use", target_type="ransomware_report_links",
                 target_id=link.id, details={"incident": str(incident.id)})
    return incident
