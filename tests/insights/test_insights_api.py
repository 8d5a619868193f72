"""Insights through the REST API: drafts private to the owner, linked objects filtered
per reader, publishing, and STIX 2.1 export checked by the OASIS validator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stix2validator import ValidationOptions, validate_string

from cyberhub import events
from cyberhub.audience import Audience
from cyberhub.dialogue import service as dialogues
from tests.api.conftest import assert_error
from tests.factories import new_uuid
from tests.vetting.world import World


@pytest.fixture
def heard() -> Any:
    got: list[events.Event] = []

    def listener(session, event):  # type: ignore[no-untyped-def]
        got.append(event)

    events.subscribe(listener)
    yield got
    events._listeners.remove(listener)


def new_insight(world: World, who: str = "alpha", **over: Any) -> dict[str, Any]:
    body = {"title": "Harbour Kitten moved its C2", "summary": "What we learnt.",
            "body": "## Findings\n\nThey **moved**. <script>alert(1)</script>",
            "tlp": "GREEN"} | over
    r = world.post(who, "/insights", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_draft_is_private_to_the_owner_org_until_published(world: World,
                                                          heard: list[Any]) -> None:
    world.add_user("alpha2", "alpha")
    made = new_insight(world, tlp="CLEAR")
    iid = made["id"]
    assert made["status"] == "draft" and made["published_at"] is None
    assert "<script" not in made["body_html"]
    assert world.get("alpha2", f"/insights/{iid}").status_code == 200
    hidden = assert_error(world.get("bravo", f"/insights/{iid}"), 404)
    assert hidden == assert_error(world.get("bravo", f"/insights/{new_uuid()}"), 404)
    assert [i["id"] for i in world.get("bravo", "/insights").json()["items"]] == []
    assert [i["id"] for i in world.get("alpha2", "/insights").json()["items"]] == [iid]
    # Nobody outside may comment on a draft either.
    assert_error(world.post("bravo", "/comments", {"target_type": "insight", "target_id": iid,
                                                   "body": "hi"}), 404)
    assert_error(world.post("bravo", f"/insights/{iid}/publish"), 404)

    r = world.post("alpha", f"/insights/{iid}/publish")
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert r.json()["published_at"] is not None
    assert world.get("bravo", f"/insights/{iid}").status_code == 200
    assert [e.kind for e in heard] == ["insight.published"]
    assert heard[0].url == f"/insights/{iid}" and heard[0].subject_id is not None
    assert_error(world.post("alpha", f"/insights/{iid}/publish"), 409)


def test_draft_red_follows_the_marking_too(world: World) -> None:
    world.add_user("alpha2", "alpha")
    iid = new_insight(world, tlp="RED")["id"]
    assert world.get("alpha", f"/insights/{iid}").status_code == 200
    assert_error(world.get("alpha2", f"/insights/{iid}"), 404)


def test_linked_objects_only_visible_ones_and_filtered_per_reader(world: World,
                                                                 heard: list[Any]) -> None:
    public = world.indicator("alpha", tlp="GREEN", name="Public C2")
    shared = world.indicator("alpha", tlp="AMBER", audience=("bravo",), name="Shared C2")
    foreign = world.indicator("delta", tlp="AMBER", name="Delta's own")
    # Alpha may not link what it may not see; it reads as if it did not exist.
    err = assert_error(world.post("alpha", "/insights", {
        "title": "t", "tlp": "GREEN", "object_refs": [public, foreign]}), 422)
    assert err["details"]["field"] == "object_refs"
    made = new_insight(world, object_refs=[public, shared])
    assert {o["id"] for o in made["objects"]} == {public, shared}
    world.post("alpha", f"/insights/{made['id']}/publish")
    assert {o["id"] for o in world.get("bravo", f"/insights/{made['id']}").json()["objects"]} \
        == {public, shared}
    assert [o["id"] for o in world.get("charlie", f"/insights/{made['id']}").json()["objects"]] \
        == [public]
    published = next(e for e in heard if e.kind == "insight.published")
    assert len(published.watch_keys) == 2
    assert all(k.startswith("stix:indicator--") for k in published.watch_keys)


def test_edit_search_filter_and_delete(world: World) -> None:
    a = new_insight(world, title="Wallet laundering", tlp="GREEN")
    new_insight(world, title="Phishing kits", tlp="CLEAR")
    for iid in [i["id"] for i in world.get("alpha", "/insights").json()["items"]]:
        world.post("alpha", f"/insights/{iid}/publish")
    assert [i["title"] for i in world.get("bravo", "/insights", params={"q": "wallet"})
            .json()["items"]] == ["Wallet laundering"]
    assert [i["title"] for i in world.get("bravo", "/insights", params={"tlp": "CLEAR"})
            .json()["items"]] == ["Phishing kits"]
    assert_error(world.patch("bravo", f"/insights/{a['id']}", {"title": "mine"}), 403)
    r = world.patch("alpha", f"/insights/{a['id']}", {"title": "Wallet laundering, part 2"})
    assert r.status_code == 200 and r.json()["title"] == "Wallet laundering, part 2"
    err = assert_error(world.patch("alpha", f"/insights/{a['id']}", {"body": "x" * 100_001}),
                       422)
    assert err["details"]["field"] == "body"
    assert world.delete("alpha", f"/insights/{a['id']}").status_code == 204
    assert_error(world.get("alpha", f"/insights/{a['id']}"), 404)


def test_source_is_stored_and_linked_for_those_who_may_see_it(world: World) -> None:
    with world.database.transaction() as s:
        src = str(dialogues.create_dialogue(s, world.community.viewer(world.users["alpha"]),
                                            topic="Mule accounts", tlp="AMBER",
                                            audience=Audience([world.orgs["bravo"].id])).id)
    made = new_insight(world, source=f"dialogue:{src}")
    assert made["source"] == f"dialogue:{src}" and made["source_url"] == f"/dialogues/{src}"
    world.post("alpha", f"/insights/{made['id']}/publish")
    assert world.get("bravo", f"/insights/{made['id']}").json()["source_url"] == f"/dialogues/{src}"
    other = world.get("charlie", f"/insights/{made['id']}").json()
    assert other["source"] == f"dialogue:{src}" and other["source_url"] is None
    # An author names only a source they may see; unseen reads like nonexistent.
    for bad in (f"dialogue:{new_uuid()}", "javascript:alert(1)", f"secret:{new_uuid()}"):
        assert_error(world.post("charlie", "/insights", {"title": "t", "tlp": "GREEN",
                                                         "source": bad}), 422)
    assert_error(world.post("charlie", "/insights", {"title": "t", "tlp": "GREEN",
                                                     "source": f"dialogue:{src}"}), 422)
    assert_error(world.post("alpha", "/insights", {"title": "t", "tlp": "GREEN",
                                                   "source": "javascript:alert(1)"}), 422)


def _valid(text: str) -> dict[str, Any]:
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    return json.loads(text)  # type: ignore[no-any-return]


def test_stix_export_report_and_note_pass_the_validator(world: World) -> None:
    public = world.indicator("alpha", tlp="GREEN", name="Public C2")
    shared = world.indicator("alpha", tlp="AMBER", audience=("bravo",), name="Shared C2")
    iid = new_insight(world, tlp="GREEN", object_refs=[public, shared])["id"]
    world.post("alpha", f"/insights/{iid}/publish")

    r = world.get("bravo", f"/insights/{iid}/stix")
    assert r.headers["content-type"].startswith("application/stix+json")
    bundle = _valid(r.text)
    report = next(o for o in bundle["objects"] if o["type"] == "report")
    assert len(report["object_refs"]) == 2
    assert report["created_by_ref"].startswith("identity--")
    assert report["object_marking_refs"] == ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
    ids = {o["id"] for o in bundle["objects"]}
    assert report["created_by_ref"] in ids and set(report["object_refs"]) <= ids

    # Charlie sees one of the two objects: the export names only that one.
    report = next(o for o in _valid(world.get("charlie", f"/insights/{iid}/stix").text)["objects"]
                  if o["type"] == "report")
    assert len(report["object_refs"]) == 1

    note = next(o for o in _valid(world.get("bravo", f"/insights/{iid}/stix",
                                            params={"as": "note"}).text)["objects"]
                if o["type"] == "note")
    assert len(note["object_refs"]) == 2 and note["abstract"] == "Harbour Kitten moved its C2"

    # Without linked objects: a note about the authoring organisation; a report is refused.
    bare = new_insight(world, tlp="GREEN")["id"]
    bundle = _valid(world.get("alpha", f"/insights/{bare}/stix").text)
    note = next(o for o in bundle["objects"] if o["type"] == "note")
    assert note["object_refs"] == [note["created_by_ref"]]
    assert_error(world.get("alpha", f"/insights/{bare}/stix", params={"as": "report"}), 409)
    assert_error(world.get("alpha", f"/insights/{bare}/stix", params={"as": "pdf"}), 422)
