"""The ATT&CK heatmap: which techniques the actors and reports a viewer may see use.

Techniques are the visible, unrevoked ``attack-pattern`` objects that name an ATT&CK id
(an external reference of ``mitre-attack``) and sit in the enterprise kill chain; the
reference data loads them from the MISP galaxies. A technique's score is the number of
distinct visible actors (intrusion sets, threat actors, campaigns) related to it by a
visible ``uses`` relationship, plus the visible reports that reference it. Filters narrow
the actors: one actor, the actors that target a sector, relationships modified in a
time window. The same figures export as an ATT&CK Navigator layer (format 4.5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.i18n import _, ngettext
from cyberhub.intel.models import StixObject, StixRef

KILL_CHAIN = "mitre-attack"
ACTOR_TYPES = ("intrusion-set", "threat-actor", "campaign")
_ATTACK_ID = re.compile(r"^T\d{4}(\.\d{3})?$")
_NAME_SUFFIX = re.compile(r"\s+-\s+T\d{4}(\.\d{3})?$")
LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"


def tactics() -> list[tuple[str, str]]:
    """The enterprise tactics in ATT&CK's order: (phase name, label)."""
    return [("reconnaissance", _("Reconnaissance")),
            ("resource-development", _("Resource Development")),
            ("initial-access", _("Initial Access")), ("execution", _("Execution")),
            ("persistence", _("Persistence")),
            ("privilege-escalation", _("Privilege Escalation")),
            ("defense-evasion", _("Defense Evasion")),
            ("credential-access", _("Credential Access")), ("discovery", _("Discovery")),
            ("lateral-movement", _("Lateral Movement")), ("collection", _("Collection")),
            ("command-and-control", _("Command and Control")),
            ("exfiltration", _("Exfiltration")), ("impact", _("Impact"))]


@dataclass
class Technique:
    stix_id: str
    attack_id: str
    name: str
    tactics: list[str]
    actors: int = 0  # distinct visible actors using it
    reports: int = 0  # distinct visible reports referencing it
    # Which copy described it: the newest (modified, row id) of the rows that parse.
    newest: tuple[datetime, str] = (datetime.min.replace(tzinfo=UTC), "")

    @property
    def score(self) -> int:
        return self.actors + self.reports


@dataclass
class Filters:
    actor: str | None = None  # an actor's STIX id
    sector: str | None = None  # a sector identity's STIX id: actors that target it
    since: datetime | None = None  # relationships modified from …
    until: datetime | None = None  # … until (exclusive)

    @property
    def empty(self) -> bool:
        return self.actor is None and self.sector is None and self.since is None \
            and self.until is None


@dataclass
class Heatmap:
    techniques: list[Technique]

    @property
    def top(self) -> int:
        return max((t.score for t in self.techniques), default=0)

    def columns(self, include_unused: bool = False) -> list[tuple[str, str, list[Technique]]]:
        out = []
        for phase, label in tactics():
            cells = [t for t in self.techniques
                     if phase in t.tactics and (include_unused or t.score)]
            cells.sort(key=lambda t: (-t.score, t.attack_id))
            out.append((phase, label, cells))
        return out


# The rows a figure is computed over: all a viewer may see, or a part of them (the
# roll-up's uniform markings, or what one viewer sees beyond them).
Rows = Callable[[Any], ColumnElement[bool]]
Pair = tuple[str, str]
_CHUNK = 5000
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _technique(stix_id: str, data: str) -> Technique | None:
    obj = orjson.loads(data)
    phases = [p.get("phase_name") for p in obj.get("kill_chain_phases", [])
              if isinstance(p, dict) and p.get("kill_chain_name") == KILL_CHAIN]
    attack_id = next((r.get("external_id") for r in obj.get("external_references", [])
                      if isinstance(r, dict) and r.get("source_name") == KILL_CHAIN
                      and isinstance(r.get("external_id"), str)
                      and _ATTACK_ID.match(r["external_id"])), None)
    if not phases or attack_id is None:
        return None
    name = _NAME_SUFFIX.sub("", str(obj.get("name") or attack_id))
    return Technique(stix_id, attack_id, name, [p for p in phases if isinstance(p, str)])


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    wanted = sorted(ids)
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start:start + _CHUNK]


def techniques_of(session: Session, rows: Rows) -> dict[str, Technique]:
    """The techniques among ``rows``: unrevoked attack patterns with an ATT&CK id and an
    enterprise tactic, each described by its newest copy that has them."""
    found: dict[str, Technique] = {}
    for stix_id, data, modified, row_id in session.execute(
            select(StixObject.stix_id, StixObject.data, StixObject.stix_modified, StixObject.id)
            .where(rows(StixObject), StixObject.type == "attack-pattern",
                   StixObject.revoked.is_(False))):
        newest = (modified or _EPOCH, str(row_id))
        if stix_id in found and found[stix_id].newest >= newest:
            continue
        technique = _technique(stix_id, data)
        if technique is not None:
            technique.newest = newest
            found[stix_id] = technique
    return found


def holders(session: Session, rows: Rows, types: tuple[str, ...],
            ids: Iterable[str] | None = None) -> set[str]:
    """The STIX ids (of ``ids``, or all) with an unrevoked row of ``types`` in ``rows``."""
    query = select(StixObject.stix_id).where(
        rows(StixObject), StixObject.type.in_(types), StixObject.revoked.is_(False))
    if ids is None:
        return set(session.scalars(query.distinct()))
    return {stix_id for chunk in _chunks(ids)
            for stix_id in session.scalars(query.where(StixObject.stix_id.in_(chunk)))}


def uses(session: Session, rows: Rows, f: Filters, *, sources: Iterable[str] | None = None,
         targets: Iterable[str] | None = None) -> set[Pair]:
    """(actor, technique) of the unrevoked ``uses`` relationships among ``rows`` (modified
    within the filters' window), optionally only from ``sources`` or to ``targets``."""
    carrier = aliased(StixObject)
    query = (select(StixRef.source_stix_id, StixRef.target_stix_id)
             .join(carrier, carrier.id == StixRef.object_id)
             .where(StixRef.kind == "relationship:uses", carrier.revoked.is_(False),
                    rows(carrier)))
    if f.since is not None:
        query = query.where(carrier.stix_modified >= f.since)
    if f.until is not None:
        query = query.where(carrier.stix_modified < f.until)
    if f.actor is not None:
        query = query.where(StixRef.source_stix_id == f.actor)
    if sources is not None:
        return {(s, t) for chunk in _chunks(sources) for s, t in session.execute(
            query.where(StixRef.source_stix_id.in_(chunk)))}
    if targets is not None:
        return {(s, t) for chunk in _chunks(targets) for s, t in session.execute(
            query.where(StixRef.target_stix_id.in_(chunk)))}
    return {(s, t) for s, t in session.execute(query)}


def report_refs(session: Session, rows: Rows, f: Filters, *,
                reports: Iterable[str] | None = None,
                targets: Iterable[str] | None = None) -> set[Pair]:
    """(report, referenced object) of the unrevoked reports among ``rows`` (modified within
    the filters' window), optionally only of ``reports`` or to ``targets``."""
    report = aliased(StixObject)
    query = (select(report.stix_id, StixRef.target_stix_id)
             .join(report, report.id == StixRef.object_id)
             .where(StixRef.kind == "object_refs", report.type == "report",
                    report.revoked.is_(False), rows(report)))
    if f.since is not None:
        query = query.where(report.stix_modified >= f.since)
    if f.until is not None:
        query = query.where(report.stix_modified < f.until)
    if reports is not None:
        return {(r, t) for chunk in _chunks(reports) for r, t in session.execute(
            query.where(report.stix_id.in_(chunk)))}
    if targets is not None:
        return {(r, t) for chunk in _chunks(targets) for r, t in session.execute(
            query.where(StixRef.target_stix_id.in_(chunk)))}
    return {(r, t) for r, t in session.execute(query)}


def sector_actors(session: Session, rows: Rows, sector: str) -> set[str]:
    """The sources of the unrevoked ``targets`` relationships to ``sector`` among ``rows``."""
    carrier = aliased(StixObject)
    return set(session.scalars(
        select(StixRef.source_stix_id).join(carrier, carrier.id == StixRef.object_id)
        .where(StixRef.kind == "relationship:targets", StixRef.target_stix_id == sector,
               carrier.revoked.is_(False), rows(carrier))))


# When the rows carrying a pair were modified, in microseconds since 1970 (None for a row
# without the time): what a period filter is held to, made ahead by the roll-up.
Times = list[int | None]
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _UNIX) // _MICRO


def within(times: Times, since: int | None, until: int | None) -> bool:
    """Whether any of ``times`` falls in [since, until) — always without bounds, as a
    relationship without a time counts only when no period is asked for."""
    if since is None and until is None:
        return True
    return any(t is not None and (since is None or t >= since) and (until is None or t < until)
               for t in times)


def uses_times(session: Session, rows: Rows) -> dict[Pair, Times]:
    """(actor, technique) → the times of the unrevoked ``uses`` relationships among
    ``rows`` that carry it."""
    carrier = aliased(StixObject)
    found: dict[Pair, Times] = {}
    for source, target, modified in session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id, carrier.stix_modified)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(StixRef.kind == "relationship:uses", carrier.revoked.is_(False),
                   rows(carrier))):
        found.setdefault((source, target), []).append(micros(modified))
    return found


def report_times(session: Session, rows: Rows) -> dict[Pair, Times]:
    """(report, referenced object) → the times of the unrevoked copies of the report among
    ``rows`` that reference it."""
    report = aliased(StixObject)
    found: dict[Pair, Times] = {}
    for report_id, target, modified in session.execute(
            select(report.stix_id, StixRef.target_stix_id, report.stix_modified)
            .join(report, report.id == StixRef.object_id)
            .where(StixRef.kind == "object_refs", report.type == "report",
                   report.revoked.is_(False), rows(report))):
        found.setdefault((report_id, target), []).append(micros(modified))
    return found


def sector_sources(session: Session, rows: Rows) -> dict[str, set[str]]:
    """Sector (identity) → the sources of the unrevoked ``targets`` relationships among
    ``rows`` that point at it."""
    carrier = aliased(StixObject)
    found: dict[str, set[str]] = {}
    for source, target in session.execute(
            select(StixRef.source_stix_id, StixRef.target_stix_id)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(StixRef.kind == "relationship:targets", carrier.revoked.is_(False),
                   StixRef.target_stix_id.like("identity--%"), rows(carrier))):
        found.setdefault(target, set()).add(source)
    return found


def compute(session: Session, rows: Rows, f: Filters | None = None) -> dict[str, Technique]:
    """The heatmap over ``rows``, by the definition: every technique among them with the
    distinct actors among them that use it through a relationship among them, and the
    distinct reports among them that reference it (reports only without an actor or sector
    filter)."""
    f = f or Filters()
    techniques = techniques_of(session, rows)
    allowed = None if f.sector is None else sector_actors(session, rows, f.sector)
    if allowed is not None:
        pairs = uses(session, rows, f, sources=allowed)
    elif len(techniques) < _CHUNK and f.actor is None:
        pairs = uses(session, rows, f, targets=techniques)
    else:
        pairs = uses(session, rows, f)
    pairs = {(s, t) for s, t in pairs if t in techniques}
    actors = holders(session, rows, ACTOR_TYPES, {s for s, _t in pairs})
    for source, target in pairs:
        if source in actors:
            techniques[target].actors += 1
    if f.actor is None and f.sector is None:
        for _report, target in report_refs(session, rows, f):
            if target in techniques:
                techniques[target].reports += 1
    return techniques


def heatmap(session: Session, viewer: Viewer, filters: Filters | None = None) -> Heatmap:
    """The viewer's heatmap, counted live over all it may see."""
    return Heatmap(list(compute(session, lambda m: access.visible(m, viewer),
                                filters).values()))


def navigator_layer(found: Heatmap, *, name: str, description: str) -> dict[str, Any]:
    """The heatmap as an ATT&CK Navigator layer (format 4.5), one entry per technique
    and tactic it is used in."""
    techniques = []
    for t in sorted(found.techniques, key=lambda t: t.attack_id):
        if not t.score:
            continue
        comment = _("%(actors)s, %(reports)s") % {
            "actors": ngettext("%(n)d actor", "%(n)d actors", t.actors) % {"n": t.actors},
            "reports": ngettext("%(n)d report", "%(n)d reports", t.reports)
            % {"n": t.reports}}
        for tactic in t.tactics:
            techniques.append({"techniqueID": t.attack_id, "tactic": tactic, "score": t.score,
                               "comment": comment, "enabled": True,
                               "showSubtechniques": False})
    return {
        "name": name[:200], "description": description[:2000],
        "versions": {"layer": LAYER_VERSION, "navigator": NAVIGATOR_VERSION},
        "domain": "enterprise-attack",
        "sorting": 3, "hideDisabled": False,
        "layout": {"layout": "side", "showID": True, "showName": True},
        "techniques": techniques,
        "gradient": {"colors": ["#ffffff", "#ffb347", "#d7301f"], "minValue": 0,
                     "maxValue": max(found.top, 1)},
        "legendItems": [],
        "metadata": [{"name": "generated by", "value": "cyberhub"}],
        "showTacticRowBackground": False, "selectTechniquesAcrossTactics": True,
        "selectSubtechniquesWithParent": False,
    }


Named = dict[str, tuple[str, tuple[datetime, str]]]  # id → (name, its copy's newest key)


def sector_targets(session: Session, rows: Rows, *,
                   targets: Iterable[str] | None = None) -> set[str]:
    """The identities that unrevoked ``targets`` relationships among ``rows`` point at
    (optionally only those of ``targets``)."""
    carrier = aliased(StixObject)
    query = (select(StixRef.target_stix_id).join(carrier, carrier.id == StixRef.object_id)
             .where(StixRef.kind == "relationship:targets", carrier.revoked.is_(False),
                    StixRef.target_stix_id.like("identity--%"), rows(carrier)))
    if targets is None:
        return set(session.scalars(query.distinct()))
    return {t for chunk in _chunks(targets)
            for t in session.scalars(query.where(StixRef.target_stix_id.in_(chunk)))}


def identity_names(session: Session, rows: Rows, ids: Iterable[str] | None = None) -> Named:
    """The unrevoked identities among ``rows`` (of ``ids``, or all), each named by its
    newest copy (modified, then row id)."""
    query = select(StixObject.stix_id, StixObject.name, StixObject.stix_modified,
                   StixObject.id).where(rows(StixObject), StixObject.type == "identity",
                                        StixObject.revoked.is_(False))
    found: Named = {}
    chunks = [None] if ids is None else list(_chunks(ids))
    for chunk in chunks:
        for stix_id, name, modified, row_id in session.execute(
                query if chunk is None else query.where(StixObject.stix_id.in_(chunk))):
            newest = (modified or _EPOCH, str(row_id))
            if stix_id not in found or found[stix_id][1] < newest:
                found[stix_id] = (name or stix_id, newest)
    return found


def sectors_of(session: Session, rows: Rows) -> Named:
    """The sectors (identities) among ``rows`` that a relationship among them says an
    actor targets."""
    return identity_names(session, rows, sector_targets(session, rows))


def sector_list(found: Named) -> list[tuple[str, str]]:
    """(STIX id, name), by name."""
    return sorted(((i, n) for i, (n, _k) in found.items()),
                  key=lambda item: (item[1].casefold(), item[0]))


def targeted_sectors(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """Visible sectors (identities) that some visible relationship says an actor targets:
    (STIX id, name), by name; counted live."""
    return sector_list(sectors_of(session, lambda m: access.visible(m, viewer)))


def names(session: Session, viewer: Viewer, types: tuple[str, ...],
          ids: Iterable[str]) -> dict[str, str]:
    """Of ``ids``, those of a visible, unrevoked object of one of ``types``: id → name."""
    found: dict[str, str] = {}
    for chunk in _chunks(ids):
        for stix_id, name in session.execute(
                access.select_visible(StixObject, viewer)
                .with_only_columns(StixObject.stix_id, StixObject.name)
                .where(StixObject.stix_id.in_(chunk), StixObject.type.in_(types),
                       StixObject.revoked.is_(False))):
            found[stix_id] = name or stix_id
    return found


def actors_named(session: Session, viewer: Viewer, text: str, *, exact: bool = False,
                 limit: int = 20) -> list[tuple[str, str]]:
    """Visible, unrevoked actors whose name holds ``text`` (or is it, with ``exact``),
    ignoring case: (STIX id, name), by name."""
    needle = text.strip().lower()
    if not needle:
        return []
    name = func.lower(StixObject.name)
    pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.execute(
        access.select_visible(StixObject, viewer)
        .with_only_columns(StixObject.stix_id, StixObject.name)
        .where(StixObject.type.in_(ACTOR_TYPES), StixObject.revoked.is_(False),
               name == needle if exact else name.like(f"%{pattern}%", escape="\\"))
        .order_by(StixObject.name, StixObject.stix_id).limit(limit * 4))
    found: dict[str, str] = {}
    for stix_id, actor_name in rows:  # copies held by several organisations: once each
        found.setdefault(stix_id, actor_name or stix_id)
    return list(found.items())[:limit]


def heat(score: int, top: int) -> int:
    """A colour step 0–5 for a score (0: unused)."""
    if score <= 0 or top <= 0:
        return 0
    return max(1, min(5, -(-5 * score // top)))
