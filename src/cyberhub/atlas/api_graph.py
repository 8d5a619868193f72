"""REST: the interactive ecosystem graph — start, expand, open an aggregate, export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from cyberhub.atlas import explore
from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.intel import export

router = APIRouter(prefix="/atlas/graph", tags=["threat map"])


class GraphOut(BaseModel):
    nodes: list[dict[str, Any]] = Field(description=(
        "Objects ({id, record, type, style, name, tlp, vetting, aggregate: false}) and "
        "aggregate nodes ({id, aggregate: true, of, type, count, via, kind, direction})."))
    edges: list[dict[str, Any]] = Field(description=(
        "{id, source, target, via, kind, relationship}: relationship is the "
        "relationship's STIX id, or null for an embedded reference."))
    total: int = Field(description="Visible neighbours (or search hits) in all.")
    next_cursor: str | None = Field(description="The next page of an opened aggregate or "
                                                "of a search, if any.")


Types = Annotated[list[str] | None, Query(max_length=50, description="Neighbour STIX "
                                          "types (repeat).")]
Tlps = Annotated[list[str] | None, Query(max_length=5, description="TLP markings (repeat).")]
Vettings = Annotated[list[str] | None, Query(max_length=4, description="Vetting states "
                                             "(repeat).")]
Since = Annotated[datetime | None, Query(description="Added to the hub at or after (with a "
                                         "time zone).")]
Until = Annotated[datetime | None, Query(description="… before.")]
Limit = Annotated[int, Query(ge=1, le=explore.MAX_LIMIT, description="Neighbours sent one "
                             "by one at most; larger groups are aggregated.")]
Cursor = Annotated[str | None, Query(max_length=500)]


def _filters(type: list[str] | None, tlp: list[str] | None, vetting: list[str] | None,
             since: datetime | None, until: datetime | None) -> explore.Filters:
    return explore.make_filters(types=type or (), tlps=tlp or (), vetting=vetting or (),
                                since=since, until=until)


@router.get("", response_model=GraphOut)
def start(
    ctx: ApiCtx,
    start: Annotated[str | None, Query(max_length=300, description="A STIX id or record id "
                                       "to start from (it comes expanded).")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Full text: names and "
                                   "descriptions.")] = None,
    value: Annotated[str | None, Query(max_length=2000, description="An observable value "
                                       "(IP, domain, e-mail, IBAN, hash…).")] = None,
    kind: Annotated[str | None, Query(max_length=32, description="What the value is, when "
                                      "the lookup should not guess (wallet, social, …).")]
    = None,
    type: Types = None, tlp: Tlps = None, vetting: Vettings = None, since: Since = None,
    until: Until = None, limit: Limit = explore.EXPANSION_LIMIT, cursor: Cursor = None,
) -> dict[str, Any]:
    """Where a graph starts: one object with its neighbours, or the objects a search finds."""
    f = _filters(type, tlp, vetting, since, until)
    if start:
        node = explore.start_node(ctx.session, ctx.viewer, start)
        view = explore.expand(ctx.session, ctx.viewer, node.stix_id, f, limit=limit, shown=1)
        view.nodes.insert(0, node)
        return view.as_dict()
    return explore.search(ctx.session, ctx.viewer, q=q, value=value, kind=kind, f=f,
                          limit=limit,
                          cursor=cursor).as_dict()


@router.get("/expand", response_model=GraphOut)
def expand(
    ctx: ApiCtx,
    node: Annotated[str, Query(max_length=300, description="The STIX id to expand.")],
    via: Annotated[str | None, Query(max_length=300, description="Open one aggregate: its "
                                     "kind (e.g. relationship:indicates or object_refs); "
                                     "give direction and type too.")] = None,
    direction: Annotated[str | None, Query(max_length=3, description="in or out (with "
                                           "via).")] = None,
    shown: Annotated[int, Query(ge=0, le=1_000_000, description="Nodes already on the "
                                "canvas: what is left of the node budget.")] = 0,
    known: Annotated[list[str] | None, Query(description=(
        "Nodes the client already draws (STIX ids, repeatable, at most "
        f"{explore.MAX_KNOWN}): the edges the new nodes have to them come too."))] = None,
    type: Types = None, tlp: Tlps = None, vetting: Vettings = None, since: Since = None,
    until: Until = None, limit: Limit = explore.EXPANSION_LIMIT, cursor: Cursor = None,
) -> dict[str, Any]:
    """A node's visible neighbours, aggregated by type and relationship beyond the budget;
    with ``via``, one page of one aggregate."""
    f = _filters(type, tlp, vetting, since, until)
    if via is not None:
        return explore.group_page(ctx.session, ctx.viewer, node, kind=via,
                                  direction=direction or "", f=f, limit=limit,
                                  cursor=cursor, known=known or ()).as_dict()
    if cursor is not None:
        raise InvalidInput(_("A cursor pages an aggregate: give via and direction too."),
                           details={"field": "cursor"})
    return explore.expand(ctx.session, ctx.viewer, node, f, limit=limit,
                          shown=shown, known=known or ()).as_dict()


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(max_length=explore.MAX_EXPORT, description="STIX ids of the "
                           "selection: objects and the relationships between them.")


@router.post("/export", response_class=Response,
             responses={200: {"content": {"application/stix+json;version=2.1": {}},
                              "description": "A STIX 2.1 bundle of the selection."}})
def export_selection(ctx: ApiCtx, body: ExportIn) -> Response:
    """The visible selection as a STIX 2.1 bundle: only what you may see, markings kept
    (the knowledge base's export; RED and AMBER+STRICT content is audited)."""
    ids = explore.check_export_ids(body.ids)
    data = b"".join(export.stix_bundle(ctx.session, ctx.viewer, export.ExportFilters(ids=ids)))
    return Response(data, media_type=export.MEDIA_TYPES["stix"], headers={
        "Content-Disposition": 'attachment; filename="cyberhub-graph.json"',
        "Cache-Control": "no-store"})
