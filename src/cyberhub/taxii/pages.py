"""Web page: hub admins define the TAXII collections — list, create, change, delete —
and see how clients connect."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub.community import service as community
from cyberhub.community.pages_org import checkbox
from cyberhub.deps import Ctx
from cyberhub.i18n import _
from cyberhub.sharing import TLP
from cyberhub.taxii import media, service
from cyberhub.taxii.models import TaxiiCollection
from cyberhub.web.common import MemberCtx, on_error, page, redirect, view

router = APIRouter()

FLASH: dict[str, Callable[[], str]] = {
    "created": lambda: _("The collection is created."),
    "saved": lambda: _("The collection is saved."),
    "deleted": lambda: _("The collection is deleted. Its objects stay in the knowledge base."),
}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def _form(c: TaxiiCollection | None = None, **given: Any) -> SimpleNamespace:
    if c is not None:
        return SimpleNamespace(
            title=c.title, alias=c.alias or "", description=c.description,
            tlps=set(c.tlps), types=", ".join(c.types), labels=", ".join(c.labels),
            sources=", ".join(c.sources), owner_org_ids=set(c.owner_org_ids),
            audience_ids=set(c.audience_ids), writable=c.writable,
            write_tlp=c.write_tlp.value)
    defaults: dict[str, Any] = {"title": "", "alias": "", "description": "", "tlps": set(),
                                "types": "", "labels": "", "sources": "",
                                "owner_org_ids": set(), "audience_ids": set(),
                                "writable": False,
                                "write_tlp": TLP.AMBER.value}
    return SimpleNamespace(**{**defaults, **given})


def _collection_view(ctx: Ctx, c: TaxiiCollection, orgs: dict[str, str]) -> SimpleNamespace:
    base = str(ctx.request.base_url).rstrip("/")
    return view(c, "id", "title", "alias", "description", "tlps", "types", "labels",
                "sources", "writable", "write_tlp",
                owners=[orgs.get(o, o) for o in c.owner_org_ids],
                audience=[orgs.get(a, a) for a in c.audience_ids],
                url=f"{base}{media.PREFIX}/{service.API_ROOT}/collections/{c.id}/")


def _context(ctx: Ctx, form: SimpleNamespace | None = None,
             editing: TaxiiCollection | None = None) -> dict[str, Any]:
    orgs = {str(o.id): o.name
            for o in community.list_organisations(ctx.session, ctx.viewer)}
    groups = {str(g.id): g.name for g in community.list_groups(ctx.session, ctx.viewer)}
    base = str(ctx.request.base_url).rstrip("/")
    context: dict[str, Any] = {
        "collections": [_collection_view(ctx, c, {**orgs, **groups})
                        for c in service.list_collections(ctx.session)],
        "form": form or (_form(editing) if editing else _form()),
        "editing": view(editing, "id", "title") if editing else None,
        "orgs": sorted(orgs.items(), key=lambda kv: kv[1].lower()),
        "groups": sorted(groups.items(), key=lambda kv: kv[1].lower()),
        "tlps": [t.value for t in TLP],
        "discovery": f"{base}{media.PREFIX}/"}
    key = ctx.request.query_params.get("flash", "")
    if key in FLASH:
        context["flash"] = FLASH[key]()
    return context


def _spec(title: str, alias: str, description: str, tlps: list[str], types: str, labels: str,
          sources: str, owner_org_ids: list[str], audience_ids: list[str],
          writable: str | None, write_tlp: str) -> service.CollectionSpec:
    return service.CollectionSpec(
        title=title, alias=alias or None, description=description, tlps=tlps,
        types=_split(types), labels=_split(labels), sources=_split(sources),
        owner_org_ids=owner_org_ids, audience_ids=audience_ids, writable=checkbox(writable),
        write_tlp=write_tlp)


@router.get("/admin/taxii")
def collections(ctx: MemberCtx) -> Response:
    community.require_hub_admin(ctx.viewer)
    return page(ctx, "admin/taxii.html", _context(ctx))


@router.get("/admin/taxii/{collection_id}")
def edit(ctx: MemberCtx, collection_id: str) -> Response:
    community.require_hub_admin(ctx.viewer)
    found = service.get_collection(ctx.session, collection_id)
    return page(ctx, "admin/taxii.html", _context(ctx, editing=found))


# Form fields shared by create and change.
Title = Annotated[str, Form(max_length=1000)]
Short = Annotated[str, Form(max_length=5000)]
Many = Annotated[list[str], Form(max_length=500)]


@router.post("/admin/taxii")
def create(ctx: MemberCtx, title: Title = "", alias: Title = "", description: Short = "",
           tlps: Many = [], types: Short = "", labels: Short = "",  # noqa: B006
           sources: Short = "", owner_org_ids: Many = [],  # noqa: B006
           audience_ids: Many = [],  # noqa: B006
           writable: Annotated[str | None, Form(max_length=8)] = None,
           write_tlp: Annotated[str, Form(max_length=16)] = "amber") -> Response:
    community.require_hub_admin(ctx.viewer)
    form = _form(title=title, alias=alias, description=description, tlps=set(tlps),
                 types=types, labels=labels, sources=sources,
                 owner_org_ids=set(owner_org_ids), audience_ids=set(audience_ids),
                 writable=checkbox(writable), write_tlp=write_tlp)
    on_error(ctx, "admin/taxii.html", _context(ctx, form))
    service.save_collection(ctx.session, ctx.viewer, _spec(
        title, alias, description, tlps, types, labels, sources, owner_org_ids, audience_ids,
        writable, write_tlp))
    return redirect("/admin/taxii", "created")


@router.post("/admin/taxii/{collection_id}")
def change(ctx: MemberCtx, collection_id: str, title: Title = "", alias: Title = "",
           description: Short = "", tlps: Many = [], types: Short = "",  # noqa: B006
           labels: Short = "", sources: Short = "", owner_org_ids: Many = [],  # noqa: B006
           audience_ids: Many = [],  # noqa: B006
           writable: Annotated[str | None, Form(max_length=8)] = None,
           write_tlp: Annotated[str, Form(max_length=16)] = "amber") -> Response:
    community.require_hub_admin(ctx.viewer)
    found = service.get_collection(ctx.session, collection_id)
    form = _form(title=title, alias=alias, description=description, tlps=set(tlps),
                 types=types, labels=labels, sources=sources,
                 owner_org_ids=set(owner_org_ids), audience_ids=set(audience_ids),
                 writable=checkbox(writable), write_tlp=write_tlp)
    on_error(ctx, "admin/taxii.html", _context(ctx, form, editing=found))
    service.save_collection(ctx.session, ctx.viewer, _spec(
        title, alias, description, tlps, types, labels, sources, owner_org_ids, audience_ids,
        writable, write_tlp), found)
    return redirect("/admin/taxii", "saved")


@router.post("/admin/taxii/{collection_id}/delete")
def remove(ctx: MemberCtx, collection_id: str) -> Response:
    community.require_hub_admin(ctx.viewer)
    found = service.get_collection(ctx.session, collection_id)
    on_error(ctx, "admin/taxii.html", _context(ctx))
    service.delete_collection(ctx.session, ctx.viewer, found)
    return redirect("/admin/taxii", "deleted")
