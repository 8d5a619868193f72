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
``access.visible``: the victims' table is never read here.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
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

__all__ = ["DIMENSIONS", "Cell", "Dimension", "Row", "Stats", "Trends", "compute", "trends"]

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


def _orgs(rows: Iterable[Row], asker: str | None) -> int:
    return len({r.org for r in rows if r.org != asker})


def _hidden_or_known(rows: Iterable[Row], asker: str | None, k: int) -> bool:
    """What an asker could isolate by a difference is harmless when it is nothing, only
    the asker's own reports, or at least ``k`` other organisations."""
    n = _orgs(rows, asker)
    return n == 0 or n >= k


def _quartiles(values: Sequence[float]) -> Stats:
    data = sorted(values)
    if len(data) == 1:
        return Stats(data[0], data[0], data[0])
    q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Stats(q1, q2, q3)


def compute(rows: Sequence[Row], *, k: int, asker: str | None = None,
            filter: tuple[str, str] | None = None,
            labels: dict[str, dict[str, str]] | None = None) -> Trends:
    """The published trends over ``rows`` (everything the asker may see), under the rule
    in this module's docstring. ``filter`` keeps the rows whose ``dimension`` has
    ``value``; ``labels`` names values for display (family STIX id → name)."""
    labels = labels or {}

    def matches(r: Row) -> bool:
        return filter is None or r.value(filter[0]) == filter[1]

    inside = [r for r in rows if matches(r)]
    outside = [r for r in rows if not matches(r)]

    def publishable(group_in: list[Row], group_out: list[Row]) -> bool:
        """Rules 1 and 2 for one group of incidents (inside the filter, and outside it)."""
        return _orgs(group_in, asker) >= k and _hidden_or_known(group_out, asker, k)

    total = len(inside) if inside and publishable(inside, outside) else None
    if total is None:
        # Rule 5: a total that may not be published takes every figure with it (its cells
        # would add up to it).
        return Trends(k=k, total=None, dimensions=[Dimension(n, [], withheld=bool(inside))
                                                   for n in DIMENSIONS],
                      demands={}, payments={}, payment_rate=None, recovery_days=None,
                      filter=filter)
    dims = []
    for name in DIMENSIONS:
        ins: dict[str, list[Row]] = defaultdict(list)
        outs: dict[str, list[Row]] = defaultdict(list)
        for r in inside:
            ins[r.value(name)].append(r)
        for r in outside:
            outs[r.value(name)].append(r)
        published = {v for v, g in ins.items() if publishable(g, outs.get(v, []))}
        withheld = set(ins) - published
        # Rule 3: complementary suppression.
        while not _hidden_or_known([r for v in withheld for r in ins[v]], asker, k) \
                and published:
            smallest = min(published, key=lambda v: (len(ins[v]), _orgs(ins[v], asker), v))
            published.discard(smallest)
            withheld.add(smallest)
        names = labels.get(name, {})
        cells = sorted((Cell(v, names.get(v, v), len(ins[v])) for v in published),
                       key=lambda c: (-c.count, c.value) if name != "month" else (c.value, 0))
        dims.append(Dimension(name, cells, withheld=bool(withheld)))

    def stats(pick: Callable[[Row], float | None],
              where: Callable[[Row], bool] = lambda r: True) -> Stats | None:
        g_in = [r for r in inside if where(r) and pick(r) is not None]
        g_out = [r for r in outside if where(r) and pick(r) is not None]
        if not g_in or not publishable(g_in, g_out):
            return None
        return _quartiles([v for v in (pick(r) for r in g_in) if v is not None])

    currencies = sorted({r.currency for r in inside if r.currency != UNKNOWN})
    demands: dict[str, Stats] = {}
    payments: dict[str, Stats] = {}
    for cur in currencies:
        def in_cur(r: Row, cur: str = cur) -> bool:
            return r.currency == cur
        d = stats(lambda r: r.demand, in_cur)
        if d is not None:
            demands[cur] = d
        p = stats(lambda r: r.paid_amount, in_cur)
        if p is not None:
            payments[cur] = p
    paid_dim = next(d for d in dims if d.name == "paid")
    shown = {c.value: c.count for c in paid_dim.cells}
    present = {r.paid for r in inside}
    rate = None
    if {"yes", "no"} & present and all(v in shown for v in ("yes", "no") if v in present):
        yes, no = shown.get("yes", 0), shown.get("no", 0)
        rate = yes / (yes + no)
    recovery = stats(lambda r: r.recovery_days)
    return Trends(k=k, total=total, dimensions=dims, demands=demands, payments=payments,
                  payment_rate=rate, recovery_days=recovery, filter=filter)


def _row(r: Any) -> Row:
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
    """The published trends over the incidents the viewer may see."""
    filt = clean_filter(dimension, value)
    result = session.execute(select(*COLUMNS).where(access.visible(Incident, viewer)))
    rows: list[Row] = []
    family_names: dict[str, str] = {UNKNOWN: _("unknown")}
    for r in result:
        rows.append(_row(r))
        if r.family_ref:
            family_names[r.family_ref] = r.family_name or r.family_ref
    asker = str(viewer.org_id) if viewer.org_id else None
    return compute(rows, k=get_settings().trend_k, asker=asker, filter=filt,
                   labels={"family": family_names})
