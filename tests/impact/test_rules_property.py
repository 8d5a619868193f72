"""The dashboard's publication rules against a brute force, for random hubs."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.operations.impact import rules
from cyberhub.operations.impact.rules import Fact

OPS = [uuid.UUID(int=i + 1) for i in range(6)]
NAMES = {op: f"Operation {i}" for i, op in enumerate(OPS)}

facts_strategy = st.lists(st.builds(
    Fact,
    operation_id=st.sampled_from(OPS),
    kind=st.sampled_from(rules.KINDS),
    count=st.integers(min_value=0, max_value=50),
    month=st.sampled_from(["2026-01", "2026-02", "2026-07", "2025-12"]),
    amount=st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2,
                                            allow_nan=False, allow_infinity=False)),
    currency=st.sampled_from(["BTC", "EUR", "USDT"]),
), max_size=40)


def _brute(facts: list[Fact], keep: set[uuid.UUID]) -> tuple[dict[str, int], dict[tuple[str, str], Decimal]]:
    counts = dict.fromkeys(rules.KINDS, 0)
    money: dict[tuple[str, str], Decimal] = {}
    for f in facts:
        if f.operation_id in keep:
            counts[f.kind] += f.count
            if f.amount is not None:
                money[(f.kind, f.currency or "")] = money.get((f.kind, f.currency or ""),
                                                             Decimal(0)) + f.amount
    return counts, money


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy, visible=st.sets(st.sampled_from(OPS)),
       publishing=st.sets(st.sampled_from(OPS)), noise=facts_strategy)
def test_the_dashboard_publishes_exactly_what_the_rules_allow(
        facts: list[Fact], visible: set[uuid.UUID], publishing: set[uuid.UUID],
        noise: list[Fact]) -> None:
    seen = {op: NAMES[op] for op in visible}
    board = rules.build(seen, publishing, facts)

    # Every operation the viewer sees is named, with its full figures; no other is.
    assert [o.id for o in board.own] == sorted(visible, key=lambda op: NAMES[op].casefold())
    for own in board.own:
        counts, money = _brute(facts, {own.id})
        assert own.figures.counts == counts and own.figures.money == money

    # The others: the sum over operations the viewer does not see that allowed it, month
    # by month, and only for months to which enough of them contributed.
    aggregated = publishing - visible
    usable = [f for f in facts if f.kind in rules.KINDS and f.count >= 0]
    published = {m for m in {f.month for f in usable}
                 if len({f.operation_id for f in usable
                         if f.month == m and f.operation_id in aggregated})
                 >= rules.MIN_OPERATIONS}
    counts, money = _brute([f for f in facts if f.month in published], aggregated)
    assert board.others.counts == counts and board.others.money == money
    assert board.other_operations == len({f.operation_id for f in facts
                                          if f.operation_id in aggregated
                                          and f.month in published})
    assert board.others_withheld == any(
        f.operation_id in aggregated and f.month not in published for f in usable)
    # An aggregate month never stands for fewer than MIN_OPERATIONS operations.
    for m in board.months:
        if any(m.others.values()):
            assert m.month in published

    # The months add up to the totals, on both sides.
    for side, figures in (("own", board.own_figures), ("others", board.others)):
        for kind in rules.KINDS:
            assert sum(getattr(m, side)[kind] for m in board.months) == figures.counts[kind]

    # Whatever an operation that is neither visible nor publishing recorded changes nothing.
    hidden = set(OPS) - visible - aggregated
    extra = [f for f in noise if f.operation_id in hidden]
    again = rules.build(seen, publishing, facts + extra)
    assert again.own_figures.counts == board.own_figures.counts
    assert again.others == board.others and again.other_operations == board.other_operations
    assert again.months == board.months
