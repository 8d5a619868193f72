"""Operations in the browser without JavaScript (and the htmx task row): propose, move,
link targets, assign tasks, write the review; a non-participant meets 404 everywhere."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import Community, new_uuid
from tests.web.helpers import alert, login, post


def _new(client: TestClient, **data: object) -> str:
    form = {"name": "Operation Harbour", "legal_basis": "JIT agreement 7/2026",
            "objectives": "Seize the **mule** accounts.", "tlp": "AMBER+STRICT"} | data
    r = post(client, "/operations/new", form, token_from="/operations/new")
    assert r.status_code == 303, r.text
    return re.match(r"/operations/([0-9a-f-]+)", r.headers["location"]).group(1)  # type: ignore[union-attr]


def test_operation_pages_from_proposal_to_review(client: TestClient,
                                                 community: Community) -> None:
    police, bank = community.org("Police P"), community.org("Bank Q")
    outsider_org = community.org("Outsider R")
    lead = community.user(police, "org-admin")
    banker = community.user(bank)
    outsider = community.user(outsider_org, "org-admin")
    login(client, lead.email)
    assert 'href="/operations"' in client.get("/").text
    oid = _new(client, participant_org_ids=[str(bank.id)])
    page = f"/operations/{oid}"
    html = client.get(page).text
    assert "<strong>mule</strong>" in html and "Bank Q" in html and "Police P" in html
    assert "JIT agreement 7/2026" in html and 'aria-current="step"' in html
    assert "style=" not in html and "<script>" not in html

    # A task for an organisation outside the operation: the clear error, on the page.
    r = post(client, f"{page}/tasks", {"title": "Tell the outsider",
                                       "assignee": str(outsider_org.id)}, token_from=page)
    assert r.status_code == 422 and "does not take part" in alert(r.text)
    assert "Tell the outsider" in r.text  # the form keeps what was typed
    r = post(client, f"{page}/tasks", {"title": "Freeze the accounts",
                                       "assignee": f"{bank.id}:{banker.id}",
                                       "due": "2026-12-24"}, token_from=page)
    assert r.status_code == 303, r.text
    # Out of order: straight to concluded is refused.
    r = post(client, f"{page}/status", {"status": "concluded"}, token_from=page)
    assert r.status_code == 409 and "one step at a time" in alert(r.text)
    for status in ("approved", "active"):
        assert post(client, f"{page}/status", {"status": status},
                    token_from=page).status_code == 303
    r = post(client, f"{page}/timeline", {"text": "Accounts frozen at 10:00."}, token_from=page)
    assert r.status_code == 303
    r = post(client, f"{page}/targets", {"object_id": new_uuid()}, token_from=page)
    assert r.status_code == 422 and "that you may see" in alert(r.text)

    # The bank's analyst moves its own task with htmx and gets the row back.
    client.cookies.clear()
    login(client, banker.email)
    html = client.get(page).text
    task_id = re.search(r'id="task-([0-9a-f-]+)"', html).group(1)  # type: ignore[union-attr]
    r = post(client, f"{page}/tasks/{task_id}/status", {"status": "done"}, token_from=page,
             headers={"HX-Request": "true"})
    assert r.status_code == 200 and r.text.lstrip().startswith("<tr") and "selected" in r.text
    assert f'action="{page}/status"' not in html  # not the lead: no workflow button

    client.cookies.clear()
    login(client, lead.email)
    assert post(client, f"{page}/status", {"status": "concluded"},
                token_from=page).status_code == 303
    r = post(client, f"{page}/review", {"planned": "Freeze", "happened": "Frozen",
                                        "worked": "Direct line", "improve": "Earlier contact"},
             token_from=page)
    assert r.status_code == 303
    r = post(client, f"{page}/review/publish", {"tlp": "GREEN", "tags": "mules, freeze"},
             token_from=page)
    assert r.status_code == 303 and r.headers["location"].startswith("/lessons/")
    lesson = client.get(r.headers["location"]).text
    assert "Lessons from operation Operation Harbour" in lesson and f'href="{page}"' in lesson
    assert post(client, f"{page}/status", {"status": "reviewed"},
                token_from=page).status_code == 303
    html = client.get(page).text
    assert "Accounts frozen at 10:00." in html and "Earlier contact" in html
    assert client.get("/operations?status=reviewed").text.count(f'href="{page}"') == 1
    assert f'href="{page}"' not in client.get("/operations?status=active").text

    # Nobody outside the operation learns it exists: every page and form is a 404.
    client.cookies.clear()
    login(client, outsider.email)
    assert f'href="{page}"' not in client.get("/operations").text
    for path in (page, f"{page}/edit", f"/comments/on/operation/{oid}",
                 f"/watch/operation/{oid}"):
        assert client.get(path).status_code == 404, path
    for path, data in ((f"{page}/status", {"status": "approved"}),
                       (f"{page}/timeline", {"text": "hello"}),
                       (f"{page}/tasks", {"title": "x", "assignee": str(outsider_org.id)}),
                       (f"{page}/targets", {"object_id": new_uuid()}),
                       (f"{page}/review", {"planned": "x"})):
        assert post(client, path, data, token_from="/operations").status_code == 404, path


def test_the_lead_changes_the_marking_on_the_edit_page(client: TestClient,
                                                       community: Community) -> None:
    police, bank = community.org("Police M"), community.org("Bank M")
    lead = community.user(police, "org-admin")
    banker, other_banker = community.user(bank), community.user(bank)
    login(client, lead.email)
    oid = _new(client, participant_org_ids=[str(bank.id)])
    edit = f"/operations/{oid}/edit"
    form = {"name": "Operation Harbour", "legal_basis": "JIT agreement 7/2026",
            "objectives": "x", "participant_org_ids": [str(bank.id)]}
    # RED with a member outside the operation: the error on the page, nothing changed.
    r = post(client, edit, form | {"tlp": "RED", "member_ids": [new_uuid()]}, token_from=edit)
    assert r.status_code == 422 and "No active user" in alert(r.text)
    r = post(client, edit, form | {"tlp": "RED", "member_ids": [str(banker.id)]},
             token_from=edit)
    assert r.status_code == 303, r.text
    html = client.get(f"/operations/{oid}").text
    assert "TLP:RED" in html and "Marking changed from TLP:AMBER+STRICT to TLP:RED." in html
    client.cookies.clear()
    login(client, other_banker.email)
    assert client.get(f"/operations/{oid}").status_code == 404
    client.cookies.clear()
    login(client, banker.email)
    assert client.get(f"/operations/{oid}").status_code == 200
    assert f'href="/operations/{oid}"' in client.get("/operations?q=harbour").text
    assert f'href="/operations/{oid}"' not in client.get("/operations?q=lantern").text


def test_add_an_object_as_target_from_its_page(ops) -> None:  # type: ignore[no-untyped-def]
    client = ops.client
    op = ops.propose(name="Operation Kingfisher")
    seen = ops.indicator("alpha", tlp="GREEN", name="Kit panel")
    hidden = ops.indicator("delta", tlp="AMBER", audience=("delta",), name="Delta's secret")
    login(client, ops.users["bravo"].email)
    html = client.get(f"/objects/{seen}").text
    assert f'href="/operations/add-target?object={seen}"' in html
    form = client.get(f"/operations/add-target?object={seen}")
    assert form.status_code == 200 and "Operation Kingfisher" in form.text
    assert client.get(f"/operations/add-target?object={hidden}").status_code == 404
    page = f"/operations/add-target?object={seen}"
    r = post(client, "/operations/add-target", {"object_id": seen}, token_from=page)
    assert r.status_code == 422 and "Choose the operation" in alert(r.text)
    r = post(client, "/operations/add-target", {"object_id": seen, "operation_id": op["id"],
                                                "note": "Its admin panel"}, token_from=page)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/operations/{op['id']}")
    html = client.get(f"/operations/{op['id']}").text
    assert "Kit panel" in html and "Its admin panel" in html
    # Twice is a clear conflict; an operation one does not take part in is a 404.
    r = post(client, "/operations/add-target", {"object_id": seen, "operation_id": op["id"]},
             token_from=page)
    assert r.status_code == 409 and "already a target" in alert(r.text)
    client.cookies.clear()
    login(client, ops.users["delta"].email)
    r = post(client, "/operations/add-target", {"object_id": seen, "operation_id": op["id"]},
             token_from=f"/operations/add-target?object={seen}")
    assert r.status_code == 404


def test_publishing_the_review_as_a_red_lesson_from_the_page(ops) -> None:  # type: ignore[no-untyped-def]
    from tests.operations.test_operations_api import REVIEW

    op = ops.propose(name="Operation Whisper")
    ops.move(op, "approved", "active", "concluded")
    ops.put("alpha_admin", f"/operations/{op['id']}/review", REVIEW)
    client = ops.client
    login(client, ops.users["alpha_admin"].email)
    page = f"/operations/{op['id']}"
    html = client.get(page).text
    assert 'name="user_ids"' in html and "bravo@vet.example" not in html  # names, not e-mails
    r = post(client, f"{page}/review/publish",
             {"tlp": "RED", "user_ids": [str(ops.users["bravo"].id)]}, token_from=page)
    assert r.status_code == 303, r.text
    lesson = r.headers["location"].split("?")[0]
    assert client.get(lesson).status_code == 200
    client.cookies.clear()
    login(client, ops.users["bravo"].email)
    assert client.get(lesson).status_code == 200
    client.cookies.clear()
    login(client, ops.users["bravo_two"].email)  # same organisation, not named
    assert client.get(lesson).status_code == 404
