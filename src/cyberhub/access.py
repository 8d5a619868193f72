"""Who may see what: the only place visibility is decided.

Every read path (REST, web pages, search, exports, correlation hits, notifications,
federation) loads and lists shareable records through :func:`visible`,
:func:`select_visible` and :func:`load`. The rules are FIRST TLP 2.0 applied to a hub:

============  =====================================================================
CLEAR         everyone with access to the hub (anonymous visitors too, if public
              pages are enabled)
GREEN         every active member of the hub's community
AMBER         the audience: named organisations (all their users), named users, and
              groups (their member organisations' users and their member users)
AMBER+STRICT  the named organisations only: audience organisations and the member
              organisations of audience groups; named users do not widen it
RED           the named individual users only: audience users and the member users
              of audience groups, plus the user who created the record
============  =====================================================================

The owning organisation always sees its records, except RED ones, which belong to
the person who wrote them and the people they named. Hub administrators moderate the
hub and may read AMBER records, but never another organisation's RED or
AMBER+STRICT ones. A record that is not visible is indistinguishable from one that
does not exist: :func:`load` raises :class:`NotFound` for both.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    inspect,
    literal_column,
    not_,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Session

from cyberhub import audit
from cyberhub.community.models import GroupMember, Role, User
from cyberhub.errors import NotFound
from cyberhub.sharing import TLP, AudienceEntry, Shareable

T = TypeVar("T", bound=Shareable)


@dataclass(frozen=True)
class Viewer:
    """Who is looking. ``user_id`` is None for an anonymous visitor."""

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    role: Role | None
    label: str = "anonymous"
    ip: str | None = None
    # Groups in which the viewer's organisation is a member.
    org_group_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    # Groups in which the viewer is a member by name.
    user_group_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    # The hub operator at the command line: administers, reads nothing shared.
    is_system: bool = False
    # Enrolled in two-factor sign-in (then every session of theirs passed it).
    has_second_factor: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    @property
    def is_hub_admin(self) -> bool:
        return self.role is Role.HUB_ADMIN

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.user_id, self.org_id, self.label, self.ip)


ANONYMOUS = Viewer(None, None, None)


def system_viewer(label: str = "operator (command line)") -> Viewer:
    return Viewer(None, None, Role.HUB_ADMIN, label=label, is_system=True)


def viewer_for(session: Session, user: User, ip: str | None = None) -> Viewer:
    """Build the viewer for an active user, with the groups they belong to."""
    if not user.is_active:
        return ANONYMOUS
    rows = session.execute(
        select(GroupMember.group_id, GroupMember.org_id, GroupMember.user_id).where(
            or_(GroupMember.org_id == user.org_id, GroupMember.user_id == user.id))
    ).all()
    org_groups = frozenset(r.group_id for r in rows if r.org_id == user.org_id)
    user_groups = frozenset(r.group_id for r in rows if r.user_id == user.id)
    return Viewer(
        user_id=user.id, org_id=user.org_id, role=user.role,
        label=f"{user.email} ({user.organisation.name})", ip=ip,
        org_group_ids=org_groups, user_group_ids=user_groups,
        has_second_factor=user.has_second_factor,
    )


def _audience_has(model: type[Shareable], *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    if not conditions:
        return false()
    return exists().where(AudienceEntry.record_id == model.id, or_(*conditions))


def _group_in(ids: frozenset[uuid.UUID]) -> list[ColumnElement[bool]]:
    return [AudienceEntry.group_id.in_(sorted(ids))] if ids else []


def _owner_only_while(model: type[Shareable]) -> ColumnElement[bool] | None:
    """The condition under which a row of ``model`` is private to its owning organisation
    (a draft insight), if the type declares one as ``owner_only_while()``."""
    condition = getattr(model, "owner_only_while", None)
    return condition() if callable(condition) else None


def visible(model: type[Shareable], viewer: Viewer) -> ColumnElement[bool]:
    """SQL predicate: the rows of ``model`` that ``viewer`` may see.

    A type whose rows can be unpublished (``owner_only_while()``) shows those rows only
    to its owning organisation's users, and still only under their marking."""
    if isinstance(model, type):
        # Building the predicate costs about a millisecond, several times per page; it
        # depends on the model and on who the viewer is, never on the request.
        return _visible_to(model, _rule_key(viewer))
    return _visible(model, viewer)  # an alias of a model, made for one query


def _rule_key(viewer: Viewer) -> Viewer:
    """The viewer with only what the rules read: who they are, their role and groups."""
    if viewer.label == "" and viewer.ip is None and not viewer.has_second_factor:
        return viewer
    return replace(viewer, label="", ip=None, has_second_factor=False)


# Expressions are immutable: one built predicate serves every statement of that viewer.
# Bounded: a process serves a few hundred viewers at once, each reading a few models.
_PREDICATES: dict[tuple[type[Shareable], Viewer], ColumnElement[bool]] = {}
_PREDICATES_KEPT = 2048


def _visible_to(model: type[Shareable], viewer: Viewer) -> ColumnElement[bool]:
    key = (model, viewer)
    found = _PREDICATES.get(key)
    if found is None:
        if len(_PREDICATES) >= _PREDICATES_KEPT:
            _PREDICATES.clear()
        found = _PREDICATES[key] = _visible(model, viewer)
    return found


def _visible(model: type[Shareable], viewer: Viewer) -> ColumnElement[bool]:
    marking = _marking_visible(model, viewer)
    draft = _owner_only_while(model)
    if draft is None:
        return marking
    return and_(marking, or_(not_(draft), org_private(model.owner_org_id, viewer)))


def _marking_visible(model: type[Shareable], viewer: Viewer) -> ColumnElement[bool]:
    if viewer.user_id is None or viewer.org_id is None:
        # Anonymous visitors, and the operator's CLI, which administers but never reads.
        return model.tlp == TLP.CLEAR
    amber_audience = _audience_has(
        model,
        AudienceEntry.org_id == viewer.org_id,
        AudienceEntry.user_id == viewer.user_id,
        *_group_in(viewer.org_group_ids | viewer.user_group_ids),
    )
    strict_audience = _audience_has(
        model, AudienceEntry.org_id == viewer.org_id, *_group_in(viewer.org_group_ids))
    red_audience = _audience_has(
        model, AudienceEntry.user_id == viewer.user_id, *_group_in(viewer.user_group_ids))
    return or_(
        model.tlp.in_([TLP.CLEAR, TLP.GREEN]),
        and_(model.owner_org_id == viewer.org_id, model.tlp != TLP.RED),
        and_(model.tlp == TLP.AMBER, true() if viewer.is_hub_admin else amber_audience),
        and_(model.tlp == TLP.AMBER_STRICT, strict_audience),
        and_(model.tlp == TLP.RED, or_(model.created_by_id == viewer.user_id, red_audience)),
    )


def uniform_markings(model: type[Shareable], viewer: Viewer) -> tuple[TLP, ...]:
    """The markings under which every row of ``model`` is visible to this viewer and to
    every other viewer of the same kind: CLEAR for anonymous visitors and the operator's
    command line; CLEAR and GREEN for any member. Figures over those rows can be computed
    once for all such viewers (the landscape's roll-up); :func:`visible_beyond_uniform`
    gives the rest of what this viewer sees. None for types with unpublished rows."""
    if _owner_only_while(model) is not None:
        return ()
    if viewer.user_id is None or viewer.org_id is None:
        return (TLP.CLEAR,)
    return (TLP.CLEAR, TLP.GREEN)


def restricted(model: Any) -> ColumnElement[bool]:
    """``tlp NOT IN ('CLEAR', 'GREEN')`` written with literals, the very predicate of the
    partial indexes on restricted rows, so that both engines' planners can use them."""
    clause: ColumnElement[bool] = model.tlp.not_in(
        [literal_column("'CLEAR'"), literal_column("'GREEN'")])
    return clause


def visible_beyond_uniform(model: Any, viewer: Viewer) -> ColumnElement[bool]:
    """SQL predicate: the rows this viewer sees under markings other than
    :func:`uniform_markings` — what its organisation owns, what names it or its groups in
    the audience, its own RED, and (for hub administrators) AMBER.

    The candidates are found through indexes (audience entries by recipient, restricted
    rows by owner or author) and then held to :func:`visible`, so the predicate stays
    fast on a hub of millions of shared rows with few restricted ones."""
    base = _entity(model)  # the mapped class, also when ``model`` is an alias of it
    uniform = uniform_markings(base, viewer)
    if viewer.user_id is None or viewer.org_id is None:
        return false() if uniform else visible(model, viewer)
    outside = model.tlp.not_in(list(uniform)) if uniform else true()
    return and_(outside, model.id.in_(union(*_candidates(base, viewer, None))),
                visible(model, viewer))


def _candidates(base: type[Shareable], viewer: Viewer, scope: Scope | None) -> list[Any]:
    """Index-found ids of the rows a viewer may see outside the members' markings (or
    outside an organisation's ``scope``), before the rule holds them to :func:`visible`."""
    table = base.__table__  # type: ignore[attr-defined]
    if viewer.user_id is None or viewer.org_id is None:
        return []
    found = [
        # The literal is the partial index's own predicate (ix_stix_objects_red_author).
        select(table.c.id).where(table.c.tlp == literal_column("'RED'"),
                                 table.c.created_by_id == viewer.user_id),
        select(AudienceEntry.record_id).where(AudienceEntry.user_id == viewer.user_id),
    ]
    groups = viewer.user_group_ids
    if scope is None:  # the organisation's own and what names it are outside too
        found += [select(table.c.id).where(restricted(table.c),
                                           table.c.owner_org_id == viewer.org_id),
                  select(AudienceEntry.record_id).where(AudienceEntry.org_id == viewer.org_id)]
        groups = groups | viewer.org_group_ids
    if groups:
        found.append(select(AudienceEntry.record_id).where(
            AudienceEntry.group_id.in_(sorted(groups))))
    if viewer.is_hub_admin:
        found.append(select(table.c.id).where(restricted(table.c), table.c.tlp == TLP.AMBER))
    return found


def beyond_candidates(session: Session, model: type[Shareable], viewer: Viewer, scope: Scope,
                      limit: int) -> int:
    """How many rows (up to ``limit``) the index finds as candidates for what the viewer
    sees outside ``scope``, before the rule: none means nothing outside it at all; many
    means counting whole is cheaper than adding to a roll-up."""
    if scope.org_id is not None and viewer.org_id != scope.org_id:
        return 0
    found = _candidates(_entity(model), viewer, scope if scope.org_id is not None else None)
    if not found:
        return 0
    ids = union(*found).subquery()
    return session.scalar(select(func.count()).select_from(
        select(ids.c[0]).limit(limit).subquery())) or 0


def beyond_uniform_at_least(session: Session, model: type[Shareable], viewer: Viewer,
                            count: int) -> bool:
    """Whether the viewer may be shown at least ``count`` rows of ``model`` beyond
    :func:`uniform_markings` (counted on the index-found candidates, before the rule):
    for choosing between figures rolled up plus the rest, and figures computed whole."""
    if viewer.user_id is None or viewer.org_id is None:
        return False
    candidates = select(model.id).where(visible_beyond_uniform(model, viewer)).limit(count)
    return (session.scalar(select(func.count()).select_from(candidates.subquery())) or 0) >= count


@dataclass(frozen=True)
class Scope:
    """Rows that every viewer of one kind sees alike, for figures made ahead of time.

    The members' scope is the uniform markings (CLEAR and GREEN). An organisation's scope
    adds what every analyst of that organisation sees: its own records but RED, and AMBER
    or AMBER+STRICT records whose audience names it or a group it belongs to. ``key``
    names the scope in stored figures; an organisation's key changes with its groups."""

    key: str
    markings: tuple[TLP, ...]
    org_id: uuid.UUID | None = None
    group_ids: frozenset[uuid.UUID] = frozenset()

    def rows(self, model: Any) -> ColumnElement[bool]:
        """SQL predicate: the rows of ``model`` in this scope."""
        uniform: ColumnElement[bool] = model.tlp.in_(self.markings)
        if self.org_id is None:
            return uniform
        return or_(uniform,
                   and_(model.owner_org_id == self.org_id, model.tlp != TLP.RED),
                   and_(model.tlp.in_([TLP.AMBER, TLP.AMBER_STRICT]),
                        _audience_has(model, AudienceEntry.org_id == self.org_id,
                                      *_group_in(self.group_ids))))


def members_scope(markings: tuple[TLP, ...]) -> Scope:
    return Scope(",".join(m.value for m in markings), markings)


def organisation_scope(org_id: uuid.UUID, group_ids: frozenset[uuid.UUID]) -> Scope:
    """An organisation's scope (40 characters of key: its id and a digest of its groups)."""
    digest = hashlib.sha256(",".join(sorted(str(g) for g in group_ids)).encode()).hexdigest()
    return Scope(f"o{org_id.hex}{digest[:7]}", (TLP.CLEAR, TLP.GREEN), org_id, group_ids)


def scopes_of(model: type[Shareable], viewer: Viewer) -> list[Scope]:
    """The scopes whose figures this viewer's may be built on, the narrowest rest first:
    its organisation's, then the members'. None for types with unpublished rows."""
    markings = uniform_markings(model, viewer)
    if not markings:
        return []
    found = [members_scope(markings)]
    if viewer.user_id is not None and viewer.org_id is not None:
        found.insert(0, organisation_scope(viewer.org_id, viewer.org_group_ids))
    return found


def visible_beyond(model: Any, viewer: Viewer, scope: Scope) -> ColumnElement[bool]:
    """SQL predicate: the rows this viewer sees outside ``scope`` — for an organisation's
    scope, what names the viewer or its own groups in the audience, its own RED, and (for
    hub administrators) AMBER; found through indexes, then held to :func:`visible`."""
    if scope.org_id is None:
        return visible_beyond_uniform(model, viewer)
    if viewer.user_id is None or viewer.org_id != scope.org_id:
        return false()
    return and_(model.id.in_(union(*_candidates(_entity(model), viewer, scope))),
                visible(model, viewer), not_(scope.rows(model)))


def beyond_at_least(session: Session, model: type[Shareable], viewer: Viewer, scope: Scope,
                    count: int) -> bool:
    """Whether the viewer sees at least ``count`` rows of ``model`` outside ``scope``."""
    if scope.org_id is None:
        return beyond_uniform_at_least(session, model, viewer, count)
    rows = select(model.id).where(visible_beyond(model, viewer, scope)).limit(count)
    return (session.scalar(select(func.count()).select_from(rows.subquery())) or 0) >= count


def _entity(model: Any) -> type[Shareable]:
    return inspect(model).mapper.class_  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Partner:
    """A partner hub, as the organisation that stands for it here (``federation.Peer``)."""

    org_id: uuid.UUID
    share_green: bool = False
    # Groups the partner's organisation belongs to (an AMBER audience may name them).
    group_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


def may_leave_to(model: type[Shareable], partner: Partner) -> ColumnElement[bool]:
    """SQL predicate: the rows of ``model`` that may travel to a partner hub.

    CLEAR always; GREEN when the partner's community is trusted for GREEN; AMBER when its
    audience names the partner (its organisation, or a group it belongs to);
    AMBER+STRICT and RED never. What the partner itself sent is never sent back."""
    named = _audience_has(model, AudienceEntry.org_id == partner.org_id,
                          *_group_in(partner.group_ids))
    draft = _owner_only_while(model)  # an unpublished record never leaves
    return and_(model.owner_org_id != partner.org_id,
                not_(draft) if draft is not None else true(), or_(
        model.tlp == TLP.CLEAR,
        and_(model.tlp == TLP.GREEN, true() if partner.share_green else false()),
        and_(model.tlp == TLP.AMBER, named)))


def select_visible(model: type[T], viewer: Viewer) -> Select[T]:
    return select(model).where(visible(model, viewer))


def load(session: Session, model: type[T], record_id: uuid.UUID | str, viewer: Viewer,
         *, purpose: str = "read") -> T:
    """Load one record the viewer may see, or raise NotFound. Sensitive reads are audited."""
    try:
        rid = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id))
    except ValueError:
        raise NotFound() from None
    record = session.scalars(
        select(model).where(model.id == rid, visible(model, viewer))).one_or_none()
    if record is None:
        raise NotFound()
    if record.tlp.is_sensitive:
        audit.record(session, viewer.actor, f"record.{purpose}",
                     target_type=model.__tablename__, target_id=record.id,  # type: ignore[attr-defined]
                     details={"tlp": record.tlp.value})
    elif record.tlp is TLP.AMBER and viewer.is_hub_admin and not _sees_as_member(
            session, model, record.id, viewer):
        # A moderator reading AMBER that was not shared with them leaves a trace.
        audit.record(session, viewer.actor, f"record.moderation_{purpose}",
                     target_type=model.__tablename__, target_id=record.id,  # type: ignore[attr-defined]
                     details={"tlp": record.tlp.value})
    return record


def can_see(session: Session, model: type[Shareable], record_id: uuid.UUID,
            viewer: Viewer) -> bool:
    """Whether the viewer may see one record, without reading it (nothing is audited):
    for deciding whom to tell about a record, never for showing it."""
    return session.scalar(
        select(exists().where(model.id == record_id, visible(model, viewer)))) is True


def _sees_as_member(session: Session, model: type[Shareable], record_id: uuid.UUID,
                    viewer: Viewer) -> bool:
    """Would the viewer see the record without their hub-admin role?"""
    as_member = replace(viewer, role=Role.ANALYST)
    return session.scalar(
        select(exists().where(model.id == record_id, visible(model, as_member)))) is True


def audit_listing(session: Session, model: type[Shareable], records: Sequence[Shareable],
                  viewer: Viewer) -> None:
    """A listing that shows sensitive records is a read of each of them."""
    sensitive = [str(r.id) for r in records if r.tlp.is_sensitive]
    if sensitive:
        audit.record(session, viewer.actor, "record.list",
                     target_type=model.__tablename__,  # type: ignore[attr-defined]
                     details={"ids": sensitive})


def can_edit(record: Shareable, viewer: Viewer) -> bool:
    """The author, and the admins of the owning organisation, may change a record they see."""
    if viewer.user_id is None or viewer.role is Role.READER:
        return False
    if record.created_by_id == viewer.user_id:
        return True
    return (viewer.role is Role.ORG_ADMIN and record.owner_org_id == viewer.org_id
            and record.tlp is not TLP.RED)


def can_contribute(viewer: Viewer) -> bool:
    return viewer.user_id is not None and viewer.role is not Role.READER


def org_private(org_column: ColumnElement[uuid.UUID] | Any, viewer: Viewer) -> ColumnElement[bool]:
    """SQL predicate for records private to one organisation (not shareable: readiness
    assessments). Only the organisation's own active users see them; hub admins of other
    organisations, anonymous visitors and the operator's command line see none."""
    if viewer.user_id is None or viewer.org_id is None:
        return false()
    return org_column == viewer.org_id


def can_edit_org_private(org_id: uuid.UUID, viewer: Viewer) -> bool:
    """Who may change an organisation's private record: its users other than readers."""
    return can_contribute(viewer) and viewer.org_id == org_id


def audience_of(session: Session, record_id: uuid.UUID) -> list[AudienceEntry]:
    return list(session.scalars(
        select(AudienceEntry).where(AudienceEntry.record_id == record_id)))


def describe_rule(tlp: TLP) -> dict[str, Any]:
    """What a marking means here, for forms and the API."""
    from cyberhub.i18n import _

    return {
        TLP.CLEAR: {"who": _("Everyone with access to the hub"), "leaves_hub": True},
        TLP.GREEN: {"who": _("Every member of the hub's community"), "leaves_hub": True},
        TLP.AMBER: {"who": _("The named organisations, groups and users"),
                    "leaves_hub": True},
        TLP.AMBER_STRICT: {"who": _("The named organisations only"), "leaves_hub": False},
        TLP.RED: {"who": _("The named individual users only"), "leaves_hub": False},
    }[tlp]
