"""Readiness scores, the action plan and the peer benchmark: pure functions over answers.

The rules (docs/ransomware.md, "Readiness assessment"):

* **Values.** yes = 1, partial = 0.5, no = 0; "not applicable" leaves the question out
  (its weight counts neither above nor below the line). An unanswered question of a draft
  counts as no.
* **Scores.** For a set of questions, 100 × Σ(weight × value) / Σ(weight), over the
  questions that apply; ``None`` when none applies. An area's score, a tier's score
  (across areas), an area-and-tier score and the overall score are all this formula on
  their questions.
* **Achieved.** A tier (of an area, or of the whole assessment) is achieved when every
  question of it that applies is answered yes. An area's *level* is the highest tier that
  is achieved together with every tier below it.
* **Action plan.** Every question that applies and is not answered yes, ordered by impact:
  weight (3 first), then tier (basic before intermediate before advanced), then "no"
  before "partial", then the bank's order (area, then question).
* **Benchmark.** See :func:`benchmark`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cyberhub.ransomware.readiness_bank import TIER_ORDER, Bank, Question, Tier

__all__ = ["ANSWERS", "VALUES", "ActionItem", "AreaScore", "Benchmark", "Peer", "Scores",
           "TierScore", "action_plan", "benchmark", "percentile", "score", "scores"]

ANSWERS = ("yes", "partial", "no", "na")
VALUES = {"yes": 1.0, "partial": 0.5, "no": 0.0}


def _value(answer: str | None) -> float:
    return VALUES.get(answer or "no", 0.0)


def score(questions: Iterable[Question], answers: Mapping[str, str]) -> float | None:
    """100 × the weighted share met, over the questions that apply (``None`` if none does)."""
    num = den = 0.0
    for q in questions:
        a = answers.get(q.id)
        if a == "na":
            continue
        num += q.weight * _value(a)
        den += q.weight
    return None if den == 0 else 100.0 * num / den


def _achieved(questions: Iterable[Question], answers: Mapping[str, str]) -> bool:
    return all(answers.get(q.id) in ("yes", "na") for q in questions)


@dataclass
class TierScore:
    tier: Tier
    score: float | None
    achieved: bool


@dataclass
class AreaScore:
    code: str
    score: float | None
    tiers: dict[Tier, TierScore]
    level: Tier | None  # the highest tier achieved with every tier below it


@dataclass
class Scores:
    overall: float | None
    areas: dict[str, AreaScore]
    tiers: dict[Tier, TierScore]
    answered: int
    total: int
    unanswered: list[str] = field(default_factory=list)


def _level(tiers: Mapping[Tier, TierScore]) -> Tier | None:
    level = None
    for t in TIER_ORDER:
        if not tiers[t].achieved:
            break
        level = t
    return level


def scores(bank: Bank, answers: Mapping[str, str]) -> Scores:
    areas: dict[str, AreaScore] = {}
    for area in bank.areas:
        qs = bank.of_area(area.code)
        tiers = {t: TierScore(t, score([q for q in qs if q.tier is t], answers),
                              _achieved([q for q in qs if q.tier is t], answers))
                 for t in TIER_ORDER}
        areas[area.code] = AreaScore(area.code, score(qs, answers), tiers, _level(tiers))
    overall_tiers = {t: TierScore(t, score([q for q in bank.questions if q.tier is t], answers),
                                  _achieved([q for q in bank.questions if q.tier is t], answers))
                     for t in TIER_ORDER}
    unanswered = [q.id for q in bank.questions if answers.get(q.id) not in ANSWERS]
    return Scores(overall=score(bank.questions, answers), areas=areas, tiers=overall_tiers,
                  answered=len(bank.questions) - len(unanswered), total=len(bank.questions),
                  unanswered=unanswered)


@dataclass
class ActionItem:
    question: Question
    answer: str | None  # "no", "partial" or None (not answered yet)
    gain: float  # points the overall score would gain with a "yes"


def action_plan(bank: Bank, answers: Mapping[str, str]) -> list[ActionItem]:
    """The questions that apply and are not met, most impact first (module docstring)."""
    den = sum(q.weight for q in bank.questions if answers.get(q.id) != "na")
    order = {q.id: i for i, q in enumerate(bank.questions)}
    items = []
    for q in bank.questions:
        a = answers.get(q.id)
        if a in ("yes", "na"):
            continue
        gain = 100.0 * q.weight * (1.0 - _value(a)) / den if den else 0.0
        items.append(ActionItem(q, a if a in ANSWERS else None, gain))
    items.sort(key=lambda i: (-i.question.weight, i.question.tier.rank, i.answer == "partial",
                              order[i.question.id]))
    return items


# ---------------------------------------------------------------- the peer benchmark


@dataclass(frozen=True)
class Peer:
    """One organisation's latest completed assessment, as the benchmark sees it: its
    scores only, never its answers."""

    org: str
    overall: float | None
    areas: Mapping[str, float | None]


@dataclass
class Benchmark:
    k: int
    sector: str | None
    overall: int | None  # percentile, rounded to the nearest 10; None when withheld
    areas: dict[str, int | None]
    enough_peers: bool


def percentile(own: float, others: Sequence[float]) -> int:
    """Where ``own`` stands among ``others``: the share below it plus half the share equal
    to it (the mid-rank percentile), in per cent rounded to the nearest 10."""
    below = sum(1 for v in others if v < own - 1e-9)
    equal = sum(1 for v in others if abs(v - own) <= 1e-9)
    exact = 100.0 * (below + 0.5 * equal) / len(others)
    return int(10 * math.floor(exact / 10 + 0.5))


def benchmark(own_org: str, own: Peer | None, peers: Iterable[Peer], *, k: int,
              sector: str | None) -> Benchmark:
    """The asker's percentile among its sector's peers, published only from ``k`` or more.

    ``peers`` are the latest completed assessments of the organisations of the asker's
    sector; rows of the asker's own organisation are dropped (it knows its own scores and
    could subtract them). A figure — the overall percentile, or an area's — is published
    only when at least ``k`` *other* organisations have a score for it; otherwise it is
    ``None`` ("not enough peers yet"). Only the rounded percentile is published: no peer
    count, no peer score, no mean or median, nothing per question. The figures depend
    only on how many peer scores lie below, level with and above the asker's own, so one
    peer's answers cannot be read from them and no figure can be tied to any one peer.
    """
    others: dict[str, Peer] = {}
    for p in peers:
        if p.org != own_org:
            others[p.org] = p  # one (the latest) per organisation
    if own is None or sector is None:
        return Benchmark(k, sector, None, {}, enough_peers=len(others) >= k)
    overall = None
    values = [p.overall for p in others.values() if p.overall is not None]
    if own.overall is not None and len(values) >= k:
        overall = percentile(own.overall, values)
    areas: dict[str, int | None] = {}
    for code, mine in own.areas.items():
        vals = [v for v in (p.areas.get(code) for p in others.values()) if v is not None]
        areas[code] = percentile(mine, vals) if mine is not None and len(vals) >= k else None
    return Benchmark(k, sector, overall, areas, enough_peers=len(values) >= k)
