"""REST: bad input is refused with the one error body and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.conftest import Hub, assert_error
from tests.factories import new_uuid

BAD_ORGS: list[tuple[dict[str, Any], int, str]] = [
    ({"name": "alpha cert", "kind": "cert"}, 409, "name"),
    ({"name": " ALPHA   CERT ", "kind": "other"}, 409, "name"),
    ({"name": "New Org", "kind": "police"}, 422, "kind"),
    ({"name": "New Org", "kind": "cert", "country": "XX"}, 422, "country"),
    ({"name": "New Org", "kind": "cert", "country": "France"}, 422, "country"),
    ({"name": "New Org", "kind": "cert", "sector": "Underwater basket weaving"}, 422, "sector"),
    ({"name": "", "kind": "cert"}, 422, "name"),
    ({"name": "   ", "kind": "cert"}, 422, "name"),
    ({"name": "x" * 201, "kind": "cert"}, 422, "name"),
    ({"name": "line\nbreak", "kind": "cert"}, 422, "name"),
    ({"name": "nul\x00byte", "kind": "cert"}, 422, "name"),
    ({"name": "New Org", "kind": "cert", "is_demo": True}, 422, "is_demo"),
    ({"name": "New Org", "kind": "cert", "id": "{uuid}"}, 422, "id"),
    ({"name": "New Org"}, 422, "kind"),
    ({"name": "New Org", "kind": "cert", "require_2fa": "perhaps"}, 422, "require_2fa"),
]

BAD_USERS: list[tuple[dict[str, Any], int, str]] = [
    ({"email": "a_analyst@example.org", "role": "analyst"}, 409, "email"),
    ({"email": "A_Analyst@EXAMPLE.org", "role": "analyst"}, 409, "email"),
    ({"email": "not-an-email", "role": "analyst"}, 422, "email"),
    ({"email": "two@@example.org", "role": "analyst"}, 422, "email"),
    ({"email": "<script>@example.org", "role": "analyst"}, 422, "email"),
    ({"email": "x'; DROP TABLE users;--@example.org", "role": "analyst"}, 422, "email"),
    ({"email": "a" * 250 + "@example.org", "role": "analyst"}, 422, "email"),
    ({"email": "new@example.org", "role": "superuser"}, 422, "role"),
    ({"email": "new@example.org", "role": "analyst", "org_id": "{uuid}"}, 422, "org"),
    ({"email": "new@example.org", "role": "analyst", "org_id": "nope"}, 422, "org_id"),
    ({"email": "new@example.org", "role": "analyst", "password": "short"}, 422, "password"),
    ({"email": "new@example.org", "role": "analyst", "password": "password1234"}, 422,
     "password"),
    ({"email": "new@example.org", "role": "analyst", "is_active": False}, 422, "is_active"),
    ({"email": "new@example.org", "role": "analyst", "display_name": "x" * 121}, 422,
     "display_name"),
]


def _fill(body: dict[str, Any], hub: Hub) -> str:
    return json.dumps(body).replace("{uuid}", new_uuid())


def _post_raw(hub: Hub, who: str, path: str, text: str | bytes) -> Any:
    return hub.client.post("/api/v1" + path, content=text, headers={
        **hub.as_(who), "content-type": "application/json"})


def _field_named(error: dict[str, Any], field: str) -> bool:
    details = error["details"]
    if isinstance(details, dict):
        return bool(details.get("field") == field)
    return any(field in d["field"] for d in details)


def test_bad_organisations(hub: Hub) -> None:
    before = hub.state()
    for body, status, field in BAD_ORGS:
        error = assert_error(_post_raw(hub, "admin", "/organisations", _fill(body, hub)), status)
        assert _field_named(error, field), (body, error)
        assert hub.state() == before, body


def test_bad_users(hub: Hub) -> None:
    before = hub.state()
    for body, status, field in BAD_USERS:
        body = {"org_id": str(hub.alpha.id)} | body
        error = assert_error(_post_raw(hub, "admin", "/users", _fill(body, hub)), status)
        assert _field_named(error, field), (body, error)
        assert hub.state() == before, body


def test_bad_patches(hub: Hub) -> None:
    before = hub.state()
    org, user = f"/organisations/{hub.alpha.id}", f"/users/{hub.users['a_reader'].id}"
    for path, body, status in [
        (org, {"name": "Beta Bank"}, 409), (org, {"country": "ZZ"}, 422),
        (org, {"kind": "bank"}, 422), (org, {"sector": "nonsense"}, 422),
        (org, {"name": ""}, 422), (org, {"is_demo": True}, 422),
        (user, {"role": "root"}, 422), (user, {"email": "x@example.org"}, 422),
        (user, {"display_name": ""}, 422), (user, {"is_active": "maybe"}, 422),
    ]:
        assert_error(hub.patch("admin", path, body), status)
        assert hub.state() == before, (path, body)


def test_markup_and_sql_in_names_are_kept_literally(hub: Hub) -> None:
    names = ["<script>alert(1)</script>", "Robert'); DROP TABLE organisations;--",
             "\" OR 1=1 --", "<img src=x onerror=alert(1)>", "Ünïcödé & Co. ‮gnp.exe"]
    ids = []
    for name in names:
        r = hub.post("admin", "/organisations", {"name": name, "kind": "other"})
        assert r.status_code == 201, r.text
        assert r.json()["name"] == name
        ids.append(r.json()["id"])
    listed = {o["id"]: o["name"] for o in hub.get("a_reader", "/organisations").json()["items"]}
    assert {listed[i] for i in ids} == set(names)
    assert len(listed) == 3 + len(names), "nothing else was created or dropped"
    r = hub.post("admin", "/groups", {"name": "<b>WG</b>'--", "description": "<script>x</script>"})
    assert r.status_code == 201 and r.json()["description"] == "<script>x</script>"
    # The JSON is served as JSON, never as something a browser would render.
    r = hub.get("a_reader", f"/organisations/{ids[0]}")
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["x-content-type-options"] == "nosniff"


def test_malformed_json_and_wrong_types(hub: Hub) -> None:
    before = hub.state()
    for text in ("{", "[]", "null", '"a string"', "{'single': 'quotes'}", "\xff\xfe",
                 '{"title": "x", "tlp": "GREEN"} trailing'):
        error = assert_error(_post_raw(hub, "a_analyst", "/notes", text), 422, "invalid_input")
        assert error["details"], text
    r = hub.client.post("/api/v1/notes", content="title=x&tlp=GREEN", headers={
        **hub.as_("a_analyst"), "content-type": "application/x-www-form-urlencoded"})
    assert_error(r, 422)
    assert hub.state() == before


def test_oversized_bodies_are_413(hub: Hub, settings: Any) -> None:
    before = hub.state()
    big = json.dumps({"title": "x", "tlp": "GREEN", "body": "b" * settings.max_body_bytes})
    error = assert_error(_post_raw(hub, "a_analyst", "/notes", big), 413, "payload_too_large")
    assert str(settings.max_body_bytes) in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap holds while streaming
        yield b'{"title": "x", "tlp": "GREEN", "body": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"b" * 65536
        yield b'"}'

    r = hub.client.post("/api/v1/notes", content=chunks(), headers={
        **hub.as_("a_analyst"), "content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    assert hub.state() == before


@pytest.mark.parametrize("path", ["/organisations/{x}", "/users/{x}", "/groups/{x}",
                                  "/notes/{x}"])
def test_invalid_and_unknown_ids_are_404(hub: Hub, path: str) -> None:
    bodies = [assert_error(hub.get("a_reader", path.replace("{x}", x)), 404, "not_found")
              for x in ("not-a-uuid", new_uuid(), "1%20OR%201=1", "%3Cscript%3E",
                        "00000000-0000-0000-0000-00000000000g")]
    assert all(b == bodies[0] for b in bodies)


def test_a_nul_in_the_address_is_refused_alike_on_both_engines(hub: Hub) -> None:
    """PostgreSQL cannot even look a NUL up (SQLite would answer "not found"): no path or
    query parameter takes one, so the hub refuses it before any route reads it."""
    from cyberhub.taxii.media import TAXII

    before = hub.state()
    for path in ("/api/v1/import?tlp=GREEN&audience=%00", "/api/v1/organisations/a%00b",
                 "/api/v1/export?owner=x%00"):
        r = hub.client.request("POST" if "import" in path else "GET", path, content=b"{}",
                               headers=hub.as_("a_analyst"))
        assert "NUL character" in assert_error(r, 400, "bad_request")["message"], path
    r = hub.client.get("/taxii2/hub/collections/%00/", headers={
        **hub.as_("a_analyst"), "Accept": TAXII})
    assert r.status_code == 400 and r.headers["content-type"] == TAXII
    assert r.json()["http_status"] == "400" and "NUL character" in r.json()["description"]
    assert hub.state() == before


def test_unknown_route_and_method(hub: Hub) -> None:
    assert_error(hub.get("a_reader", "/nothing-here"), 404, "not_found")
    r = hub.client.put("/api/v1/me", headers=hub.as_("a_reader"))
    assert_error(r, 405)


def test_openapi_document(hub: Hub) -> None:
    r = hub.client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    for path in ("/api/v1/me", "/api/v1/organisations", "/api/v1/organisations/{org_id}",
                 "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/groups",
                 "/api/v1/groups/{group_id}", "/api/v1/tokens", "/api/v1/tokens/{token_id}",
                 "/api/v1/notes", "/api/v1/notes/{note_id}"):
        assert path in paths, path
    assert not any(p.startswith("/signin") for p in paths), "pages are not API"
    assert set(doc["paths"]["/api/v1/notes/{note_id}"]) >= {"get", "patch", "delete"}
