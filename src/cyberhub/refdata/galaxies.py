"""The MISP galaxies shipped by ``pymispgalaxies``, as STIX 2.1 objects.

Reading (:func:`read_galaxy`, :func:`read_file`) checks the shape of a galaxy's cluster
file and says plainly what is wrong. Building (:class:`Builder`) turns each cluster into
one STIX object and each relation the galaxies state into a relationship:

- ids: :func:`cyberhub.intel.galaxies.cluster_stix_id` (``<stix type>--<cluster uuid>``),
  shared with the MISP importer, so an event tagged with a cluster links to it;
  relationships get a UUIDv5 of (source, type, target);
- ``created`` is :data:`CREATED` for every object; ``modified`` is derived from the
  galaxy's version (and :data:`MAPPING_REVISION`, bumped when this module changes what
  it builds), never from the clock: loading the same version twice builds the same
  objects, a newer version builds newer ones;
- provenance: the labels ``misp:galaxy-type="…"`` and ``misp:galaxy-name="…"`` (as
  MISP's own STIX export writes them) and a first external reference
  ``{"source_name": "misp-galaxy", "external_id": <cluster uuid>, "description":
  "MISP galaxy <type>, version <n>"}``;
- relations: ``related`` entries whose target is loaded too, with the galaxy's own type
  (``uses``, ``similar``, ``subtechnique-of``…); an actor's ``country`` →
  ``originates-from`` a location; targeted sectors → ``targets`` a sector identity;
  suspected victims (country names) → ``targets`` a location; a ransomware family's
  ATT&CK techniques (``TTP``) → ``uses`` the attack pattern.

Every built object is checked with the hub's validator before it is handed on: data
that cannot be fixed (a bad URL is left out, for instance) skips the object, with a
note, instead of failing the whole load.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from cyberhub.formats.stix.validate import uri_ok, validate_object
from cyberhub.i18n import _
from cyberhub.intel import extensions
from cyberhub.intel.galaxies import GALAXY_STIX_TYPES, cluster_stix_id, stix_uuid
from cyberhub.intel.markings import MARKING_BY_TLP
from cyberhub.sharing import TLP

__all__ = ["CREATED", "DEFAULT_GALAXIES", "MAPPING_REVISION", "Builder", "Galaxy",
           "GalaxyError", "available", "data_dir", "modified_for", "package_version",
           "read_file", "read_galaxy"]

# The galaxies a hub loads by default: every mapped galaxy except the deprecated
# per-domain ATT&CK copies (mitre-enterprise-attack-*, mitre-mobile-attack-*,
# mitre-pre-attack-*), whose clusters the mitre-* galaxies hold under the same UUIDs.
DEFAULT_GALAXIES: Final = (
    "ransomware", "mitre-attack-pattern", "mitre-course-of-action", "mitre-intrusion-set",
    "mitre-malware", "mitre-tool", "threat-actor", "microsoft-activity-group", "tool",
    "malpedia", "botnet", "rat", "banker", "stealer", "backdoor", "exploit-kit", "android",
    "cryptominers", "country", "region", "sector",
)

CREATED: Final = datetime(2016, 1, 1, tzinfo=UTC)
# Bump when the objects built from the same galaxy version change (a new property,
# another mapping): each bump moves every ``modified`` one day on, so the next load
# makes new versions instead of reporting them unchanged.
MAPPING_REVISION: Final = 1
# Relationship ids: UUIDv5 in this namespace of "<source id>|<type>|<target id>".
RELATIONSHIP_NAMESPACE: Final = uuid.UUID("55509cfe-f40d-4063-b2d1-6c822f4ae958")
CLEAR_MARKING: Final = MARKING_BY_TLP[TLP.CLEAR]

MALWARE_TYPES: Final = {
    "ransomware": ["ransomware"], "backdoor": ["backdoor"], "botnet": ["bot"],
    "rat": ["remote-access-trojan"], "stealer": ["spyware"], "banker": ["trojan"],
    "cryptominers": ["resource-exploitation"],
}
# Kill-chain names of ATT&CK, by the prefix of the galaxies' "kill_chain" entries.
KILL_CHAINS: Final = (("mobile-attack", "mitre-mobile-attack"),
                      ("pre-attack", "mitre-pre-attack"), ("attack", "mitre-attack"))
ACTOR_GALAXY_STIX_TYPES: Final = frozenset({"intrusion-set", "threat-actor"})
_RELATIONSHIP_TYPE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ATTACK_ID = re.compile(r"\b(T[0-9]{4}(?:\.[0-9]{3})?)\s*$")
_M49 = re.compile(r"^([0-9]{3}) - (.+)$")
_MAX_NAME = 250


class GalaxyError(Exception):
    """A galaxy cannot be read: missing, not JSON, or not shaped like a MISP galaxy."""


@cache
def data_dir() -> Path:
    """The galaxies' data in the installed package (found without importing it: its
    import pulls in jsonschema, most of a second)."""
    import importlib.util

    spec = importlib.util.find_spec("pymispgalaxies")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise GalaxyError(_("pymispgalaxies is not installed."))
    return Path(spec.origin).resolve().parent / "data" / "misp-galaxy"


@cache
def package_version() -> str:
    return importlib.metadata.version("pymispgalaxies")


def available() -> list[str]:
    """Galaxy types the package ships that the hub can turn into STIX objects."""
    return sorted(p.stem for p in (data_dir() / "clusters").glob("*.json")
                  if p.stem in GALAXY_STIX_TYPES)


def modified_for(version: int) -> datetime:
    """``modified`` of every object built from this galaxy version."""
    return CREATED + timedelta(days=MAPPING_REVISION - 1, seconds=version)


def stix_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Galaxy:
    """One galaxy's clusters, as read, with what the hub needs to know about it."""

    type: str
    name: str
    version: int
    description: str
    origin: str
    clusters: list[dict[str, Any]]
    kill_chain_order: dict[str, list[str]] = field(default_factory=dict)

    @property
    def stix_type(self) -> str:
        return GALAXY_STIX_TYPES[self.type]

    @property
    def key(self) -> str:
        return f"misp-galaxy:{self.type}"


def read_galaxy(galaxy_type: str) -> Galaxy:
    """A galaxy shipped by pymispgalaxies, by its type (``ransomware``)."""
    if galaxy_type not in GALAXY_STIX_TYPES:
        raise GalaxyError(_("The hub does not turn the galaxy %(name)r into STIX objects; "
                            "known galaxies: %(known)s.")
                          % {"name": galaxy_type, "known": ", ".join(available())})
    path = data_dir() / "clusters" / f"{galaxy_type}.json"
    if not path.is_file():
        raise GalaxyError(_("pymispgalaxies %(version)s ships no galaxy %(name)r.")
                          % {"version": package_version(), "name": galaxy_type})
    return _read(path, f"pymispgalaxies {package_version()}",
                 data_dir() / "galaxies" / f"{galaxy_type}.json")


def read_file(path: Path) -> Galaxy:
    """A galaxy cluster file given by the operator (a newer or a private galaxy)."""
    return _read(path, f"file {path.name}", None)


def _read(path: Path, origin: str, galaxy_path: Path | None) -> Galaxy:
    where = str(path)
    try:
        raw = json.loads(path.read_bytes())
    except OSError as exc:
        raise GalaxyError(_("Cannot read %(path)s: %(reason)s.")
                          % {"path": where, "reason": exc.strerror or exc}) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise GalaxyError(_("%(path)s is not valid JSON: %(reason)s.")
                          % {"path": where, "reason": exc}) from None
    if not isinstance(raw, dict):
        raise GalaxyError(_("%(path)s is not a MISP galaxy cluster file: its top level must "
                            "be a JSON object with \"type\", \"version\" and \"values\".")
                          % {"path": where})
    gtype, version, values = raw.get("type"), raw.get("version"), raw.get("values")
    if not isinstance(gtype, str) or not gtype:
        raise GalaxyError(_("%(path)s: \"type\" must be the galaxy's type, such as "
                            "\"ransomware\".") % {"path": where})
    if gtype not in GALAXY_STIX_TYPES:
        raise GalaxyError(_("%(path)s: the hub does not turn galaxies of type %(type)r into "
                            "STIX objects.") % {"path": where, "type": gtype})
    if type(version) is not int or version < 0:
        raise GalaxyError(_("%(path)s: \"version\" must be a whole number (the galaxy's "
                            "version), not %(value)s.")
                          % {"path": where, "value": json.dumps(version)})
    if not isinstance(values, list):
        raise GalaxyError(_("%(path)s: \"values\" must be the list of clusters.")
                          % {"path": where})
    for i, value in enumerate(values):
        problem = _cluster_problem(value)
        if problem:
            raise GalaxyError(_("%(path)s: cluster %(index)d (%(name)s) %(problem)s.")
                              % {"path": where, "index": i, "name": _label(value),
                                 "problem": problem})
    name, description = raw.get("name"), raw.get("description")
    order: dict[str, list[str]] = {}
    if galaxy_path is not None and galaxy_path.is_file():
        try:
            meta = json.loads(galaxy_path.read_bytes())
        except (OSError, ValueError):
            meta = {}
        if isinstance(meta, dict):
            name = meta.get("name") or name
            kco = meta.get("kill_chain_order")
            if isinstance(kco, dict):
                order = {str(k): [str(p) for p in v] for k, v in kco.items()
                         if isinstance(v, list)}
    return Galaxy(type=gtype, name=str(name or gtype), version=version,
                  description=str(description or ""), origin=origin, clusters=values,
                  kill_chain_order=order)


def _label(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return repr(value["value"][:80])
    return _("unnamed")


def _cluster_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return _("is not a JSON object")
    if not isinstance(value.get("value"), str) or not value["value"].strip():
        return _("has no \"value\" (its name)")
    if not isinstance(value.get("uuid"), str) or stix_uuid(value["uuid"]) is None:
        return _("has no valid \"uuid\"")
    if "meta" in value and not isinstance(value["meta"], dict):
        return _("has a \"meta\" that is not a JSON object")
    if "description" in value and not isinstance(value["description"], str):
        return _("has a \"description\" that is not a string")
    related = value.get("related", [])
    if not isinstance(related, list) or not all(
            isinstance(r, dict) and isinstance(r.get("dest-uuid"), str)
            and isinstance(r.get("type"), str) for r in related):
        return _("has \"related\" entries without \"dest-uuid\" and \"type\"")
    return None


# ---------------------------------------------------------------- building


@dataclass
class BuildCounts:
    """What a build made of each galaxy, and what it left out."""

    objects: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    skipped_objects: int = 0
    dangling_relations: int = 0  # related clusters that are not loaded
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.notes) < 50:
            self.notes.append(message)


def _strings(value: Any) -> list[str]:
    """A meta entry as a list of non-empty strings (a lone string is a list of one)."""
    items = value if isinstance(value, list) else [value]
    return [s.strip() for s in items if isinstance(s, str) and s.strip()]


def _unique(items: Iterable[str], *, without: str = "") -> list[str]:
    seen = {without.casefold()} if without else set()
    out = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _meta(cluster: dict[str, Any], *keys: str) -> list[str]:
    meta = cluster.get("meta") or {}
    return _unique(s for k in keys for s in _strings(meta.get(k)))


def _first(cluster: dict[str, Any], *keys: str) -> str | None:
    found = _meta(cluster, *keys)
    return "; ".join(found) if found else None


def _urls(items: Iterable[str]) -> list[str]:
    return _unique(u for u in items if uri_ok(u) and urlsplit(u).scheme in ("http", "https"))


class Builder:
    """Turns a set of galaxies into STIX objects (clusters first, then relationships)."""

    def __init__(self, galaxies: list[Galaxy]) -> None:
        self.galaxies = galaxies
        self.counts = BuildCounts()
        # cluster uuid → STIX id, for every cluster of the galaxies being built.
        self.ids: dict[str, str] = {}
        self.galaxy_of: dict[str, Galaxy] = {}
        for galaxy in galaxies:
            for cluster in galaxy.clusters:
                sid = cluster_stix_id(galaxy.type, cluster["uuid"])
                if sid is not None and cluster["uuid"].lower() not in self.ids:
                    self.ids[cluster["uuid"].lower()] = sid
                    self.galaxy_of[sid] = galaxy
        self.countries: dict[str, str] = {}  # ISO code and casefolded names → location id
        self.sectors: dict[str, str] = {}  # casefolded names and synonyms → identity id
        self.techniques: dict[str, str] = {}  # ATT&CK id → attack-pattern id
        for galaxy in galaxies:
            for cluster in galaxy.clusters:
                sid = self.ids.get(cluster["uuid"].lower())
                if sid is None:
                    continue
                if galaxy.type == "country":
                    for key in (*_meta(cluster, "ISO"), cluster["value"],
                                cluster.get("description") or ""):
                        if key:
                            self.countries.setdefault(key.casefold(), sid)
                elif galaxy.type == "sector":
                    for key in (cluster["value"], *_meta(cluster, "synonyms")):
                        self.sectors.setdefault(key.casefold(), sid)
                elif galaxy.stix_type == "attack-pattern":
                    for ext_id in _meta(cluster, "external_id"):
                        self.techniques.setdefault(ext_id.upper(), sid)

    def objects(self) -> Iterator[dict[str, Any]]:
        """Every object, then every relationship; each valid for the hub's validator."""
        emitted: set[str] = set()
        relations: list[tuple[str, str, str, Galaxy]] = []
        for galaxy in self.galaxies:
            made = 0
            for cluster in galaxy.clusters:
                sid = self.ids.get(cluster["uuid"].lower())
                if sid is None or sid in emitted or self.galaxy_of.get(sid) is not galaxy:
                    if sid is not None and self.galaxy_of.get(sid) is not galaxy:
                        self.counts.note(_("%(galaxy)s: cluster %(name)r has the UUID of a "
                                           "cluster of another galaxy; left out.")
                                         % {"galaxy": galaxy.type, "name": cluster["value"]})
                    continue
                obj = self._valid(self._object(galaxy, cluster, sid))
                if obj is None:
                    continue
                emitted.add(sid)
                made += 1
                yield obj
                relations.extend((sid, rtype, target, galaxy)
                                 for rtype, target in self._relations(galaxy, cluster, sid))
            self.counts.objects[galaxy.type] = made
        seen: set[str] = set()
        for galaxy in self.galaxies:
            self.counts.relationships.setdefault(galaxy.type, 0)
        for source, rtype, target, galaxy in relations:
            if target not in emitted or target == source:
                continue
            rel = self._relationship(source, rtype, target, galaxy)
            if rel["id"] in seen:
                continue
            seen.add(rel["id"])
            self.counts.relationships[galaxy.type] += 1
            yield rel

    # -------------------------------------------------------------- one cluster

    def _valid(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        problems = validate_object(obj)
        if not problems:
            return obj
        self.counts.skipped_objects += 1
        first = problems[0]
        self.counts.note(_("%(name)r left out: %(path)s %(problem)s.")
                         % {"name": obj.get("name", obj["id"]), "path": first.path,
                            "problem": first.message})
        return None

    def _object(self, galaxy: Galaxy, cluster: dict[str, Any], sid: str) -> dict[str, Any]:
        stix_type = galaxy.stix_type
        name = str(cluster["value"]).strip()[:_MAX_NAME]
        description = (cluster.get("description") or "").strip()
        obj: dict[str, Any] = {
            "type": stix_type, "spec_version": "2.1", "id": sid,
            "created": stix_time(CREATED), "modified": stix_time(modified_for(galaxy.version)),
            "name": name,
        }
        if stix_type == "location":
            self._location(galaxy, cluster, obj)
            if obj["name"].casefold() == description.casefold():
                description = ""
        if description:
            obj["description"] = description
        aliases = _unique(_meta(cluster, "synonyms"), without=obj["name"])
        if stix_type == "malware":
            obj["is_family"] = True
            if galaxy.type in MALWARE_TYPES:
                obj["malware_types"] = MALWARE_TYPES[galaxy.type]
            if aliases:
                obj["aliases"] = aliases
            if galaxy.type == "ransomware":
                details = self._ransomware(cluster)
                if details is not None:
                    obj["extensions"] = {extensions.RANSOMWARE.definition_id: details}
        elif stix_type in ("tool", "intrusion-set", "threat-actor") and aliases:
            obj["aliases"] = aliases
        elif stix_type == "attack-pattern":
            phases = self._kill_chain_phases(cluster)
            if phases:
                obj["kill_chain_phases"] = phases
            platforms = _meta(cluster, "mitre_platforms")
            if platforms:
                obj["x_mitre_platforms"] = platforms
        elif stix_type == "identity":
            obj["identity_class"] = "class"
        if any(r.get("type") == "revoked-by" for r in cluster.get("related") or []):
            obj["revoked"] = True
        obj["labels"] = [f'misp:galaxy-type="{galaxy.type}"',
                         f'misp:galaxy-name="{galaxy.name}"']
        obj["external_references"] = self._references(galaxy, cluster, obj)
        obj["object_marking_refs"] = [CLEAR_MARKING]
        return obj

    def _location(self, galaxy: Galaxy, cluster: dict[str, Any], obj: dict[str, Any]) -> None:
        if galaxy.type == "country":
            iso = _meta(cluster, "ISO")
            description = (cluster.get("description") or "").strip()
            if description and description.casefold() == obj["name"].casefold():
                obj["name"] = description  # the value is lower case, the description not
            if iso and re.fullmatch(r"[A-Za-z]{2}", iso[0]):
                obj["country"] = iso[0].upper()
            else:
                obj["region"] = "unknown"
            return
        m = _M49.match(obj["name"])
        if m:
            obj["name"] = m.group(2)
        obj["region"] = re.sub(r"[^a-z0-9]+", "-", obj["name"].casefold()).strip("-") or "world"

    def _kill_chain_phases(self, cluster: dict[str, Any]) -> list[dict[str, str]]:
        phases: list[dict[str, str]] = []
        for entry in _meta(cluster, "kill_chain"):
            prefix, _sep, phase = entry.rpartition(":")
            if not prefix or not phase:
                continue
            chain = next((name for start, name in KILL_CHAINS if prefix.startswith(start)),
                         None)
            if chain is None:
                continue
            item = {"kill_chain_name": chain, "phase_name": phase}
            if item not in phases:
                phases.append(item)
        return phases

    def _ransomware(self, cluster: dict[str, Any]) -> dict[str, Any] | None:
        return extensions.RANSOMWARE.extension(
            file_extensions=_meta(cluster, "extensions", "extension"),
            ransom_note_filenames=_meta(cluster, "ransomnotes-filenames", "ransomnotes-files",
                                        "ransomnotes-filesnames", "ransomenotes-files"),
            ransom_notes=_meta(cluster, "ransomnotes", "ransomenotes"),
            ransom_note_refs=_urls(_meta(cluster, "ransomnotes-refs", "ransomenotes-refs")),
            payment_method=_first(cluster, "payment-method"),
            ransom_amount=_first(cluster, "price"),
            encryption=_first(cluster, "encryption", "Encryption"),
            discovered=_first(cluster, "date"),
            sites=_urls(_meta(cluster, "links")))

    def _references(self, galaxy: Galaxy, cluster: dict[str, Any],
                    obj: dict[str, Any]) -> list[dict[str, str]]:
        refs: list[dict[str, str]] = [{
            "source_name": "misp-galaxy", "external_id": str(cluster["uuid"]).lower(),
            "description": f"MISP galaxy {galaxy.type}, version {galaxy.version}"}]
        urls = _urls(_meta(cluster, "refs"))
        if galaxy.type.startswith("mitre-"):
            for ext_id in _meta(cluster, "external_id"):
                ref = {"source_name": "mitre-attack", "external_id": ext_id}
                home = next((u for u in urls if urlsplit(u).netloc == "attack.mitre.org"), None)
                if home:
                    ref["url"] = home
                refs.append(ref)
        elif galaxy.type == "region":
            m = _M49.match(str(cluster["value"]))
            if m:
                refs.append({"source_name": "UN M49", "external_id": m.group(1)})
        for url in urls:
            host = urlsplit(url).netloc.lower().removeprefix("www.")
            refs.append({"source_name": host[:100] or "reference", "url": url})
        return refs

    # -------------------------------------------------------------- relations

    def _relations(self, galaxy: Galaxy, cluster: dict[str, Any],
                   sid: str) -> Iterator[tuple[str, str]]:
        for related in cluster.get("related") or []:
            target = self.ids.get(str(related["dest-uuid"]).lower())
            if target is None:
                self.counts.dangling_relations += 1
                continue
            rtype = str(related["type"]).strip().casefold().replace(" ", "-").replace("_", "-")
            if _RELATIONSHIP_TYPE.fullmatch(rtype):
                yield rtype, target
        if galaxy.stix_type in ACTOR_GALAXY_STIX_TYPES:
            for code in _meta(cluster, "country"):
                target = self.countries.get(code.casefold())
                if target:
                    yield "originates-from", target
            for sector in _meta(cluster, "targeted-sector", "cfr-target-category", "sector"):
                target = self.sectors.get(sector.casefold())
                if target:
                    yield "targets", target
            for victim in _meta(cluster, "cfr-suspected-victims", "suspected-victims"):
                target = self.countries.get(victim.casefold())
                if target:
                    yield "targets", target
        if galaxy.type == "ransomware":
            for ttp in _meta(cluster, "TTP", "ttp"):
                m = _ATTACK_ID.search(ttp)
                target = self.techniques.get(m.group(1)) if m else None
                if target:
                    yield "uses", target

    def _relationship(self, source: str, rtype: str, target: str,
                      galaxy: Galaxy) -> dict[str, Any]:
        rid = uuid.uuid5(RELATIONSHIP_NAMESPACE, f"{source}|{rtype}|{target}")
        return {
            "type": "relationship", "spec_version": "2.1", "id": f"relationship--{rid}",
            "created": stix_time(CREATED),
            "modified": stix_time(modified_for(galaxy.version)),
            "relationship_type": rtype, "source_ref": source, "target_ref": target,
            "labels": [f'misp:galaxy-type="{galaxy.type}"'],
            "object_marking_refs": [CLEAR_MARKING],
        }
