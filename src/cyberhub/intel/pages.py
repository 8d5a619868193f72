"""Web pages: the knowledge base — search and value lookup, an object with its
correlations, relationships, sightings and versions, owners' changes, import with live
progress, and export. Every read and write goes through the intel services."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from cyberhub import access, i18n
from cyberhub.audience import Audience, audience_of
from cyberhub.community import service as community
from cyberhub.community import system
from cyberhub.config import get_settings
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, get_locale, ngettext, pgettext
from cyberhub.intel import imports, service
from cyberhub.intel.labels import STATUS_LABELS, VETTING_LABELS
from cyberhub.intel.models import Import, ImportStatus, StixObject, Vetting
from cyberhub.jobs import enqueue_after_commit, run_import
from cyberhub.notes.pages import AUDIENCE_TLPS, tlp_rules
from cyberhub.packages import views as package_views
from cyberhub.vetting import views as vetting_views
from cyberhub.web.common import (
    MemberCtx,
    audience_options,
    is_htmx,
    on_error,
    page,
    redirect,
    view,
)

router = APIRouter()

PAGE_SIZE = 25
CHUNK = 1 << 20  # bytes read from an upload at a time
MAX_JSON_SHOWN = 256 * 1024  # characters of STIX JSON shown on a page
MANY = Query(max_length=20)

# Messages shown after a redirect, chosen by key so a URL cannot inject text.
FLASH: dict[str, Callable[[], str]] = {
    "sighting-reported": lambda: _("Your sighting is recorded."),
    "sharing-saved": lambda: _("The sharing of this object is changed."),
    "vetting-saved": lambda: _("The vetting state is changed."),
    "revoked": lambda: _("The object is revoked: a new version marks it so."),
    "verdict-saved": lambda: _("Your organisation's verdict is recorded."),
    "verdict-withdrawn": lambda: _("Your organisation's verdict is withdrawn."),
}

# STIX types members search by, grouped as the filter offers them.
TYPE_GROUPS: list[tuple[Callable[[], str], list[str]]] = [
    (lambda: _("Threat knowledge"), [
        "indicator", "malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern",
        "tool", "infrastructure", "vulnerability", "course-of-action", "identity", "location",
        "report", "note", "opinion", "grouping", "observed-data", "incident",
        "malware-analysis"]),
    (lambda: _("Observables"), [
        "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file", "mac-addr",
        "autonomous-system", "network-traffic", "user-account", "software", "x509-certificate"]),
    (lambda: _("Cybercrime artefacts"), [
        "x-cyberhub-bank-account", "x-cyberhub-phone-number", "x-cyberhub-cryptocurrency-wallet",
        "x-cyberhub-social-account", "x-cyberhub-criminal-service"]),
    (lambda: _("Links"), ["relationship", "sighting"]),
]

TYPE_LABELS: dict[str, Callable[[], str]] = {
    "indicator": lambda: _("Indicator"), "malware": lambda: _("Malware"),
    "threat-actor": lambda: _("Threat actor"), "intrusion-set": lambda: _("Intrusion set"),
    "campaign": lambda: _("Campaign"), "attack-pattern": lambda: _("Attack pattern"),
    "tool": lambda: _("Tool"), "infrastructure": lambda: _("Infrastructure"),
    "vulnerability": lambda: _("Vulnerability"),
    "course-of-action": lambda: _("Course of action"), "identity": lambda: _("Identity"),
    "location": lambda: _("Location"), "note": lambda: _("Note"),
    "report": lambda: pgettext("STIX object type", "Report"),
    "opinion": lambda: _("Opinion"), "grouping": lambda: _("Grouping"),
    "observed-data": lambda: _("Observed data"), "incident": lambda: _("Incident"),
    "malware-analysis": lambda: _("Malware analysis"),
    "ipv4-addr": lambda: _("IPv4 address"), "ipv6-addr": lambda: _("IPv6 address"),
    "domain-name": lambda: _("Domain name"), "url": lambda: _("URL"),
    "email-addr": lambda: _("E-mail address"), "email-message": lambda: _("E-mail message"),
    "file": lambda: _("File"), "mac-addr": lambda: _("MAC address"),
    "autonomous-system": lambda: _("Autonomous system"),
    "network-traffic": lambda: _("Network traffic"), "user-account": lambda: _("User account"),
    "software": lambda: _("Software"), "x509-certificate": lambda: _("X.509 certificate"),
    "directory": lambda: _("Directory"), "mutex": lambda: _("Mutex"),
    "process": lambda: _("Process"), "artifact": lambda: _("Artifact"),
    "windows-registry-key": lambda: _("Registry key"),
    "x-cyberhub-bank-account": lambda: _("Bank account"),
    "x-cyberhub-phone-number": lambda: _("Phone number"),
    "x-cyberhub-cryptocurrency-wallet": lambda: _("Crypto wallet"),
    "x-cyberhub-social-account": lambda: _("Social account"),
    "x-cyberhub-criminal-service": lambda: _("Criminal service"),
    "relationship": lambda: _("Relationship"), "sighting": lambda: _("Sighting"),
    "marking-definition": lambda: _("Marking definition"),
    "extension-definition": lambda: _("Extension definition"),
    "language-content": lambda: _("Language content"),
}

SCO_TYPES = frozenset(TYPE_GROUPS[1][1]) | {
    "email-message", "directory", "mutex", "process", "artifact", "windows-registry-key",
    "x-cyberhub-bank-account", "x-cyberhub-phone-number", "x-cyberhub-cryptocurrency-wallet",
    "x-cyberhub-social-account"}

KIND_LABELS: dict[str, Callable[[], str]] = {
    "ipv4": lambda: _("IPv4"), "ipv6": lambda: _("IPv6"), "domain": lambda: _("Domain"),
    "url": lambda: _("URL"), "email": lambda: _("E-mail"), "md5": lambda: "MD5",
    "sha1": lambda: "SHA-1", "sha256": lambda: "SHA-256", "sha512": lambda: "SHA-512",
    "iban": lambda: "IBAN", "bic": lambda: "BIC", "phone": lambda: _("Phone"),
    "wallet": lambda: _("Wallet"), "social": lambda: _("Social account"),
    "mac": lambda: _("MAC"), "asn": lambda: "ASN",
}

EXPORT_KINDS = ["ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "sha512",
                "iban", "phone", "wallet"]


def type_label(stix_type: str) -> str:
    label = TYPE_LABELS.get(stix_type)
    return label() if label else stix_type


def type_category(stix_type: str) -> str:
    """A colour family for the type chip: knowledge, observable, crime artefact, link."""
    if stix_type.startswith("x-cyberhub-"):
        return "crime"
    if stix_type in ("relationship", "sighting"):
        return "link"
    if stix_type in SCO_TYPES:
        return "sco"
    return "sdo"


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return label() if label else kind


def _flash(ctx: Ctx) -> dict[str, str]:
    key = ctx.request.query_params.get("flash", "")
    return {"flash": FLASH[key]()} if key in FLASH else {}


# ---------------------------------------------------------------- views


def display_name(row: StixObject, data: dict[str, Any] | None = None) -> str:
    """What to call an object in a list: its name, else its value, else its STIX id."""
    if row.name:
        return row.name
    data = data if data is not None else service.as_stix(row)
    for key in ("value", "number", "address", "iban", "handle", "account_number"):
        if isinstance(data.get(key), str | int) and str(data[key]):
            return str(data[key])
    if row.type == "relationship":
        return str(data.get("relationship_type") or row.stix_id)
    if row.type == "sighting":
        seen = int(data.get("count", 1))
        return ngettext("Seen %(n)d time", "Seen %(n)d times", seen) % {"n": seen}
    hashes = data.get("hashes")
    if isinstance(hashes, dict) and hashes:
        return str(next(iter(hashes.values())))
    return row.stix_id


def _org_names(ctx: Ctx) -> dict[uuid.UUID, str]:
    return {o.id: o.name for o in community.list_organisations(ctx.session, ctx.viewer)}


def object_rows(ctx: Ctx, rows: Sequence[StixObject],
                orgs: dict[uuid.UUID, str] | None = None) -> list[SimpleNamespace]:
    """Snapshots of objects for tables: type, name, markings, owner, vetting, added."""
    names = orgs if orgs is not None else (_org_names(ctx) if rows else {})
    return [view(r, "id", "stix_id", "type", "tlp", "pap", "vetting", "revoked", "created_at",
                 name=display_name(r), type_label=type_label(r.type),
                 category=type_category(r.type), owner=names.get(r.owner_org_id, ""),
                 own=r.owner_org_id == ctx.viewer.org_id,
                 vetting_label=VETTING_LABELS[r.vetting]())
            for r in rows]


def correlation_views(ctx: Ctx, found: list[service.Correlation],
                      orgs: dict[uuid.UUID, str]) -> list[SimpleNamespace]:
    return [SimpleNamespace(kind=c.kind, kind_label=kind_label(c.kind), value=c.value,
                            warning_lists=c.warning_lists, total=c.total,
                            orgs=sorted({orgs.get(o.owner_org_id, "") for o in c.objects}),
                            objects=object_rows(ctx, c.objects, orgs))
            for c in found]


def _uuids(values: Sequence[str], field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": field}) from None


def _type_options() -> list[SimpleNamespace]:
    return [SimpleNamespace(label=label(), types=[SimpleNamespace(value=t, label=type_label(t))
                                                  for t in types])
            for label, types in TYPE_GROUPS]


def _vetting_options() -> list[SimpleNamespace]:
    return [SimpleNamespace(value=v.value, label=VETTING_LABELS[v]()) for v in Vetting]


# ---------------------------------------------------------------- search


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("%(field)s must be a date such as 2026-01-31.") % {"field": field},
                           details={"field": field}) from None


def _search_form(q: str, value: str, types: list[str], tlps: list[str], org: str, label: str,
                 vetting: list[str], since: str, until: str) -> SimpleNamespace:
    return SimpleNamespace(q=q, value=value, types=set(types), tlps=set(tlps), org=org,
                           label=label, vetting=set(vetting), since=since, until=until)


def _search_query(form: SimpleNamespace) -> list[tuple[str, str]]:
    """The search as URL parameters, for the pager's links."""
    params: list[tuple[str, str]] = []
    for name in ("q", "value"):
        if getattr(form, name):
            params.append((name, getattr(form, name)))
    params += [("type", t) for t in sorted(form.types)]
    params += [("tlp", t) for t in sorted(form.tlps)]
    params += [(name, getattr(form, name)) for name in ("org", "label", "since", "until")
               if getattr(form, name)]
    params += [("vetting", v) for v in sorted(form.vetting)]
    return params


def _filters(form: SimpleNamespace) -> service.Filters:
    from cyberhub.audience import clean_tlp

    try:
        vetting = [Vetting(v) for v in sorted(form.vetting)]
    except ValueError:
        raise InvalidInput(_("Unknown vetting state; use unverified, corroborated, vetted or "
                             "disputed."), details={"field": "vetting"}) from None
    try:
        org_id = uuid.UUID(form.org) if form.org else None
    except ValueError:
        raise InvalidInput(_("No such organisation."), details={"field": "org"}) from None
    since, until = _day(form.since, "since"), _day(form.until, "until")
    if since and until and until < since:
        raise InvalidInput(_("until must not be before since."), details={"field": "until"})
    return service.Filters(
        q=form.q or None, types=sorted(form.types), value=form.value or None,
        tlps=[clean_tlp(t) for t in sorted(form.tlps)], org_id=org_id,
        labels=[form.label] if form.label else [], vetting=vetting,
        since=datetime.combine(since, time(), UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None)


@router.get("/objects")
def search(ctx: MemberCtx, q: Annotated[str, Query(max_length=200)] = "",
           value: Annotated[str, Query(max_length=2048)] = "",
           type: Annotated[list[str] | None, MANY] = None,
           tlp: Annotated[list[str] | None, MANY] = None,
           org: Annotated[str, Query(max_length=64)] = "",
           label: Annotated[str, Query(max_length=200)] = "",
           vetting: Annotated[list[str] | None, MANY] = None,
           since: Annotated[str, Query(max_length=32)] = "",
           until: Annotated[str, Query(max_length=32)] = "",
           cursor: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    form = _search_form(q.strip(), value.strip(), [t for t in type or [] if t],
                        [t for t in tlp or [] if t], org, label.strip(),
                        [v for v in vetting or [] if v], since, until)
    orgs = community.list_organisations(ctx.session, ctx.viewer)
    org_names = {o.id: o.name for o in orgs}
    context: dict[str, Any] = {
        "form": form, "type_options": _type_options(), "vetting_options": _vetting_options(),
        "org_options": [SimpleNamespace(id=str(o.id), label=o.name) for o in orgs],
        "results": [], "lookup": None, "lookup_invalid": False, "older": None, "newest": None,
        "searched": bool(_search_query(form)), "can_import": access.can_contribute(ctx.viewer)}
    on_error(ctx, "intel/search.html", context)
    filters = _filters(form)
    if form.value:
        keys = service.value_keys(form.value)
        if keys:
            context["lookup"] = correlation_views(
                ctx, service.correlate_values(ctx.session, ctx.viewer, keys), org_names)
        else:
            context["lookup_invalid"] = True
    result = service.list_objects(ctx.session, ctx.viewer, filters, cursor=cursor or None,
                                  limit=PAGE_SIZE)
    params = _search_query(form)
    context["results"] = object_rows(ctx, result.items, org_names)
    if result.next_cursor:
        context["older"] = "/objects?" + urlencode([*params, ("cursor", result.next_cursor)])
    if cursor:
        context["newest"] = "/objects" + ("?" + urlencode(params) if params else "")
    return page(ctx, "intel/search.html", context)


# ---------------------------------------------------------------- one object


def _pretty(data: dict[str, Any]) -> SimpleNamespace:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return SimpleNamespace(text=text[:MAX_JSON_SHOWN], cut=len(text) > MAX_JSON_SHOWN)


def _link_kind(kind: str) -> str:
    if kind.startswith("relationship:"):
        return kind.removeprefix("relationship:")
    return {"sighting_of_ref": _("sighting of"), "object_refs": _("contains"),
            "created_by_ref": _("created by"), "where_sighted_refs": _("sighted at"),
            "observed_data_refs": _("observed in"), "sample_refs": _("sample"),
            "sample_ref": _("sample")}.get(kind, kind)


def _links(ctx: Ctx, row: StixObject) -> list[SimpleNamespace]:
    out = []
    for link in service.relationships(ctx.session, ctx.viewer, row):
        other = link.other
        out.append(SimpleNamespace(
            direction=link.direction, kind=_link_kind(link.kind),
            via_id=link.via.id if link.kind.startswith("relationship:") else None,
            other_type=type_label(link.other_stix_id.split("--", 1)[0]),
            other=None if other is None else SimpleNamespace(
                id=other.id, name=display_name(other), type=other.type,
                type_label=type_label(other.type), category=type_category(other.type),
                tlp=other.tlp)))
    return out


def _sighting_views(ctx: Ctx, row: StixObject,
                    orgs: dict[uuid.UUID, str]) -> list[SimpleNamespace]:
    out = []
    for s in service.sightings(ctx.session, ctx.viewer, row):
        data = service.as_stix(s)
        out.append(view(s, "id", "tlp", "created_at", owner=orgs.get(s.owner_org_id, ""),
                        count=data.get("count", 1), first_seen=_stix_time(data, "first_seen"),
                        last_seen=_stix_time(data, "last_seen"),
                        description=data.get("description", "")))
    return out


def _stix_time(data: dict[str, Any], key: str) -> datetime | None:
    raw = data.get(key)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str | int | float)] \
        if isinstance(value, list) else []


def _details(data: dict[str, Any]) -> SimpleNamespace:
    """What an object says beyond its name and description, made readable: aliases,
    ATT&CK ids and tactics, references, and the ransomware-family extension."""
    from cyberhub.intel.extensions import RANSOMWARE

    def web(url: Any) -> str | None:  # only web addresses become links (no javascript:)
        ok = isinstance(url, str) and url.lower().startswith(("https://", "http://"))
        return url if ok else None

    refs = [r for r in data.get("external_references") or [] if isinstance(r, dict)]
    ids = [SimpleNamespace(source=str(r.get("source_name", "")), id=str(r["external_id"]),
                           url=web(r.get("url")))
           for r in refs if isinstance(r.get("external_id"), str)
           and r.get("source_name") != "misp-galaxy"]
    links = [SimpleNamespace(source=str(r.get("source_name", "")), url=url)
             for r in refs if (url := web(r.get("url"))) is not None
             and not isinstance(r.get("external_id"), str)]
    provenance = next((str(r.get("description", "")) for r in refs
                       if r.get("source_name") == "misp-galaxy"), "")
    phases = [f"{p.get('kill_chain_name')}: {p.get('phase_name')}"
              for p in data.get("kill_chain_phases") or [] if isinstance(p, dict)]
    family = (data.get("extensions") or {}).get(RANSOMWARE.definition_id)
    ransomware: list[SimpleNamespace] = []
    if isinstance(family, dict):
        labels = {
            "file_extensions": _("Extensions of encrypted files"),
            "ransom_note_filenames": _("Ransom note file names"),
            "ransom_notes": _("Ransom notes"), "ransom_note_refs": _("Ransom note images"),
            "payment_method": _("Payment asked in"), "ransom_amount": _("Ransom asked"),
            "encryption": _("Encryption"), "discovered": _("First reported"),
            "sites": _("Sites (leak, negotiation, payment)")}
        for key, label in labels.items():
            value = family.get(key)
            items = _strings(value) if isinstance(value, list) else (
                [str(value)] if isinstance(value, str) else [])
            if items:
                ransomware.append(SimpleNamespace(
                    key=key, label=label, items=items, long=key == "ransom_notes",
                    urls=key in ("ransom_note_refs", "sites"),
                    mono=key in ("file_extensions", "ransom_note_filenames")))
    out = SimpleNamespace(
        aliases=_strings(data.get("aliases")), ids=ids, phases=phases,
        platforms=_strings(data.get("x_mitre_platforms")), links=links[:50],
        more_links=max(0, len(links) - 50), ransomware=ransomware, provenance=provenance,
        types=_strings(data.get("malware_types")) + _strings(data.get("tool_types")),
        country=data.get("country") if isinstance(data.get("country"), str) else "")
    out.any = bool(out.aliases or ids or phases or out.platforms or out.types or out.country)
    return out


def _object_view(ctx: Ctx, row: StixObject, orgs: dict[uuid.UUID, str]) -> SimpleNamespace:
    data = service.as_stix(row)
    contributor = community.get_user(ctx.session, ctx.viewer, row.created_by_id)
    owner = community.get_organisation(ctx.session, ctx.viewer, row.owner_org_id)
    import_visible = False
    if row.import_id is not None:
        try:
            imports.get_import(ctx.session, ctx.viewer, row.import_id)
            import_visible = True
        except NotFound:
            pass
    labels = [str(x) for x in row.labels or []]
    return view(row, "id", "stix_id", "type", "tlp", "pap", "vetting", "revoked", "source",
                "origin_hub", "import_id", "created_at", "stix_created", "stix_modified",
                "confidence",
                name=display_name(row, data), description=row.description or "",
                type_label=type_label(row.type), category=type_category(row.type),
                labels=labels, owner=owner.name, owner_is_demo=owner.is_demo,
                owner_is_reference=system.is_system_org(owner.id), details=_details(data),
                own=row.owner_org_id == ctx.viewer.org_id, contributor=contributor.display_name,
                contributor_org=orgs.get(contributor.org_id, ""), import_visible=import_visible,
                vetting_label=VETTING_LABELS[row.vetting](), json=_pretty(data),
                versionable="modified" in data, pattern=data.get("pattern", ""))


def _object_context(ctx: Ctx, ref: str) -> dict[str, Any]:
    """Everything the object page shows, as snapshots (safe after a failed form)."""
    row = service.get_object(ctx.session, ctx.viewer, ref)
    orgs = _org_names(ctx)
    values = service.object_values(ctx.session, row)
    found = service.correlate_values(ctx.session, ctx.viewer, values, exclude=row.id)
    versions = service.versions(ctx.session, ctx.viewer, row)
    return {
        "obj": _object_view(ctx, row, orgs),
        "values": [SimpleNamespace(kind=k, kind_label=kind_label(k), value=v)
                   for k, v in values],
        "correlations": correlation_views(ctx, found, orgs),
        "links": _links(ctx, row),
        "sightings": _sighting_views(ctx, row, orgs),
        "versions": [SimpleNamespace(n=i + 1, modified=v.get("modified", ""),
                                     revoked=v.get("revoked") is True)
                     for i, v in enumerate(versions)],
        "can_edit": access.can_edit(row, ctx.viewer),
        "can_contribute": access.can_contribute(ctx.viewer),
        "vetting_options": _vetting_options(),
        "sighting": _sighting_form(),
        "rule": access.describe_rule(row.tlp),
        "vet": vetting_views.section(ctx, row),
        "package_drafts": package_views.drafts_for(ctx),
    }


def _sighting_form(count: str = "1", first_seen: str = "", last_seen: str = "",
                   tlp: str = "GREEN", description: str = "") -> SimpleNamespace:
    return SimpleNamespace(count=count, first_seen=first_seen, last_seen=last_seen, tlp=tlp,
                           description=description)


@router.get("/objects/{ref}")
def show_object(ctx: MemberCtx, ref: str) -> Response:
    return page(ctx, "intel/object.html", {**_object_context(ctx, ref), **_flash(ctx)})


@router.get("/objects/{ref}/versions/{number}")
def show_version(ctx: MemberCtx, ref: str, number: int) -> Response:
    row = service.get_object(ctx.session, ctx.viewer, ref)
    versions = service.versions(ctx.session, ctx.viewer, row)
    if not 1 <= number <= len(versions):
        raise NotFound()
    data = versions[number - 1]
    return page(ctx, "intel/version.html", {
        "obj": view(row, "id", "type", "tlp", name=display_name(row),
                    type_label=type_label(row.type), category=type_category(row.type)),
        "number": number, "count": len(versions), "current": number == len(versions),
        "modified": data.get("modified", ""), "json": _pretty(data)})


# ---------------------------------------------------------------- sightings


def _moment(value: str, field: str) -> datetime | None:
    """A datetime-local field, read as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(_("%(field)s must be a date and time such as 2026-01-31T14:00.")
                           % {"field": field}, details={"field": field}) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.post("/objects/{ref}/sightings")
def report_sighting(ctx: MemberCtx, ref: str, count: Annotated[str, Form(max_length=12)] = "1",
                    first_seen: Annotated[str, Form(max_length=32)] = "",
                    last_seen: Annotated[str, Form(max_length=32)] = "",
                    tlp: Annotated[str, Form(max_length=16)] = "GREEN",
                    description: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    context = _object_context(ctx, ref)
    context["sighting"] = _sighting_form(count, first_seen, last_seen, tlp, description)
    context["failed_form"] = "sighting"
    on_error(ctx, "intel/object.html", context)
    try:
        n = int(count.strip() or "1")
    except ValueError:
        raise InvalidInput(_("count must be a whole number."),
                           details={"field": "count"}) from None
    service.report_sighting(ctx.session, ctx.viewer, str(context["obj"].id), count=n,
                            first_seen=_moment(first_seen, "first_seen"),
                            last_seen=_moment(last_seen, "last_seen"), tlp=tlp,
                            description=description.strip() or None)
    return redirect(f"/objects/{context['obj'].id}?flash=sighting-reported#sightings")


# ---------------------------------------------------------------- owners' changes


def _editable(ctx: Ctx, ref: str) -> StixObject:
    row = service.get_object(ctx.session, ctx.viewer, ref)
    if not access.can_edit(row, ctx.viewer):
        raise PermissionDenied(_("Only the contributor and the admins of the owning "
                                 "organisation may change this object."))
    return row


def _sharing_values(tlp: str = "AMBER", pap: str = "", org_ids: Sequence[str] = (),
                    group_ids: Sequence[str] = (), user_ids: Sequence[str] = ()
                    ) -> SimpleNamespace:
    return SimpleNamespace(tlp=tlp, pap=pap, org_ids=set(org_ids), group_ids=set(group_ids),
                           user_ids=set(user_ids))


def _sharing_context(ctx: Ctx, row: StixObject, values: SimpleNamespace) -> dict[str, Any]:
    return {"obj": view(row, "id", "tlp", name=display_name(row), type_label=type_label(row.type),
                        category=type_category(row.type)),
            "form": values, "options": audience_options(ctx), "rules": tlp_rules(),
            "audience_tlps": AUDIENCE_TLPS}


IdList = Annotated[list[str], Form(max_length=500)]


@router.get("/objects/{ref}/sharing")
def sharing_form(ctx: MemberCtx, ref: str) -> Response:
    row = _editable(ctx, ref)
    aud = audience_of(ctx.session, row.id)
    values = _sharing_values(row.tlp.value, row.pap.value if row.pap else "",
                             [str(i) for i in aud.org_ids], [str(i) for i in aud.group_ids],
                             [str(i) for i in aud.user_ids])
    return page(ctx, "intel/sharing.html", _sharing_context(ctx, row, values))


@router.post("/objects/{ref}/sharing")
def change_sharing(ctx: MemberCtx, ref: str, tlp: Annotated[str, Form(max_length=16)] = "",
                   pap: Annotated[str, Form(max_length=8)] = "",
                   org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                   group_ids: IdList = [],  # noqa: B006
                   user_ids: IdList = []) -> Response:  # noqa: B006
    row = _editable(ctx, ref)
    values = _sharing_values(tlp, pap, org_ids, group_ids, user_ids)
    on_error(ctx, "intel/sharing.html", _sharing_context(ctx, row, values))
    audience = Audience(_uuids(org_ids, "audience"), _uuids(group_ids, "audience"),
                        _uuids(user_ids, "audience"))
    # An empty PAP choice clears the marking.
    service.update_object(ctx.session, ctx.viewer, str(row.id), tlp=tlp, pap=pap,
                          audience=audience)
    return redirect(f"/objects/{row.id}", "sharing-saved")


@router.post("/objects/{ref}/vetting")
def change_vetting(ctx: MemberCtx, ref: str,
                   vetting: Annotated[str, Form(max_length=16)] = "") -> Response:
    row = _editable(ctx, ref)
    context = _object_context(ctx, str(row.id))
    context["failed_form"] = "vetting"
    on_error(ctx, "intel/object.html", context)
    service.update_object(ctx.session, ctx.viewer, str(row.id), vetting=vetting)
    return redirect(f"/objects/{row.id}", "vetting-saved")


@router.get("/objects/{ref}/revoke")
def revoke_form(ctx: MemberCtx, ref: str) -> Response:
    row = _editable(ctx, ref)
    return page(ctx, "intel/revoke.html", {"obj": _revoke_view(row)})


def _revoke_view(row: StixObject) -> SimpleNamespace:
    return view(row, "id", "tlp", "revoked", name=display_name(row),
                type_label=type_label(row.type), category=type_category(row.type))


@router.post("/objects/{ref}/revoke")
def revoke(ctx: MemberCtx, ref: str) -> Response:
    row = _editable(ctx, ref)
    on_error(ctx, "intel/revoke.html", {"obj": _revoke_view(row)})
    service.revoke(ctx.session, ctx.viewer, str(row.id))
    return redirect(f"/objects/{row.id}", "revoked")


# ---------------------------------------------------------------- import


def _import_values(tlp: str = "GREEN", pap: str = "", org_ids: Sequence[str] = (),
                   mode: str = "strict", fmt: str = "stix") -> SimpleNamespace:
    return SimpleNamespace(tlp=tlp, pap=pap, org_ids=set(org_ids), mode=mode, format=fmt)


def _format_options() -> list[SimpleNamespace]:
    labels = {"stix": _("STIX 2.1 bundle (JSON)"),
              "misp": _("MISP event JSON, or a MISP feed as .tar.gz")}
    # CSV has its own page (a column mapping first), free text too (values confirmed).
    return [SimpleNamespace(value=f, label=labels.get(f, f)) for f in imports.file_formats()
            if f != "csv"]


def _import_context(ctx: Ctx, values: SimpleNamespace) -> dict[str, Any]:
    return {"form": values, "rules": tlp_rules(), "formats": _format_options(),
            "orgs": [SimpleNamespace(id=str(o.id), label=o.name)
                     for o in community.list_organisations(ctx.session, ctx.viewer)
                     if o.id != ctx.viewer.org_id],
            "max_bytes": i18n.format_size(get_settings().max_import_bytes)}


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not import. Ask your organisation's admin for "
                                 "the analyst role."))


@router.get("/import")
def import_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "intel/import.html", _import_context(ctx, _import_values()))


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


@router.post("/import")
async def start_import(ctx: MemberCtx, file: Annotated[UploadFile | None, File()] = None,
                       tlp: Annotated[str, Form(max_length=16)] = "",
                       pap: Annotated[str, Form(max_length=8)] = "",
                       org_ids: IdList = [],  # noqa: B006 - FastAPI copies defaults
                       mode: Annotated[str, Form(max_length=16)] = "strict",
                       format: Annotated[str, Form(max_length=16)] = "stix") -> Response:
    on_error(ctx, "intel/import.html", _import_context(ctx, _import_values(tlp, pap, org_ids,
                                                                           mode, format)))
    _require_contributor(ctx)
    if file is None or not file.filename:
        raise InvalidInput(_("Choose the file to import."), details={"field": "file"})
    if file.size == 0:
        raise InvalidInput(_("The file is empty."), details={"field": "file"})
    if format == "csv":
        raise InvalidInput(_("CSV files are imported on the page /import/csv, where you "
                             "choose what each column is."), details={"field": "format"})
    job = imports.new_import(ctx.session, ctx.viewer, filename=file.filename, tlp=tlp,
                             pap=pap or None, audience=Audience(_uuids(org_ids, "audience")),
                             mode=mode, fmt=format)
    await imports.stage_upload(job, _chunks(file))
    ctx.session.flush()
    enqueue_after_commit(ctx.session, run_import, str(job.id), get_locale())
    return redirect(f"/imports/{job.id}")


def count(n: int) -> str:
    """A count as the reader's locale writes it."""
    return i18n.format_number(n)


    return _("%(n)s B") % {"n": n}  # pragma: no cover


def import_view(job: Import) -> SimpleNamespace:
    counts = imports.live_counts(job)
    done = int(counts.get("bytes_done", 0) or 0)
    finished = job.finished_at is not None
    numbers = {k: int(counts.get(k, 0) or 0)
               for k in ("seen", "stored", "unchanged", "new_versions", "invalid")}
    fraction = 1.0 if finished and job.status is ImportStatus.SUCCEEDED else (
        done / job.bytes_total if job.bytes_total else 0.0)
    return view(job, "id", "status", "filename", "mode", "tlp", "pap", "message", "created_at",
                "started_at", "finished_at", "errors", "notices", "format",
                status_label=STATUS_LABELS[job.status](),
                active=job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
                percent=round(min(fraction, 1.0) * 100),
                bytes_done=i18n.format_size(
                    min(done, job.bytes_total) if job.bytes_total else done),
                bytes_total=i18n.format_size(job.bytes_total),
                **numbers, n=SimpleNamespace(**{k: count(v) for k, v in numbers.items()}),
                audience_count=len(job.audience.get("org_ids", [])))


@router.get("/imports")
def list_imports(ctx: MemberCtx) -> Response:
    jobs = imports.list_imports(ctx.session, ctx.viewer)
    return page(ctx, "intel/imports.html", {"jobs": [import_view(j) for j in jobs],
                                            "can_import": access.can_contribute(ctx.viewer)})


@router.get("/imports/{import_id}")
def show_import(ctx: MemberCtx, import_id: str) -> Response:
    job = imports.get_import(ctx.session, ctx.viewer, import_id)
    return page(ctx, "intel/import_status.html", {"job": import_view(job)})


@router.get("/imports/{import_id}/status")
def import_status(ctx: MemberCtx, import_id: str) -> Response:
    """The status fragment that the status page polls while the import runs."""
    job = imports.get_import(ctx.session, ctx.viewer, import_id)
    if not is_htmx(ctx):
        return redirect(f"/imports/{job.id}")
    return page(ctx, "intel/_import_status.html", {"job": import_view(job)})


# ---------------------------------------------------------------- export


@router.get("/export")
def export_form(ctx: MemberCtx) -> Response:
    return page(ctx, "intel/export.html", {
        "type_options": _type_options(),
        "kinds": [SimpleNamespace(value=k, label=kind_label(k)) for k in EXPORT_KINDS]})
