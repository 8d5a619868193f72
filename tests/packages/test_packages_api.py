"""Intelligence packages through the REST API: draft → review → release →
acknowledgement, refused reviews and releases, who sees what, bad input, the audit
trail and the exports (a STIX bundle the OASIS validator accepts, HTML, PDF)."""

from __future__ import annotations

import io
import os
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import orjson
from pypdf import PdfReader
from stix2validator import ValidationOptions, validate_string

from cyberhub import i18n
from tests.factories import bearer
from tests.vetting.world import World


def vet(world: World, record: str, *voters: str) -> None:
    for who in voters:
        assert world.vote(who, record, "confirm", "Checked.").status_code == 200


def setup_package(world: World) -> dict[str, Any]:
    """Alpha's package of an Alpha object, a Bravo object and the relationship between
    them, plus an AMBER object only Alpha sees; all vetted; submitted for review."""
    world.add_user("alpha2", "alpha")
    actor = world.gen.malware()
    actor |= {"name": "Harbour Kitten"}
    wallet = world.gen.indicator("ipv4") | {"name": "Harbour Kitten C2"}
    rel = world.gen.relationship(wallet["id"], actor["id"])
    world.import_("bravo", [wallet])
    world.import_("alpha", [actor, rel])
    secret = world.indicator("alpha", tlp="AMBER", name="Alpha-only lead")
    a, b = world.record("alpha", actor["id"]), world.record("bravo", wallet["id"])
    vet(world, a, "bravo", "charlie")
    vet(world, b, "charlie", "delta")
    world.patch("alpha", f"/objects/{secret}", {"vetting": "vetted"})  # no other org sees it
    r = world.post("alpha", "/packages", {
        "title": "Harbour Kitten: infrastructure", "target": "Harbour Kitten",
        "narrative": "## Summary\n\nTheir **C2** moved.\n\n<script>alert(1)</script>",
        "objects": [actor["id"], wallet["id"]]})
    assert r.status_code == 201, r.text
    package = r.json()
    return {"id": package["id"], "actor": a, "wallet": b, "secret": secret,
            "actor_stix": actor["id"], "rel_stix": rel["id"], "body": package}


def test_draft_review_release_and_acknowledgement(world: World) -> None:
    s = setup_package(world)
    pid, body = s["id"], s["body"]
    assert body["status"] == "draft" and body["tlp"] == "AMBER+STRICT"
    assert "<strong>C2</strong>" in body["narrative_html"] and "<script" not in body["narrative_html"]
    assert [o["id"] for o in body["objects"]] == [s["actor"], s["wallet"]]
    assert [r["stix_id"] for r in body["relationships"]] == [s["rel_stix"]]
    # A draft is the organisation's own: others get the answer a missing package gets.
    missing = world.get("charlie", f"/packages/{uuid.uuid4()}")
    hidden = world.get("charlie", f"/packages/{pid}")
    assert hidden.status_code == missing.status_code == 404 and hidden.json() == missing.json()
    assert world.get("alpha2", f"/packages/{pid}").status_code == 200

    assert world.post("alpha", f"/packages/{pid}/submit").json()["status"] == "in-review"
    assert world.post("alpha", f"/packages/{pid}/objects", {"object": s["secret"]}
                      ).status_code == 409  # frozen while in review
    # The author does not review their own package.
    r = world.post("alpha", f"/packages/{pid}/review", {"decision": "approve"})
    assert r.status_code == 403
    r = world.post("alpha", f"/packages/{pid}/release", {"org_ids": [str(world.orgs["charlie"].id)]})
    assert r.status_code == 409  # not approved yet
    r = world.post("alpha2", f"/packages/{pid}/review", {"decision": "approve",
                                                         "comment": "Sources checked."})
    assert r.status_code == 200, r.text
    assert r.json()["reviewed_by_id"] == str(world.users["alpha2"].id)

    r = world.post("alpha", f"/packages/{pid}/release",
                   {"org_ids": [str(world.orgs["charlie"].id)]})
    assert r.status_code == 200, r.text
    released = r.json()
    assert (released["status"], released["tlp"]) == ("released", "AMBER")
    assert released["audience"]["org_ids"] == [str(world.orgs["charlie"].id)]

    # The recipient finds it among what it received; others do not see it at all.
    assert [p["id"] for p in world.get("charlie", "/packages", params={"box": "received"}).json()] == [pid]
    assert world.get("delta", "/packages", params={"box": "received"}).json() == []
    assert world.get("delta", f"/packages/{pid}").status_code == 404
    assert [p["id"] for p in world.get("alpha2", "/packages", params={"box": "released"}).json()] == [pid]

    assert world.post("delta", f"/packages/{pid}/acknowledge").status_code == 404
    assert world.post("alpha", f"/packages/{pid}/acknowledge").status_code == 403
    first = world.post("charlie", f"/packages/{pid}/acknowledge")
    assert first.status_code == 200, first.text
    world.add_user("charlie2", "charlie")
    again = world.post("charlie2", f"/packages/{pid}/acknowledge")
    assert again.json() == first.json()  # one acknowledgement per recipient organisation
    acks = world.get("alpha", f"/packages/{pid}").json()["acknowledgements"]
    assert [(a["recipient"], a["user_id"]) for a in acks] == [
        (f"org:{world.orgs['charlie'].id}", str(world.users["charlie"].id))]

    actions = [e.action for e in world.audits("package.")]
    assert actions == ["package.create", "package.add_object", "package.add_object",
                       "package.submit", "package.review", "package.release",
                       "package.acknowledge"]
    [release] = world.audits("package.release")
    assert release.details["tlp"] == "AMBER" and release.target_id == pid


def test_review_and_release_are_refused_with_the_objects_not_vetted(world: World) -> None:
    world.add_user("alpha2", "alpha")
    good = world.indicator("alpha", name="Vetted C2")
    weak = world.indicator("alpha", name="Single-source C2")
    vet(world, good, "bravo", "charlie")
    vet(world, weak, "bravo")
    pid = world.post("alpha", "/packages", {"title": "Two C2s", "objects": [good, weak]}).json()["id"]
    world.post("alpha", f"/packages/{pid}/submit")
    r = world.post("alpha2", f"/packages/{pid}/review", {"decision": "approve"})
    assert r.status_code == 409
    err = r.json()["error"]
    # The state is named in the reader's words; the details keep the code.
    assert "cannot be approved" in err["message"]
    assert "Single-source C2 (Corroborated)" in err["message"] and "Vetted C2" not in err["message"]
    assert [p["id"] for p in err["details"]["not_ready"]] == [weak]

    vet(world, weak, "delta")
    assert world.post("alpha2", f"/packages/{pid}/review", {"decision": "approve"}).status_code == 200
    # Disputed between review and release: the release is refused too.
    world.vote("echo", good, "dispute", "Sinkholed yesterday.")
    r = world.post("alpha", f"/packages/{pid}/release", {"org_ids": [str(world.orgs["charlie"].id)]})
    assert r.status_code == 409 and "cannot be released" in r.json()["error"]["message"]
    assert "Vetted C2 (Disputed)" in r.json()["error"]["message"]
    # Sent back to draft, the package changes again.
    r = world.post("alpha2", f"/packages/{pid}/review", {"decision": "return", "comment": "Drop it."})
    assert r.json()["status"] == "draft"
    r = world.delete("alpha", f"/packages/{pid}/objects/{good}")
    assert [o["id"] for o in r.json()["objects"]] == [weak]


def approved(world: World) -> str:
    world.add_user("alpha2", "alpha")
    record = world.indicator("alpha")
    vet(world, record, "bravo", "charlie")
    pid = world.post("alpha", "/packages", {"title": "Ready", "objects": [record]}).json()["id"]
    world.post("alpha", f"/packages/{pid}/submit")
    assert world.post("alpha2", f"/packages/{pid}/review", {"decision": "approve"}).status_code == 200
    return str(pid)


def test_release_goes_to_law_enforcement_only(world: World) -> None:
    pid = approved(world)
    le, bank = str(world.orgs["charlie"].id), str(world.orgs["bravo"].id)
    world.add_user("bravo2", "bravo")
    cases = [
        ({"org_ids": [bank]}, "recipients"),
        ({"org_ids": [le, bank]}, "recipients"),
        ({"org_ids": []}, "recipients"),
        ({"tlp": "GREEN", "org_ids": [le]}, "tlp"),
        ({"tlp": "PURPLE", "org_ids": [le]}, "tlp"),
        ({"tlp": "RED", "org_ids": [le]}, "recipients"),
        ({"tlp": "RED", "user_ids": [str(world.users["bravo2"].id)]}, "recipients"),
        ({"tlp": "AMBER+STRICT", "user_ids": [str(world.users["charlie"].id)]}, "recipients"),
        ({"org_ids": [str(uuid.uuid4())]}, "recipients"),
    ]
    for body, field in cases:
        r = world.post("alpha", f"/packages/{pid}/release", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["details"]["field"] == field, body
    assert world.get("alpha", f"/packages/{pid}").json()["status"] == "in-review"
    r = world.post("alpha", f"/packages/{pid}/release", {"tlp": "AMBER+STRICT", "org_ids": [le]})
    assert r.status_code == 200 and r.json()["tlp"] == "AMBER+STRICT"
    assert world.post("alpha", f"/packages/{pid}/release", {"org_ids": [le]}).status_code == 409


def test_a_red_package_reaches_only_the_named_investigators(world: World) -> None:
    pid = approved(world)
    world.add_user("charlie2", "charlie")
    r = world.post("alpha", f"/packages/{pid}/release",
                   {"tlp": "RED", "user_ids": [str(world.users["charlie"].id)]})
    assert r.status_code == 200, r.text
    assert world.get("charlie", f"/packages/{pid}").status_code == 200
    for outsider in ("charlie2", "alpha2", "delta"):
        assert world.get(outsider, f"/packages/{pid}").status_code == 404, outsider
    assert world.get("alpha", f"/packages/{pid}").status_code == 200  # its author
    ack = world.post("charlie", f"/packages/{pid}/acknowledge").json()
    assert ack["recipient"] == f"user:{world.users['charlie'].id}"
    # Sensitive reads leave a trace.
    assert any(e.target_id == pid for e in world.audits("record.read"))


def test_packages_hold_only_what_their_author_may_see(world: World) -> None:
    hidden = world.indicator("bravo", tlp="AMBER")
    r = world.post("alpha", "/packages", {"title": "Nosy", "objects": [hidden]})
    assert r.status_code == 404
    pid = world.post("alpha", "/packages", {"title": "Fine"}).json()["id"]
    absent = world.post("alpha", f"/packages/{pid}/objects", {"object": str(uuid.uuid4())})
    r = world.post("alpha", f"/packages/{pid}/objects", {"object": hidden})
    assert r.status_code == absent.status_code == 404 and r.json() == absent.json()
    assert world.post("alpha", f"/packages/{pid}/submit").status_code == 422  # empty


def test_bad_input(world: World) -> None:
    r = world.post("alpha", "/packages", {"title": "Big", "narrative": "x" * 1_000_000})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "narrative"
    r = world.post("alpha", "/packages", {"title": "  "})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "title"
    world.add_user("reader", "alpha", role="reader")
    assert world.post("reader", "/packages", {"title": "No"}).status_code == 403
    pid = world.post("alpha", "/packages", {"title": "Fine"}).json()["id"]
    r = world.post("alpha", f"/packages/{pid}/review", {"decision": "maybe"})
    assert r.status_code == 422
    r = world.get("alpha", f"/packages/{pid}/export", params={"format": "docx"})
    assert r.status_code == 422
    assert world.get("alpha", "/packages", params={"box": "spam"}).status_code == 422
    assert world.get("alpha", "/packages/not-a-uuid").status_code == 404


def test_exports_hold_what_the_recipient_may_see(world: World) -> None:
    s = setup_package(world)
    pid = s["id"]
    world.post("alpha", f"/packages/{pid}/objects", {"object": s["secret"]})
    world.post("alpha", f"/packages/{pid}/submit")
    assert world.post("alpha2", f"/packages/{pid}/review", {"decision": "approve"}).status_code == 200
    assert world.post("alpha", f"/packages/{pid}/release",
                      {"org_ids": [str(world.orgs["charlie"].id)]}).status_code == 200

    got = world.get("charlie", f"/packages/{pid}")
    assert got.json()["hidden_objects"] == 1  # Alpha's AMBER lead is not shared with Charlie

    r = world.get("charlie", f"/packages/{pid}/export", params={"format": "stix"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/stix+json")
    result = validate_string(r.text, ValidationOptions(version="2.1"))
    assert result.is_valid and not result.errors, [str(e) for e in result.errors]
    objects = orjson.loads(r.content)["objects"]
    [report] = [o for o in objects if o["type"] == "report"]
    assert report["name"] == "Harbour Kitten: infrastructure"
    carried = {o["id"] for o in objects}
    assert set(report["object_refs"]) == {s["actor_stix"], s["rel_stix"],
                                          *(o["stix_id"] for o in got.json()["objects"])}
    assert set(report["object_refs"]) <= carried
    assert "Alpha-only lead" not in r.text
    # The author's export carries the AMBER lead too.
    mine = orjson.loads(world.get("alpha", f"/packages/{pid}/export").content)
    assert len([o for o in mine["objects"] if o["type"] == "indicator"]) == 2

    r = world.get("charlie", f"/packages/{pid}/export", params={"format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(r.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Harbour Kitten: infrastructure" in text and "TLP:AMBER" in text
    assert reader.metadata.title == "Harbour Kitten: infrastructure"

    # In Arabic the report's words are Arabic (shaped, right to left) and the data stays
    # as written.
    r = world.client.get(f"/api/v1/packages/{pid}/export", params={"format": "pdf"},
                         headers={**bearer(world.tokens["charlie"]), "Accept-Language": "ar"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    if os.environ.get("CYBERHUB_KEEP_PDF"):  # to look at: var/screenshots/package-ar.pdf
        Path("var/screenshots").mkdir(parents=True, exist_ok=True)
        Path("var/screenshots/package-ar.pdf").write_bytes(r.content)
    arabic = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "Harbour Kitten: infrastructure" in arabic and "TLP:AMBER" in arabic
    with i18n.use_locale("ar"):
        assert i18n.gettext("Objects") != "Objects"
        assert i18n.gettext("Objects") in unicodedata.normalize("NFKC", arabic)

    r = world.get("charlie", f"/packages/{pid}/export", params={"format": "html"})
    assert r.status_code == 200 and "Harbour Kitten: infrastructure" in r.text
    assert "style-src 'sha256-" in r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]
    assert "Alpha-only lead" not in r.text

    exports = [e.details["format"] for e in world.audits("package.export")]
    assert exports == ["stix", "stix", "pdf", "pdf", "html"]
