"""Ransomware trends that expose no one: counts, distributions and rates over the
incidents the asker may see, with every figure that rests on too few organisations
withheld.

The rule (docs/ransomware.md, "k-anonymous trends"). "Organisations" of a set of
incidents are the distinct reporting (owning) organisations **other than the asker's
own** — the asker knows its own reports and could subtract them. ``k`` is
``CYBERHUB_TREND_K`` (3).

1. **Primary.** A cell (the incidents with one value of one dimension) is published only
   if it rests on at least ``k`` organisations.
2. **Filter.** When the asker filters (one dimension = one value), a cell ``c`` of the
   filtered figures is published only if ``c`` outside the filter rests on no
   organisation (it is empty, or only the asker's own) or on at least ``k`` too — so
   "this cell with the filter" and "the same cell without it" never differ by fewer
   than ``k``. The filtered total obeys the same rule.
3. **Complementary.** Within a dimension, the withheld cells taken together must rest on
   no organisation (none withheld, or only the asker's own reports) or on at least
   ``k``, so that the total minus the published cells reveals no small group. While
   they do not, the published cell with the fewest incidents (then fewest
   organisations, then by value) is withheld as well. This ends with the rule met
   whenever the total is published, since all cells together are the total.
4. **What is not published.** Withheld cells are left out entirely (their value is not
   named); a dimension says only that some cells were withheld. There are no
   cross-tabulations. Statistics (p25, median, p75 of demands and payments per currency,
   of the days to recover) are published for a group of incidents under rules 1 and 2
   and give no counts; the payment rate is published only when the "paid" and "not
   paid" cells are both published (or empty).
5. **Totals.** The total (the number of incidents, filtered or not) obeys rules 1 and 2;
   when it may not be published, nothing of that query is (its cells would add up to it).

The incidents are read with one query of the columns named in :data:`COLUMNS`, under
``access.visible`` — or, without a filter, as running tallies of those columns kept on
write (``trend_tallies``), which publish exactly the same figures. The victims' table is
never read here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.config import get_settings
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _
from cyberhub.ransomware.models import Incident

__all__ = ["DIMENSIONS", "Cell", "Dimension", "Groups", "Row", "Stats", "Trends", "compute",
           "figures_of", "publish", "row_of", "trends"]

DIMENSIONS = ("family", "sector", "country", "access_vector", "month", "currency", "paid")
UNKNOWN = "unknown"

# Exactly what the trends read of an incident (never the victim, never free text).
COLUMNS = (Incident.owner_org_id, Incident.family_ref, Incident.family_name, Incident.sector,
           Incident.country, Incident.access_vector, Incident.discovered,
           Incident.demand_currency, Incident.demand_amount, Incident.paid,
           Incident.paid_amount, Incident.recovery_days)


@dataclass(frozen=True)
class Row:
    """One incident as the trends see it."""

    org: str
    family: str = UNKNOWN
    sector: str = UNKNOWN
    country: str = UNKNOWN
    access_vector: str = UNKNOWN
    month: str = UNKNOWN
    currency: str = UNKNOWN
    paid: str = UNKNOWN  # "yes", "no" or "unknown"
    demand: int | None = None
    paid_amount: int | None = None
    recovery_days: int | None = None

    def value(self, dimension: str) -> str:
        return str(getattr(self, dimension))


@dataclass
class Cell:
    value: str
    label: str
    count: int


@dataclass
class Dimension:
    name: str
    cells: list[Cell] = field(default_factory=list)
    withheld: bool = False  # some cells were withheld (how many is not said)


@dataclass
class Stats:
    p25: float
    median: float
    p75: float


@dataclass
class Trends:
    k: int
    total: int | None
    dimensions: list[Dimension]
    demands: dict[str, Stats]
    payments: dict[str, Stats]
    payment_rate: float | None
    recovery_days: Stats | None
    filter: tuple[str, str] | None = None


class Groups:
    """One side of a filter (the incidents inside it, or outside), tallied: for each
    dimension and value, how many incidents each organisation reported; for each figure
    (demands and payments per currency, days to recover), how many incidents each
    organisation reported and how often each value occurs.

    The rules need nothing more, so the same :func:`publish` serves rows read one by one
    (:func:`compute`) and running tallies kept on write (``trend_tallies``)."""

    def __init__(self) -> None:
        self.cells: dict[str, dict[str, Counter[str]]] = {d: {} for d in DIMENSIONS}
        self.labels: dict[str, str] = {}  # family STIX id → name, as reported
        self.figure_orgs: dict[tuple[str, str], Counter[str]] = {}
        self.figure_values: dict[tuple[str, str], Counter[int]] = {}

    def add_cell(self, dimension: str, value: str, org: str, count: int = 1) -> None:
        self.cells[dimension].setdefault(value, Counter())[org] += count

    def add_figure(self, figure: tuple[str, str], value: int, org: str, count: int = 1) -> None:
        self.figure_orgs.setdefault(figure, Counter())[org] += count
        self.figure_values.setdefault(figure, Counter())[value] += count

    def add(self, row: Row) -> None:
        for name in DIMENSIONS:
            self.add_cell(name, row.value(name), row.org)
        for figure, value in figures_of(row):
            self.add_figure(figure, value, row.org)

    def orgs(self) -> Counter[str]:
        """Every organisation of this side (each incident has one value of ``paid``)."""
        total: Counter[str] = Counter()
        for by_org in self.cells["paid"].values():
            total.update(by_org)
        return total


def figures_of(row: Row) -> list[tuple[tuple[str, str], int]]:
    """The statistics an incident contributes a value to."""
    out = []
    if row.currency != UNKNOWN:
        if row.demand is not None:
            out.append((("demand", row.currency), row.demand))
        if row.paid_amount is not None:
            out.append((("paid", row.currency), row.paid_amount))
    if row.recovery_days is not None:
        out.append((("recovery", ""), row.recovery_days))
    return out


def _others(orgs: Iterable[str], asker: str | None) -> int:
    return sum(1 for o in orgs if o != asker)


def _hidden_or_known(orgs: Iterable[str], asker: str | None, k: int) -> bool:
    """What an asker could isolate by a difference is harmless when it is nothing, only
    the asker's own reports, or at least ``k`` other organisations."""
    n = _others(orgs, asker)
    return n == 0 or n >= k


def _quartiles(values: Counter[int]) -> Stats:
    """The quartiles of a multiset given as value → occurrences: exactly what
    ``statistics.quantiles(…, n=4, method="inclusive")`` gives on the expanded list,
    without expanding it."""
    ordered = sorted(values.items())
    size = sum(n for _v, n in ordered)

    def at(index: int) -> int:
        seen = 0
        for v, n in ordered:
            seen += n
            if index < seen:
                return v
        raise IndexError(index)

    if size == 1:
        v = float(ordered[0][0])
        return Stats(v, v, v)
    m = size - 1
    q = []
    for i in range(1, 4):
        j, delta = divmod(i * m, 4)
        q.append((at(j) * (4 - delta) + at(j + 1) * delta) / 4)
    return Stats(q[0], q[1], q[2])


def compute(rows: Sequence[Row], *, k: int, asker: str | None = None,
            filter: tuple[str, str] | None = None,
            labels: dict[str, dict[str, str]] | None = None) -> Trends:
    """The published trends over ``rows`` (everything the asker may see), under the rule
    in this module's docstring. ``filter`` keeps the rows whose ``dimension`` has
    ``value``; ``labels`` names values for display (family STIX id → name)."""
    inside, outside = Groups(), Groups()
    for r in rows:
        (inside if filter is None or r.value(filter[0]) == filter[1] else outside).add(r)
    return publish(inside, outside, k=k, asker=asker, filter=filter, labels=labels)


def publish(inside: Groups, outside: Groups, *, k: int, asker: str | None = None,
            filter: tuple[str, str] | None = None,
            labels: dict[str, dict[str, str]] | None = None) -> Trends:
    """The published trends of tallied incidents (see :class:`Groups`)."""
    labels = labels or {}

    def publishable(group_in: Counter[str], group_out: Counter[str]) -> bool:
        """Rules 1 and 2 for one group of incidents (inside the filter, and outside it)."""
        return _others(group_in, asker) >= k and _hidden_or_known(group_out, asker, k)

    every_in = inside.orgs()
    size = sum(every_in.values())
    total = size if size and publishable(every_in, outside.orgs()) else None
    if total is None:
        # Rule 5: a total that may not be published takes every figure with it (its cells
        # would add up to it).
        return Trends(k=k, total=None, dimensions=[Dimension(n, [], withheld=bool(size))
                                                   for n in DIMENSIONS],
                      demands={}, payments={}, payment_rate=None, recovery_days=None,
                      filter=filter)
    dims = []
    for name in DIMENSIONS:
        ins = inside.cells[name]
        outs = outside.cells[name]
        published = {v for v, g in ins.items() if publishable(g, outs.get(v, Counter()))}
        withheld = set(ins) - published
        # Rule 3: complementary suppression.
        while published and not _hidden_or_known(
                {o for v in withheld for o in ins[v]}, asker, k):
            smallest = min(published, key=lambda v: (
                sum(ins[v].values()), _others(ins[v], asker), v))
            published.discard(smallest)
            withheld.add(smallest)
        names = labels.get(name, {})
        cells = sorted((Cell(v, names.get(v, v), sum(ins[v].values())) for v in published),
                       key=lambda c: (-c.count, c.value) if name != "month" else (c.value, 0))
        dims.append(Dimension(name, cells, withheld=bool(withheld)))

    def stats(figure: tuple[str, str]) -> Stats | None:
        g_in = inside.figure_orgs.get(figure)
        if not g_in or not publishable(g_in, outside.figure_orgs.get(figure, Counter())):
            return None
        return _quartiles(inside.figure_values[figure])

    currencies = sorted({cur for kind, cur in inside.figure_orgs if kind != "recovery"})
    demands: dict[str, Stats] = {}
    payments: dict[str, Stats] = {}
    for cur in currencies:
        d = stats(("demand", cur))
        if d is not None:
            demands[cur] = d
        p = stats(("paid", cur))
        if p is not None:
            payments[cur] = p
    paid_dim = next(d for d in dims if d.name == "paid")
    shown = {c.value: c.count for c in paid_dim.cells}
    present = set(inside.cells["paid"])
    rate = None
    if {"yes", "no"} & present and all(v in shown for v in ("yes", "no") if v in present):
        yes, no = shown.get("yes", 0), shown.get("no", 0)
        rate = yes / (yes + no)
    recovery = stats(("recovery", ""))
    return Trends(k=k, total=total, dimensions=dims, demands=demands, payments=payments,
                  payment_rate=rate, recovery_days=recovery, filter=filter)


def row_of(r: Any) -> Row:
    """An incident (or a row of :data:`COLUMNS`) as the trends see it."""
    return Row(
        org=str(r.owner_org_id), family=r.family_ref or UNKNOWN, sector=r.sector or UNKNOWN,
        country=r.country or UNKNOWN, access_vector=r.access_vector or UNKNOWN,
        month=r.discovered.strftime("%Y-%m"), currency=r.demand_currency or UNKNOWN,
        paid=UNKNOWN if r.paid is None else ("yes" if r.paid else "no"),
        demand=r.demand_amount, paid_amount=r.paid_amount, recovery_days=r.recovery_days)


def clean_filter(dimension: str | None, value: str | None) -> tuple[str, str] | None:
    if not dimension and not value:
        return None
    if dimension not in DIMENSIONS or not value or len(value) > 300:
        raise InvalidInput(_("Filter on one of %(dims)s, with a value.")
                           % {"dims": ", ".join(DIMENSIONS)}, details={"field": "dimension"})
    return dimension, value


def trends(session: Session, viewer: Viewer, *, dimension: str | None = None,
           value: str | None = None) -> Trends:
    """The published trends over the incidents the viewer may see: from the running
    tallies without a filter (``trend_tallies``), from the incidents themselves with one."""
    from cyberhub.ransomware import trend_tallies  # it builds on this module

    filt = clean_filter(dimension, value)
    asker = str(viewer.org_id) if viewer.org_id else None
    k = get_settings().trend_k
    if filt is None:
        groups, names = trend_tallies.tallied(session, viewer)
        return publish(groups, Groups(), k=k, asker=asker,
                       labels={"family": {UNKNOWN: _("unknown"), **names}})
    rows, names = visible_rows(session, viewer)
    return compute(rows, k=k, asker=asker, filter=filt, labels={"family": names})


def visible_rows(session: Session, viewer: Viewer) -> tuple[list[Row], dict[str, str]]:
    """The incidents ``viewer`` may see, one by one; and the families' names."""
    result = session.execute(select(*COLUMNS).where(access.visible(Incident, viewer)))
    rows: list[Row] = []
    family_names: dict[str, str] = {UNKNOWN: _("unknown")}
    for r in result:
        rows.append(row_of(r))
        if r.family_ref:
            family_names[r.family_ref] = r.family_name or r.family_ref
    return rows, family_names
