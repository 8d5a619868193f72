"""Web pages: the readiness self-assessment — overview and history, the questionnaire one
area at a time, review and complete, the result (scores, action plan, benchmark) and the
report as a standalone HTML page or a PDF."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from cyberhub import access, i18n
from cyberhub.deps import Ctx
from cyberhub.errors import NotFound, PermissionDenied
from cyberhub.i18n import _
from cyberhub.ransomware import readiness, readiness_report
from cyberhub.ransomware.readiness_bank import TIER_LABELS, TIER_ORDER, Bank, bank
from cyberhub.ransomware.readiness_models import ReadinessAssessment
from cyberhub.web.common import MemberCtx, on_error, page, redirect
from cyberhub.web.render import env

router = APIRouter()  # under /ransomware (pages.py includes it)

BASE = "/ransomware/readiness"
REPORT_CSS = (Path(__file__).resolve().parent.parent / "web" / "templates" / "ransomware"
              / "readiness_report.css").read_text()
_CSS_HASH = base64.b64encode(hashlib.sha256(REPORT_CSS.encode()).digest()).decode()
# The report is a document of its own (saved, mailed, printed): its style travels inside
# it, allowed by hash; nothing else runs or loads.
REPORT_CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src data:; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _field(qid: str) -> str:
    return qid.replace("-", "_")


# The questionnaire form: an answer (a_BK_B_1) and a note (n_BK_B_1) per question of the
# current bank; a page posts the fields of one area.
AnswersForm: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "AnswersForm", __config__=ConfigDict(extra="ignore"),
    action=(str, Field(default="save", max_length=16)),
    **{f"a_{_field(q.id)}": (str, Field(default="", max_length=16))
       for q in bank().questions},
    **{f"n_{_field(q.id)}": (str, Field(default="", max_length=readiness.MAX_NOTE * 4))
       for q in bank().questions})


def _labels() -> dict[str, str]:
    return {"yes": _("Yes"), "partial": _("Partly"), "no": _("No"), "na": _("Not applicable")}


def _area_names(b: Bank) -> dict[str, str]:
    return {a.code: _(a.name) for a in b.areas}


def _progress(b: Bank, answers: dict[str, str]) -> list[SimpleNamespace]:
    out = []
    for a in b.areas:
        qs = b.of_area(a.code)
        done = sum(1 for q in qs if q.id in answers)
        out.append(SimpleNamespace(code=a.code, slug=a.slug, name=_(a.name), done=done,
                                   total=len(qs), href=f"{BASE}/areas/{a.slug}"))
    return out


def _chart(r: readiness.Result, previous: readiness.Result | None = None) -> dict[str, Any]:
    names = _area_names(r.bank)
    return {"areas": [names[c] for c in r.scores.areas],
            "scores": [None if a.score is None else round(a.score, 1)
                       for a in r.scores.areas.values()],
            "previous": [None if a.score is None else round(a.score, 1)
                         for a in previous.scores.areas.values()] if previous else None,
            "labels": {"now": _("This assessment"), "previous": _("Previous assessment")}}


# ---------------------------------------------------------------- overview


@router.get("/readiness")
def overview(ctx: MemberCtx) -> Response:
    done = readiness.history(ctx.session, ctx.viewer)
    draft = readiness.get_draft(ctx.session, ctx.viewer)
    latest = readiness.result(ctx.session, ctx.viewer, done[0]) if done else None
    before = readiness.result(ctx.session, ctx.viewer, done[1]) if len(done) > 1 else None
    rows = []
    for i, a in enumerate(done):
        prev = done[i + 1].overall_score if i + 1 < len(done) else None
        change = None if prev is None or a.overall_score is None else a.overall_score - prev
        rows.append(SimpleNamespace(id=a.id, completed_at=a.completed_at,
                                    overall=a.overall_score, change=change,
                                    bank_version=a.bank_version, is_demo=a.is_demo))
    draft_view = None
    if draft is not None:
        answers = readiness.answers_of(draft)
        progress = _progress(readiness.bank_of(draft), answers)
        todo = next((p for p in progress if p.done < p.total), progress[0])
        draft_view = SimpleNamespace(answered=len(answers), total=sum(p.total for p in progress),
                                     updated_at=draft.updated_at, resume=todo.href)
    return page(ctx, "ransomware/readiness.html", {
        "latest": _result_view(latest) if latest else None,
        "chart": _chart(latest, before) if latest else None,
        "history": rows, "draft": draft_view, "areas": bank().areas,
        "can_edit": access.can_contribute(ctx.viewer), "base": BASE})


# ---------------------------------------------------------------- questionnaire


def _require_editor(ctx: Ctx) -> None:
    if not access.can_contribute(ctx.viewer):
        raise PermissionDenied(_("Readers may read the assessment but not answer it. Ask your "
                                 "organisation's admin for the analyst role."))


def _area_context(ctx: Ctx, slug: str, posted: dict[str, tuple[str, str]] | None = None
                  ) -> dict[str, Any]:
    draft = readiness.get_draft(ctx.session, ctx.viewer)
    b = readiness.bank_of(draft) if draft else bank()
    area = b.area(slug)
    if area is None:
        raise NotFound()
    stored = dict(draft.answers or {}) if draft else {}
    answers = readiness.answers_of(draft) if draft else {}
    tiers = []
    for t in TIER_ORDER:
        qs = []
        for q in b.of_area(area.code):
            if q.tier is not t:
                continue
            value, note = posted[q.id] if posted and q.id in posted else (
                answers.get(q.id, ""), str((stored.get(q.id) or {}).get("note") or ""))
            qs.append(SimpleNamespace(id=q.id, field=_field(q.id), text=_(q.text),
                                      guidance=_(q.guidance), weight=q.weight, answer=value,
                                      note=note))
        tiers.append(SimpleNamespace(label=_(TIER_LABELS[t]), questions=qs))
    slugs = [a.slug for a in b.areas]
    i = slugs.index(area.slug)
    progress = _progress(b, answers)
    return {"area": SimpleNamespace(slug=area.slug, name=_(area.name), summary=_(area.summary),
                                    number=i + 1), "tiers": tiers, "progress": progress,
            "answered": sum(p.done for p in progress), "total": len(b.questions),
            "prev": slugs[i - 1] if i > 0 else None,
            "next": slugs[i + 1] if i + 1 < len(slugs) else None,
            "labels": _labels(), "max_note": readiness.MAX_NOTE, "base": BASE,
            "areas_count": len(slugs)}


@router.get("/readiness/areas/{slug}")
def area_form(ctx: MemberCtx, slug: str) -> Response:
    _require_editor(ctx)
    return page(ctx, "ransomware/readiness_area.html", _area_context(ctx, slug[:40]))


@router.post("/readiness/areas/{slug}")
def save_area(ctx: MemberCtx, slug: str,
              form: Annotated[AnswersForm, Form()]) -> Response:
    slug = slug[:40]
    _require_editor(ctx)
    draft = readiness.get_draft(ctx.session, ctx.viewer)
    b = readiness.bank_of(draft) if draft else bank()
    area = b.area(slug)
    if area is None:
        raise NotFound()
    values = form.model_dump()
    posted = {q.id: (str(values.get(f"a_{_field(q.id)}", "")),
                     str(values.get(f"n_{_field(q.id)}", "")))
              for q in b.of_area(area.code)}
    on_error(ctx, "ransomware/readiness_area.html", _area_context(ctx, slug, posted))
    answers: dict[str, readiness.AnswerIn | None] = {
        qid: readiness.AnswerIn(a, n) if a else None for qid, (a, n) in posted.items()}
    readiness.save_draft(ctx.session, ctx.viewer, answers)
    slugs = [a.slug for a in b.areas]
    i = slugs.index(area.slug)
    action = values.get("action")
    if action == "next":
        return redirect(f"{BASE}/areas/{slugs[i + 1]}" if i + 1 < len(slugs)
                        else f"{BASE}/review", "saved")
    if action == "prev" and i > 0:
        return redirect(f"{BASE}/areas/{slugs[i - 1]}", "saved")
    if action == "review":
        return redirect(f"{BASE}/review", "saved")
    return redirect(f"{BASE}/areas/{area.slug}", "saved")


# ---------------------------------------------------------------- review and complete


def _review_context(ctx: Ctx) -> dict[str, Any]:
    draft = readiness.get_draft(ctx.session, ctx.viewer)
    if draft is None:
        return {"draft": None, "base": BASE, "areas": bank().areas}
    r = readiness.result(ctx.session, ctx.viewer, draft)
    names = _area_names(r.bank)
    by_id = r.bank.by_id()
    unanswered = [SimpleNamespace(id=q, text=_(by_id[q].text), area=names[by_id[q].area],
                                  href=f"{BASE}/areas/{r.bank.area(by_id[q].area).slug}"  # type: ignore[union-attr]
                                  f"#q-{q}") for q in r.scores.unanswered]
    return {"draft": SimpleNamespace(updated_at=draft.updated_at),
            "result": _result_view(r), "progress": _progress(r.bank, r.answers),
            "unanswered": unanswered, "answered": r.scores.answered, "total": r.scores.total,
            "base": BASE}


@router.get("/readiness/review")
def review(ctx: MemberCtx) -> Response:
    _require_editor(ctx)
    return page(ctx, "ransomware/readiness_review.html", _review_context(ctx))


@router.post("/readiness/complete")
def complete(ctx: MemberCtx) -> Response:
    _require_editor(ctx)
    on_error(ctx, "ransomware/readiness_review.html", _review_context(ctx))
    row = readiness.complete(ctx.session, ctx.viewer)
    return redirect(f"{BASE}/assessments/{row.id}", "created")


@router.post("/readiness/discard")
def discard(ctx: MemberCtx) -> Response:
    readiness.discard_draft(ctx.session, ctx.viewer)
    return redirect(BASE, "deleted")


# ---------------------------------------------------------------- result and report


def _result_view(r: readiness.Result) -> SimpleNamespace:
    names = _area_names(r.bank)
    slugs = {a.code: a.slug for a in r.bank.areas}
    b = r.benchmark
    areas = [SimpleNamespace(
        code=c, name=names[c], slug=slugs[c], score=a.score,
        level=_(TIER_LABELS[a.level]) if a.level else None,
        tiers=[SimpleNamespace(label=_(TIER_LABELS[t]), score=a.tiers[t].score,
                               achieved=a.tiers[t].achieved) for t in TIER_ORDER],
        percentile=b.areas.get(c) if b else None) for c, a in r.scores.areas.items()]
    plan = [SimpleNamespace(id=i.question.id, area=names[i.question.area],
                            tier=_(TIER_LABELS[i.question.tier]), weight=i.question.weight,
                            answer=i.answer, gain=i.gain, text=_(i.question.text),
                            guidance=_(i.question.guidance)) for i in r.plan]
    return SimpleNamespace(
        id=r.assessment.id, status=r.assessment.status, overall=r.scores.overall,
        previous=r.previous_overall, completed_at=r.assessment.completed_at,
        completed_by=r.completed_by, bank_version=r.bank.version, is_demo=r.assessment.is_demo,
        tiers=[SimpleNamespace(label=_(TIER_LABELS[t]), score=r.scores.tiers[t].score,
                               achieved=r.scores.tiers[t].achieved) for t in TIER_ORDER],
        areas=areas, plan=plan, benchmark=b, labels=_labels())


@router.get("/readiness/assessments/{assessment_id}")
def show(ctx: MemberCtx, assessment_id: str) -> Response:
    row = readiness.get_assessment(ctx.session, ctx.viewer, assessment_id)
    r = readiness.result(ctx.session, ctx.viewer, row)
    return page(ctx, "ransomware/readiness_result.html", {
        "r": _result_view(r), "chart": _chart(r), "base": BASE})


def report_response(ctx: Ctx, data: readiness_report.Report, fmt: str,
                    row: ReadinessAssessment) -> Response:
    """The report as a download: a standalone HTML page (style inside, allowed by hash)
    or a PDF."""
    stamp = row.completed_at.strftime("%Y%m%d") if row.completed_at else "draft"
    name = f"readiness-{stamp}-{str(row.id)[:8]}"
    if fmt == "pdf":
        return Response(readiness_report.pdf(data), media_type="application/pdf",
                        headers={"content-disposition": f'attachment; filename="{name}.pdf"',
                                 "cache-control": "no-store"})
    html = env.get_template("ransomware/readiness_report.html").render({
        "r": data, "css": REPORT_CSS, "request": ctx.request,
        "locale": i18n.get_locale(), "direction": i18n.direction()})
    response = HTMLResponse(html)
    response.headers["content-security-policy"] = REPORT_CSP
    response.headers["cache-control"] = "no-store"
    response.headers["content-disposition"] = f'inline; filename="{name}.html"'
    return response


def _report(ctx: Ctx, assessment_id: str, fmt: str) -> Response:
    row = readiness.get_assessment(ctx.session, ctx.viewer, assessment_id)
    data = readiness_report.build(readiness.result(ctx.session, ctx.viewer, row))
    readiness.record_report(ctx.session, ctx.viewer, row, fmt)
    return report_response(ctx, data, fmt, row)


@router.get("/readiness/assessments/{assessment_id}/report.html")
def report_html(ctx: MemberCtx, assessment_id: str) -> Response:
    return _report(ctx, assessment_id, "html")


@router.get("/readiness/assessments/{assessment_id}/report.pdf")
def report_pdf(ctx: MemberCtx, assessment_id: str) -> Response:
    return _report(ctx, assessment_id, "pdf")
