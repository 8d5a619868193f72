"""REST: the readiness self-assessment (question bank, draft, completion, assessments with
scores, action plan and benchmark, reports)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from cyberhub.deps import ApiCtx
from cyberhub.errors import InvalidInput, NotFound
from cyberhub.i18n import _
from cyberhub.ransomware import readiness, readiness_report
from cyberhub.ransomware.readiness_bank import TIER_ORDER, bank
from cyberhub.ransomware.readiness_models import ReadinessAssessment
from cyberhub.ransomware.readiness_schemas import (
    ActionOut,
    AnswerOut,
    AreaOut,
    AreaScoreOut,
    AssessmentOut,
    AssessmentSummaryOut,
    BankOut,
    BenchmarkOut,
    DraftIn,
    DraftOut,
    QuestionOut,
    ScoresOut,
    TierOut,
)
from cyberhub.ransomware.readiness_scoring import ANSWERS, Scores

router = APIRouter(prefix="/readiness", tags=["ransomware"])


def _answers(a: ReadinessAssessment) -> dict[str, AnswerOut]:
    return {qid: AnswerOut(answer=str(v.get("answer")), note=str(v.get("note") or ""))
            for qid, v in (a.answers or {}).items() if isinstance(v, dict)}


def scores_out(r: readiness.Result) -> ScoresOut:
    s: Scores = r.scores
    names = {a.code: _(a.name) for a in r.bank.areas}
    return ScoresOut(
        overall=s.overall, answered=s.answered, total=s.total, unanswered=s.unanswered,
        tiers=[TierOut(tier=t.value, score=s.tiers[t].score, achieved=s.tiers[t].achieved)
               for t in TIER_ORDER],
        areas=[AreaScoreOut(code=c, name=names[c], score=a.score,
                            level=a.level.value if a.level else None,
                            tiers=[TierOut(tier=t.value, score=a.tiers[t].score,
                                           achieved=a.tiers[t].achieved) for t in TIER_ORDER])
               for c, a in s.areas.items()])


def _summary(a: ReadinessAssessment) -> dict[str, Any]:
    return {"id": a.id, "status": a.status, "bank_version": a.bank_version,
            "completed_at": a.completed_at, "completed_by_id": a.completed_by_id,
            "overall": a.overall_score, "is_demo": a.is_demo}


def assessment_out(r: readiness.Result) -> AssessmentOut:
    b = r.benchmark
    return AssessmentOut(
        **_summary(r.assessment), answers=_answers(r.assessment), scores=scores_out(r),
        previous_overall=r.previous_overall,
        action_plan=[ActionOut(question_id=i.question.id, area=i.question.area,
                               tier=i.question.tier.value, weight=i.question.weight,
                               answer=i.answer, gain=round(i.gain, 2), text=_(i.question.text),
                               guidance=_(i.question.guidance)) for i in r.plan],
        benchmark=BenchmarkOut(k=b.k, sector=b.sector, enough_peers=b.enough_peers,
                               overall_percentile=b.overall, area_percentiles=b.areas)
        if b else None)


@router.get("/bank", response_model=BankOut)
def get_bank(ctx: ApiCtx) -> BankOut:
    """The current question bank, translated."""
    b = bank()
    return BankOut(
        version=b.version, answers=list(ANSWERS), tiers=[t.value for t in TIER_ORDER],
        areas=[AreaOut(code=a.code, slug=a.slug, name=_(a.name), summary=_(a.summary))
               for a in b.areas],
        questions=[QuestionOut(id=q.id, area=q.area, tier=q.tier.value, weight=q.weight,
                               text=_(q.text), guidance=_(q.guidance)) for q in b.questions])


def _draft_out(ctx: ApiCtx, draft: ReadinessAssessment) -> DraftOut:
    r = readiness.result(ctx.session, ctx.viewer, draft)
    return DraftOut(id=draft.id, bank_version=draft.bank_version, answers=_answers(draft),
                    updated_at=draft.updated_at, scores=scores_out(r))


@router.get("/draft", response_model=DraftOut)
def get_draft(ctx: ApiCtx) -> DraftOut:
    """The organisation's draft; 404 when it has none (a PUT starts one)."""
    draft = readiness.get_draft(ctx.session, ctx.viewer)
    if draft is None:
        raise NotFound(_("Your organisation has no draft assessment."))
    return _draft_out(ctx, draft)


@router.put("/draft", response_model=DraftOut)
def put_draft(body: DraftIn, ctx: ApiCtx) -> DraftOut:
    """Merge answers into the draft (started when there is none); null clears an answer.
    A wrong question id, answer or note stores nothing (422 naming each problem)."""
    answers = {qid: readiness.AnswerIn(a.answer, a.note) if a is not None else None
               for qid, a in body.answers.items()}
    return _draft_out(ctx, readiness.save_draft(ctx.session, ctx.viewer, answers))


@router.delete("/draft", status_code=204)
def delete_draft(ctx: ApiCtx) -> Response:
    readiness.discard_draft(ctx.session, ctx.viewer)
    return Response(status_code=204)


@router.post("/draft/complete", response_model=AssessmentOut, status_code=201)
def complete(ctx: ApiCtx) -> AssessmentOut:
    """Freeze the draft as a completed assessment; 422 listing unanswered questions."""
    row = readiness.complete(ctx.session, ctx.viewer)
    return assessment_out(readiness.result(ctx.session, ctx.viewer, row))


@router.get("/assessments", response_model=list[AssessmentSummaryOut])
def list_assessments(ctx: ApiCtx) -> list[AssessmentSummaryOut]:
    """The organisation's completed assessments, newest first."""
    return [AssessmentSummaryOut(**_summary(a))
            for a in readiness.history(ctx.session, ctx.viewer)]


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut)
def get_assessment(assessment_id: str, ctx: ApiCtx) -> AssessmentOut:
    row = readiness.get_assessment(ctx.session, ctx.viewer, assessment_id)
    return assessment_out(readiness.result(ctx.session, ctx.viewer, row))


@router.get("/assessments/{assessment_id}/report")
def report(assessment_id: str, ctx: ApiCtx,
           format: Annotated[str, Query(max_length=8)] = "html") -> Response:
    """The report as a standalone HTML page or a PDF; audited."""
    from cyberhub.ransomware.pages_readiness import report_response

    if format not in ("html", "pdf"):
        raise InvalidInput(_("Unknown format %(f)r; use html or pdf.") % {"f": format},
                           details={"field": "format"})
    row = readiness.get_assessment(ctx.session, ctx.viewer, assessment_id)
    data = readiness_report.build(readiness.result(ctx.session, ctx.viewer, row))
    readiness.record_report(ctx.session, ctx.viewer, row, format)
    return report_response(ctx, data, format, row)
