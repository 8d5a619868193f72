"""Action-item reminders: each published once, to the owner, gated by the meeting; the
``cyberhub meetings remind`` command and the worker's periodic task run the same check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from typer.testing import CliRunner

from cyberhub import events, jobs
from cyberhub.cli import app as cli
from cyberhub.meetings import reminders
from cyberhub.meetings.models import Meeting
from tests.api.conftest import Hub

runner = CliRunner()


def _setup(hub: Hub) -> dict[str, Any]:
    m = hub.post("a_analyst", "/meetings", {
        "title": "Takedown sync", "starts_at": "2026-12-01T09:00:00Z",
        "attendee_ids": [str(hub.users["b_analyst"].id)]}).json()
    now = datetime.now(UTC)
    items = {}
    for name, owner, due in (("overdue", "b_analyst", now - timedelta(hours=3)),
                             ("soon", "a_analyst", now + timedelta(hours=5)),
                             ("later", "a_analyst", now + timedelta(days=3)),
                             ("done", "b_analyst", now - timedelta(days=1))):
        r = hub.post("a_analyst", f"/meetings/{m['id']}/action-items",
                     {"text": f"Item {name}", "owner_id": str(hub.users[owner].id),
                      "due": due.isoformat()})
        assert r.status_code == 201, r.text
        items[name] = r.json()
    hub.post("b_analyst", f"/action-items/{items['done']['id']}/complete")
    return {"meeting": m, "items": items}


def test_each_reminder_is_published_once(hub: Hub, heard: list[events.Event]) -> None:
    m = _setup(hub)["meeting"]
    jobs.remind_action_items_now()
    got = {(e.kind, e.summary) for e in heard}
    assert got == {("action_item.overdue", "Item overdue"), ("action_item.due", "Item soon")}
    for e in heard:
        assert e.subject_type is Meeting and str(e.subject_id) == m["id"]
        assert e.url.startswith(f"/meetings/{m['id']}#action-")
        # Safe for anyone who sees the meeting: no person or organisation names.
        for name in ("Alpha", "Beta", "example.org"):
            assert name not in e.title + e.summary
    overdue = next(e for e in heard if e.kind == "action_item.overdue")
    assert overdue.recipients == frozenset({hub.users["b_analyst"].id})
    heard.clear()
    jobs.remind_action_items_now()
    jobs.remind_action_items_now(datetime.now(UTC) + timedelta(minutes=15))
    assert heard == []

    # A day later the "later" item is due soon, and the "soon" one is overdue: once each.
    jobs.remind_action_items_now(datetime.now(UTC) + timedelta(days=2, hours=12))
    assert sorted((e.kind, e.summary) for e in heard) == [
        ("action_item.due", "Item later"), ("action_item.overdue", "Item soon")]
    heard.clear()
    jobs.remind_action_items_now(datetime.now(UTC) + timedelta(days=2, hours=13))
    assert heard == []


def test_a_new_due_date_is_reminded_again(hub: Hub, heard: list[events.Event]) -> None:
    items = _setup(hub)["items"]
    jobs.remind_action_items_now()
    heard.clear()
    new_due = (datetime.now(UTC) + timedelta(hours=10)).isoformat()
    r = hub.patch("b_analyst", f"/action-items/{items['overdue']['id']}", {"due": new_due})
    assert r.status_code == 200, r.text
    jobs.remind_action_items_now()
    assert [(e.kind, e.summary) for e in heard] == [("action_item.due", "Item overdue")]


def test_done_items_are_never_reminded(hub: Hub, heard: list[events.Event]) -> None:
    items = _setup(hub)["items"]
    for name in ("overdue", "soon"):
        hub.post("a_analyst", f"/action-items/{items[name]['id']}/complete")
    jobs.remind_action_items_now()
    assert heard == []


def test_the_cli_runs_the_same_check(hub: Hub, heard: list[events.Event]) -> None:
    _setup(hub)
    r = runner.invoke(cli, ["meetings", "remind"])
    assert r.exit_code == 0, r.output
    assert "action_item.overdue" in r.output and "action_item.due" in r.output
    assert "Reminders published: 1 due, 1 overdue." in " ".join(r.output.split())
    assert len(heard) == 2
    r = runner.invoke(cli, ["meetings", "remind"])
    assert r.exit_code == 0 and "No reminders were due" in r.output
    assert len(heard) == 2


def test_the_periodic_task_runs_every_15_minutes() -> None:
    task = jobs.remind_action_items_every_15_minutes.task_class()
    assert all(task.validate_datetime(datetime(2026, 12, 5, 3, minute))
               for minute in (0, 15, 30, 45))
    assert not task.validate_datetime(datetime(2026, 12, 5, 3, 7))
    assert reminders.DUE == "action_item.due" and reminders.OVERDUE == "action_item.overdue"
