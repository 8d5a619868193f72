"""The readiness self-assessment over REST, on both engines: the bank, drafts, bad input
that stores nothing, completion, history, visibility (404 for everyone outside the
organisation, hub admins included), the peer benchmark's k rule and the reports."""

from __future__ import annotations

import io
import re
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub import i18n
from cyberhub.audit import AuditEntry
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.ransomware import readiness
from cyberhub.ransomware.readiness_bank import bank
from tests.factories import Community, bearer

API = "/api/v1/ransomware/readiness"


def all_answers(value: str = "yes", **over: str) -> dict[str, dict[str, str]]:
    """Every question of the bank answered ``value`` (``over`` by question id, with _)."""
    return {q.id: {"answer": over.get(q.id.replace("-", "_"), value)} for q in bank().questions}


def complete_directly(community: Community, user: User, value: str = "yes",
                      **over: str) -> None:
    """Answer everything and complete, through the service (for peers)."""
    viewer = community.viewer(user)
    with community.db.transaction() as s:
        readiness.save_draft(s, viewer, {qid: readiness.AnswerIn(a["answer"])
                                         for qid, a in all_answers(value, **over).items()})
        readiness.complete(s, viewer)


class Org:
    def __init__(self, client: TestClient, community: Community, name: str,
                 sector: str | None = "Bank", role: str = "analyst") -> None:
        self.client = client
        self.org = community.org(name, sector=sector) if sector else community.org(name)
        self.user = community.user(self.org, role=role)
        self.headers = bearer(community.token(self.user, scope="write"))

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(API + path, headers=self.headers, **kw)

    def put(self, answers: dict[str, Any]) -> Any:
        return self.client.put(API + "/draft", json={"answers": answers}, headers=self.headers)

    def complete(self) -> Any:
        return self.client.post(API + "/draft/complete", headers=self.headers)


@pytest.fixture
def alpha(client: TestClient, community: Community) -> Org:
    return Org(client, community, "Alpha Bank")


def test_the_bank_has_ten_areas_three_tiers_and_guidance(alpha: Org) -> None:
    r = alpha.get("/bank")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] and body["answers"] == ["yes", "partial", "no", "na"]
    assert len(body["areas"]) == 10 and body["tiers"] == ["basic", "intermediate", "advanced"]
    qs = body["questions"]
    assert 70 <= len(qs) <= 100 and len({q["id"] for q in qs}) == len(qs)
    for area in body["areas"]:
        for tier in body["tiers"]:
            n = sum(1 for q in qs if q["area"] == area["code"] and q["tier"] == tier)
            assert 2 <= n <= 4, (area["code"], tier)
    for q in qs:
        assert re.fullmatch(rf"{q['area']}-[BIA]-\d", q["id"])
        assert q["id"].split("-")[1] == q["tier"][0].upper()
        assert len(q["guidance"]) > 40 and q["text"].endswith("?") and 1 <= q["weight"] <= 3


def test_a_draft_is_saved_as_you_go_and_completed_once_everything_is_answered(
        alpha: Org, database: Database) -> None:
    assert alpha.get("/draft").status_code == 404
    r = alpha.put({"BK-B-1": {"answer": "yes", "note": "Nightly, to tape <b>offsite</b>"},
                   "BK-B-2": {"answer": "partial"}})
    assert r.status_code == 200, r.text
    draft = r.json()
    assert draft["answers"]["BK-B-1"] == {"answer": "yes",
                                         "note": "Nightly, to tape <b>offsite</b>"}
    assert draft["scores"]["answered"] == 2 and draft["scores"]["total"] == 80
    # A second save merges; null clears one answer.
    r = alpha.put({"BK-B-2": None, "BK-B-3": {"answer": "no"}})
    assert set(r.json()["answers"]) == {"BK-B-1", "BK-B-3"}
    # Completing with unanswered questions: 422 naming them; the draft stays a draft.
    r = alpha.complete()
    assert r.status_code == 422
    err = r.json()["error"]
    assert "78 questions are not answered" in err["message"] and "BK-B-2" in err["message"]
    assert len(err["details"]["unanswered"]) == 78
    assert alpha.get("/draft").status_code == 200 and alpha.get("/assessments").json() == []
    # Answer the rest and complete.
    assert alpha.put(all_answers("yes", PH_B_1="no", PT_B_1="na")).status_code == 200
    r = alpha.complete()
    assert r.status_code == 201, r.text
    done = r.json()
    assert done["status"] == "completed" and done["completed_by_id"] == str(alpha.user.id)
    assert done["answers"]["PT-B-1"]["answer"] == "na"
    assert done["benchmark"]["overall_percentile"] is None  # no peers at all
    assert [a["question_id"] for a in done["action_plan"]] == ["PH-B-1"]
    assert done["scores"]["overall"] == pytest.approx(done["overall"])
    assert 90 < done["overall"] < 100
    phishing = next(a for a in done["scores"]["areas"] if a["code"] == "PH")
    assert phishing["level"] is None and phishing["tiers"][1]["achieved"] is True
    patching = next(a for a in done["scores"]["areas"] if a["code"] == "PT")
    assert patching["score"] == 100 and patching["level"] == "advanced"
    # The draft is gone; the history holds the snapshot.
    assert alpha.get("/draft").status_code == 404
    listing = alpha.get("/assessments").json()
    assert [a["id"] for a in listing] == [done["id"]]
    with database.transaction() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("readiness.%")))]
    assert actions == ["readiness.complete"]


def test_a_completed_assessment_is_immutable_and_history_shows_the_change(alpha: Org) -> None:
    alpha.put(all_answers("no"))
    first = alpha.complete().json()
    # A new save starts a new draft; the completed one does not change.
    alpha.put(all_answers("yes"))
    assert alpha.get(f"/assessments/{first['id']}").json()["answers"]["BK-B-1"]["answer"] == "no"
    second = alpha.complete().json()
    assert second["previous_overall"] == 0 and second["overall"] == 100
    assert [a["id"] for a in alpha.get("/assessments").json()] == [second["id"], first["id"]]
    assert alpha.get(f"/assessments/{second['id']}").json()["action_plan"] == []


@pytest.mark.parametrize("answers, field", [
    ({"XX-B-1": {"answer": "yes"}}, "answers.XX-B-1"),
    ({"BK-B-1": {"answer": "maybe"}}, "answers.BK-B-1"),
    ({"BK-B-1": {"answer": "yes", "note": "x" * 1001}}, "answers.BK-B-1"),
    ({"BK-B-2": {"answer": "yes"}, "BK-B-1": {"answer": "perhaps"}}, "answers.BK-B-1"),
])
def test_bad_input_names_the_problem_and_stores_nothing(alpha: Org, answers: dict[str, Any],
                                                        field: str) -> None:
    r = alpha.put(answers)
    assert r.status_code == 422
    assert r.json()["error"]["details"]["field"] == field
    assert alpha.get("/draft").status_code == 404  # not even the good answer


def test_bad_input_leaves_an_existing_draft_unchanged(alpha: Org) -> None:
    alpha.put({"BK-B-1": {"answer": "yes"}})
    r = alpha.put({"BK-B-1": {"answer": "no"}, "BK-B-2": {"answer": "yes", "note": "y" * 1001}})
    assert r.status_code == 422 and "1000 characters" in r.json()["error"]["message"]
    assert alpha.get("/draft").json()["answers"] == {"BK-B-1": {"answer": "yes", "note": ""}}
    ok = alpha.put({"BK-B-2": {"answer": "yes", "note": "y" * 1000}})
    assert ok.status_code == 200
    r = alpha.client.put(API + "/draft", json={"answers": {"BK-B-1": {"answer": "yes",
                                                                      "extra": 1}}},
                         headers=alpha.headers)
    assert r.status_code == 422


def test_only_the_organisation_sees_its_assessments(client: TestClient, community: Community,
                                                    alpha: Org) -> None:
    alpha.put(all_answers("partial"))
    done = alpha.complete().json()
    alpha.put({"BK-B-1": {"answer": "yes", "note": "draft secret"}})
    other = Org(client, community, "Other Bank")
    operator = Org(client, community, "Hub Operators", role="hub-admin")
    for outsider in (other, operator):
        for path in (f"/assessments/{done['id']}", f"/assessments/{done['id']}/report",
                     f"/assessments/{done['id']}/report?format=pdf"):
            r = outsider.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
        assert outsider.get("/assessments").json() == []
        assert outsider.get("/draft").status_code == 404
    # The same 404 as an id that does not exist, or a malformed one.
    assert alpha.get("/assessments/00000000-0000-0000-0000-000000000000").status_code == 404
    assert alpha.get("/assessments/not-a-uuid").status_code == 404
    # A reader of the organisation reads but does not answer or complete.
    reader_user = community.user(alpha.org, role="reader")
    reader = bearer(community.token(reader_user, scope="write"))
    assert client.get(f"{API}/assessments/{done['id']}", headers=reader).status_code == 200
    assert client.get(f"{API}/draft", headers=reader).status_code == 200
    r = client.put(f"{API}/draft", json={"answers": {"BK-B-2": {"answer": "no"}}},
                   headers=reader)
    assert r.status_code == 403
    assert client.post(f"{API}/draft/complete", headers=reader).status_code == 403
    assert alpha.get("/draft").json()["answers"]["BK-B-1"]["note"] == "draft secret"


def test_the_benchmark_waits_for_k_other_organisations_of_the_sector(
        client: TestClient, community: Community, alpha: Org, database: Database) -> None:
    peers = [community.user(community.org(f"Peer Bank {i}", sector="Bank")) for i in range(3)]
    elsewhere = community.user(community.org("A Hospital", sector="Health"))
    complete_directly(community, elsewhere, "no")
    complete_directly(community, peers[0], "no")
    complete_directly(community, peers[1], "no")
    alpha.put(all_answers("partial"))
    done = alpha.complete().json()
    bench = done["benchmark"]
    assert bench["k"] == 3 and bench["sector"] == "Bank" and bench["enough_peers"] is False
    assert bench["overall_percentile"] is None
    assert all(v is None for v in bench["area_percentiles"].values())
    # Alpha's own earlier or later assessments never count as peers.
    alpha.put(all_answers("yes"))
    alpha.complete()
    again = alpha.get(f"/assessments/{done['id']}").json()["benchmark"]
    assert again["overall_percentile"] is None
    # A third peer: published. Alpha (50) is above all three peers (0, 0, and 100 → no).
    complete_directly(community, peers[2], "yes")
    bench = alpha.get(f"/assessments/{done['id']}").json()["benchmark"]
    assert bench["enough_peers"] is True
    assert bench["overall_percentile"] == 70  # 2 of 3 below: 66.7 → 70
    assert bench["area_percentiles"]["BK"] == 70
    # Only a peer's *latest* assessment counts.
    complete_directly(community, peers[0], "yes")
    bench = alpha.get(f"/assessments/{done['id']}").json()["benchmark"]
    assert bench["overall_percentile"] == 30  # 1 of 3 below: 33.3 → 30
    text = alpha.get(f"/assessments/{done['id']}").text
    assert "Peer Bank" not in text and str(peers[0].org_id) not in text


def test_no_sector_means_no_benchmark(client: TestClient, community: Community) -> None:
    lone = Org(client, community, "No Sector Org", sector=None)
    lone.put(all_answers("yes"))
    bench = lone.complete().json()["benchmark"]
    assert bench["sector"] is None and bench["overall_percentile"] is None


def test_reports_in_html_and_pdf_are_audited(alpha: Org, database: Database) -> None:
    alpha.put(all_answers("yes", BK_B_2="no", UA_B_1="partial"))
    alpha.put({"BK-B-2": {"answer": "no", "note": "<script>alert(1)</script> tapes onsite"}})
    done = alpha.complete().json()
    html = alpha.get(f"/assessments/{done['id']}/report")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "Alpha Bank" in html.text and "Action plan" in html.text
    assert "<script>alert" not in html.text and "&lt;script&gt;alert(1)" in html.text
    pdf = alpha.get(f"/assessments/{done['id']}/report", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Ransomware readiness assessment" in text and "Alpha Bank" in text
    assert "Action plan" in text and "BK-B-2" in text and "UA-B-1" in text
    # The heaviest basic question comes first in the plan.
    assert text.index("[BK-B-2]") < text.index("[UA-B-1]")
    # In Arabic: the report's own words in Arabic (text shaped, lines right to left).
    arabic = alpha.client.get(API + f"/assessments/{done['id']}/report", params={"format": "pdf"},
                              headers={**alpha.headers, "Accept-Language": "ar"})
    assert arabic.status_code == 200 and arabic.content.startswith(b"%PDF-")
    words = unicodedata.normalize("NFKC", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(arabic.content)).pages))
    with i18n.use_locale("ar"):
        assert i18n.gettext("Action plan") != "Action plan"
        assert i18n.gettext("Action plan") in words and "Alpha Bank" in words
    bad = alpha.get(f"/assessments/{done['id']}/report", params={"format": "docx"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "format"
    with database.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "readiness.report")
                              .order_by(AuditEntry.seq)))
        org = s.scalar(select(Organisation).where(Organisation.name == "Alpha Bank"))
        assert org is not None
    assert [r.details["format"] for r in rows] == ["html", "pdf", "pdf"]
    assert all(r.target_id == done["id"] for r in rows)


def test_two_first_saves_at_once_get_a_conflict_not_an_error(
        alpha: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    alpha.put({"BK-B-1": {"answer": "yes"}})
    # A colleague's first save that did not see the draft being started (as when two
    # requests race): the database's one-draft rule answers, as a 409.
    monkeypatch.setattr(readiness, "get_draft", lambda session, viewer: None)
    r = alpha.put({"BK-B-2": {"answer": "no"}})
    assert r.status_code == 409, r.text
    assert "Reload the page" in r.json()["error"]["message"]
    monkeypatch.undo()
    assert alpha.get("/draft").json()["answers"] == {"BK-B-1": {"answer": "yes", "note": ""}}
