"""Hostile input at scale: schemathesis over every operation of the OpenAPI document.

Each operation gets a few requests that fit its declared schema and a few that do not,
sent in-process (ASGI) with the write token of a hub admin of a law-enforcement
organisation — the member who may reach the most operations. Every answer must not be
a server error (5xx), and must have the shape the document declares for its status
(every 4xx: the one error body, docs/api.md#errors).

Bounded and deterministic: ``CYBERHUB_FUZZ_EXAMPLES`` (default 3) examples per operation
and generation mode, derandomized (the same requests on every run). Raise it to fuzz
longer, e.g. ``CYBERHUB_FUZZ_EXAMPLES=200 CYBERHUB_TEST_ENGINES=sqlite pytest
tests/api/test_openapi_fuzz.py`` (docs/api.md#fuzzing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from cyberhub.intel import warninglists
from tests.api.conftest import Hub
from tests.cache import warninglists_index
from tests.factories import bearer

EXAMPLES = int(os.environ.get("CYBERHUB_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, response_schema_conformance]
MODES = [GenerationMode(m) for m in
         os.environ.get("CYBERHUB_FUZZ_MODES", "positive,negative").split(",")]


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def _json_lines(ctx: Any, value: Any) -> dict[str, Any]:
    """Leak-post imports take JSON Lines; schemathesis has no serializer of its own."""
    if isinstance(value, bytes):
        return {"data": value}
    text = value if isinstance(value, str) else json.dumps(value)
    return {"data": text.encode("utf-8", "surrogatepass")}


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str],
          sent: list[str]) -> Callable[[], None]:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        sent.append(operation.label)
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run  # type: ignore[no-any-return]


# Each engine is one whole run; on PostgreSQL it also catches what only PostgreSQL refuses
# (a NUL byte in text). The two runs go to the two workers side by side.
@pytest.mark.slow
def test_every_operation_survives_hostile_input(hub: Hub, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    # The run's one warning-list index: building one at the first value looked up takes
    # seconds, and on a busy machine the client gave up on that request.
    monkeypatch.setattr(warninglists, "_index", warninglists.WarningIndex(warninglists_index()))
    police = hub.community.org("Fuzzing Police", kind="law-enforcement", country="BE")
    fuzzer = hub.community.user(police, "hub-admin", email="fuzzer@example.org")
    headers = bearer(hub.community.token(fuzzer, scope="write"))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", hub.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150, "the whole API is in the document"
    failures: list[str] = []
    sent: list[str] = []
    for operation in operations:
        for mode in MODES:
            if mode is GenerationMode.NEGATIVE and not (len(operation.body)
                                                        or len(operation.query)):
                continue  # text ids alone cannot be made invalid: Hypothesis would only search
            try:
                _fuzz(operation, mode, headers, sent)()
            except Unsatisfiable:
                continue  # nothing in the operation can be made invalid (no body, text ids)
            except Exception as exc:  # one operation's failure must not hide another's
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:3000])
    assert hub.get("admin", "/me").status_code == 200, "the hub still answers"
    print(f"{len(sent)} requests over {len(set(sent))} of {len(operations)} operations")
    assert not failures, "\n\n".join(failures)


def test_document_declares_what_the_api_answers(client: Any) -> None:
    """Every refusal is the one error body (not FastAPI's own validation shape, which the
    hub never sends), and the export's JSON formats are objects, not strings."""
    doc = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            refused = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert refused == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    export = doc["paths"]["/api/v1/export"]["get"]["responses"]["200"]["content"]
    assert export["application/stix+json;version=2.1"]["schema"]["type"] == "object"
    assert export["application/json"]["schema"]["type"] == "object"
    assert export["text/csv"]["schema"]["type"] == "string"
