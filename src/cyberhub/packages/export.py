"""A package taken out of the hub: a STIX 2.1 bundle, and a readable report (the data
for the HTML page, and a PDF drawn with fpdf2).

Each export holds only what the viewer may see: the package itself is loaded through
``access``, and its objects and relationships are listed under ``access.visible``. An
export that holds RED or AMBER+STRICT objects writes ``export.sensitive``, and every
export writes ``package.export``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from cyberhub import audit, pdfdoc
from cyberhub.access import Viewer
from cyberhub.audience import audience_of
from cyberhub.community.models import Organisation, User
from cyberhub.db import utcnow
from cyberhub.errors import Conflict
from cyberhub.i18n import _, ngettext, pgettext
from cyberhub.intel.export import effective_marking_refs
from cyberhub.intel.labels import VETTING_LABELS
from cyberhub.intel.markings import MARKING_BY_TLP, TLP2, TLP2_DEFINITIONS, org_identity_id
from cyberhub.intel.models import StixObject
from cyberhub.packages import service
from cyberhub.packages.models import IntelPackage
from cyberhub.sharing import TLP

_REPORT_NAMESPACE = uuid.UUID("0b6f3c52-5d0e-4f3a-9d7e-2f4c8b1a6e90")


def report_id(package: IntelPackage) -> str:
    """The package's STIX ``report`` id: stable across exports of one package."""
    return f"report--{uuid.uuid5(_REPORT_NAMESPACE, str(package.id))}"


def _ts(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _audit(session: Session, viewer: Viewer, package: IntelPackage, fmt: str,
           rows: list[StixObject]) -> None:
    audit.record(session, viewer.actor, "package.export", target_type="intel_packages",
                 target_id=package.id, details={"format": fmt, "objects": len(rows)})
    sensitive = [str(r.id) for r in rows if r.tlp.is_sensitive]
    if sensitive:
        audit.record(session, viewer.actor, "export.sensitive", target_type="stix_objects",
                     details={"format": f"package:{fmt}", "count": len(sensitive),
                              "ids": sensitive[:1000], "ids_truncated": len(sensitive) > 1000,
                              "complete": True, "package": str(package.id)})


def stix_bundle(session: Session, viewer: Viewer, package: IntelPackage) -> bytes:
    """A bundle: the package as a ``report`` whose ``object_refs`` name the objects and
    relationships the viewer may see, those objects (marked as the hub marks them), the
    owner's identity, and the marking and extension definitions they reference."""
    found = service.contents(session, viewer, package)
    rows = [*found.objects, *found.relationships]
    if not rows:
        raise Conflict(_("You may see none of this package's objects, so there is nothing to "
                         "export. Ask the releasing organisation to share them."))
    objects: list[dict[str, Any]] = []
    markings = {MARKING_BY_TLP[package.tlp]}
    types: set[str] = set()
    for row in rows:
        data = orjson.loads(row.data)
        refs = effective_marking_refs(data.get("object_marking_refs"), row.tlp)
        if refs is not None:
            data["object_marking_refs"] = refs
        markings.update(r for r in data.get("object_marking_refs", []) if r in TLP2_DEFINITIONS)
        types.add(str(data.get("type", "")))
        objects.append(data)
    owner = session.get(Organisation, package.owner_org_id)
    identity_id = org_identity_id(package.owner_org_id)
    created = _ts(package.created_at)
    released = package.released_at or utcnow()
    identity = {"type": "identity", "spec_version": "2.1", "id": identity_id,
                "created": created, "modified": created, "name": owner.name if owner else "",
                "identity_class": "organization"}
    report: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": report_id(package),
        "created": created, "modified": _ts(max(package.updated_at, package.created_at)),
        "created_by_ref": identity_id, "name": package.title,
        "report_types": ["threat-report"], "published": _ts(released),
        "object_refs": list(dict.fromkeys(str(o["id"]) for o in objects)),
        "object_marking_refs": [MARKING_BY_TLP[package.tlp]],
        "labels": ["intelligence-package"],
    }
    if package.narrative_markdown.strip():
        report["description"] = package.narrative_markdown
    if package.target:
        report["x_cyberhub_target"] = package.target
    from cyberhub.intel import extensions

    definitions = extensions.definitions_for(types)
    leading: list[dict[str, Any]] = [TLP2_DEFINITIONS[m] for m in TLP2 if m in markings]
    if definitions:
        leading += [extensions.IDENTITY, *definitions]
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
              "objects": [*leading, identity, report, *objects]}
    _audit(session, viewer, package, "stix", rows)
    return orjson.dumps(bundle)


# ---------------------------------------------------------------- the readable report


@dataclass
class ReportObject:
    type: str
    name: str
    stix_id: str
    tlp: str
    vetting: str


@dataclass
class Report:
    id: str
    title: str
    target: str
    narrative_html: str
    narrative_markdown: str
    tlp: str
    status: str
    owner: str
    author: str
    released_at: datetime | None
    generated_at: datetime
    recipients: list[str] = field(default_factory=list)
    objects: list[ReportObject] = field(default_factory=list)
    relationships: list[tuple[str, str, str]] = field(default_factory=list)
    hidden: int = 0


def _name(row: StixObject) -> str:
    if row.name:
        return row.name
    data = orjson.loads(row.data)
    for key in ("value", "number", "address", "iban", "handle", "account_number"):
        if isinstance(data.get(key), str | int) and str(data[key]):
            return str(data[key])
    return row.stix_id


def report(session: Session, viewer: Viewer, package: IntelPackage, fmt: str) -> Report:
    found = service.contents(session, viewer, package)
    names = {r.stix_id: _name(r) for r in found.objects}
    owner = session.get(Organisation, package.owner_org_id)
    author = session.get(User, package.created_by_id)
    aud = audience_of(session, package.id)
    recipients = [o.name for o in (session.get(Organisation, i) for i in aud.org_ids) if o]
    recipients += [f"{u.display_name} ({u.organisation.name})"
                   for u in (session.get(User, i) for i in aud.user_ids) if u]
    relationships = []
    for rel in found.relationships:
        data = orjson.loads(rel.data)
        relationships.append((names.get(str(data.get("source_ref")), str(data.get("source_ref"))),
                              str(data.get("relationship_type", "")),
                              names.get(str(data.get("target_ref")), str(data.get("target_ref")))))
    out = Report(
        id=str(package.id), title=package.title, target=package.target,
        narrative_html=package.narrative_html, narrative_markdown=package.narrative_markdown,
        tlp=package.tlp.value, status=package.status.value, owner=owner.name if owner else "",
        author=author.display_name if author else "", released_at=package.released_at,
        generated_at=utcnow(), recipients=recipients,
        objects=[ReportObject(r.type, _name(r), r.stix_id, r.tlp.value,
                                VETTING_LABELS[r.vetting]())
                 for r in found.objects],
        relationships=relationships, hidden=found.hidden)
    _audit(session, viewer, package, fmt, [*found.objects, *found.relationships])
    return out


def pdf(data: Report) -> bytes:
    """The report as a PDF (fpdf2), in the reader's language and direction (pdfdoc)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class Doc(FPDF):
        def header(self) -> None:
            self.set_font(style.family, "B", 9)
            self.set_text_color(*_TLP_COLOURS.get(data.tlp, (0, 0, 0)))
            self.cell(0, 6, f"TLP:{data.tlp}", align="L" if style.rtl else "R",
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(style.family, "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, style.text(f"TLP:{data.tlp} · {data.owner} · {self.page_no()}"),
                      align="C")

    doc = Doc(format="A4")
    style = pdfdoc.prepare(doc)
    text, family = style.text, style.family

    def para(value: str, height: float) -> None:
        doc.multi_cell(width, height, text(value), align=style.align,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(value: str) -> None:
        doc.set_font(family, "B", 13)
        doc.cell(0, 8, text(value), align=style.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    doc.set_title(text(data.title))
    doc.set_author(text(data.owner))
    doc.set_subject(f"TLP:{data.tlp}")
    doc.set_auto_page_break(auto=True, margin=16)
    doc.add_page()
    width = doc.epw
    doc.set_font(family, "B", 18)
    para(data.title, 9)
    doc.set_font(family, "", 10)
    meta = [(_("Target"), data.target), (_("From"), f"{data.owner} ({data.author})"),
            (pgettext("release date", "Released"), style.when(data.released_at)
             if data.released_at else _("not released")),
            (_("Recipients"), ", ".join(data.recipients) or "—"),
            (_("Generated"), style.when(data.generated_at))]
    for label, value in meta:
        if value:
            para(f"{label}: {value}", 5.5)
    doc.ln(3)
    if data.narrative_html.strip():
        heading(_("Narrative"))
        doc.set_font(family, "", 10)
        # The narrative stays in the language it was written in: its direction comes from
        # its own text (the bidi algorithm), not from the reader's language.
        doc.set_text_shaping(use_shaping_engine=style.unicode, direction=None)
        try:
            doc.write_html(data.narrative_html if style.unicode else text(data.narrative_html))
        except Exception:  # fpdf2 draws a subset of HTML: fall back to the plain text
            para(data.narrative_markdown, 5)
        pdfdoc.restore_direction(doc, style)
        doc.ln(3)
    heading(_("Objects"))
    doc.set_font(family, "", 9)
    with doc.table(col_widths=style.columns((22, 48, 14, 16)), text_align=style.table_align,
                   first_row_as_headings=True) as table:
        table.row(style.columns([text(s) for s in (_("Type"), _("Name and STIX id"),
                                                   _("Marking"), _("Vetting"))]))
        for o in data.objects:
            table.row(style.columns([style.ltr(o.type), text(o.name) + "\n" + style.ltr(o.stix_id),
                                     f"TLP:{o.tlp}", text(o.vetting)]))
    if data.hidden:
        doc.ln(2)
        para(ngettext(
            "%(num)d further object of this package is not shared with you.",
            "%(num)d further objects of this package are not shared with you.", data.hidden)
            % {"num": data.hidden}, 5)
    if data.relationships:
        doc.ln(3)
        heading(_("Relationships"))
        doc.set_font(family, "", 9)
        arrow = " ← " if style.rtl else " → "
        for source, kind, target in data.relationships:
            para(arrow.join((source, kind, target)), 5)
    return bytes(doc.output())


_TLP_COLOURS = {TLP.RED.value: (204, 0, 51), TLP.AMBER.value: (166, 110, 0),
                TLP.AMBER_STRICT.value: (166, 110, 0), TLP.GREEN.value: (0, 128, 60),
                TLP.CLEAR.value: (0, 0, 0)}
