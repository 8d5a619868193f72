"""Property: no published trend figure, alone or differenced against another published
figure, reveals a group of fewer than k organisations (besides the asker's own).

The differences an asker can form from what is published: the total minus one cell,
the total minus every published cell of a dimension, and the same cell (or total) with
and without a filter. Cells of one dimension are disjoint, so two cells never nest.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyberhub.ransomware.trends import DIMENSIONS, Row, Trends, compute

ORGS = [f"org{i}" for i in range(7)]

rows_strategy = st.lists(st.builds(
    Row,
    org=st.sampled_from(ORGS),
    family=st.sampled_from(["lockbit", "akira", "unknown"]),
    sector=st.sampled_from(["Bank", "Health", "unknown"]),
    country=st.sampled_from(["NL", "DE", "FR"]),
    access_vector=st.sampled_from(["phishing", "other"]),
    month=st.sampled_from(["2026-01", "2026-02"]),
    currency=st.sampled_from(["EUR", "USD", "unknown"]),
    paid=st.sampled_from(["yes", "no", "unknown"]),
    demand=st.one_of(st.none(), st.integers(1, 10_000_000)),
    paid_amount=st.one_of(st.none(), st.integers(1, 10_000_000)),
    recovery_days=st.one_of(st.none(), st.integers(0, 400)),
), max_size=40)


def orgs(rows: list[Row], asker: str | None) -> int:
    return len({r.org for r in rows if r.org != asker})


def safe(rows: list[Row], asker: str | None, k: int) -> bool:
    """A group an asker could isolate: nothing, only the asker's own reports (known to
    it already), or at least k other organisations."""
    return orgs(rows, asker) == 0 or orgs(rows, asker) >= k


def check_one(rows: list[Row], t: Trends, where: Callable[[Row], bool], asker: str | None,
              k: int) -> None:
    inside = [r for r in rows if where(r)]
    if t.total is not None:
        assert t.total == len(inside)
        assert orgs(inside, asker) >= k
    for dim in t.dimensions:
        published = {c.value for c in dim.cells}
        for cell in dim.cells:
            group = [r for r in inside if r.value(dim.name) == cell.value]
            assert cell.count == len(group)
            assert orgs(group, asker) >= k, (dim.name, cell)  # alone
            if t.total is not None:  # the total minus this cell
                assert safe([r for r in inside if r.value(dim.name) != cell.value], asker, k)
        if t.total is not None:  # the total minus every published cell of the dimension
            rest = [r for r in inside if r.value(dim.name) not in published]
            assert safe(rest, asker, k), (dim.name, published)
            assert sum(c.count for c in dim.cells) + len(rest) == t.total
        else:
            assert not dim.cells
    for cur in t.demands:
        group = [r for r in inside if r.currency == cur and r.demand is not None]
        assert orgs(group, asker) >= k
    for cur in t.payments:
        group = [r for r in inside if r.currency == cur and r.paid_amount is not None]
        assert orgs(group, asker) >= k
    if t.recovery_days is not None:
        assert orgs([r for r in inside if r.recovery_days is not None], asker) >= k
    if t.payment_rate is not None:
        paid = next(d for d in t.dimensions if d.name == "paid")
        shown = {c.value for c in paid.cells}
        for v in ("yes", "no"):
            assert v in shown or not any(r.paid == v for r in inside)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, k=st.integers(1, 4), asker=st.sampled_from([None, *ORGS[:2]]),
       filter_dim=st.sampled_from(DIMENSIONS), filter_pick=st.integers(0, 100))
def test_no_published_figure_reveals_fewer_than_k(
        rows: list[Row], k: int, asker: str | None, filter_dim: str, filter_pick: int) -> None:
    plain = compute(rows, k=k, asker=asker)
    check_one(rows, plain, lambda r: True, asker, k)
    values = sorted({r.value(filter_dim) for r in rows}) or ["nothing"]
    value = values[filter_pick % len(values)]
    filtered = compute(rows, k=k, asker=asker, filter=(filter_dim, value))
    check_one(rows, filtered, lambda r: r.value(filter_dim) == value, asker, k)
    # The same figure with and without the filter.
    outside = [r for r in rows if r.value(filter_dim) != value]
    if plain.total is not None and filtered.total is not None:
        assert safe(outside, asker, k)
    for d_plain, d_filt in zip(plain.dimensions, filtered.dimensions, strict=True):
        both = {c.value for c in d_plain.cells} & {c.value for c in d_filt.cells}
        for v in both:
            assert safe([r for r in outside if r.value(d_plain.name) == v], asker, k)


def test_complementary_suppression_hides_a_second_cell() -> None:
    # Bank rests on 3 organisations, Health on 3, Retail on 1: withholding Retail alone
    # would let "total − Bank − Health" reveal it, so Health (the smaller) goes too.
    rows = ([Row(org=f"b{i}", sector="Bank") for i in range(3)] * 2
            + [Row(org=f"h{i}", sector="Health") for i in range(3)]
            + [Row(org="r0", sector="Retail")])
    t = compute(rows, k=3)
    sector = next(d for d in t.dimensions if d.name == "sector")
    assert [(c.value, c.count) for c in sector.cells] == [("Bank", 6)]
    assert sector.withheld and t.total == 10


def test_the_askers_own_reports_do_not_count() -> None:
    rows = [Row(org=o, sector="Bank") for o in ("me", "a", "b")]
    assert compute(rows, k=3, asker="me").total is None
    assert compute(rows, k=3, asker="c").total == 3
