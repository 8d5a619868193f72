"""The operations tests' small community (tests/operations/conftest.py), with helpers for
an operation under way and for uploads."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cyberhub.config import get_settings
from tests.factories import bearer
from tests.operations.conftest import Ops, ops  # noqa: F401 - the fixture, shared


def active_operation(world: Ops, who: str = "alpha_admin", **fields: Any) -> dict[str, Any]:
    """Operation Lantern: alpha leads, bravo and charlie take part; it is active."""
    op = world.propose(who, **fields)
    world.move(op, "approved", "active", who=who)
    return op


def upload(world: Ops, who: str, op_id: str, data: bytes, *, filename: str = "ledger.csv",
           description: str = "Ledger of the mule accounts", source: str = "Seized server",
           **fields: str) -> Any:
    return world.client.post(f"/api/v1/operations/{op_id}/evidence",
                             headers=bearer(world.tokens[who]),
                             files={"file": (filename, data, "application/octet-stream")},
                             data={"description": description, "source": source, **fields})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files() -> list[Path]:
    folder = get_settings().var_dir / "evidence"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def lantern(ops: Ops) -> dict[str, Any]:  # noqa: F811 - the shared fixture
    return active_operation(ops)
