from tests.api.conftest import hub  # noqa: F401 - the REST tests' small hub, shared
