"""Web pages: CSV import with a column mapping and a preview, and free-text import with
candidates to confirm. Nothing is stored until the member presses Import; then the
import is a normal job (``intel.imports``) with its status page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from cyberhub import access, i18n
from cyberhub.audience import Audience
from cyberhub.deps import Ctx
from cyberhub.errors import InvalidInput, PermissionDenied
from cyberhub.formats import pending
from cyberhub.formats.convert import ConversionError
from cyberhub.formats.csv import mappings
from cyberhub.formats.csv.mapping import OUTPUTS, PROPERTIES, VALUE_KINDS, Mapping, role_label
from cyberhub.formats.csv.reader import DELIMITERS
from cyberhub.formats.csv.to_stix import Preview, column_name, looks_like_formula, preview
from cyberhub.i18n import _, get_locale
from cyberhub.intel import imports
from cyberhub.intel.pages import count, type_category, type_label
from cyberhub.jobs import enqueue_after_commit, run_import
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page, redirect

router = APIRouter()

CHUNK = 1 << 20
CELL_SHOWN = 80  # characters of a cell shown in the preview
IdList = Annotated[list[str], Form(max_length=500)]
Columns = Annotated[list[str], Form(max_length=200)]
ENCODINGS = ("utf-8", "cp1252", "iso-8859-1", "iso-8859-15", "utf-16", "mac-roman", "cp850")


def _require_contributor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may not import. Ask your organisation's admin for "
                                 "the analyst role."))


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values if v]
    except ValueError:
        raise InvalidInput(_("The audience names a recipient that does not exist."),
                           details={"field": "audience"}) from None


def sharing_values(tlp: str = "GREEN", pap: str = "", org_ids: Sequence[str] = (),
                   mode: str = "strict") -> SimpleNamespace:
    return SimpleNamespace(tlp=tlp, pap=pap, org_ids=set(org_ids), mode=mode)


def sharing_context(ctx: Ctx) -> dict[str, Any]:
    from cyberhub.community import service as community
    from cyberhub.notes.pages import tlp_rules

    return {"rules": tlp_rules(),
            "orgs": [SimpleNamespace(id=str(o.id), label=o.name)
                     for o in community.list_organisations(ctx.session, ctx.viewer)
                     if o.id != ctx.viewer.org_id]}


# ---------------------------------------------------------------- CSV: upload


def _saved(ctx: Ctx) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=str(m.id), name=m.name)
            for m in mappings.list_mappings(ctx.session, ctx.viewer)]


def _upload_context(ctx: Ctx, chosen: str = "") -> dict[str, Any]:
    from cyberhub.config import get_settings

    return {"saved": _saved(ctx), "chosen": chosen,
            "max_bytes": i18n.format_size(get_settings().max_import_bytes)}


@router.get("/import/csv")
def csv_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "formats/csv_upload.html", _upload_context(ctx))


@router.post("/import/csv/mappings/{ref}/delete")
def delete_saved_mapping(ctx: MemberCtx, ref: str) -> Response:
    _require_contributor(ctx)
    mappings.delete_mapping(ctx.session, ctx.viewer, ref[:200])
    return redirect("/import/csv")


@router.post("/import/csv")
async def csv_upload(ctx: MemberCtx, file: Annotated[UploadFile | None, File()] = None,
                     mapping: Annotated[str, Form(max_length=64)] = "") -> Response:
    on_error(ctx, "formats/csv_upload.html", _upload_context(ctx, mapping))
    _require_contributor(ctx)
    if file is None or not file.filename:
        raise InvalidInput(_("Choose the CSV file to import."), details={"field": "file"})
    if mapping:
        mappings.get_mapping(ctx.session, ctx.viewer, mapping)
    assert ctx.viewer.user_id is not None
    token = await pending.stage(ctx.viewer.user_id, "csv", _chunks(file))
    query = {"name": file.filename[:300], **({"mapping": mapping} if mapping else {})}
    return redirect(f"/import/csv/{token}?" + urlencode(query))


# ---------------------------------------------------------------- CSV: preview


def _role_groups() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(label=None, roles=[SimpleNamespace(value="ignore", label=_("Ignore"))]),
        SimpleNamespace(label=_("Observable value"), roles=[
            SimpleNamespace(value=f"value:{k}", label=label()) for k, label in
            VALUE_KINDS.items()]),
        SimpleNamespace(label=_("Property of the objects"), roles=[
            SimpleNamespace(value=p, label=label()) for p, label in PROPERTIES.items()]),
    ]


def _cut(text: str) -> str:
    return text if len(text) <= CELL_SHOWN else text[:CELL_SHOWN] + "…"


def _object_view(obj: dict[str, Any]) -> SimpleNamespace:
    if obj["type"] == "indicator":
        shown = obj["pattern"]
    elif obj["type"] == "observed-data":
        shown = f"{obj['first_observed']} → {obj['last_observed']}"
    else:
        shown = str(obj.get("value") or obj.get("iban") or obj.get("address")
                    or obj.get("handle") or next(iter(obj.get("hashes", {}).values()), ""))
    return SimpleNamespace(type=obj["type"], label=type_label(obj["type"]),
                           category=type_category(obj["type"]), shown=_cut(shown),
                           name=obj.get("name", ""))


def _preview_view(result: Preview) -> dict[str, Any]:
    m = result.mapping
    header = result.header or []
    return {
        "detected": SimpleNamespace(encoding=result.detected.encoding_label,
                                    delimiter=result.detected.delimiter_label),
        "columns": [SimpleNamespace(index=i, letter=column_name(i),
                                    title=header[i] if i < len(header) else "",
                                    role=m.columns[i] if i < len(m.columns) else "ignore",
                                    role_label=role_label(m.columns[i]),
                                    samples=[_cut(s) for s in result.samples[i]])
                    for i in range(result.width)],
        "rows": [SimpleNamespace(line=r.line, skipped=r.outcome.skipped, notes=r.outcome.notes,
                                 cells=[SimpleNamespace(text=_cut(c),
                                                        formula=looks_like_formula(c.strip()))
                                        for c in r.cells],
                                 objects=[_object_view(o) for o in r.outcome.objects])
                 for r in result.rows],
        "totals": SimpleNamespace(scanned=count(result.scanned), objects=count(result.objects),
                                  skipped=count(result.skipped),
                                  duplicates=count(result.duplicates), more=result.more,
                                  n_skipped=result.skipped),
        "mapping": SimpleNamespace(header=m.header, output=m.output, region=m.region,
                                   encoding=m.encoding, delimiter=m.delimiter,
                                   problems=m.problems()),
    }


def _mapping_from_form(columns: Sequence[str], header: str, output: str, region: str,
                       encoding: str, delimiter: str) -> Mapping:
    return Mapping.from_dict({"columns": list(columns), "header": header == "1",
                              "output": output, "region": region, "encoding": encoding,
                              "delimiter": delimiter.replace("\\t", "\t")})


def _csv_context(ctx: Ctx, token: str, name: str, mapping: Mapping | None,
                 saved_ref: str = "", sharing: SimpleNamespace | None = None,
                 save_as: str = "") -> dict[str, Any]:
    path = pending.path_of(ctx.viewer.user_id, token, "csv")
    reading_problem = ""
    try:
        result = preview(path, mapping)
    except ConversionError as exc:
        if mapping is None or not (mapping.encoding or mapping.delimiter):
            raise InvalidInput(str(exc), details={"field": "file"}) from None
        # The encoding or delimiter the member chose does not read the file: say so, and
        # show it read as found.
        reading_problem = str(exc)
        mapping = Mapping(**{**mapping.as_dict(), "encoding": "", "delimiter": ""},
                          name=mapping.name)
        try:
            result = preview(path, mapping)
        except ConversionError as again:
            raise InvalidInput(str(again), details={"field": "file"}) from None
    return {"token": token, "name": name, "saved": _saved(ctx), "saved_ref": saved_ref,
            "role_groups": _role_groups(), "outputs": OUTPUTS, "encodings": ENCODINGS,
            "delimiters": [SimpleNamespace(value=d.replace("\t", "\\t"),
                                           label={",": _("comma"), ";": _("semicolon"),
                                                  "\t": _("tab"), "|": _("pipe")}[d])
                           for d in DELIMITERS],
            "form": sharing or sharing_values(), "save_as": save_as,
            "reading_problem": reading_problem, **sharing_context(ctx), **_preview_view(result)}


@router.get("/import/csv/{token}")
def csv_preview_page(ctx: MemberCtx, token: str, name: str = "", mapping: str = "") -> Response:
    _require_contributor(ctx)
    on_error(ctx, "formats/csv_upload.html", _upload_context(ctx))
    chosen = mappings.load(ctx.session, ctx.viewer, mapping) if mapping else None
    return page(ctx, "formats/csv_preview.html",
                _csv_context(ctx, token, name[:300], chosen, saved_ref=mapping,
                             save_as=chosen.name if chosen else ""))


@router.post("/import/csv/{token}/preview")
def csv_preview_update(ctx: MemberCtx, token: str, columns: Columns = [],  # noqa: B006
                       name: Annotated[str, Form(max_length=300)] = "",
                       header: Annotated[str, Form(max_length=1)] = "",
                       output: Annotated[str, Form(max_length=16)] = "indicator",
                       region: Annotated[str, Form(max_length=2)] = "",
                       encoding: Annotated[str, Form(max_length=20)] = "",
                       delimiter: Annotated[str, Form(max_length=2)] = "",
                       saved: Annotated[str, Form(max_length=64)] = "") -> Response:
    """The preview again, for the mapping as the form now stands (htmx: the fragment).
    Choosing a saved mapping in the form loads it instead."""
    _require_contributor(ctx)
    if saved and saved != "-" and ctx.request.headers.get("hx-trigger") == "saved":
        mapping = mappings.load(ctx.session, ctx.viewer, saved)
    else:
        mapping = _mapping_from_form(columns, header, output, region, encoding, delimiter)
    context = _csv_context(ctx, token, name, mapping, saved_ref=saved if saved != "-" else "",
                           save_as=mapping.name)
    if is_htmx(ctx):
        return page(ctx, "formats/_csv_mapping.html", context)
    return page(ctx, "formats/csv_preview.html", context)


@router.post("/import/csv/{token}")
def csv_start(ctx: MemberCtx, token: str, columns: Columns = [],  # noqa: B006
              name: Annotated[str, Form(max_length=300)] = "",
              header: Annotated[str, Form(max_length=1)] = "",
              output: Annotated[str, Form(max_length=16)] = "indicator",
              region: Annotated[str, Form(max_length=2)] = "",
              encoding: Annotated[str, Form(max_length=20)] = "",
              delimiter: Annotated[str, Form(max_length=2)] = "",
              save_as: Annotated[str, Form(max_length=200)] = "",
              tlp: Annotated[str, Form(max_length=16)] = "",
              pap: Annotated[str, Form(max_length=8)] = "",
              org_ids: IdList = [],  # noqa: B006
              mode: Annotated[str, Form(max_length=16)] = "strict") -> Response:
    _require_contributor(ctx)
    mapping = _mapping_from_form(columns, header, output, region, encoding, delimiter)
    on_error(ctx, "formats/csv_preview.html", _csv_context(
        ctx, token, name, mapping, sharing=sharing_values(tlp, pap, org_ids, mode),
        save_as=save_as))
    mapping.check()
    if save_as.strip():
        mappings.save_mapping(ctx.session, ctx.viewer, save_as, mapping)
    job = imports.new_import(ctx.session, ctx.viewer, filename=name or "upload.csv", tlp=tlp,
                             pap=pap or None, audience=Audience(_uuids(org_ids)), mode=mode,
                             fmt="csv", options=mapping.as_dict())
    pending.adopt(job, pending.path_of(ctx.viewer.user_id, token, "csv"))
    ctx.session.flush()
    enqueue_after_commit(ctx.session, run_import, str(job.id), get_locale())
    return redirect(f"/imports/{job.id}")


# ---------------------------------------------------------------- free text


MAX_PASTE = 2_000_000  # characters of pasted text


def _text_form_context(text: str = "") -> dict[str, Any]:
    from cyberhub.formats.text.documents import MAX_DOCUMENT_BYTES, MAX_PDF_PAGES

    return {"text": text, "max_bytes": i18n.format_size(MAX_DOCUMENT_BYTES),
            "max_pages": MAX_PDF_PAGES}


@router.get("/import/text")
def text_form(ctx: MemberCtx) -> Response:
    _require_contributor(ctx)
    return page(ctx, "formats/text_upload.html", _text_form_context())


@router.post("/import/text")
async def text_upload(ctx: MemberCtx, file: Annotated[UploadFile | None, File()] = None,
                      text: Annotated[str, Form(max_length=MAX_PASTE)] = "") -> Response:
    from cyberhub.formats.text.documents import MAX_DOCUMENT_BYTES, to_text

    on_error(ctx, "formats/text_upload.html", _text_form_context(text))
    _require_contributor(ctx)
    assert ctx.viewer.user_id is not None
    name = ""
    if file is not None and file.filename:
        data = await file.read(MAX_DOCUMENT_BYTES + 1)
        if not data:
            raise InvalidInput(_("The file is empty."), details={"field": "file"})
        try:
            text = to_text(data, file.filename)
        except ConversionError as exc:
            raise InvalidInput(str(exc), details={"field": "file"}) from None
        name = file.filename[:300]
    if not text.strip():
        raise InvalidInput(_("Paste the text of a report, or choose a text, HTML or PDF file."),
                           details={"field": "text"})
    token = pending.write(ctx.viewer.user_id, "txt", text.encode("utf-8"))
    return redirect(f"/import/text/{token}?" + urlencode({"name": name or _("pasted text")}))


def _candidates_context(ctx: Ctx, token: str, name: str, keep_listed: bool,
                        chosen: set[str] | None = None, output: str = "indicator",
                        sharing: SimpleNamespace | None = None) -> dict[str, Any]:
    from cyberhub.formats.text import candidates
    from cyberhub.intel.pages import kind_label

    path = pending.path_of(ctx.viewer.user_id, token, "txt")
    found = candidates(path.read_text(encoding="utf-8"))
    shown = [c for c in found if keep_listed or not c.benign]
    rows = []
    for c in shown:
        key = f"{c.kind}|{c.value}"
        rows.append(SimpleNamespace(
            key=key, kind=c.kind, kind_label=_("CVE") if c.kind == "cve" else kind_label(c.kind),
            value=c.value, raw=c.raw if c.raw.lower() not in c.value.lower() else "",
            lists=c.lists,
            benign=c.benign,
            checked=(key in chosen) if chosen is not None else not c.benign))
    return {"token": token, "name": name, "rows": rows, "keep_listed": keep_listed,
            "hidden_listed": sum(1 for c in found if c.benign and not keep_listed),
            "found": len(found), "output": output, "outputs": OUTPUTS,
            "form": sharing or sharing_values(), **sharing_context(ctx)}


@router.get("/import/text/{token}")
def text_candidates(ctx: MemberCtx, token: str, name: str = "",
                    listed: str = "") -> Response:
    _require_contributor(ctx)
    return page(ctx, "formats/text_candidates.html",
                _candidates_context(ctx, token, name[:300], listed == "1"))


@router.post("/import/text/{token}")
def text_start(ctx: MemberCtx, token: str,
               values: Annotated[list[str], Form(max_length=10_000)] = [],  # noqa: B006
               name: Annotated[str, Form(max_length=300)] = "",
               listed: Annotated[str, Form(max_length=1)] = "",
               output: Annotated[str, Form(max_length=16)] = "indicator",
               tlp: Annotated[str, Form(max_length=16)] = "",
               pap: Annotated[str, Form(max_length=8)] = "",
               org_ids: IdList = []) -> Response:  # noqa: B006
    _require_contributor(ctx)
    on_error(ctx, "formats/text_candidates.html", _candidates_context(
        ctx, token, name, listed == "1", set(values), output,
        sharing_values(tlp, pap, org_ids)))
    if not values:
        raise InvalidInput(_("Tick at least one value to import."), details={"field": "values"})
    if output not in OUTPUTS:
        raise InvalidInput(_("Values become indicators or observables."),
                           details={"field": "output"})
    pairs = [list(v.split("|", 1)) for v in dict.fromkeys(values) if "|" in v]
    job = imports.new_import(ctx.session, ctx.viewer, filename=name or "text", tlp=tlp,
                             pap=pap or None, audience=Audience(_uuids(org_ids)),
                             fmt="text", options={"values": pairs, "output": output},
                             prepared=True)
    pending.adopt(job, pending.path_of(ctx.viewer.user_id, token, "txt"))
    ctx.session.flush()
    enqueue_after_commit(ctx.session, run_import, str(job.id), get_locale())
    return redirect(f"/imports/{job.id}")
