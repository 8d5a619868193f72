"""Readiness self-assessments: drafts saved as you go, completed immutable snapshots, their
scores, action plan and peer benchmark.

An assessment belongs to one organisation and is seen only by its users
(``access.org_private``): anyone else, hub admins included, gets the same 404 as for an id
that does not exist. Org admins, analysts (and the hub admin, for their own
organisation) answer and complete; readers read. Completing and downloading a report are
audited (``readiness.complete``, ``readiness.report``).

The peer benchmark reads the stored *scores* of other organisations' latest completed
assessments in the same sector — never their answers — and publishes only what
``readiness_scoring.benchmark`` allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cyberhub import access, audit
from cyberhub.access import Viewer
from cyberhub.community.models import Organisation, User
from cyberhub.config import get_settings
from cyberhub.db import utcnow
from cyberhub.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cyberhub.i18n import _, ngettext
from cyberhub.ransomware.readiness_bank import BANK_VERSION, BANKS, Bank, bank
from cyberhub.ransomware.readiness_models import COMPLETED, DRAFT, ReadinessAssessment
from cyberhub.ransomware.readiness_scoring import (
    ANSWERS,
    ActionItem,
    Benchmark,
    Peer,
    Scores,
    action_plan,
    benchmark,
    scores,
)

__all__ = ["MAX_NOTE", "AnswerIn", "Result", "answers_of", "bank_of", "complete",
           "discard_draft", "get_assessment", "get_draft", "history", "record_report",
           "result", "save_draft"]

MAX_NOTE = 1000


@dataclass(frozen=True)
class AnswerIn:
    answer: str
    note: str = ""


def bank_of(a: ReadinessAssessment) -> Bank:
    return BANKS.get(a.bank_version) or bank()


def answers_of(a: ReadinessAssessment) -> dict[str, str]:
    """{question id: answer} of an assessment."""
    return {qid: str(v.get("answer")) for qid, v in (a.answers or {}).items()
            if isinstance(v, dict) and v.get("answer") in ANSWERS}


def _own(viewer: Viewer) -> uuid.UUID:
    if viewer.user_id is None or viewer.org_id is None:
        raise NotFound()
    return viewer.org_id


def _require_editor(viewer: Viewer) -> uuid.UUID:
    org_id = _own(viewer)
    if not access.can_edit_org_private(org_id, viewer):
        raise PermissionDenied(_("Readers may read the assessment but not answer it. Ask your "
                                 "organisation's admin for the analyst role."))
    return org_id


def get_draft(session: Session, viewer: Viewer) -> ReadinessAssessment | None:
    """The viewer's organisation's draft, if it has one."""
    return session.scalars(select(ReadinessAssessment).where(
        access.org_private(ReadinessAssessment.org_id, viewer),
        ReadinessAssessment.status == DRAFT)).one_or_none()


def _clean(b: Bank, answers: Mapping[str, AnswerIn | None]) -> dict[str, dict[str, str] | None]:
    """Check every answer before anything is stored; 422 naming each problem."""
    known = b.by_id()
    problems: list[dict[str, str]] = []
    if len(answers) > len(known):
        raise InvalidInput(_("Send at most %(n)d answers at once.") % {"n": len(known)},
                           details={"field": "answers"})
    out: dict[str, dict[str, str] | None] = {}
    for qid, a in answers.items():
        field = f"answers.{qid[:40]}"
        if qid not in known:
            problems.append({"field": field, "problem": _("There is no question %(id)s in "
                                                          "bank %(v)s.") % {"id": qid[:40],
                                                                            "v": b.version}})
            continue
        if a is None:
            out[qid] = None
            continue
        if a.answer not in ANSWERS:
            problems.append({"field": field, "problem": _(
                "Answer yes, partial, no or na (not applicable).")})
            continue
        note = a.note.strip()
        if len(note) > MAX_NOTE:
            problems.append({"field": field, "problem": _(
                "The note is longer than %(n)d characters.") % {"n": MAX_NOTE}})
            continue
        if "\x00" in note:
            problems.append({"field": field, "problem": _("The note holds a NUL character.")})
            continue
        out[qid] = {"answer": a.answer, "note": note}
    if problems:
        first = problems[0]
        raise InvalidInput(_("%(field)s: %(problem)s") % first
                           + ("" if len(problems) == 1 else " " + ngettext(
                               "(and %(n)d more problem)", "(and %(n)d more problems)",
                               len(problems) - 1) % {"n": len(problems) - 1}),
                           details={"field": first["field"], "problems": problems})
    return out


def save_draft(session: Session, viewer: Viewer,
               answers: Mapping[str, AnswerIn | None]) -> ReadinessAssessment:
    """Merge answers into the organisation's draft (started when there is none). ``None``
    clears an answer. Nothing is stored when any answer is wrong."""
    org_id = _require_editor(viewer)
    assert viewer.user_id is not None
    draft = get_draft(session, viewer)
    b = bank_of(draft) if draft else bank()
    cleaned = _clean(b, answers)
    now = utcnow()
    if draft is None:
        draft = ReadinessAssessment(org_id=org_id, status=DRAFT, bank_version=BANK_VERSION,
                                    answers={}, created_by_id=viewer.user_id, created_at=now,
                                    updated_by_id=viewer.user_id, updated_at=now,
                                    area_scores={})
        try:
            with session.begin_nested():  # one draft per organisation, by a unique index
                session.add(draft)
                session.flush()
        except IntegrityError:
            raise Conflict(_("Someone else in your organisation started a draft at the same "
                             "moment. Reload the page and save again.")) from None
    merged = dict(draft.answers or {})
    for qid, value in cleaned.items():
        if value is None:
            merged.pop(qid, None)
        else:
            merged[qid] = value
    draft.answers = merged  # a new dict: the JSON column sees the change
    draft.updated_by_id = viewer.user_id
    draft.updated_at = now
    session.flush()
    return draft


def discard_draft(session: Session, viewer: Viewer) -> None:
    _require_editor(viewer)
    draft = get_draft(session, viewer)
    if draft is None:
        raise NotFound(_("There is no draft to discard."))
    session.delete(draft)
    session.flush()


def complete(session: Session, viewer: Viewer, *, is_demo: bool = False) -> ReadinessAssessment:
    """Complete the draft: every question answered, then frozen with its scores."""
    _require_editor(viewer)
    draft = get_draft(session, viewer)
    if draft is None:
        raise InvalidInput(_("There is no draft to complete: answer the questionnaire first."),
                           details={"field": "answers"})
    b = bank_of(draft)
    s = scores(b, answers_of(draft))
    if s.unanswered:
        shown = ", ".join(s.unanswered[:20]) + (" …" if len(s.unanswered) > 20 else "")
        raise InvalidInput(
            ngettext("%(n)d question is not answered yet: %(ids)s. Answer it (not applicable "
                     "is an answer) and complete again.",
                     "%(n)d questions are not answered yet: %(ids)s. Answer each (not "
                     "applicable is an answer) and complete again.", len(s.unanswered))
            % {"n": len(s.unanswered), "ids": shown},
            details={"field": "answers", "unanswered": s.unanswered})
    now = utcnow()
    draft.status = COMPLETED
    draft.completed_at = now
    draft.completed_by_id = viewer.user_id
    draft.overall_score = s.overall
    draft.area_scores = {code: a.score for code, a in s.areas.items()}
    draft.is_demo = is_demo
    session.flush()
    audit.record(session, viewer.actor, "readiness.complete",
                 target_type="readiness_assessments", target_id=draft.id,
                 details={"bank_version": draft.bank_version,
                          "overall": None if s.overall is None else round(s.overall, 1)})
    return draft


def history(session: Session, viewer: Viewer) -> list[ReadinessAssessment]:
    """The organisation's completed assessments, newest first."""
    return list(session.scalars(select(ReadinessAssessment).where(
        access.org_private(ReadinessAssessment.org_id, viewer),
        ReadinessAssessment.status == COMPLETED).order_by(
            ReadinessAssessment.completed_at.desc(), ReadinessAssessment.id)))


def get_assessment(session: Session, viewer: Viewer,
                   assessment_id: uuid.UUID | str) -> ReadinessAssessment:
    """One of the organisation's assessments (draft or completed), or 404."""
    try:
        aid = assessment_id if isinstance(assessment_id, uuid.UUID) \
            else uuid.UUID(str(assessment_id))
    except ValueError:
        raise NotFound() from None
    row = session.scalars(select(ReadinessAssessment).where(
        ReadinessAssessment.id == aid,
        access.org_private(ReadinessAssessment.org_id, viewer))).one_or_none()
    if row is None:
        raise NotFound()
    return row


# ---------------------------------------------------------------- results


@dataclass
class Result:
    assessment: ReadinessAssessment
    bank: Bank
    answers: dict[str, str]
    scores: Scores
    plan: list[ActionItem]
    benchmark: Benchmark | None  # completed assessments only
    previous_overall: float | None  # the completed assessment before this one
    organisation: str
    completed_by: str


def _peers(session: Session, sector: str) -> list[Peer]:
    """The latest completed assessment of each organisation of the sector: scores only."""
    rows = session.execute(
        select(ReadinessAssessment.org_id, ReadinessAssessment.overall_score,
               ReadinessAssessment.area_scores, ReadinessAssessment.completed_at)
        .join(Organisation, Organisation.id == ReadinessAssessment.org_id)
        .where(ReadinessAssessment.status == COMPLETED, Organisation.sector == sector)
        .order_by(ReadinessAssessment.completed_at))
    latest: dict[str, Peer] = {}
    for r in rows:
        latest[str(r.org_id)] = Peer(str(r.org_id), r.overall_score, dict(r.area_scores or {}))
    return list(latest.values())


def peer_benchmark(session: Session, a: ReadinessAssessment) -> Benchmark:
    org = session.get(Organisation, a.org_id)
    sector = org.sector if org else None
    own = Peer(str(a.org_id), a.overall_score, dict(a.area_scores or {}))
    return benchmark(str(a.org_id), own, _peers(session, sector) if sector else [],
                     k=get_settings().trend_k, sector=sector)


def result(session: Session, viewer: Viewer, a: ReadinessAssessment) -> Result:
    b = bank_of(a)
    answers = answers_of(a)
    previous = None
    if a.status == COMPLETED and a.completed_at is not None:
        previous = session.scalar(select(ReadinessAssessment.overall_score).where(
            access.org_private(ReadinessAssessment.org_id, viewer),
            ReadinessAssessment.status == COMPLETED,
            ReadinessAssessment.completed_at < a.completed_at)
            .order_by(ReadinessAssessment.completed_at.desc()).limit(1))
    org = session.get(Organisation, a.org_id)
    who = session.get(User, a.completed_by_id) if a.completed_by_id else None
    return Result(assessment=a, bank=b, answers=answers, scores=scores(b, answers),
                  plan=action_plan(b, answers),
                  benchmark=peer_benchmark(session, a) if a.status == COMPLETED else None,
                  previous_overall=previous, organisation=org.name if org else "",
                  completed_by=who.display_name if who else "")


def record_report(session: Session, viewer: Viewer, a: ReadinessAssessment, fmt: str) -> None:
    """A report download is audited."""
    audit.record(session, viewer.actor, "readiness.report",
                 target_type="readiness_assessments", target_id=a.id,
                 details={"format": fmt})
