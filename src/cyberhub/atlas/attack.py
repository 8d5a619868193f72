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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
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
    actors: set[str] = field(default_factory=set)  # stix ids
    reports: set[str] = field(default_factory=set)

    @property
    def score(self) -> int:
        return len(self.actors) + len(self.reports)


@dataclass
class Filters:
    actor: str | None = None  # an actor's STIX id
    sector: str | None = None  # a sector identity's STIX id: actors that target it
    since: datetime | None = None  # relationships modified from …
    until: datetime | None = None  # … until (exclusive)


@dataclass
class Heatmap:
    techniques: list[Technique]
    actor_names: dict[str, str]

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


def _visible_ids(session: Session, viewer: Viewer, types: tuple[str, ...],
                 ids: set[str]) -> dict[str, str]:
    """Of ``ids``, those of a visible, unrevoked object of one of ``types``: id → name."""
    found: dict[str, str] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 5000):
        for stix_id, name in session.execute(
                access.select_visible(StixObject, viewer)
                .with_only_columns(StixObject.stix_id, StixObject.name)
                .where(StixObject.stix_id.in_(wanted[start:start + 5000]),
                       StixObject.type.in_(types), StixObject.revoked.is_(False))):
            found[stix_id] = name or stix_id
    return found


def heatmap(session: Session, viewer: Viewer, filters: Filters | None = None) -> Heatmap:
    f = filters or Filters()
    techniques: dict[str, Technique] = {}
    for stix_id, data in session.execute(
            access.select_visible(StixObject, viewer)
            .with_only_columns(StixObject.stix_id, StixObject.data)
            .where(StixObject.type == "attack-pattern", StixObject.revoked.is_(False))):
        if stix_id not in techniques:
            found = _technique(stix_id, data)
            if found is not None:
                techniques[stix_id] = found
    carrier = aliased(StixObject)
    uses = (select(StixRef.source_stix_id, StixRef.target_stix_id)
            .join(carrier, carrier.id == StixRef.object_id)
            .where(StixRef.kind == "relationship:uses", carrier.revoked.is_(False),
                   StixRef.target_stix_id.in_(techniques) if len(techniques) < 5000
                   else StixRef.kind == "relationship:uses",
                   access.visible(carrier, viewer)))
    if f.since is not None:
        uses = uses.where(carrier.stix_modified >= f.since)
    if f.until is not None:
        uses = uses.where(carrier.stix_modified < f.until)
    if f.actor is not None:
        uses = uses.where(StixRef.source_stix_id == f.actor)
    pairs = [(s, t) for s, t in session.execute(uses).all() if t in techniques]
    allowed: set[str] | None = None
    if f.sector is not None:
        allowed = {s for (s,) in session.execute(
            select(StixRef.source_stix_id).join(carrier, carrier.id == StixRef.object_id)
            .where(StixRef.kind == "relationship:targets",
                   StixRef.target_stix_id == f.sector, carrier.revoked.is_(False),
                   access.visible(carrier, viewer)))}
    actors = _visible_ids(session, viewer, ACTOR_TYPES,
                          {s for s, _t in pairs if allowed is None or s in allowed})
    for source, target in pairs:
        if source in actors:
            techniques[target].actors.add(source)
    if f.actor is None and f.sector is None:
        report = aliased(StixObject)
        refs = (select(report.stix_id, StixRef.target_stix_id)
                .join(report, report.id == StixRef.object_id)
                .where(StixRef.kind == "object_refs", report.type == "report",
                       report.revoked.is_(False), access.visible(report, viewer)))
        if f.since is not None:
            refs = refs.where(report.stix_modified >= f.since)
        if f.until is not None:
            refs = refs.where(report.stix_modified < f.until)
        for report_id, target in session.execute(refs):
            if target in techniques:
                techniques[target].reports.add(report_id)
    return Heatmap(list(techniques.values()), actors)


def navigator_layer(found: Heatmap, *, name: str, description: str) -> dict[str, Any]:
    """The heatmap as an ATT&CK Navigator layer (format 4.5), one entry per technique
    and tactic it is used in."""
    techniques = []
    for t in sorted(found.techniques, key=lambda t: t.attack_id):
        if not t.score:
            continue
        comment = _("%(actors)s, %(reports)s") % {
            "actors": ngettext("%(n)d actor", "%(n)d actors", len(t.actors))
            % {"n": len(t.actors)},
            "reports": ngettext("%(n)d report", "%(n)d reports", len(t.reports))
            % {"n": len(t.reports)}}
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


def targeted_sectors(session: Session, viewer: Viewer) -> list[tuple[str, str]]:
    """Visible sectors (identities of class ``class``) that some visible relationship
    says an actor targets: (STIX id, name), by name."""
    carrier = aliased(StixObject)
    targets = {t for (t,) in session.execute(
        select(StixRef.target_stix_id).join(carrier, carrier.id == StixRef.object_id)
        .where(StixRef.kind == "relationship:targets", carrier.revoked.is_(False),
               StixRef.target_stix_id.like("identity--%"),
               access.visible(carrier, viewer)).distinct())}
    found = _visible_ids(session, viewer, ("identity",), targets)
    return sorted(found.items(), key=lambda item: item[1].casefold())


def heat(score: int, top: int) -> int:
    """A colour step 0–5 for a score (0: unused)."""
    if score <= 0 or top <= 0:
        return 0
    return max(1, min(5, -(-5 * score // top)))
