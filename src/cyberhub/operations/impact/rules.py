"""The impact dashboard's publication rules, as a pure function of what is stored.

For one viewer, the operations split three ways:

* the operations the viewer may see (decided by ``cyberhub.access`` before this
  function is called): their figures in full, each under its name;
* the other operations whose participants allowed aggregate publication: their figures
  summed into one anonymous aggregate (no name, no id, no organisation, no note);
* every other operation: nothing at all, not even that it exists.

The aggregate never stands for fewer than :data:`MIN_OPERATIONS` operations: a month's
figures of the others are published only when at least that many operations contributed
to that month, and the aggregate's totals are the sum of the published months (so no
difference between a total and its months singles out an operation).

``build`` is the only place these rules are applied; the service feeds it, and the
property test (tests/impact/test_rules_property.py) checks it against a brute force.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

KINDS: Final = ("arrests", "servers_taken_down", "domains_taken_down", "wallets_frozen",
                "wallets_seized", "victims_notified", "decryptors_released")
# The fewest operations an anonymous aggregate may stand for (per month).
MIN_OPERATIONS: Final = 3
# Kinds that may carry an amount (per currency) besides the number of wallets.
MONEY_KINDS: Final = frozenset({"wallets_frozen", "wallets_seized"})


@dataclass(frozen=True)
class Fact:
    """One recorded outcome, as the rules see it."""

    operation_id: uuid.UUID
    kind: str
    count: int
    month: str  # YYYY-MM of the day it happened
    amount: Decimal | None = None
    currency: str | None = None


def _zero() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


@dataclass
class Figures:
    """Counts per kind and amounts per (kind, currency)."""

    counts: dict[str, int] = field(default_factory=_zero)
    money: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def add(self, fact: Fact) -> None:
        self.counts[fact.kind] += fact.count
        if fact.amount is not None and fact.currency:
            key = (fact.kind, fact.currency)
            self.money[key] = self.money.get(key, Decimal(0)) + fact.amount

    def merged(self, other: Figures) -> Figures:
        out = Figures(dict(self.counts), dict(self.money))
        for kind, n in other.counts.items():
            out.counts[kind] += n
        for key, amount in other.money.items():
            out.money[key] = out.money.get(key, Decimal(0)) + amount
        return out

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class OwnOperation:
    id: uuid.UUID
    name: str
    figures: Figures


@dataclass
class Month:
    month: str
    own: dict[str, int]
    others: dict[str, int]


@dataclass
class Dashboard:
    own: list[OwnOperation]
    # Figures of operations the viewer does not see that allowed aggregates, summed.
    others: Figures
    # How many such operations contributed at least one outcome to a published month.
    other_operations: int
    months: list[Month]
    # Whether figures of others were held back (a month with too few operations).
    others_withheld: bool = False

    @property
    def own_figures(self) -> Figures:
        total = Figures()
        for op in self.own:
            total = total.merged(op.figures)
        return total

    @property
    def totals(self) -> Figures:
        return self.own_figures.merged(self.others)


def build(visible: Mapping[uuid.UUID, str], publishing: Iterable[uuid.UUID],
          facts: Iterable[Fact], *, min_operations: int = MIN_OPERATIONS) -> Dashboard:
    """The dashboard for a viewer who sees ``visible`` (id → name); ``publishing`` are
    the operations whose participants allowed aggregate publication."""
    allowed = set(publishing)
    own = {op_id: OwnOperation(op_id, name, Figures()) for op_id, name in visible.items()}
    theirs: dict[str, list[Fact]] = {}  # the others' facts, by month
    months: dict[str, Month] = {}
    for fact in facts:
        if fact.kind not in KINDS or fact.count < 0:
            continue
        if fact.operation_id in own:
            own[fact.operation_id].figures.add(fact)
            month = months.setdefault(fact.month, Month(fact.month, _zero(), _zero()))
            month.own[fact.kind] += fact.count
        elif fact.operation_id in allowed:
            theirs.setdefault(fact.month, []).append(fact)
    others = Figures()
    contributors: set[uuid.UUID] = set()
    withheld = False
    for name, found in theirs.items():
        ops = {f.operation_id for f in found}
        if len(ops) < min_operations:
            withheld = True
            continue
        contributors |= ops
        month = months.setdefault(name, Month(name, _zero(), _zero()))
        for fact in found:
            others.add(fact)
            month.others[fact.kind] += fact.count
    ordered = sorted(own.values(), key=lambda o: (o.name.casefold(), str(o.id)))
    return Dashboard(ordered, others, len(contributors),
                     [months[m] for m in sorted(months)], withheld)
