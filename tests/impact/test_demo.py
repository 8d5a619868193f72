"""Demo outcomes and evidence: added to demo operations once, marked demo, verifiable."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from cyberhub.operations import service as operations
from cyberhub.operations.evidence import service as evidence
from cyberhub.operations.evidence.models import CustodyEvent, EvidenceItem
from cyberhub.operations.impact import demo, service
from cyberhub.operations.impact.models import Outcome
from cyberhub.operations.models import Operation
from tests.operations.conftest import Ops


def test_demo_operations_get_outcomes_and_evidence_once(ops: Ops) -> None:
    lead = ops.community.viewer(ops.users["alpha_admin"])
    with ops.database.transaction() as s:
        ids = {}
        for name, steps in (("[DEMO] Concluded", ("approved", "active", "concluded")),
                            ("[DEMO] Active", ("approved", "active")),
                            ("[DEMO] Proposed", ()), ("Real one", ("approved", "active"))):
            op = operations.create_operation(
                s, lead, name=name, legal_basis="JIT", is_demo=name.startswith("[DEMO]"),
                participant_org_ids=[ops.orgs["bravo"].id])
            for step in steps:
                operations.change_status(s, lead, op.id, step)
            ids[name] = op.id
    for _ in range(2):
        with ops.database.transaction() as s:
            demo.load(s, today=date(2026, 12, 1))

    with ops.database.transaction() as s:
        def count(model, op_name):  # type: ignore[no-untyped-def]
            return s.scalar(select(func.count()).select_from(model)
                            .where(model.operation_id == ids[op_name]))

        assert count(Outcome, "[DEMO] Concluded") == 8
        assert count(Outcome, "[DEMO] Active") == 3
        assert count(Outcome, "[DEMO] Proposed") == 0 and count(Outcome, "Real one") == 0
        assert count(EvidenceItem, "[DEMO] Concluded") == 2
        assert count(EvidenceItem, "[DEMO] Active") == 1
        assert count(EvidenceItem, "Real one") == 0
        assert all(o.is_demo for o in s.scalars(select(Outcome)))
        assert all(i.is_demo for i in s.scalars(select(EvidenceItem)))
        assert s.scalar(select(func.count()).select_from(CustodyEvent)) == 6
        concluded = s.get(Operation, ids["[DEMO] Concluded"])
        active = s.get(Operation, ids["[DEMO] Active"])
        assert service.allows_aggregates(s, concluded) is True
        assert service.allows_aggregates(s, active) is False
        assert evidence.verify_all(s).ok

    # Delta sees none of them: the concluded one allows aggregates, but an aggregate of
    # one operation would be that operation's figures, so it is held back.
    board = ops.get("delta", "/impact").json()
    assert board["own"] == [] and board["other_operations"] == 0
    assert board["others_withheld"] is True
    assert sum(board["totals"]["counts"].values()) == 0
