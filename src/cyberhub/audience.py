"""Audiences and markings of shareable records: parsing, checking and storing them.

Shared by every domain that stores shareable records (notes, the knowledge base, …);
what an audience *means* for visibility is decided in ``access`` alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Group, Organisation, User
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.sharing import PAP, TLP, AudienceEntry


@dataclass
class Audience:
    org_ids: list[uuid.UUID] = field(default_factory=list)
    group_ids: list[uuid.UUID] = field(default_factory=list)
    user_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.org_ids or self.group_ids or self.user_ids)


def clean_tlp(value: str | TLP) -> TLP:
    try:
        return TLP(str(value).upper().removeprefix("TLP:"))
    except ValueError:
        raise InvalidInput(
            _("Unknown TLP marking %(value)r; use CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")
            % {"value": value}, details={"field": "tlp"}) from None


def clean_pap(value: str | PAP | None) -> PAP | None:
    if value is None or value == "":
        return None
    try:
        return PAP(str(value).upper().removeprefix("PAP:"))
    except ValueError:
        raise InvalidInput(_("Unknown PAP marking %(value)r; use CLEAR, GREEN, AMBER or RED.")
                           % {"value": value}, details={"field": "pap"}) from None


def check_audience(session: Session, tlp: TLP, audience: Audience) -> Audience:
    """An audience fits the marking, and names only recipients that exist."""
    audience = Audience(sorted(set(audience.org_ids)), sorted(set(audience.group_ids)),
                        sorted(set(audience.user_ids)))
    if tlp in (TLP.CLEAR, TLP.GREEN) and not audience.empty:
        raise InvalidInput(_("Only AMBER, AMBER+STRICT and RED records name an audience."),
                           details={"field": "audience"})
    if tlp is TLP.AMBER_STRICT and audience.user_ids:
        raise InvalidInput(_("AMBER+STRICT is shared with organisations only; name organisations "
                             "or groups, not users."), details={"field": "audience"})
    if tlp is TLP.RED and audience.org_ids:
        raise InvalidInput(_("RED is shared with named people only; name users or groups, not "
                             "organisations."), details={"field": "audience"})
    missing: tuple[tuple[type[Organisation | Group | User], Sequence[object],
                         Callable[[], str]], ...] = (
        (Organisation, audience.org_ids,
         lambda: _("The audience names an organisation that does not exist.")),
        (Group, audience.group_ids, lambda: _("The audience names a group that does not exist.")),
        (User, audience.user_ids, lambda: _("The audience names a user that does not exist.")))
    for model, ids, message in missing:
        if ids and session.scalar(select(func.count()).select_from(model).where(
                model.id.in_(ids))) != len(ids):
            raise InvalidInput(message(), details={"field": "audience"})
    if sum(map(len, (audience.org_ids, audience.group_ids, audience.user_ids))) > 500:
        raise InvalidInput(_("An audience may name at most 500 recipients."),
                           details={"field": "audience"})
    return audience


def write_audience(session: Session, record_id: uuid.UUID, audience: Audience) -> None:
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == record_id))
    session.add_all(
        [AudienceEntry(record_id=record_id, org_id=i) for i in audience.org_ids]
        + [AudienceEntry(record_id=record_id, group_id=i) for i in audience.group_ids]
        + [AudienceEntry(record_id=record_id, user_id=i) for i in audience.user_ids])


def audiences_of(session: Session, record_ids: list[uuid.UUID]) -> dict[uuid.UUID, Audience]:
    """The audiences of many records in one query (for listings)."""
    result = {rid: Audience() for rid in record_ids}
    if record_ids:
        for e in session.scalars(select(AudienceEntry).where(
                AudienceEntry.record_id.in_(record_ids))):
            aud = result[e.record_id]
            if e.org_id:
                aud.org_ids.append(e.org_id)
            elif e.group_id:
                aud.group_ids.append(e.group_id)
            elif e.user_id:
                aud.user_ids.append(e.user_id)
    return result


def audience_of(session: Session, record_id: uuid.UUID) -> Audience:
    entries = access.audience_of(session, record_id)
    return Audience([e.org_id for e in entries if e.org_id],
                    [e.group_id for e in entries if e.group_id],
                    [e.user_id for e in entries if e.user_id])
