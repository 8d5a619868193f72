"""Intelligence packages: assemble, review, release to law enforcement, acknowledge.

States: ``draft`` → ``in-review`` → ``released`` (then acknowledged per recipient).

- A draft is AMBER+STRICT with no audience: its organisation sees it, nobody else.
- A colleague of the author (same organisation, not a reader, not the author) approves
  it in review, or sends it back to draft. Approval is refused, with the list, while
  any object in it is not *vetted*.
- Release names law-enforcement recipients and a marking: organisations under AMBER
  (the default) or AMBER+STRICT, named users of law-enforcement organisations under
  RED. The marking and audience are written with :mod:`cyberhub.audience`; who sees the
  package from then on is decided by :mod:`cyberhub.access` alone.
- Recipients see what they may see of the package's objects: each object keeps its own
  marking (releasing a package does not widen any object's audience).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, markdown
from cyberhub.access import Viewer
from cyberhub.audience import Audience, audience_of, check_audience, clean_tlp, write_audience
from cyberhub.community.models import Organisation, OrgKind, User
from cyberhub.community.validation import clean_text
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.intel import service as intel
from cyberhub.intel.labels import VETTING_LABELS
from cyberhub.intel.models import StixObject, StixRef, Vetting
from cyberhub.packages.models import IntelPackage, PackageAck, PackageObject, PackageStatus
from cyberhub.sharing import TLP, AudienceEntry

MAX_NARRATIVE = 100_000
MAX_OBJECTS = 500
DRAFT_TLP = TLP.AMBER_STRICT
RELEASE_TLPS = (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
BOXES = ("drafts", "review", "received", "released")


# ---------------------------------------------------------------- writing a draft


def _narrative(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n")
    if len(text) > MAX_NARRATIVE:
        raise InvalidInput(_("The narrative must be at most %(n)d characters long.")
                           % {"n": MAX_NARRATIVE}, details={"field": "narrative"})
    return text


def create_package(session: Session, viewer: Viewer, *, title: str, target: str = "",
                   narrative: str = "", is_demo: bool = False) -> IntelPackage:
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not assemble packages. Ask your organisation's "
                                 "admin for the analyst role."))
    assert viewer.org_id is not None and viewer.user_id is not None
    text = _narrative(narrative)
    package = IntelPackage(
        title=clean_text(title, "title", max_len=200),
        target=clean_text(target, "target", max_len=300, min_len=0),
        narrative_markdown=text, narrative_html=markdown.render(text), tlp=DRAFT_TLP,
        owner_org_id=viewer.org_id, created_by_id=viewer.user_id, status=PackageStatus.DRAFT,
        is_demo=is_demo)
    session.add(package)
    session.flush()
    audit.record(session, viewer.actor, "package.create", target_type="intel_packages",
                 target_id=package.id, details={"title": package.title})
    return package


def get_package(session: Session, viewer: Viewer, ref: uuid.UUID | str,
                purpose: str = "read") -> IntelPackage:
    return access.load(session, IntelPackage, ref, viewer, purpose=purpose)


def _draft(session: Session, viewer: Viewer, ref: uuid.UUID | str) -> IntelPackage:
    package = get_package(session, viewer, ref, purpose="edit")
    if not access.can_edit(package, viewer):
        raise PermissionDenied(_("Only the author and the admins of the owning organisation may "
                                 "change this package."))
    if package.status is not PackageStatus.DRAFT:
        raise Conflict(_("Only a draft changes. Ask the reviewer to send it back to draft "
                         "first."), details={"field": "status"})
    return package


def update_package(session: Session, viewer: Viewer, ref: uuid.UUID | str, *,
                   title: str | None = None, target: str | None = None,
                   narrative: str | None = None) -> IntelPackage:
    package = _draft(session, viewer, ref)
    if title is not None:
        package.title = clean_text(title, "title", max_len=200)
    if target is not None:
        package.target = clean_text(target, "target", max_len=300, min_len=0)
    if narrative is not None:
        package.narrative_markdown = _narrative(narrative)
        package.narrative_html = markdown.render(package.narrative_markdown)
    package.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "package.update", target_type="intel_packages",
                 target_id=package.id, details={"title": package.title})
    return package


def add_object(session: Session, viewer: Viewer, ref: uuid.UUID | str,
               object_ref: str) -> StixObject:
    """Add a record the viewer may see (by record id, or STIX id: their own copy first)."""
    package = _draft(session, viewer, ref)
    row = intel.get_object(session, viewer, object_ref.strip())
    assert viewer.user_id is not None
    if session.scalar(select(exists().where(PackageObject.package_id == package.id,
                                            PackageObject.object_id == row.id))):
        return row
    count = session.scalar(select(func.count()).select_from(PackageObject)
                           .where(PackageObject.package_id == package.id)) or 0
    if count >= MAX_OBJECTS:
        raise InvalidInput(_("A package holds at most %(n)d objects.") % {"n": MAX_OBJECTS},
                           details={"field": "object"})
    session.add(PackageObject(package_id=package.id, object_id=row.id,
                              added_by_id=viewer.user_id))
    package.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "package.add_object", target_type="intel_packages",
                 target_id=package.id, details={"object": str(row.id), "stix_id": row.stix_id})
    return row


def remove_object(session: Session, viewer: Viewer, ref: uuid.UUID | str,
                  object_id: uuid.UUID | str) -> None:
    package = _draft(session, viewer, ref)
    try:
        oid = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound() from None
    item = session.scalars(select(PackageObject).where(
        PackageObject.package_id == package.id, PackageObject.object_id == oid)).one_or_none()
    if item is None:
        raise NotFound(_("That object is not in this package."))
    session.delete(item)
    package.updated_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "package.remove_object", target_type="intel_packages",
                 target_id=package.id, details={"object": str(oid)})


# ---------------------------------------------------------------- contents


@dataclass
class Contents:
    objects: list[StixObject]  # the package's records the viewer may see, in order added
    relationships: list[StixObject]  # visible relationships between them
    hidden: int  # records in the package the viewer may not see


def contents(session: Session, viewer: Viewer, package: IntelPackage) -> Contents:
    total = session.scalar(select(func.count()).select_from(PackageObject)
                           .where(PackageObject.package_id == package.id)) or 0
    rows = list(session.scalars(
        select(StixObject).join(PackageObject, PackageObject.object_id == StixObject.id)
        .where(PackageObject.package_id == package.id, access.visible(StixObject, viewer))
        .order_by(PackageObject.added_at, PackageObject.id)))
    access.audit_listing(session, StixObject, rows, viewer)
    return Contents(rows, relationships_among(session, viewer, rows), total - len(rows))


def relationships_among(session: Session, viewer: Viewer,
                        rows: Sequence[StixObject]) -> list[StixObject]:
    """The relationships the viewer may see whose both ends are among ``rows``."""
    ids = sorted({r.stix_id for r in rows})
    if not ids:
        return []
    members = {r.id for r in rows}
    found = list(session.scalars(
        select(StixObject).where(
            StixObject.type == "relationship", access.visible(StixObject, viewer),
            exists().where(StixRef.object_id == StixObject.id,
                           StixRef.kind.startswith("relationship:"),
                           StixRef.source_stix_id.in_(ids), StixRef.target_stix_id.in_(ids)))
        .order_by(StixObject.created_at, StixObject.id).limit(2000)))
    found = [r for r in found if r.id not in members]
    access.audit_listing(session, StixObject, found, viewer)
    return found


def _not_ready(session: Session, viewer: Viewer, package: IntelPackage) -> list[dict[str, Any]]:
    """The package's objects that stop a review or a release: not vetted, or not visible
    to the viewer (who cannot vouch for what they cannot read)."""
    problems: list[dict[str, Any]] = []
    found = contents(session, viewer, package)
    for row in found.objects:
        if row.vetting is not Vetting.VETTED:
            problems.append({"id": str(row.id), "stix_id": row.stix_id,
                             "name": row.name or row.stix_id, "vetting": row.vetting.value})
    if found.hidden:
        problems.append({"id": None, "stix_id": None, "name": None, "vetting": None,
                         "hidden": found.hidden})
    if not found.objects and not found.hidden:
        problems.append({"id": None, "stix_id": None, "name": None, "vetting": None,
                         "empty": True})
    return problems


def _refuse(problems: list[dict[str, Any]], message: str) -> None:
    """Conflict naming what is not ready; ``message`` holds the place ``%(list)s``."""
    if not problems:
        return
    parts = []
    for p in problems:
        if p.get("empty"):
            parts.append(_("the package holds no object"))
        elif p.get("hidden"):
            parts.append(ngettext("%(n)d object you may not see", "%(n)d objects you may not see",
                                  p["hidden"]) % {"n": p["hidden"]})
        else:
            parts.append(_("%(name)s (%(state)s)") % {
                "name": p["name"], "state": VETTING_LABELS[Vetting(p["vetting"])]()})
    raise Conflict(message % {"list": "; ".join(parts)},
                   details={"field": "objects", "not_ready": problems})


# ---------------------------------------------------------------- review and release


def submit(session: Session, viewer: Viewer, ref: uuid.UUID | str) -> IntelPackage:
    package = _draft(session, viewer, ref)
    if not session.scalar(select(exists().where(PackageObject.package_id == package.id))):
        raise InvalidInput(_("Add at least one object before asking for a review."),
                           details={"field": "objects"})
    package.status = PackageStatus.IN_REVIEW
    package.submitted_at = utcnow()
    package.reviewed_by_id = None
    package.reviewed_at = None
    session.flush()
    audit.record(session, viewer.actor, "package.submit", target_type="intel_packages",
                 target_id=package.id)
    return package


def can_review(package: IntelPackage, viewer: Viewer) -> bool:
    return (access.can_contribute(viewer) and viewer.org_id == package.owner_org_id
            and viewer.user_id != package.created_by_id
            and package.status is PackageStatus.IN_REVIEW)


def review(session: Session, viewer: Viewer, ref: uuid.UUID | str, *, approve: bool,
           comment: str = "") -> IntelPackage:
    package = get_package(session, viewer, ref, purpose="edit")
    if package.status is not PackageStatus.IN_REVIEW:
        raise Conflict(_("Only a package in review is reviewed."), details={"field": "status"})
    if not can_review(package, viewer):
        raise PermissionDenied(_("A colleague of the author reviews a package: an analyst or "
                                 "admin of the same organisation, not the author."))
    note = (comment or "").replace("\r\n", "\n").strip()
    if len(note) > 2000:
        raise InvalidInput(_("The comment must be at most %(n)d characters long.") % {"n": 2000},
                           details={"field": "comment"})
    if approve:
        _refuse(_not_ready(session, viewer, package), _(
            "The package cannot be approved: every object in it must be vetted. Not ready: "
            "%(list)s."))
        package.reviewed_by_id = viewer.user_id
        package.reviewed_at = utcnow()
    else:
        package.status = PackageStatus.DRAFT
        package.reviewed_by_id = None
        package.reviewed_at = None
    package.review_comment = note
    session.flush()
    audit.record(session, viewer.actor, "package.review", target_type="intel_packages",
                 target_id=package.id,
                 details={"decision": "approve" if approve else "return"})
    return package


def can_release(package: IntelPackage, viewer: Viewer) -> bool:
    return (access.can_contribute(viewer) and viewer.org_id == package.owner_org_id
            and package.status is PackageStatus.IN_REVIEW and package.reviewed_by_id is not None)


def release(session: Session, viewer: Viewer, ref: uuid.UUID | str, *,
            tlp: str | TLP = TLP.AMBER, org_ids: Sequence[uuid.UUID] = (),
            user_ids: Sequence[uuid.UUID] = ()) -> IntelPackage:
    package = get_package(session, viewer, ref, purpose="edit")
    if package.status is PackageStatus.RELEASED:
        raise Conflict(_("The package is already released."), details={"field": "status"})
    if not (access.can_contribute(viewer) and viewer.org_id == package.owner_org_id):
        raise PermissionDenied(_("Only analysts of the owning organisation release a package."))
    if package.reviewed_by_id is None or package.status is not PackageStatus.IN_REVIEW:
        raise Conflict(_("A colleague must approve the package in review before it is "
                         "released."), details={"field": "status"})
    tlp_ = clean_tlp(tlp)
    if tlp_ not in RELEASE_TLPS:
        raise InvalidInput(_("A package is released as TLP:AMBER, TLP:AMBER+STRICT or TLP:RED."),
                           details={"field": "tlp"})
    orgs, users = sorted(set(org_ids)), sorted(set(user_ids))
    if tlp_ is TLP.RED:
        if orgs:
            raise InvalidInput(_("A RED package goes to named people only: name users of "
                                 "law-enforcement organisations, not organisations."),
                               details={"field": "recipients"})
        for uid in users:
            user = session.get(User, uid)
            if user is None or not user.is_active or \
                    user.organisation.kind is not OrgKind.LAW_ENFORCEMENT:
                raise InvalidInput(_("Packages go to law enforcement only; every recipient "
                                     "must be an active user of a law-enforcement "
                                     "organisation."), details={"field": "recipients"})
    else:
        if users:
            raise InvalidInput(_("An AMBER or AMBER+STRICT package goes to organisations; name "
                                 "law-enforcement organisations."),
                               details={"field": "recipients"})
        for oid in orgs:
            org = session.get(Organisation, oid)
            if org is None or org.kind is not OrgKind.LAW_ENFORCEMENT:
                raise InvalidInput(_("Packages go to law enforcement only; %(name)s is not a "
                                     "law-enforcement organisation.")
                                   % {"name": org.name if org else oid},
                                   details={"field": "recipients"})
            if oid == package.owner_org_id:
                raise InvalidInput(_("Your own organisation already sees the package; name "
                                     "the recipients."), details={"field": "recipients"})
    if not orgs and not users:
        raise InvalidInput(_("Name at least one law-enforcement recipient."),
                           details={"field": "recipients"})
    # Objects may have been disputed since the review.
    _refuse(_not_ready(session, viewer, package), _(
        "The package cannot be released: every object in it must be vetted. Not ready: "
        "%(list)s."))
    aud = check_audience(session, tlp_, Audience(org_ids=orgs, user_ids=users))
    package.tlp = tlp_
    write_audience(session, package.id, aud)
    package.status = PackageStatus.RELEASED
    package.released_by_id = viewer.user_id
    package.released_at = utcnow()
    session.flush()
    audit.record(session, viewer.actor, "package.release", target_type="intel_packages",
                 target_id=package.id, details={
                     "tlp": tlp_.value, "org_ids": [str(o) for o in orgs],
                     "user_ids": [str(u) for u in users]})
    return package


# ---------------------------------------------------------------- recipients


def recipient_key(session: Session, package: IntelPackage, viewer: Viewer) -> str | None:
    """The audience entry the viewer acknowledges for, if they are a recipient."""
    if package.status is not PackageStatus.RELEASED or viewer.user_id is None:
        return None
    aud = audience_of(session, package.id)
    if viewer.org_id in aud.org_ids:
        return f"org:{viewer.org_id}"
    if viewer.user_id in aud.user_ids:
        return f"user:{viewer.user_id}"
    return None


def acknowledge(session: Session, viewer: Viewer, ref: uuid.UUID | str) -> PackageAck:
    package = get_package(session, viewer, ref)
    key = recipient_key(session, package, viewer)
    if key is None:
        raise PermissionDenied(_("Only the recipients of a released package acknowledge "
                                 "receipt."))
    assert viewer.user_id is not None and viewer.org_id is not None
    ack = session.scalars(select(PackageAck).where(
        PackageAck.package_id == package.id, PackageAck.recipient == key)).one_or_none()
    if ack is not None:
        return ack
    ack = PackageAck(package_id=package.id, recipient=key, org_id=viewer.org_id,
                     user_id=viewer.user_id, at=utcnow())
    session.add(ack)
    session.flush()
    audit.record(session, viewer.actor, "package.acknowledge", target_type="intel_packages",
                 target_id=package.id, details={"recipient": key})
    return ack


def acknowledgements(session: Session, package: IntelPackage) -> list[PackageAck]:
    return list(session.scalars(select(PackageAck).where(PackageAck.package_id == package.id)
                                .order_by(PackageAck.at)))


# ---------------------------------------------------------------- lists


def list_packages(session: Session, viewer: Viewer, box: str) -> list[IntelPackage]:
    """One of the boxes: ``drafts`` (mine, not released), ``review`` (my colleagues' in
    review), ``received`` (released to me or my organisation), ``released`` (by my
    organisation) — always within what ``access`` lets the viewer see."""
    if box not in BOXES:
        raise InvalidInput(_("Unknown list %(box)r; use drafts, review, received or released.")
                           % {"box": box}, details={"field": "box"})
    query = access.select_visible(IntelPackage, viewer)
    released = IntelPackage.status == PackageStatus.RELEASED
    if box == "drafts":
        query = query.where(IntelPackage.created_by_id == viewer.user_id, ~released)
    elif box == "review":
        query = query.where(IntelPackage.owner_org_id == viewer.org_id,
                            IntelPackage.status == PackageStatus.IN_REVIEW,
                            IntelPackage.created_by_id != viewer.user_id)
    elif box == "received":
        # Addressed to the viewer: a narrowing of what access allows (a moderator's
        # AMBER reach is not a delivery).
        query = query.where(released, IntelPackage.owner_org_id != viewer.org_id, exists().where(
            AudienceEntry.record_id == IntelPackage.id,
            or_(AudienceEntry.org_id == viewer.org_id, AudienceEntry.user_id == viewer.user_id)))
    else:
        query = query.where(released, IntelPackage.owner_org_id == viewer.org_id)
    rows = list(session.scalars(query.order_by(IntelPackage.updated_at.desc(),
                                               IntelPackage.id).limit(200)))
    access.audit_listing(session, IntelPackage, rows, viewer)
    return rows


def drafts_of(session: Session, viewer: Viewer) -> list[IntelPackage]:
    """The drafts the viewer may add objects to."""
    if not access.can_contribute(viewer):
        return []
    return [p for p in list_packages(session, viewer, "drafts")
            if p.status is PackageStatus.DRAFT and access.can_edit(p, viewer)]
