"""Properties of the readiness scores, the action plan and the peer benchmark (hypothesis):
scores stay within 0–100, never drop when an answer improves, "not applicable" leaves
every other figure alone; the benchmark publishes nothing from fewer than k other
organisations and nothing that tells one peer's answers."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.ransomware.readiness_bank import TIER_ORDER, bank
from cyberhub.ransomware.readiness_scoring import (
    ANSWERS,
    Peer,
    action_plan,
    benchmark,
    score,
    scores,
)

BANK = bank()
IDS = [q.id for q in BANK.questions]
AREA_OF = {q.id: q.area for q in BANK.questions}
CODES = [a.code for a in BANK.areas]

answers_st = st.dictionaries(st.sampled_from(IDS), st.sampled_from(ANSWERS), max_size=len(IDS))
complete_st = st.fixed_dictionaries({qid: st.sampled_from(ANSWERS) for qid in IDS})


def figures(answers: dict[str, str]) -> dict[str, float | None]:
    s = scores(BANK, answers)
    out: dict[str, float | None] = {"overall": s.overall}
    for code, a in s.areas.items():
        out[code] = a.score
        for t in TIER_ORDER:
            out[f"{code}/{t.value}"] = a.tiers[t].score
    for t in TIER_ORDER:
        out[t.value] = s.tiers[t].score
    return out


@given(answers_st)
def test_every_score_is_between_0_and_100(answers: dict[str, str]) -> None:
    for name, value in figures(answers).items():
        assert value is None or 0 <= value <= 100 + 1e-9, name
    s = scores(BANK, answers)
    assert s.answered == len(answers) and s.answered + len(s.unanswered) == s.total


@given(answers_st, st.sampled_from(IDS))
def test_a_better_answer_never_lowers_a_score(answers: dict[str, str], qid: str) -> None:
    ladder = ["no", "partial", "yes"]
    previous = None
    for value in ladder:
        now = figures({**answers, qid: value})
        if previous is not None:
            for name, v in now.items():
                before = previous[name]
                if v is not None and before is not None:
                    assert v >= before - 1e-9, (name, value)
        previous = now
    # And from no answer at all to any answer other than n/a: never lower either.
    missing = {k: v for k, v in answers.items() if k != qid}
    base = figures(missing)
    for value in ladder:
        now = figures({**missing, qid: value})
        for name, v in now.items():
            if v is not None and base[name] is not None:
                assert v >= base[name] - 1e-9


@given(answers_st, st.sampled_from(IDS))
def test_not_applicable_changes_nothing_else(answers: dict[str, str], qid: str) -> None:
    with_na = {**answers, qid: "na"}
    after = figures(with_na)
    # Every figure that does not include the question is unchanged, whatever it was.
    for value in ("yes", "partial", "no"):
        before = figures({**answers, qid: value})
        for name, v in after.items():
            if not name.startswith(AREA_OF[qid]) and name not in (
                    "overall", next(q.tier.value for q in BANK.questions if q.id == qid)):
                assert v == before[name], name
    # And a figure that includes it is the score of the bank without it.
    rest = [q for q in BANK.questions if q.id != qid]
    assert after["overall"] == score(rest, with_na)
    assert after[AREA_OF[qid]] == score([q for q in rest if q.area == AREA_OF[qid]], with_na)


@given(answers_st)
def test_the_action_plan_holds_exactly_the_unmet_questions_most_impact_first(
        answers: dict[str, str]) -> None:
    plan = action_plan(BANK, answers)
    unmet = {qid for qid in IDS if answers.get(qid) not in ("yes", "na")}
    assert {i.question.id for i in plan} == unmet
    keys = [(-i.question.weight, i.question.tier.rank) for i in plan]
    assert keys == sorted(keys)
    # Each item's gain is what a "yes" would add to the overall score.
    for item in plan[:3]:
        before = scores(BANK, answers).overall or 0.0
        after = scores(BANK, {**answers, item.question.id: "yes"}).overall or 0.0
        assert abs((after - before) - item.gain) < 1e-6


@given(complete_st)
def test_a_tier_is_achieved_exactly_when_its_questions_are_met(answers: dict[str, str]) -> None:
    s = scores(BANK, answers)
    for code, area in s.areas.items():
        for t in TIER_ORDER:
            qs = [q for q in BANK.questions if q.area == code and q.tier is t]
            met = all(answers[q.id] in ("yes", "na") for q in qs)
            assert area.tiers[t].achieved is met
            if met and any(answers[q.id] == "yes" for q in qs):
                assert area.tiers[t].score == 100


# ---------------------------------------------------------------- the benchmark

score_st = st.sampled_from([0.0, 12.5, 25.0, 37.5, 50.0, 62.5, 75.0, 87.5, 100.0])
peer_st = st.builds(lambda o, a: (o, a), score_st,
                    st.fixed_dictionaries({c: st.one_of(st.none(), score_st) for c in CODES}))


def peers_of(rows: list[tuple[float, dict[str, float | None]]]) -> list[Peer]:
    return [Peer(f"org-{i}", o, a) for i, (o, a) in enumerate(rows)]


@given(st.lists(peer_st, max_size=8), peer_st, st.integers(1, 6))
def test_nothing_is_published_from_fewer_than_k_organisations(
        rows: list[tuple[float, dict[str, float | None]]],
        own: tuple[float, dict[str, float | None]], k: int) -> None:
    peers = peers_of(rows)
    # The asker's own organisation is in the list too, several times: it never counts.
    mine = Peer("me", own[0], own[1])
    b = benchmark("me", mine, [*peers, mine, Peer("me", 0.0, {})], k=k, sector="Bank")
    if len(peers) < k:
        assert b.overall is None and not b.enough_peers
    else:
        assert b.overall is not None
    for code, value in b.areas.items():
        behind = sum(1 for p in peers if p.areas.get(code) is not None)
        if behind < k:
            assert value is None, code
        if value is not None:
            assert behind >= k and value % 10 == 0 and 0 <= value <= 100


@given(st.lists(peer_st, min_size=3, max_size=8), peer_st, st.randoms(use_true_random=False))
def test_the_figures_depend_only_on_how_many_peers_are_below_level_and_above(
        rows: list[tuple[float, dict[str, float | None]]],
        own: tuple[float, dict[str, float | None]], rnd: random.Random) -> None:
    """So no figure belongs to any one peer: shuffling which organisation holds which
    scores, or moving any peer's score anywhere on the same side of the asker's, publishes
    exactly the same — one peer's answers cannot be read from what is published."""
    mine = Peer("me", own[0], own[1])
    published = benchmark("me", mine, peers_of(rows), k=3, sector="Bank")

    shuffled = rows[:]
    rnd.shuffle(shuffled)
    assert benchmark("me", mine, peers_of(shuffled), k=3, sector="Bank") == published

    def same_side(value: float | None, ref: float | None) -> float | None:
        if value is None or ref is None:
            return value
        if value < ref:
            return rnd.uniform(-1.0, ref - 1e-6) if ref > 0 else value
        if value > ref:
            return rnd.uniform(ref + 1e-6, 101.0)
        return value

    moved = [(same_side(o, own[0]) or 0.0,
              {c: same_side(v, own[1].get(c)) for c, v in a.items()}) for o, a in rows]
    assert benchmark("me", mine, peers_of(moved), k=3, sector="Bank") == published


@settings(max_examples=50)
@given(st.lists(complete_st, min_size=3, max_size=5), complete_st,
       st.randoms(use_true_random=False))
def test_a_peers_answers_cannot_be_told_from_the_benchmark(
        peers: list[dict[str, str]], own_answers: dict[str, str], rnd: random.Random) -> None:
    """Shuffle a peer's answers among the questions of the same area and weight: a
    different set of answers, and exactly the same publication. The benchmark is fed
    scores only (``Peer`` has no answers), so per-question answers never reach it."""
    assert set(Peer.__dataclass_fields__) == {"org", "overall", "areas"}

    def peer(org: str, answers: dict[str, str]) -> Peer:
        s = scores(BANK, answers)
        return Peer(org, s.overall, {c: a.score for c, a in s.areas.items()})

    def shuffle_within_area_and_weight(answers: dict[str, str]) -> dict[str, str]:
        out = dict(answers)
        groups: dict[tuple[str, int], list[str]] = {}
        for q in BANK.questions:
            groups.setdefault((q.area, q.weight), []).append(q.id)
        for ids in groups.values():
            values = [answers[i] for i in ids]
            rnd.shuffle(values)
            out.update(zip(ids, values, strict=True))
        return out

    own = peer("me", own_answers)
    before = benchmark("me", own, [peer(f"p{i}", a) for i, a in enumerate(peers)], k=3,
                       sector="Bank")
    changed = [shuffle_within_area_and_weight(peers[0]), *peers[1:]]
    after = benchmark("me", own, [peer(f"p{i}", a) for i, a in enumerate(changed)], k=3,
                      sector="Bank")
    assert after == before
    assert before.overall is not None  # three peers or more: it is published
