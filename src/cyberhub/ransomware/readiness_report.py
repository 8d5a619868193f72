"""The readiness report: what the HTML page and the PDF (fpdf2) both show, built from a
:class:`readiness.Result`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cyberhub import pdfdoc
from cyberhub.db import utcnow
from cyberhub.i18n import _, ngettext
from cyberhub.ransomware.readiness import Result
from cyberhub.ransomware.readiness_bank import TIER_LABELS, TIER_ORDER

__all__ = ["Report", "build", "pdf"]



def answer_label(answer: str | None) -> str:
    return {"yes": _("Yes"), "partial": _("Partly"), "no": _("No"),
            "na": _("Not applicable")}.get(answer or "", _("Not answered"))


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


@dataclass
class ReportArea:
    name: str
    score: str
    level: str
    tiers: list[tuple[str, str, bool]]  # tier label, score, achieved
    percentile: int | None


@dataclass
class ReportAction:
    qid: str
    area: str
    tier: str
    weight: int
    answer: str
    gain: float
    text: str
    guidance: str


@dataclass
class ReportAnswer:
    qid: str
    text: str
    answer: str
    note: str


@dataclass
class Report:
    title: str
    organisation: str
    completed_at: datetime | None
    completed_by: str
    bank_version: str
    generated_at: datetime
    overall: str
    previous: str | None
    tiers: list[tuple[str, str, bool]]
    areas: list[ReportArea]
    actions: list[ReportAction]
    benchmark_line: str
    answers: dict[str, list[ReportAnswer]] = field(default_factory=dict)


def build(r: Result) -> Report:
    s = r.scores
    names = {a.code: _(a.name) for a in r.bank.areas}
    b = r.benchmark
    if b is None:
        line = _("No benchmark for a draft.")
    elif b.sector is None:
        line = _("Your organisation has no sector set, so it has no peers to compare with.")
    elif b.overall is None:
        line = ngettext("Not enough peers yet: the benchmark needs completed assessments from "
                        "at least %(k)d other organisation of the sector %(sector)s.",
                        "Not enough peers yet: the benchmark needs completed assessments from "
                        "at least %(k)d other organisations of the sector %(sector)s.", b.k) % {
                            "k": b.k, "sector": b.sector}
    else:
        line = ngettext("Percentile of your overall score among the organisations of the "
                        "sector %(sector)s: about %(p)d (compared with at least %(k)d peer).",
                        "Percentile of your overall score among the organisations of the "
                        "sector %(sector)s: about %(p)d (compared with at least %(k)d peers).",
                        b.k) % {"p": b.overall, "sector": b.sector, "k": b.k}
    areas = []
    for area in r.bank.areas:
        a = s.areas[area.code]
        areas.append(ReportArea(
            name=names[area.code], score=fmt_score(a.score),
            level=_(TIER_LABELS[a.level]) if a.level else _("none yet"),
            tiers=[(_(TIER_LABELS[t]), fmt_score(a.tiers[t].score), a.tiers[t].achieved)
                   for t in TIER_ORDER],
            percentile=b.areas.get(area.code) if b else None))
    notes = {qid: str(v.get("note") or "") for qid, v in (r.assessment.answers or {}).items()
             if isinstance(v, dict)}
    answers: dict[str, list[ReportAnswer]] = {}
    for q in r.bank.questions:
        answers.setdefault(names[q.area], []).append(ReportAnswer(
            q.id, _(q.text), answer_label(r.answers.get(q.id)), notes.get(q.id, "")))
    return Report(
        title=_("Ransomware readiness assessment"), organisation=r.organisation,
        completed_at=r.assessment.completed_at, completed_by=r.completed_by,
        bank_version=r.bank.version, generated_at=utcnow(), overall=fmt_score(s.overall),
        previous=fmt_score(r.previous_overall) if r.previous_overall is not None else None,
        tiers=[(_(TIER_LABELS[t]), fmt_score(s.tiers[t].score), s.tiers[t].achieved)
               for t in TIER_ORDER],
        areas=areas,
        actions=[ReportAction(i.question.id, names[i.question.area],
                              _(TIER_LABELS[i.question.tier]), i.question.weight,
                              answer_label(i.answer), i.gain, _(i.question.text),
                              _(i.question.guidance)) for i in r.plan],
        benchmark_line=line, answers=answers)


def pdf(data: Report) -> bytes:
    """The report as a PDF (fpdf2), in the reader's language and direction (pdfdoc)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    doc = FPDF(format="A4")
    style = pdfdoc.prepare(doc)
    family, text = style.family, style.text

    def para(value: str, size: float = 10, weight: str = "", height: float = 5.5) -> None:
        doc.set_font(family, weight, size)
        doc.multi_cell(doc.epw, height, text(value), align=style.align,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(value: str) -> None:
        doc.ln(3)
        para(value, 13, "B", 8)

    doc.set_title(text(f"{data.title} · {data.organisation}"))
    doc.set_author(text(data.organisation))
    doc.set_auto_page_break(auto=True, margin=16)
    doc.add_page()
    para(data.title, 18, "B", 9)
    para(data.organisation, 12, "B", 7)
    when = style.when(data.completed_at) if data.completed_at else _("not completed")
    para(_("Completed: %(when)s by %(who)s") % {"when": when, "who": data.completed_by or "—"})
    para(_("Question bank: %(v)s · Generated: %(at)s") % {
        "v": data.bank_version, "at": style.when(data.generated_at)})
    heading(_("Overall score: %(s)s / 100") % {"s": data.overall})
    if data.previous is not None:
        para(_("Previous assessment: %(s)s / 100") % {"s": data.previous})
    para(data.benchmark_line)
    doc.ln(2)
    doc.set_font(family, "", 9)
    cols = style.columns
    with doc.table(col_widths=cols((40, 14, 22, 22, 22, 18)), text_align=style.table_align,
                   first_row_as_headings=True) as table:
        table.row(cols([text(v) for v in (_("Area"), _("Score"), *(t[0] for t in data.tiers),
                                          _("Percentile"))]))
        for a in data.areas:
            table.row(cols([text(a.name), str(a.score),
                            *(text(f"{score}{' ✓' if ok else ''}") for _l, score, ok in a.tiers),
                            text("—") if a.percentile is None else str(a.percentile)]))
        table.row(cols([text(_("All areas")), str(data.overall),
                        *(text(f"{score}{' ✓' if ok else ''}") for _l, score, ok in data.tiers),
                        ""]))
    para(_("✓ marks a tier achieved: every question of it that applies is answered yes."),
         8, "", 5)
    heading(_("Action plan"))
    if not data.actions:
        para(_("Nothing left to do: every question that applies is answered yes."))
    for n, item in enumerate(data.actions, 1):
        para(f"{n}. [{item.qid}] {item.text}", 10, "B")
        para(_("%(area)s · %(tier)s · weight %(w)d · now: %(answer)s · +%(gain).1f points") % {
            "area": item.area, "tier": item.tier, "w": item.weight, "answer": item.answer,
            "gain": item.gain}, 8.5)
        para(item.guidance, 9, "", 5)
        doc.ln(1)
    heading(_("Answers"))
    for area, rows in data.answers.items():
        para(area, 11, "B", 7)
        for row in rows:
            para(f"[{row.qid}] {row.text} — {row.answer}", 9, "", 5)
            if row.note:
                para("    " + row.note, 8.5, "", 4.5)
    return bytes(doc.output())
