"""The graph's roll-up: neighbour counts of the hub nodes over what every member sees.

Expanding a node with a hundred thousand neighbours counts them under the visibility
rules, which reads every reference. For the nodes with more neighbours than a canvas
holds (:data:`explore.NODE_BUDGET`), the worker (``jobs.refresh_graph``) counts them
ahead over the records marked CLEAR or GREEN, per (direction, kind, type), with the data
generation it counted at; an unfiltered expansion adds what its viewer sees beyond those
markings (``explore.beyond_counts``). As for the landscape (decision 0020), a count is
used only while no shared object has changed since, and otherwise computed live; and an
organisation holding much restricted knowledge gets counts of its own
(``landscape_rollup.organisation_scopes``), to which its analysts add only what names
them personally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import BigInteger, String, Text, delete, func, select, union
from sqlalchemy.orm import Mapped, Session, mapped_column

from cyberhub import access, generations
from cyberhub.atlas import explore
from cyberhub.atlas.landscape_rollup import scopes
from cyberhub.db import Base, utcnow
from cyberhub.intel.models import StixRef

# Nodes with more references than this, either way, are counted ahead: those whose
# expansion the canvas cannot show whole.
HUB_DEGREE = explore.NODE_BUDGET
# Above this many restricted records visible to the viewer, counting whole is cheaper.
LIVE_BEYOND = 50_000


class NodeRollup(Base):
    __tablename__ = "graph_node_rollups"

    stix_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # [[direction, kind, type, count], …]


def stored(session: Session, scope: access.Scope,
           stix_id: str) -> dict[tuple[str, str, str], int] | None:
    """The rolled-up counts of a node over ``scope``, if there and current."""
    row = session.get(NodeRollup, (stix_id, scope.key))
    if row is None or row.generation != generations.current(session):
        return None
    return {(d, k, t): int(n) for d, k, t, n in orjson.loads(row.body)}


def hub_nodes(session: Session) -> list[str]:
    """The STIX ids with more than :data:`HUB_DEGREE` references, either way."""
    ends = [select(column.label("node")).group_by(column).having(func.count() > HUB_DEGREE)
            for column in (StixRef.source_stix_id, StixRef.target_stix_id)]
    return sorted({node for (node,) in session.execute(union(*ends))})


# The row that says which generation the last refresh counted (hub nodes or none), and
# over which scopes (an organisation's key changes with its groups).
MARK = ("", "refreshed")


def is_current(session: Session) -> bool:
    row = session.get(NodeRollup, MARK)
    return (row is not None and row.generation == generations.current(session)
            and orjson.loads(row.body) == [s.key for s in scopes(session)])


@dataclass
class Computed:
    stix_id: str
    scope: str
    generation: int
    counts: dict[tuple[str, str, str], int]


def compute(session: Session) -> tuple[int, list[str], list[Computed]]:
    """Every hub node's counts over every scope, in one snapshot (``session`` should be
    one); with the generation counted at and the scopes' keys."""
    generation = generations.current(session)  # before the data, so a change shows
    out = []
    system = access.system_viewer()
    counted = scopes(session)
    for node in hub_nodes(session):
        for scope in counted:
            counts = explore.count_groups(session, system, node, explore.Filters(),
                                          rows=scope.rows)
            out.append(Computed(node, scope.key, generation, counts))
    return generation, [s.key for s in counted], out


def store(session: Session, generation: int, keys: list[str],
          computed: list[Computed]) -> None:
    """Replace every roll-up by what :func:`compute` made (a short transaction)."""
    newest = session.scalar(select(func.max(NodeRollup.generation)))
    if newest is not None and newest > generation:
        return  # a later refresh got there first
    session.execute(delete(NodeRollup))
    session.add(NodeRollup(stix_id=MARK[0], scope=MARK[1], generation=generation,
                           body=orjson.dumps(keys).decode()))
    for c in computed:
        session.add(NodeRollup(stix_id=c.stix_id, scope=c.scope, generation=c.generation,
                               body=orjson.dumps([[*k, n] for k, n in sorted(
                                   c.counts.items())]).decode()))
    session.flush()


__all__ = ["HUB_DEGREE", "LIVE_BEYOND", "NodeRollup", "compute", "hub_nodes", "is_current", "store",
           "stored"]
