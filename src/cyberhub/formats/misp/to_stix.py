"""MISP events → a STIX 2.1 bundle: the ``misp`` converter.

Each event is read (:mod:`.reader`), turned into objects and written out at once, so
memory holds one event and the set of observable ids already written (an observable
shared by many events is written once per bundle). Ids come from the MISP uuids, so
importing the same event again changes nothing, and an event whose ``timestamp`` moved
on gives new versions (``modified``). The mapping is documented in ``docs/misp.md``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

import orjson

from cyberhub.formats.convert import ConversionError, ConvertContext, Emit, Notice
from cyberhub.formats.misp import reader
from cyberhub.formats.misp.mapping import (
    PATTERN_TYPES,
    TEXT_TYPES,
    Observable,
    Unfit,
    file_sco,
    observable,
    pattern,
)
from cyberhub.formats.misp.tags import (
    ANALYSIS,
    DISTRIBUTION_TLP,
    INHERIT,
    SHARING_GROUP,
    THREAT_LEVELS,
    distribution_of,
)
from cyberhub.formats.stix.validate import validate_object
from cyberhub.i18n import _, ngettext
from cyberhub.intel import extensions
from cyberhub.intel.galaxies import cluster_stix_id
from cyberhub.intel.markings import (
    MARKING_BY_PAP,
    MARKING_BY_TLP,
    PAP_DEFINITIONS,
    STRICTNESS,
    TLP2_DEFINITIONS,
    stricter_pap,
)
from cyberhub.refdata.taxonomies import (
    admiralty_of_tag,
    confidence_of_tags,
    pap_of_tag,
    tlp_of_tag,
)
from cyberhub.sharing import PAP, TLP

__all__ = ["MISP_NAMESPACE", "convert", "objects", "sharing_group_marking_id"]

# Ids this converter derives (relationships, sharing groups, items without a uuid).
MISP_NAMESPACE: Final = uuid.UUID("3b4c1a5e-6f2d-5d0a-8e4b-9c7f1e2d3a40")
MAX_NOTICES: Final = 1000
EPOCH: Final = "1970-01-01T00:00:00.000Z"
# Minimal objects made for galaxy clusters the data names: older than any real version.
CLUSTER_TIME: Final = "2000-01-01T00:00:00.000Z"
_REL_TYPE: Final = re.compile(r"[^a-z0-9-]+")
_INDICATES: Final = frozenset({"malware", "intrusion-set", "attack-pattern", "tool",
                               "threat-actor", "campaign", "infrastructure"})
_CLEAR_MARKING: Final = MARKING_BY_TLP[TLP.CLEAR]


def sharing_group_marking_id(key: str) -> str:
    return f"marking-definition--{uuid.uuid5(MISP_NAMESPACE, 'sharing-group:' + key)}"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


_TS_CACHE: dict[str, str | None] = {}


def _ts(value: Any) -> str | None:
    """A MISP epoch timestamp (string or number) as a STIX timestamp."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    key = str(value)
    cached = _TS_CACHE.get(key)
    if cached is not None or key in _TS_CACHE:
        return cached
    try:
        seconds = int(float(key))
        found: str | None = _stamp(datetime.fromtimestamp(seconds, UTC)) if (
            0 < seconds < 253402300800) else None
    except (ValueError, OverflowError, OSError):
        found = None
    if len(_TS_CACHE) > 100_000:
        _TS_CACHE.clear()
    _TS_CACHE[key] = found
    return found


def _day(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10]).strftime("%Y-%m-%dT00:00:00.000Z")
    except ValueError:
        return None


def _iso(value: Any) -> str | None:
    """first_seen / last_seen (ISO 8601 with a zone) as a STIX timestamp."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return _stamp(moment.astimezone(UTC))
    except (ValueError, OverflowError):
        return None


# A UUID in the form str(uuid.UUID(…)) gives, of RFC 4122 versions 1-5: taken as it is.
_PLAIN_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _uuid(value: Any) -> str | None:
    """A MISP uuid as a STIX id's UUID: as it is when RFC 4122, else derived from it."""
    if not isinstance(value, str):
        return None
    if _PLAIN_UUID.fullmatch(value):  # nearly every one: no UUID object needed
        return value
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    if parsed.variant != uuid.RFC_4122 or parsed.version not in (1, 2, 3, 4, 5):
        # stix2-validator takes versions 1-5 of RFC 4122 only
        parsed = uuid.uuid5(MISP_NAMESPACE, str(parsed))
    return str(parsed)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, (str, int, float)) and str(value).lower()
                             in ("1", "true"))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _checked(found: Observable) -> Observable | Unfit:
    """The observable, if STIX takes its value (a domain name that is one…)."""
    for sco in found.scos:
        problems = validate_object(sco)
        if problems:
            return Unfit(f"{problems[0].path} {problems[0].message}")
    return found


class _Marks:
    """The markings of one item: TLP, PAP, sharing group, and the other tags."""

    __slots__ = ("confidence", "grades", "labels", "pap", "sharing_group", "tlp")

    def __init__(self, tlp: TLP | None = None, pap: PAP | None = None,
                 sharing_group: str | None = None, labels: list[str] | None = None,
                 grades: dict[str, str] | None = None) -> None:
        self.tlp = tlp
        self.pap = pap
        self.sharing_group = sharing_group
        self.labels = labels or []
        # Admiralty-scale tags by axis, the item's own over its event's; their STIX
        # confidence (refdata.taxonomies).
        self.grades = grades or {}
        self.confidence = confidence_of_tags(self.grades.values()) if self.grades else None

    def refs(self) -> list[str]:
        refs = []
        if self.tlp is not None:
            refs.append(MARKING_BY_TLP[self.tlp])
        if self.pap is not None:
            refs.append(MARKING_BY_PAP[self.pap])
        if self.sharing_group is not None:
            refs.append(self.sharing_group)
        return refs


def _stricter_tlp(a: TLP | None, b: TLP | None) -> TLP | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if STRICTNESS[a] >= STRICTNESS[b] else b


class _Bundle:
    """Hands the objects on as they come: definitions once, observables once."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.written: set[str] = set()  # ids of observables, definitions, clusters

    def add(self, obj: dict[str, Any]) -> None:
        self.emit(obj)

    def once(self, obj: dict[str, Any]) -> bool:
        oid = obj["id"]
        if oid in self.written:
            return False
        self.written.add(oid)
        self.add(obj)
        return True

    def markings(self, refs: Iterable[str]) -> None:
        for ref in refs:
            if ref in self.written:
                continue
            definition = TLP2_DEFINITIONS.get(ref) or PAP_DEFINITIONS.get(ref)
            if definition is not None:
                self.written.add(ref)
                self.add(dict(definition))


class _JSONBundle:
    """Writes the objects handed to it as one bundle's JSON, in runs of encoded objects."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.count = 0
        self.buffer: list[bytes] = []
        target.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode()
                     + b'","objects":[')

    def add(self, obj: dict[str, Any]) -> None:
        self.buffer.append(orjson.dumps(obj))
        self.count += 1
        if len(self.buffer) >= 512:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            lead = b"," if self.count > len(self.buffer) else b""
            self.target.write(lead + b",".join(self.buffer))
            self.buffer.clear()

    def close(self) -> None:
        self.flush()
        self.target.write(b"]}\n")


class _Notices:
    def __init__(self) -> None:
        self.items: list[Notice] = []
        self.more = 0

    def add(self, index: int, ref: str | None, path: str, message: str) -> None:
        if len(self.items) < MAX_NOTICES:
            self.items.append(Notice(index, ref, path, message))
        else:
            self.more += 1

    def result(self) -> list[Notice]:
        if self.more:
            more = ngettext("… and %(n)d more notice of the same kinds.",
                            "… and %(n)d more notices of the same kinds.", self.more)
            return [*self.items, Notice(-1, None, "", more % {"n": self.more})]
        return self.items


def convert(source: Path, target: BinaryIO, context: ConvertContext) -> list[Notice]:
    """The ``misp`` converter: MISP event JSON or a MISP feed → one STIX 2.1 bundle.

    Options: ``since`` (a feed's manifest timestamp: only newer events are read)."""
    bundle = _JSONBundle(target)
    notices = objects(source, bundle.add, context)
    bundle.close()
    return notices


def objects(source: Path, emit: Emit, context: ConvertContext) -> list[Notice]:
    """The same conversion, each STIX object handed to ``emit`` as it is made (and not
    changed afterwards): a large source is converted where the import validates."""
    since_option = context.options.get("since")
    since = int(since_option) if isinstance(since_option, (int, str)) and str(
        since_option).isdigit() else None
    bundle = _Bundle(emit)
    notices = _Notices()
    share = _Share(context.progress)
    for index, event in enumerate(reader.events(source, since=since, progress=share.read)):
        _Event(index, event, context, bundle, notices, share).convert()
    share.finish()
    return notices.result()


class _Share:
    """The share of the source converted, for the import's progress. The reader says how
    far it has read once it holds an event; that event's part is spread over its
    attributes and objects as they are converted (one event may be the whole file)."""

    EVERY: Final = 256  # items between reports

    def __init__(self, report: Callable[[float], None] | None) -> None:
        self.report = report
        self.before = self.after = 0.0  # the shares read before and after this event
        self.step = 0.0
        self.items = 0

    def read(self, share: float) -> None:
        self.before, self.after = self.after, share

    def start(self, items: int) -> None:
        self.step = (self.after - self.before) / items if items else 0.0
        self.items = 0

    def item(self) -> None:
        self.items += 1
        if self.report is not None and self.items % self.EVERY == 0:
            self.report(self.before + self.step * self.items)

    def done(self) -> None:
        if self.report is not None:
            self.report(self.after)

    def finish(self) -> None:
        if self.report is not None:
            self.report(1.0)  # what follows the last event, if anything, is read too


class _Event:
    def __init__(self, index: int, event: dict[str, Any], context: ConvertContext,
                 bundle: _Bundle, notices: _Notices, share: _Share) -> None:
        self.index = index
        self.event = event
        self.context = context
        self.bundle = bundle
        self.notices = notices
        self.share = share
        euuid = _uuid(event.get("uuid"))
        if euuid is None:
            raise ConversionError(_("Event %(index)d has no valid uuid; MISP events always "
                                    "carry one. Nothing was stored.") % {"index": index})
        self.uuid = euuid
        self.report_id = f"report--{euuid}"
        modified = _ts(event.get("timestamp")) or _ts(event.get("publish_timestamp"))
        day = _day(event.get("date"))
        self.modified = modified or day or EPOCH
        self.created = day if day is not None and day <= self.modified else self.modified
        self.distribution = distribution_of(event.get("distribution"))
        self.marks = self._marks(event, "", None, self.distribution)
        self.refs: list[str] = []
        self.ids: dict[str, str] = {}  # MISP uuid → main STIX id, for object references

    # ------------------------------------------------------------------ markings

    def note(self, path: str, message: str, ref: str | None = None) -> None:
        self.notices.add(self.index, ref or self.uuid, path, message)

    def _sharing_group(self, item: dict[str, Any]) -> str | None:
        group = item.get("SharingGroup")
        if not isinstance(group, dict):
            group = self.event.get("SharingGroup")
        if not isinstance(group, dict):
            key = _text(item.get("sharing_group_id") or self.event.get("sharing_group_id"))
            return sharing_group_marking_id(f"id:{key}") if key and key != "0" else None
        key = _uuid(group.get("uuid")) or f"name:{_text(group.get('name'))}"
        marking_id = sharing_group_marking_id(key)
        if marking_id not in self.bundle.written:
            orgs = []
            for entry in _list(group.get("SharingGroupOrg")):
                org = entry.get("Organisation") if isinstance(entry, dict) else None
                if isinstance(org, dict):
                    orgs.append({"uuid": _text(org.get("uuid")), "name": _text(org.get("name"))})
            owner = group.get("Organisation")
            if isinstance(owner, dict):
                orgs.append({"uuid": _text(owner.get("uuid")), "name": _text(owner.get("name"))})
            name = _text(group.get("name")) or key
            self.bundle.written.add(marking_id)
            self.bundle.add({
                "type": "marking-definition", "spec_version": "2.1", "id": marking_id,
                "created": EPOCH, "name": f"MISP sharing group: {name}"[:250],
                "definition_type": "statement",
                "definition": {"statement": f"Shared within the MISP sharing group {name}."},
                "x_misp_sharing_group": {"uuid": _text(group.get("uuid")), "name": name,
                                         **({"organisations": orgs} if orgs else {})}})
        return marking_id

    def _marks(self, item: dict[str, Any], path: str, parent: _Marks | None,
               distribution: int | None) -> _Marks:
        tlp = parent.tlp if parent else None
        pap = parent.pap if parent else None
        labels: list[str] = []
        for i, tag in enumerate(_list(item.get("Tag"))):
            name = tag.get("name") if isinstance(tag, dict) else tag
            if not isinstance(name, str) or not name.strip():
                self.note(f"{path}Tag[{i}]", _("A tag without a name was left out."),
                          _uuid(item.get("uuid")))
                continue
            found_tlp = tlp_of_tag(name)
            if found_tlp is not None:
                tlp = _stricter_tlp(tlp, found_tlp)
                continue
            found_pap = pap_of_tag(name)
            if found_pap is not None:
                pap = stricter_pap(pap, found_pap)
                continue
            labels.append(name.strip()[:250])
        sharing_group = parent.sharing_group if parent else None
        if distribution is not None and distribution != INHERIT:
            tlp = _stricter_tlp(tlp, DISTRIBUTION_TLP[distribution])
            if distribution == SHARING_GROUP:
                sharing_group = self._sharing_group(item)
        grades = dict(parent.grades) if parent else {}
        for label in labels:
            grade = admiralty_of_tag(label)
            if grade is not None:
                grades[grade.axis.casefold()] = label
        marks = _Marks(tlp, pap, sharing_group, labels, grades)
        self.bundle.markings(marks.refs())
        return marks

    def _common(self, obj: dict[str, Any], marks: _Marks) -> dict[str, Any]:
        refs = marks.refs()
        if refs:
            obj["object_marking_refs"] = refs
        if marks.confidence is not None and "created" in obj:  # SDOs and SROs only
            obj.setdefault("confidence", marks.confidence)
        return obj

    # ------------------------------------------------------------------ the event

    def convert(self) -> None:
        event = self.event
        attributes, objects = _list(event.get("Attribute")), _list(event.get("Object"))
        self.share.start(len(attributes) + len(objects))
        for i, attribute in enumerate(attributes):
            self.attribute(attribute, f"Attribute[{i}]", None)
            self.share.item()
        for i, obj in enumerate(objects):
            self.misp_object(obj, f"Object[{i}]")
            self.share.item()
        for i, obj in enumerate(_list(event.get("Object"))):
            if isinstance(obj, dict):
                self.references(obj, f"Object[{i}]")
        for i, item in enumerate(_list(event.get("EventReport"))):
            self.event_report(item, f"EventReport[{i}]")
        labels = list(self.marks.labels)
        threat = THREAT_LEVELS.get(_text(event.get("threat_level_id")))
        if threat:
            labels.append(f'misp:threat-level="{threat}"')
        analysis = ANALYSIS.get(_text(event.get("analysis")))
        if analysis:
            labels.append(f'misp:analysis="{analysis}"')
        labels.extend(self.galaxies(event, "", self.report_id, self.marks))
        published = (_ts(event.get("publish_timestamp")) if _flag(event.get("published"))
                     else None) or self.created
        report: dict[str, Any] = {
            "type": "report", "spec_version": "2.1", "id": self.report_id,
            "created": self.created, "modified": self.modified,
            "name": (_text(event.get("info")) or f"MISP event {self.uuid}")[:500],
            "published": published,
            "report_types": ["threat-report"],
            "object_refs": list(dict.fromkeys(self.refs)) or [self.context.identity_id],
        }
        if labels:
            report["labels"] = list(dict.fromkeys(labels))
        orgc = event.get("Orgc")
        if isinstance(orgc, dict) and orgc.get("name"):
            report["x_misp_orgc"] = {"name": _text(orgc.get("name")),
                                     "uuid": _text(orgc.get("uuid"))}
        if _flag(event.get("published")):
            report["x_misp_published"] = True
        self.bundle.add(self._common(report, self.marks))
        self.share.done()

    # ------------------------------------------------------------------ attributes

    def _times(self, item: dict[str, Any]) -> tuple[str, str]:
        modified = _ts(item.get("timestamp")) or self.modified
        created = self.created if self.created <= modified else modified
        return created, modified

    def attribute(self, attribute: Any, path: str, parent: _Marks | None) -> str | None:
        """Convert one attribute; return the STIX id it became (None if left out)."""
        if not isinstance(attribute, dict):
            self.note(path, _("Not a MISP attribute (a JSON object is expected); left out."))
            return None
        auuid = _uuid(attribute.get("uuid"))
        misp_type = _text(attribute.get("type")).strip()
        value = _text(attribute.get("value"))
        if auuid is None:
            auuid = str(uuid.uuid5(MISP_NAMESPACE, f"{self.uuid}:{path}"))
            self.note(path, _("The attribute has no valid uuid; its id is derived from the "
                              "event's and its position."))
        if not misp_type or not value:
            self.note(path, _("The attribute has no type or no value; left out."), auuid)
            return None
        marks = self._marks(attribute, f"{path}.", parent or self.marks,
                            distribution_of(attribute.get("distribution")))
        created, modified = self._times(attribute)
        extra: dict[str, Any] = {"x_misp_type": misp_type, "x_misp_value": value}
        category = _text(attribute.get("category"))
        if category:
            extra["x_misp_category"] = category
        comment = _text(attribute.get("comment"))
        to_ids = _flag(attribute.get("to_ids"))
        first_seen = _iso(attribute.get("first_seen"))
        last_seen = _iso(attribute.get("last_seen"))
        found = observable(misp_type, value)
        if isinstance(found, Observable) and not to_ids:
            found = _checked(found)
        pattern_type = PATTERN_TYPES.get(misp_type)
        if pattern_type is not None or (to_ids and isinstance(found, Observable)):
            stix_id = f"indicator--{auuid}"
            obj: dict[str, Any] = {
                "type": "indicator", "spec_version": "2.1", "id": stix_id,
                "created": created, "modified": modified, "name": value[:500],
                "pattern": value if pattern_type else pattern(
                    found.comparisons if isinstance(found, Observable) else []),
                "pattern_type": pattern_type or "stix",
                "valid_from": first_seen or created,
            }
            if last_seen and last_seen > obj["valid_from"]:
                obj["valid_until"] = last_seen
            if not to_ids:
                extra["x_misp_to_ids"] = False
        elif isinstance(found, Observable):
            stix_id = f"observed-data--{auuid}"
            for sco in found.scos:
                self.bundle.once(self._common(sco, marks))
            first = first_seen or modified
            obj = {"type": "observed-data", "spec_version": "2.1", "id": stix_id,
                   "created": created, "modified": modified, "first_observed": first,
                   "last_observed": last_seen if last_seen and last_seen >= first else first,
                   "number_observed": 1, "object_refs": [s["id"] for s in found.scos]}
            self.refs.extend(s["id"] for s in found.scos)
        else:
            stix_id = f"x-misp-attribute--{auuid}"
            obj = {"type": "x-misp-attribute", "spec_version": "2.1", "id": stix_id,
                   "created": created, "modified": modified, "name": value[:500]}
            if isinstance(found, Unfit):
                self.note(f"{path}.value", _("Kept as a custom x-misp-attribute object: "
                                             "%(reason)s.") % {"reason": found.reason}, auuid)
            elif misp_type not in TEXT_TYPES:
                self.note(f"{path}.type", _("Attribute type %(type)r has no STIX "
                                            "equivalent: kept as a custom x-misp-attribute "
                                            "object.") % {"type": misp_type[:60]}, auuid)
            if to_ids:
                extra["x_misp_to_ids"] = True
        if comment:
            obj["description"] = comment[:20_000]
        obj.update(extra)
        labels = marks.labels + self.galaxies(attribute, f"{path}.", stix_id, marks)
        if labels:
            obj["labels"] = list(dict.fromkeys(labels))
        self.bundle.add(self._common(obj, marks))
        self.refs.append(stix_id)
        self.ids[auuid] = stix_id
        self.sightings(attribute, path, stix_id, marks)
        return stix_id

    def sightings(self, attribute: dict[str, Any], path: str, target: str,
                  marks: _Marks) -> None:
        for i, sighting in enumerate(_list(attribute.get("Sighting"))):
            if not isinstance(sighting, dict):
                continue
            when = _ts(sighting.get("date_sighting")) or _ts(sighting.get("timestamp"))
            if when is None:
                self.note(f"{path}.Sighting[{i}]", _("A sighting without a date was left out."))
                continue
            kind = {"0": "sighting", "1": "false-positive", "2": "expiration"}.get(
                _text(sighting.get("type")) or "0", "sighting")
            source = _text(sighting.get("source"))
            suuid = _uuid(sighting.get("uuid")) or str(uuid.uuid5(
                MISP_NAMESPACE, f"{target}:{path}:{when}:{source}:{kind}:{i}"))
            obj: dict[str, Any] = {
                "type": "sighting", "spec_version": "2.1", "id": f"sighting--{suuid}",
                "created": when, "modified": when, "first_seen": when, "last_seen": when,
                "count": 1, "sighting_of_ref": target, "x_misp_sighting_type": kind}
            if source:
                obj["x_misp_source"] = source[:200]
            org = sighting.get("Organisation")
            if isinstance(org, dict) and org.get("name"):
                obj["x_misp_organisation"] = _text(org.get("name"))[:200]
            self.bundle.add(self._common(obj, marks))
            self.refs.append(obj["id"])

    # ------------------------------------------------------------------ galaxies

    def galaxies(self, item: dict[str, Any], path: str, source: str,
                 marks: _Marks) -> list[str]:
        """Relationships to the clusters; labels for clusters of unmapped galaxies."""
        labels: list[str] = []
        source_type = source.partition("--")[0]
        for galaxy in _list(item.get("Galaxy")):
            if not isinstance(galaxy, dict):
                continue
            for cluster in _list(galaxy.get("GalaxyCluster")):
                if not isinstance(cluster, dict):
                    continue
                ctype = _text(cluster.get("type") or galaxy.get("type"))
                name = _text(cluster.get("value")) or _text(cluster.get("tag_name"))
                target = cluster_stix_id(ctype, _text(cluster.get("uuid")))
                if target is not None and _uuid(target.partition("--")[2]) != (
                        target.partition("--")[2]):
                    target = None  # not an RFC 4122 UUID: no valid STIX id
                if target is None or not name:
                    tag = _text(cluster.get("tag_name")) or f'misp-galaxy:{ctype}="{name}"'
                    labels.append(tag[:250])
                    continue
                self._cluster(target, name, ctype, cluster)
                kind = "indicates" if source_type == "indicator" and (
                    target.partition("--")[0] in _INDICATES) else "related-to"
                created, modified = self._times(item) if item is not self.event else (
                    self.created, self.modified)
                rel = {"type": "relationship", "spec_version": "2.1",
                       "id": "relationship--" + str(uuid.uuid5(
                           MISP_NAMESPACE, f"{source}|{kind}|{target}")),
                       "created": created, "modified": modified, "relationship_type": kind,
                       "source_ref": source, "target_ref": target}
                self.bundle.add(self._common(rel, marks))
                self.refs.extend((rel["id"], target))
        return labels

    def _cluster(self, target: str, name: str, ctype: str, cluster: dict[str, Any]) -> None:
        if target in self.bundle.written:
            return
        stix_type = target.partition("--")[0]
        obj: dict[str, Any] = {"type": stix_type, "spec_version": "2.1", "id": target,
                               "created": CLUSTER_TIME, "modified": CLUSTER_TIME,
                               "name": name[:500], "object_marking_refs": [_CLEAR_MARKING],
                               "x_misp_galaxy": {"type": ctype,
                                                 "tag_name": _text(cluster.get("tag_name"))}}
        if stix_type == "malware":
            obj["is_family"] = True
        elif stix_type == "identity":
            obj["identity_class"] = "class"
        elif stix_type == "location":
            meta = cluster.get("meta") if isinstance(cluster.get("meta"), dict) else {}
            iso = meta.get("ISO") if isinstance(meta, dict) else None
            if isinstance(iso, list):
                iso = iso[0] if iso else None
            if isinstance(iso, str) and len(iso) == 2 and iso.isalpha():
                obj["country"] = iso.upper()
            else:
                obj["region"] = _REL_TYPE.sub("-", name.lower()).strip("-") or "unknown"
        self.bundle.markings([_CLEAR_MARKING])
        self.bundle.once(obj)

    # ------------------------------------------------------------------ objects

    def misp_object(self, item: Any, path: str) -> None:
        if not isinstance(item, dict):
            self.note(path, _("Not a MISP object (a JSON object is expected); left out."))
            return
        ouuid = _uuid(item.get("uuid")) or str(uuid.uuid5(MISP_NAMESPACE,
                                                          f"{self.uuid}:{path}"))
        name = _text(item.get("name")) or "object"
        marks = self._marks(item, f"{path}.", self.marks,
                            distribution_of(item.get("distribution")))
        created, modified = self._times(item)
        attributes = [a for a in _list(item.get("Attribute")) if isinstance(a, dict)]
        kept: list[dict[str, Any]] = []
        scos: list[dict[str, Any]] = []
        comparisons: list[tuple[str, str]] = []
        merged: dict[str, dict[str, Any]] = {}  # mergeable SCO type → its properties
        for i, attribute in enumerate(attributes):
            relation = _text(attribute.get("object_relation"))
            misp_type = _text(attribute.get("type"))
            value = _text(attribute.get("value"))
            record: dict[str, Any] = {"uuid": _text(attribute.get("uuid")),
                                      "object_relation": relation,
                      "type": misp_type, "value": value}
            if _text(attribute.get("category")):
                record["category"] = _text(attribute.get("category"))
            if _flag(attribute.get("to_ids")):
                record["to_ids"] = True
            attr_tags = [t.get("name") for t in _list(attribute.get("Tag"))
                         if isinstance(t, dict) and isinstance(t.get("name"), str)]
            if attr_tags:
                record["tags"] = attr_tags
            kept.append(record)
            if not misp_type or not value:
                continue
            found = observable(misp_type, value)
            if isinstance(found, Observable):
                found = _checked(found)
            if name == "bank-account" and relation in ("institution-name", "swift", "bic"):
                key = "bank_name" if relation == "institution-name" else "bic"
                merged.setdefault("x-cyberhub-bank-account", {})[key] = value
                continue
            if isinstance(found, Observable):
                if _flag(attribute.get("to_ids")):
                    comparisons.extend(found.comparisons)
                head = found.scos[0]
                if head["type"] in ("file", "x-cyberhub-bank-account"):
                    into = merged.setdefault(head["type"], {})
                    for k, v in head.items():
                        if k == "hashes":
                            into.setdefault("hashes", {}).update(v)
                        elif k not in ("id", "type", "spec_version", "extensions"):
                            into.setdefault(k, v)
                    scos.extend(found.scos[1:])
                else:
                    scos.extend(found.scos)
            elif isinstance(found, Unfit):
                self.note(f"{path}.Attribute[{i}].value",
                          _("Kept in the object's x_misp_attributes only: %(reason)s.")
                          % {"reason": found.reason}, _uuid(attribute.get("uuid")))
            elif misp_type not in TEXT_TYPES:
                self.note(f"{path}.Attribute[{i}].type",
                          _("Attribute type %(type)r has no STIX equivalent: kept in the "
                            "object's x_misp_attributes.") % {"type": misp_type[:60]},
                          _uuid(attribute.get("uuid")))
        made: list[dict[str, Any]] = []
        if "file" in merged:
            made.append(file_sco(merged["file"]))
        if "x-cyberhub-bank-account" in merged:
            props = merged["x-cyberhub-bank-account"]
            if props.get("iban") or props.get("account_number"):
                made.append(extensions.new_bank_account(
                    iban=props.get("iban"), bic=props.get("bic"),
                    account_number=props.get("account_number"),
                    bank_name=props.get("bank_name")))
        for sco in made:
            fit = _checked(Observable([sco], []))
            if isinstance(fit, Unfit):
                self.note(f"{path}.Attribute", _("The %(type)s the object describes is kept "
                                                 "in x_misp_attributes only: %(reason)s.")
                          % {"type": sco["type"], "reason": fit.reason}, ouuid)
            else:
                scos.insert(0, sco)
        self._link(name, scos)
        extra: dict[str, Any] = {"x_misp_object": {
            "name": name, "meta_category": _text(item.get("meta-category")),
            "template_uuid": _text(item.get("template_uuid"))}}
        if kept:
            extra["x_misp_attributes"] = kept
        comment = _text(item.get("comment"))
        labels = marks.labels
        if name == "person" or not scos:
            main = self._object_as_sdo(name, ouuid, created, modified, kept)
        else:
            for sco in scos:
                self.bundle.once(self._common(sco, marks))
            unique = list(dict.fromkeys(s["id"] for s in scos))
            self.refs.extend(unique)
            first = _iso(item.get("first_seen")) or modified
            last = _iso(item.get("last_seen"))
            main = {"type": "observed-data", "spec_version": "2.1",
                    "id": f"observed-data--{ouuid}", "created": created, "modified": modified,
                    "first_observed": first,
                    "last_observed": last if last and last >= first else first,
                    "number_observed": 1, "object_refs": unique}
        main.update(extra)
        if comment and main["type"] != "observed-data":
            main["description"] = comment[:20_000]
        elif comment:
            main["x_misp_comment"] = comment[:20_000]
        labels = labels + self.galaxies(item, f"{path}.", main["id"], marks)
        if labels:
            main["labels"] = list(dict.fromkeys(labels))
        self.bundle.add(self._common(main, marks))
        self.refs.append(main["id"])
        self.ids[ouuid] = main["id"]
        if comparisons:
            indicator = {
                "type": "indicator", "spec_version": "2.1", "id": f"indicator--{ouuid}",
                "created": created, "modified": modified,
                "name": f"{name}: " + ", ".join(
                    r["value"] for r in kept if r.get("to_ids"))[:480],
                "pattern": pattern(comparisons), "pattern_type": "stix",
                "valid_from": _iso(item.get("first_seen")) or created,
                "x_misp_object_uuid": ouuid}
            if labels:
                indicator["labels"] = main["labels"]
            self.bundle.add(self._common(indicator, marks))
            self.refs.append(indicator["id"])
            rel = {"type": "relationship", "spec_version": "2.1",
                   "id": "relationship--" + str(uuid.uuid5(
                       MISP_NAMESPACE, f"{indicator['id']}|based-on|{main['id']}")),
                   "created": created, "modified": modified, "relationship_type": "based-on",
                   "source_ref": indicator["id"], "target_ref": main["id"]}
            self.bundle.add(self._common(rel, marks))
            self.refs.append(rel["id"])
        for i, attribute in enumerate(attributes):
            auuid = _uuid(attribute.get("uuid"))
            if auuid:
                self.ids.setdefault(auuid, main["id"])
            self.sightings(attribute, f"{path}.Attribute[{i}]", main["id"], marks)

    def _link(self, name: str, scos: list[dict[str, Any]]) -> None:
        """Relations MISP expresses by object template: a domain resolves to its IPs, an
        e-mail has a sender and recipients."""
        if name == "domain-ip":
            ips = [s["id"] for s in scos if s["type"] in ("ipv4-addr", "ipv6-addr")]
            for s in scos:
                if s["type"] == "domain-name" and ips:
                    s["resolves_to_refs"] = list(dict.fromkeys([*s.get("resolves_to_refs", []),
                                                                *ips]))

    def _object_as_sdo(self, name: str, ouuid: str, created: str, modified: str,
                       kept: list[dict[str, Any]]) -> dict[str, Any]:
        if name == "person":
            values = {r["object_relation"]: r["value"] for r in kept}
            full = values.get("full-name") or " ".join(
                v for v in (values.get("first-name"), values.get("last-name")) if v)
            return {"type": "identity", "spec_version": "2.1", "id": f"identity--{ouuid}",
                    "created": created, "modified": modified,
                    "name": (full or "person")[:500], "identity_class": "individual"}
        return {"type": "x-misp-object", "spec_version": "2.1", "id": f"x-misp-object--{ouuid}",
                "created": created, "modified": modified, "name": name[:500]}

    def references(self, item: dict[str, Any], path: str) -> None:
        source = self.ids.get(_uuid(item.get("uuid")) or "")
        if source is None:
            return
        created, modified = self._times(item)
        for i, ref in enumerate(_list(item.get("ObjectReference"))):
            if not isinstance(ref, dict):
                continue
            target = self.ids.get(_uuid(ref.get("referenced_uuid")) or "")
            if target is None:
                self.note(f"{path}.ObjectReference[{i}]", _("The reference points outside "
                                                            "this event; left out."))
                continue
            kind = _REL_TYPE.sub("-", _text(ref.get("relationship_type")).lower()).strip("-")
            rid = _uuid(ref.get("uuid")) or str(uuid.uuid5(
                MISP_NAMESPACE, f"{source}|{kind}|{target}"))
            rel = {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{rid}",
                   "created": created, "modified": modified,
                   "relationship_type": kind or "related-to", "source_ref": source,
                   "target_ref": target}
            self.bundle.add(self._common(rel, self.marks))
            self.refs.append(rel["id"])

    def event_report(self, item: Any, path: str) -> None:
        if not isinstance(item, dict) or not _text(item.get("content")):
            return
        ruuid = _uuid(item.get("uuid")) or str(uuid.uuid5(MISP_NAMESPACE,
                                                          f"{self.uuid}:{path}"))
        created, modified = self._times(item)
        note = {"type": "note", "spec_version": "2.1", "id": f"note--{ruuid}",
                "created": created, "modified": modified,
                "content": _text(item.get("content")), "object_refs": [self.report_id]}
        if _text(item.get("name")):
            note["abstract"] = _text(item.get("name"))[:500]
        self.bundle.add(self._common(note, self.marks))
