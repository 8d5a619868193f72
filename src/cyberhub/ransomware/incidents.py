"""Ransomware incident reports: checked field by field, stored under the sharing rules,
with the victim's identity kept in a table of its own.

Every read goes through ``access``. The victim's identity (:class:`IncidentVictim`) is
read only by :func:`victim_of`, and only for the reporting organisation and the audience
it named; the trends (``ransomware.trends``) never touch that table.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from cyberhub import access, audit, events, i18n
from cyberhub.access import Viewer
from cyberhub.audience import (
    Audience,
    audience_of,
    check_audience,
    clean_pap,
    clean_tlp,
    write_audience,
)
from cyberhub.community.models import Role
from cyberhub.community.validation import clean_country, clean_sector, clean_text
from cyberhub.db import utcnow
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.i18n import _
from cyberhub.intel.normalise import normalise, wallet_chains
from cyberhub.pagination import Page, paginate
from cyberhub.ransomware import service as families
from cyberhub.ransomware import trend_tallies
from cyberhub.ransomware.models import Incident, IncidentVictim
from cyberhub.sharing import TLP, AudienceEntry

__all__ = ["ACCESS_VECTORS", "LOSS_BANDS", "SIZE_BANDS", "IncidentInput", "create_incident",
           "currencies", "delete_incident", "get_incident", "list_incidents", "victim_of"]

# Initial access vectors (the list, plus "unknown").
ACCESS_VECTORS = ("phishing", "exposed-remote-access", "exploited-vulnerability",
                  "stolen-credentials", "supply-chain", "other", "unknown")
# Employees (the EU's SME bands, split at the top).
SIZE_BANDS = ("1-9", "10-49", "50-249", "250-999", "1000+")
# Total loss in euro-equivalent.
LOSS_BANDS = ("under-10k", "10k-100k", "100k-1m", "1m-10m", "over-10m")
EARLIEST = date(1989, 1, 1)  # the AIDS trojan: no ransomware incident is older
MAX_AMOUNT = 10_000_000_000  # ten billion in any currency is not a ransom, it is a typo
MAX_SYSTEMS = 10_000_000
MAX_RECOVERY_DAYS = 3650
MAX_WALLETS = 20
MAX_NOTES = 5000
_CVE = re.compile(r"CVE-(\d{4})-(\d{4,7})", re.IGNORECASE)


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """ISO 4217 alphabetic codes (pycountry)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


@dataclass
class IncidentInput:
    """An incident as a form or the API gives it: raw values, checked by :func:`clean`."""

    discovered: date | str | None = None
    family: str = ""  # a family's STIX id or name; "" or "unknown" for unknown
    access_vector: str = "unknown"
    cve: str = ""
    sector: str = ""
    country: str = ""
    size_band: str = ""
    systems_affected: int | str | None = None
    data_stolen: bool | None = None
    leak_listed: bool | None = None
    demand_amount: float | int | str | None = None
    demand_currency: str = ""
    paid: bool | None = None
    paid_amount: float | int | str | None = None
    wallets: list[str] = field(default_factory=list)
    negotiation_contact: str = ""
    decryptor_used: str = ""
    recovery_days: int | str | None = None
    loss_band: str = ""
    reported_to: str = ""
    notes: str = ""
    victim_name: str = ""
    victim_contact: str = ""


def _invalid(message: str, fieldname: str) -> InvalidInput:
    return InvalidInput(message, details={"field": fieldname})


def _clean_date(value: date | str | None) -> date:
    if value is None or value == "":
        raise _invalid(_("Give the date the incident was discovered."), "discovered")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise _invalid(_("The date discovered must be a date such as 2026-03-14."),
                           "discovered") from None
    if value > utcnow().date():
        raise _invalid(_("The date discovered must not be in the future."), "discovered")
    if value < EARLIEST:
        raise _invalid(_("The date discovered must not be before 1989, the year of the first "
                         "known ransomware."), "discovered")
    return value


def _clean_int(value: int | float | str | None, fieldname: str, *, maximum: int,
               minimum: int = 0) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _invalid(_("%(field)s must be a number.") % {"field": fieldname}, fieldname)
    try:
        number = float(str(value).strip().replace(",", "").replace("_", "")) \
            if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise _invalid(_("%(field)s must be a number.") % {"field": fieldname},
                       fieldname) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise _invalid(_("%(field)s must be a number.") % {"field": fieldname}, fieldname)
    if number < minimum:
        raise _invalid(_("%(field)s must not be negative.") % {"field": fieldname}
                       if minimum == 0 else
                       _("%(field)s must be at least %(n)d.") % {"field": fieldname, "n": minimum},
                       fieldname)
    if number > maximum:
        raise _invalid(_("%(field)s must be at most %(n)s; check the amount.")
                       % {"field": fieldname, "n": i18n.format_number(maximum)}, fieldname)
    return round(number)


def _clean_choice(value: str, choices: Iterable[str], fieldname: str, *,
                  required: bool = False) -> str | None:
    value = (value or "").strip().lower()
    choices = tuple(choices)
    if not value and not required:
        return None
    if value not in choices:
        raise _invalid(_("Unknown %(field)s %(value)r; use one of: %(choices)s")
                       % {"field": fieldname, "value": value[:50], "choices": ", ".join(choices)},
                       fieldname)
    return value


def _clean_currency(value: str) -> str | None:
    code = (value or "").strip().upper()
    if not code:
        return None
    if code not in currencies():
        raise _invalid(_("Unknown currency %(value)r; use an ISO 4217 code such as EUR or USD.")
                       % {"value": code[:10]}, "demand_currency")
    return code


def _clean_cve(value: str, vector: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    match = _CVE.fullmatch(value)
    if match is None or int(match.group(1)) < 1999:
        raise _invalid(_("A CVE id looks like CVE-2023-4966."), "cve")
    if vector != "exploited-vulnerability":
        raise _invalid(_("Give a CVE id only when the access vector is an exploited "
                         "vulnerability."), "cve")
    return value.upper()


def clean_wallet(raw: str) -> str:
    """``chain:address`` (validated for that chain) or a bare address of a known chain."""
    raw = (raw or "").strip()
    value = normalise("wallet", raw) if ":" in raw else None
    if value is None and ":" not in raw:
        chains = wallet_chains(raw)
        value = normalise("wallet", raw, chain=chains[0]) if chains else None
    if value is None:
        raise _invalid(_("%(value)r is not a valid wallet address; give chain:address (btc, "
                         "eth, xmr, ltc, bch, trx) with a valid address.") % {"value": raw[:100]},
                       "wallets")
    return value


def _clean_wallets(values: Iterable[str]) -> list[str]:
    items = [v for v in (str(x).strip() for x in values) if v]
    if len(items) > MAX_WALLETS:
        raise _invalid(_("Give at most %(n)d wallet addresses.") % {"n": MAX_WALLETS}, "wallets")
    out: list[str] = []
    for raw in items:
        value = clean_wallet(raw)
        if value not in out:
            out.append(value)
    return out


def _clean_family(session: Session, value: str) -> tuple[str | None, str]:
    value = (value or "").strip()
    if not value or value.lower() == "unknown":
        return None, ""
    anyone = access.ANONYMOUS  # the reference families are TLP:CLEAR
    try:
        fam = families.known_family(session, anyone, value)
    except InvalidInput:
        raise _invalid(_("No ransomware family %(ref)r is known here; choose one from the family "
                         "list, or leave it unknown.") % {"ref": value[:100]}, "family") from None
    return fam.key, fam.name[:250]


def _clean_notes(value: str) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if len(value) > MAX_NOTES:
        raise _invalid(_("The notes must be at most %(n)d characters long.") % {"n": MAX_NOTES},
                       "notes")
    if "\x00" in value:
        raise _invalid(_("notes must not contain control characters."), "notes")
    return value


def clean(session: Session, raw: IncidentInput) -> dict[str, Any]:
    """Every field checked before anything is stored: the column values, or InvalidInput
    naming the first wrong field."""
    vector = _clean_choice(raw.access_vector or "unknown", ACCESS_VECTORS, "access_vector",
                           required=True)
    assert vector is not None
    family_ref, family_name = _clean_family(session, raw.family)
    currency = _clean_currency(raw.demand_currency)
    demand = _clean_int(raw.demand_amount, "demand_amount", maximum=MAX_AMOUNT)
    paid_amount = _clean_int(raw.paid_amount, "paid_amount", maximum=MAX_AMOUNT)
    if (demand is not None or paid_amount is not None) and currency is None:
        raise _invalid(_("Give the currency of the ransom (an ISO 4217 code such as EUR)."),
                       "demand_currency")
    paid = raw.paid
    if paid_amount is not None:
        if paid is False:
            raise _invalid(_("A paid amount was given, but the ransom is marked as not paid."),
                           "paid_amount")
        paid = True
    values: dict[str, Any] = {
        "discovered": _clean_date(raw.discovered),
        "family_ref": family_ref, "family_name": family_name, "access_vector": vector,
        "cve": _clean_cve(raw.cve, vector),
        "sector": clean_sector(raw.sector), "country": clean_country(raw.country),
        "size_band": _clean_choice(raw.size_band, SIZE_BANDS, "size_band"),
        "systems_affected": _clean_int(raw.systems_affected, "systems_affected",
                                       maximum=MAX_SYSTEMS),
        "data_stolen": raw.data_stolen, "leak_listed": raw.leak_listed,
        "demand_amount": demand, "demand_currency": currency, "paid": paid,
        "paid_amount": paid_amount, "wallets": _clean_wallets(raw.wallets),
        "negotiation_contact": clean_text(raw.negotiation_contact, "negotiation_contact",
                                          max_len=500, min_len=0),
        "decryptor_used": clean_text(raw.decryptor_used, "decryptor_used", max_len=200,
                                     min_len=0),
        "recovery_days": _clean_int(raw.recovery_days, "recovery_days",
                                    maximum=MAX_RECOVERY_DAYS),
        "loss_band": _clean_choice(raw.loss_band, LOSS_BANDS, "loss_band"),
        "reported_to": clean_text(raw.reported_to, "reported_to", max_len=200, min_len=0),
        "notes": _clean_notes(raw.notes),
    }
    return values


def _clean_victim(raw: IncidentInput) -> tuple[str, str] | None:
    name = clean_text(raw.victim_name, "victim_name", max_len=300, min_len=0)
    contact = clean_text(raw.victim_contact, "victim_contact", max_len=500, min_len=0)
    if not name and not contact:
        return None
    if not name:
        raise _invalid(_("Give the victim's name with its contact, or neither."), "victim_name")
    return name, contact


def create_incident(session: Session, viewer: Viewer, raw: IncidentInput, *,
                    tlp: str | TLP = TLP.AMBER_STRICT, pap: str | None = None,
                    audience: Audience | None = None, via_link: bool = False,
                    is_demo: bool = False, actor: audit.Actor | None = None) -> Incident:
    """Store one incident for the viewer's organisation; nothing is stored unless every
    field is right."""
    if not access.can_contribute(viewer):
        raise PermissionDenied(_("Readers may not report incidents. Ask your organisation's "
                                 "admin for the analyst role."))
    assert viewer.org_id is not None and viewer.user_id is not None
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    values = clean(session, raw)
    victim = _clean_victim(raw)
    row = Incident(**values, tlp=tlp_, pap=clean_pap(pap), owner_org_id=viewer.org_id,
                   created_by_id=viewer.user_id, via_link=via_link, is_demo=is_demo)
    session.add(row)
    session.flush()
    write_audience(session, row.id, aud)
    trend_tallies.count(session, row, aud, +1)
    if victim is not None:
        session.add(IncidentVictim(incident_id=row.id, name=victim[0], contact=victim[1]))
    session.flush()
    audit.record(session, actor or viewer.actor, "incident.create",
                 target_type="ransomware_incidents", target_id=row.id,
                 details={"tlp": tlp_.value, "via_link": via_link})
    _announce(session, row, viewer)
    return row


def _announce(session: Session, row: Incident, viewer: Viewer) -> None:
    """Tell those who watch the family or the sector, if they may see the incident. The
    words name the family and the sector only: never the victim or the reporter."""
    keys = {f"family:{row.family_ref}"} if row.family_ref else set()
    if row.sector:
        keys.add(f"sector:{row.sector}")
    if not keys:
        return
    title = (_("A new %(family)s ransomware incident") % {"family": row.family_name}
             if row.family_name else _("A new ransomware incident"))
    summary = _("Sector: %(sector)s") % {"sector": row.sector} if row.sector else ""
    events.publish(session, events.Event(
        kind="incident.new", title=title, summary=summary,
        url=f"/ransomware/incidents/{row.id}", subject_type=Incident, subject_id=row.id,
        actor_user_id=viewer.user_id, watch_keys=frozenset(keys)))


def update_incident(session: Session, viewer: Viewer, incident_id: uuid.UUID | str,
                    raw: IncidentInput, *, tlp: str | TLP, pap: str | None = None,
                    audience: Audience | None = None) -> Incident:
    """Replace an incident's fields and marking; nothing changes unless every field is
    right. The victim's identity changes only for those who may see it (for others it
    stays as it was)."""
    row = get_incident(session, viewer, incident_id, purpose="edit")
    if not access.can_edit(row, viewer):
        raise PermissionDenied(_("Only the reporter and the admins of the reporting "
                                 "organisation may change this incident."))
    tlp_ = clean_tlp(tlp)
    aud = check_audience(session, tlp_, audience or Audience())
    values = clean(session, raw)
    sees_victim = may_see_victim(session, viewer, row)
    victim = _clean_victim(raw) if sees_victim else None
    trend_tallies.count(session, row, audience_of(session, row.id), -1)
    for key, value in values.items():
        setattr(row, key, value)
    row.tlp, row.pap = tlp_, clean_pap(pap)
    row.updated_at = utcnow()
    write_audience(session, row.id, aud)
    if sees_victim:
        session.execute(delete(IncidentVictim).where(IncidentVictim.incident_id == row.id))
        if victim is not None:
            session.add(IncidentVictim(incident_id=row.id, name=victim[0], contact=victim[1]))
    session.flush()
    trend_tallies.count(session, row, aud, +1)
    audit.record(session, viewer.actor, "incident.update", target_type="ransomware_incidents",
                 target_id=row.id, details={"tlp": tlp_.value})
    return row


def get_incident(session: Session, viewer: Viewer, incident_id: uuid.UUID | str,
                 purpose: str = "read") -> Incident:
    return access.load(session, Incident, incident_id, viewer, purpose=purpose)


def list_incidents(session: Session, viewer: Viewer, *, cursor: str | None = None,
                   limit: int = 50) -> Page[Incident]:
    query = access.select_visible(Incident, viewer)
    page = paginate(session, query, Incident.created_at, Incident.id, cursor=cursor,
                    limit=limit)
    access.audit_listing(session, Incident, page.items, viewer)
    return page


def of_family(session: Session, viewer: Viewer, family_ref: str, *,
              limit: int = 10) -> tuple[list[Incident], int]:
    """The newest incidents of a family the viewer may see (by date discovered), and how
    many there are."""
    query = access.select_visible(Incident, viewer).where(Incident.family_ref == family_ref)
    rows = list(session.scalars(query.order_by(Incident.discovered.desc(),
                                               Incident.id.desc()).limit(limit)))
    access.audit_listing(session, Incident, rows, viewer)
    total = session.scalar(select(func.count()).select_from(Incident).where(
        Incident.family_ref == family_ref, access.visible(Incident, viewer))) or 0
    return rows, total


def may_see_victim(session: Session, viewer: Viewer, incident: Incident) -> bool:
    """The reporting organisation, and those its audience names: never the community at
    large (CLEAR, GREEN) nor a hub admin moderating AMBER."""
    if viewer.user_id is None or viewer.org_id is None:
        return False
    if incident.owner_org_id == viewer.org_id and incident.tlp is not TLP.RED:
        return True
    if incident.tlp is TLP.RED and incident.created_by_id == viewer.user_id:
        return True
    if incident.tlp in (TLP.CLEAR, TLP.GREEN):
        return False
    as_member = replace(viewer, role=Role.ANALYST)
    return session.scalar(select(exists().where(
        Incident.id == incident.id, access.visible(Incident, as_member)))) is True


def victim_of(session: Session, viewer: Viewer, incident: Incident) -> IncidentVictim | None:
    """The victim's identity, for those who may see it (``incident`` was loaded through
    ``access``); None otherwise, or when none was given."""
    if not may_see_victim(session, viewer, incident):
        return None
    return session.get(IncidentVictim, incident.id)


def delete_incident(session: Session, viewer: Viewer, incident_id: uuid.UUID | str) -> None:
    row = get_incident(session, viewer, incident_id, purpose="delete")
    if not access.can_edit(row, viewer):
        raise PermissionDenied(_("Only the reporter and the admins of the reporting "
                                 "organisation may delete this incident."))
    trend_tallies.count(session, row, audience_of(session, row.id), -1)
    session.execute(delete(IncidentVictim).where(IncidentVictim.incident_id == row.id))
    session.execute(delete(AudienceEntry).where(AudienceEntry.record_id == row.id))
    audit.record(session, viewer.actor, "incident.delete", target_type="ransomware_incidents",
                 target_id=row.id, details={"tlp": row.tlp.value})
    session.delete(row)
    session.flush()
