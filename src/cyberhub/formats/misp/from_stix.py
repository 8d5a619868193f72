"""What a viewer may see → MISP event JSON (the ``misp`` export), streamed.

The output is the MISP API's shape, ``{"response": [{"Event": {…}}, …]}``: each element
loads with ``pymisp.MISPEvent().load()``, and the hub's own MISP importer reads the
whole file back.

- Each visible **report** (within the export's filters) becomes one event, with the
  visible objects it references as attributes, MISP objects and sightings.
- Visible objects that no visible report references (**loose objects**) go into one
  more event per export, "cyberhub export …" (attributes first, then MISP objects).
- Markings: the hub's TLP and PAP of each record become ``tlp:`` / ``PAP:`` tags, and
  its TLP the MISP distribution (CLEAR → all communities, GREEN → this community,
  AMBER and stricter → your organisation only).

Values keep their MISP type when they came from MISP (``x_misp_type``); other objects
are mapped by :mod:`.mapping`. Visibility goes only through :func:`cyberhub.access.visible`
(the STIX export's conditions), and sensitive records are audited as the STIX export does.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from sqlalchemy import String, and_, exists, not_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.formats.misp.mapping import (
    KNOWN_TYPES,
    attribute_of_path,
    attribute_of_sco,
)
from cyberhub.formats.misp.tags import (
    ANALYSIS,
    THREAT_LEVELS,
    TLP_DISTRIBUTION,
)
from cyberhub.formats.stix.patterns import simple_comparisons
from cyberhub.intel.export import (
    _SENSITIVE,
    CHUNK,
    AuditSession,
    ExportFilters,
    Progress,
    _after,
    _conditions,
    _has_label,
    _raw_at,
    _raw_id,
    _Sensitive,
)
from cyberhub.intel.models import StixObject, StixRef
from cyberhub.refdata.taxonomies import pap_tag, tlp_tag
from cyberhub.sharing import PAP, TLP

__all__ = ["events"]

_THREAT_IDS: Final = {f'misp:threat-level="{v}"': k for k, v in THREAT_LEVELS.items()}
_ANALYSIS_IDS: Final = {f'misp:analysis="{v}"': k for k, v in ANALYSIS.items()}
_SDO_TYPES: Final = {"intrusion-set": "threat-actor", "threat-actor": "threat-actor",
                     "campaign": "campaign-name", "vulnerability": "vulnerability"}
_SCO_SKIP_IF_WRAPPED: Final = frozenset({"observed-data"})


def _epoch(stamp: Any) -> str:
    if not isinstance(stamp, str):
        return str(int(datetime.now(UTC).timestamp()))
    try:
        return str(int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        return str(int(datetime.now(UTC).timestamp()))


def _uuid_of(stix_id: str) -> str:
    return stix_id.partition("--")[2]


def _tags(labels: Any, tlp: TLP, pap: PAP | None) -> list[dict[str, str]]:
    names = [tlp_tag(tlp)]
    if pap is not None:
        names.append(pap_tag(pap))
    for label in labels if isinstance(labels, list) else []:
        if isinstance(label, str) and label not in _THREAT_IDS and label not in _ANALYSIS_IDS:
            names.append(label)
    return [{"name": n} for n in dict.fromkeys(names)]


class _Row:
    """One visible record: its STIX object and the hub's markings."""

    __slots__ = ("obj", "pap", "record_id", "tlp")

    def __init__(self, record_id: Any, data: str, tlp: Any, pap: Any) -> None:
        self.record_id = record_id
        self.obj: dict[str, Any] = orjson.loads(data)
        self.tlp = TLP(tlp)
        self.pap = PAP(pap) if pap else None


def _type(misp_type: str, value: str) -> tuple[str, str]:
    """A type PyMISP knows; others become text with the original type in the comment."""
    if misp_type in KNOWN_TYPES:
        return misp_type, ""
    return "text", f"MISP type {misp_type}"


class _Builder:
    """Turns the records of one event into MISP attributes and objects."""

    def __init__(self, event_tlp: TLP) -> None:
        self.event_tlp = event_tlp
        self.attributes: list[dict[str, Any]] = []
        self.objects: list[dict[str, Any]] = []
        self.by_stix: dict[str, dict[str, Any]] = {}
        self.event_tags: list[str] = []

    def _distribution(self, tlp: TLP) -> str:
        return "5" if tlp == self.event_tlp else str(TLP_DISTRIBUTION[tlp])

    def attribute(self, row: _Row, misp_type: str, value: str, *, to_ids: bool,
                  comment: str = "") -> dict[str, Any]:
        obj = row.obj
        misp_type, why = _type(misp_type, value)
        out: dict[str, Any] = {
            "uuid": _uuid_of(obj["id"]), "type": misp_type, "value": value,
            "to_ids": to_ids, "distribution": self._distribution(row.tlp),
            "timestamp": _epoch(obj.get("modified") or obj.get("created")),
            "Tag": _tags(obj.get("labels"), row.tlp, row.pap)}
        category = obj.get("x_misp_category")
        if isinstance(category, str) and not why:
            out["category"] = category
        note = "; ".join(c for c in (comment or str(obj.get("description") or ""), why) if c)
        if note:
            out["comment"] = note
        self.attributes.append(out)
        self.by_stix[obj["id"]] = out
        return out

    def add(self, row: _Row, wrapped: set[str]) -> None:
        obj = row.obj
        t = obj.get("type")
        misp_type, value = obj.get("x_misp_type"), obj.get("x_misp_value")
        if t in ("indicator", "observed-data", "x-misp-attribute") and isinstance(
                misp_type, str) and isinstance(value, str):
            to_ids = obj.get("x_misp_to_ids", t == "indicator")
            self.attribute(row, misp_type, value, to_ids=bool(to_ids))
        elif t == "observed-data" and isinstance(obj.get("x_misp_object"), dict):
            self.misp_object(row)
        elif t == "indicator" and obj.get("x_misp_object_uuid"):
            return  # the MISP object's to_ids attributes say it already
        elif t == "indicator":
            self.indicator(row)
        elif isinstance(obj.get("x_misp_galaxy"), dict):
            tag = obj["x_misp_galaxy"].get("tag_name")
            if isinstance(tag, str) and tag:
                self.by_stix[obj["id"]] = {"galaxy_tag": tag}
        elif t in _SDO_TYPES and obj.get("name"):
            self.attribute(row, _SDO_TYPES[str(t)], str(obj["name"]), to_ids=False)
        elif t not in ("report", "relationship", "sighting", "marking-definition",
                       "observed-data", "extension-definition") and obj["id"] not in wrapped:
            pairs = attribute_of_sco(obj)
            for i, (mtype, val) in enumerate(pairs):
                made = self.attribute(row, mtype, val, to_ids=False)
                if i:  # several values of one observable: one uuid each
                    made["uuid"] = str(uuid.uuid5(uuid.UUID(_uuid_of(obj["id"])), mtype))
            if not pairs and obj.get("name"):
                self.attribute(row, "text", str(obj["name"]), to_ids=False,
                               comment=f"STIX {t}")

    def indicator(self, row: _Row) -> None:
        obj = row.obj
        pattern = str(obj.get("pattern", ""))
        pattern_type = obj.get("pattern_type", "stix")
        if pattern_type != "stix":
            mtype = str(pattern_type) if pattern_type in ("yara", "sigma", "snort",
                                                          "suricata") else "text"
            self.attribute(row, mtype, pattern, to_ids=True)
            return
        pairs = simple_comparisons(pattern) if pattern else None
        if pairs and len(pairs) == 1:
            path, value = pairs[0]
            found = attribute_of_path(path)
            if found is not None:
                self.attribute(row, found, value, to_ids=True)
                return
        self.attribute(row, "stix2-pattern", pattern, to_ids=True)

    def misp_object(self, row: _Row) -> None:
        obj = row.obj
        meta = obj["x_misp_object"]
        attributes = []
        for i, a in enumerate(obj.get("x_misp_attributes") or []):
            if not isinstance(a, dict) or not a.get("value"):
                continue
            mtype, why = _type(str(a.get("type", "text")), str(a["value"]))
            item: dict[str, Any] = {
                "uuid": a.get("uuid") or str(uuid.uuid5(uuid.UUID(_uuid_of(obj["id"])),
                                                        str(i))),
                "object_relation": a.get("object_relation") or mtype, "type": mtype,
                "value": str(a["value"]), "to_ids": bool(a.get("to_ids", False))}
            if a.get("category") and not why:
                item["category"] = a["category"]
            if why:
                item["comment"] = why
            if a.get("tags"):
                item["Tag"] = [{"name": t} for t in a["tags"] if isinstance(t, str)]
            attributes.append(item)
        out: dict[str, Any] = {
            "uuid": _uuid_of(obj["id"]), "name": meta.get("name") or "object",
            "distribution": self._distribution(row.tlp),
            "timestamp": _epoch(obj.get("modified")), "Attribute": attributes}
        if meta.get("meta_category"):
            out["meta-category"] = meta["meta_category"]
        if meta.get("template_uuid"):
            out["template_uuid"] = meta["template_uuid"]
        if obj.get("x_misp_comment"):
            out["comment"] = obj["x_misp_comment"]
        self.objects.append(out)
        self.by_stix[obj["id"]] = out

    def link(self, rows: list[_Row]) -> None:
        """Sightings onto their attributes; galaxy relationships as tags."""
        for row in rows:
            obj = row.obj
            if obj.get("type") == "sighting":
                target = self.by_stix.get(str(obj.get("sighting_of_ref")))
                if target is None or "value" not in target:
                    continue
                kind = {"false-positive": "1", "expiration": "2"}.get(
                    str(obj.get("x_misp_sighting_type")), "0")
                sighting = {"uuid": _uuid_of(obj["id"]), "type": kind,
                            "date_sighting": _epoch(obj.get("last_seen") or obj.get("created"))}
                if obj.get("x_misp_source"):
                    sighting["source"] = obj["x_misp_source"]
                target.setdefault("Sighting", []).append(sighting)
            elif obj.get("type") == "relationship":
                galaxy = self.by_stix.get(str(obj.get("target_ref")), {}).get("galaxy_tag")
                if not galaxy:
                    continue
                source = self.by_stix.get(str(obj.get("source_ref")))
                if source is not None and "value" in source:
                    source.setdefault("Tag", []).append({"name": galaxy})
                else:
                    self.event_tags.append(galaxy)


def _event(report: _Row | None, builder: _Builder, *, info: str, event_uuid: str,
           created: str, modified: str) -> dict[str, Any]:
    labels = report.obj.get("labels") if report else None
    tlp = report.tlp if report else builder.event_tlp
    pap = report.pap if report else None
    tags = _tags(labels, tlp, pap) if report else []
    tags.extend({"name": t} for t in builder.event_tags if {"name": t} not in tags)
    event: dict[str, Any] = {
        "uuid": event_uuid, "info": info, "date": created[:10],
        "timestamp": _epoch(modified), "distribution": str(TLP_DISTRIBUTION[tlp]),
        "threat_level_id": "4", "analysis": "0", "published": False,
        "Tag": tags, "Attribute": builder.attributes, "Object": builder.objects}
    for label in labels if isinstance(labels, list) else []:
        if label in _THREAT_IDS:
            event["threat_level_id"] = _THREAT_IDS[label]
        if label in _ANALYSIS_IDS:
            event["analysis"] = _ANALYSIS_IDS[label]
    if report is not None and report.obj.get("x_misp_published"):
        event["published"] = True
        event["publish_timestamp"] = _epoch(report.obj.get("published"))
    orgc = report.obj.get("x_misp_orgc") if report else None
    if isinstance(orgc, dict) and orgc.get("name"):
        event["Orgc"] = {"name": orgc["name"], **({"uuid": orgc["uuid"]}
                                                   if orgc.get("uuid") else {})}
    return {"Event": event}


def _content(session: Session, viewer: Viewer, report: _Row,
             owner: Any) -> list[_Row]:
    refs = [r for r in report.obj.get("object_refs", []) if isinstance(r, str)]
    found: dict[str, tuple[bool, _Row]] = {}
    for start in range(0, len(refs), 1000):
        chunk = refs[start:start + 1000]
        for rid, stix_id, data, tlp, pap, own in session.execute(
                select(_raw_id, StixObject.stix_id, StixObject.data, StixObject.tlp,
                       StixObject.pap, StixObject.owner_org_id == owner)
                .where(access.visible(StixObject, viewer), StixObject.stix_id.in_(chunk))):
            if stix_id not in found or (own and not found[stix_id][0]):
                found[stix_id] = (bool(own), _Row(rid, data, tlp, pap))
    return [found[r][1] for r in dict.fromkeys(refs) if r in found]


def _wrapped(rows: list[_Row]) -> set[str]:
    """Observables an observed-data from MISP speaks for (not exported twice)."""
    out: set[str] = set()
    for row in rows:
        obj = row.obj
        if obj.get("type") == "observed-data" and (
                obj.get("x_misp_type") or obj.get("x_misp_object")):
            out.update(r for r in obj.get("object_refs", []) if isinstance(r, str))
    return out


def events(session: Session, viewer: Viewer, filters: ExportFilters | None = None, *,
           record_in: AuditSession | None = None,
           progress: Progress | None = None) -> Iterator[bytes]:
    """``{"response": [...]}``: one event per visible report, one for loose objects."""
    f = filters or ExportFilters()
    where = _conditions(viewer, f)
    sensitive = _Sensitive(viewer, "misp")
    complete = False
    sent = 0
    first = True

    def item(event: dict[str, Any]) -> bytes:
        nonlocal first
        lead = b"" if first else b","
        first = False
        return lead + orjson.dumps(event)

    try:
        yield b'{"response":['
        columns = (_raw_id.label("id"), _raw_at.label("created_at"), StixObject.data,
                   StixObject.tlp, StixObject.pap, StixObject.owner_org_id, StixObject.labels)
        last: tuple[Any, Any] | None = None
        while not f.types or "report" in f.types:
            rows = session.execute(select(*columns).where(
                *where, StixObject.type == "report", *_after(last))
                .order_by(StixObject.created_at, StixObject.id).limit(CHUNK)).all()
            if not rows:
                break
            last = (rows[-1].created_at, rows[-1].id)
            for r in rows:
                if not _has_label(r.labels, f):
                    continue
                report = _Row(r.id, r.data, r.tlp, r.pap)
                content = _content(session, viewer, report, r.owner_org_id)
                builder = _Builder(report.tlp)
                wrapped = _wrapped(content)
                for row in content:
                    builder.add(row, wrapped)
                builder.link(content)
                for row in (report, *content):
                    if row.tlp in _SENSITIVE:
                        sensitive.add(row.record_id)
                obj = report.obj
                yield item(_event(report, builder, info=str(obj.get("name") or ""),
                                  event_uuid=_uuid_of(obj["id"]),
                                  created=str(obj.get("created", "")),
                                  modified=str(obj.get("modified", ""))))
                sent += 1 + len(content)
            if progress is not None:
                progress(sent)
        loose = yield from _loose(session, viewer, f, where, sensitive, first, progress, sent)
        sent = loose
        yield b"]}\n"
        complete = True
    finally:
        sensitive.write(session, record_in, complete)


def _loose(session: Session, viewer: Viewer, f: ExportFilters, where: list[Any],
           sensitive: _Sensitive, first: bool, progress: Progress | None,
           sent: int) -> Generator[bytes, None, int]:
    """One event with every visible object that no visible report references."""
    report = aliased(StixObject)
    wrapper = aliased(StixObject)
    in_report = exists().where(
        StixRef.target_stix_id == StixObject.stix_id, StixRef.kind == "object_refs",
        StixRef.object_id == report.id, report.type == "report",
        access.visible(report, viewer))
    in_wrapper = exists().where(
        StixRef.target_stix_id == StixObject.stix_id, StixRef.kind == "object_refs",
        StixRef.object_id == wrapper.id, wrapper.type == "observed-data",
        access.visible(wrapper, viewer))
    columns = (_raw_id.label("id"), _raw_at.label("created_at"), StixObject.data,
               StixObject.tlp, StixObject.pap, StixObject.labels, StixObject.type)
    builder = _Builder(TLP.AMBER)
    opened = False
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    event_uuid = str(uuid.uuid4())
    for stage in ("attributes", "objects"):
        last: tuple[Any, Any] | None = None
        is_object = and_(StixObject.type == "observed-data",
                         type_coerce(StixObject.data, String).contains('"x_misp_object"'))
        while True:
            rows = session.execute(select(*columns).where(
                *where, StixObject.type.not_in(("report", "marking-definition",
                                                "extension-definition")),
                not_(in_report), is_object if stage == "objects" else not_(is_object),
                *_after(last)).order_by(StixObject.created_at, StixObject.id)
                .limit(CHUNK)).all()
            if not rows:
                break
            last = (rows[-1].created_at, rows[-1].id)
            wanted = [_Row(r.id, r.data, r.tlp, r.pap) for r in rows
                      if _has_label(r.labels, f)]
            wrapped: set[str] = set()
            if stage == "attributes":
                scos = [r.obj["id"] for r in wanted if r.obj.get("type") not in (
                    "indicator", "observed-data", "x-misp-attribute", "sighting",
                    "relationship")]
                if scos:
                    wrapped = set(session.scalars(select(StixObject.stix_id).where(
                        StixObject.stix_id.in_(scos), in_wrapper)))
            builder.attributes, builder.objects = [], []
            for row in wanted:
                builder.add(row, wrapped)
                if row.tlp in _SENSITIVE:
                    sensitive.add(row.record_id)
            builder.link(wanted)
            parts = [orjson.dumps(a) for a in (builder.attributes if stage == "attributes"
                                                else builder.objects)]
            sent += len(wanted)
            if parts:
                if not opened:
                    head = _event(None, _Builder(TLP.AMBER), info=(
                        f"cyberhub export {now[:19]}Z: objects outside any report"),
                        event_uuid=event_uuid, created=now, modified=now)
                    text = orjson.dumps(head)
                    # open the event's Attribute array: everything before it, then "["
                    cut = text.index(b'"Attribute":[]')
                    yield (b"" if first else b",") + text[:cut] + b'"Attribute":['
                    opened = True
                    attrs_open = True
                    comma = False
                if stage == "objects" and attrs_open:
                    yield b'],"Object":['
                    attrs_open, comma = False, False
                yield (b"," if comma else b"") + b",".join(parts)
                comma = True
            builder.by_stix.clear()
            if progress is not None:
                progress(sent)
    if opened:
        yield (b'],"Object":[]}}' if attrs_open else b"]}}")
    return sent
