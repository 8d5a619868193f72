"""The operations tests' small community (tests/operations/conftest.py)."""

from tests.evidence.conftest import lantern  # noqa: F401 - the fixture, shared
from tests.operations.conftest import ops  # noqa: F401 - the fixture, shared
