"""The readiness pages on both engines: answer area by area with a draft saved as you go,
review, complete, see scores, action plan and benchmark, download the reports; readers
read, outsiders get 404, bad input re-shows the form."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cyberhub.community.models import User
from cyberhub.ransomware.readiness_bank import bank
from tests.factories import Community, csrf_of, sign_in
from tests.ransomware.test_readiness_api import complete_directly

BASE = "/ransomware/readiness"


@pytest.fixture
def member(client: TestClient, community: Community) -> tuple[TestClient, User]:
    org = community.org("Gamma Savings", sector="Bank")
    user = community.user(org, email="gamma@x.example")
    assert sign_in(client, user.email).status_code == 303
    return client, user


def answer_area(client: TestClient, slug: str, value: str = "yes", action: str = "next",
                **extra: str) -> object:
    token = csrf_of(client, f"{BASE}/areas/{slug}")
    code = bank().area(slug).code  # type: ignore[union-attr]
    data = {"csrf_token": token, "action": action}
    for q in bank().of_area(code):
        data[f"a_{q.id.replace('-', '_')}"] = value
    data.update(extra)
    return client.post(f"{BASE}/areas/{slug}", data=data, follow_redirects=False)


def test_answer_review_complete_and_download(member: tuple[TestClient, User]) -> None:
    client, _user = member
    home = client.get(BASE)
    assert home.status_code == 200 and "Start the assessment" in home.text
    assert 'href="/ransomware/readiness"' in home.text  # in the section's navigation
    first = client.get(f"{BASE}/areas/backups")
    assert first.status_code == 200
    assert "Area 1 of 10" in first.text and 'name="a_BK_B_1"' in first.text
    assert "Guidance" in first.text and "0 of 80 questions answered" in first.text
    # Save a draft with a note on the first page; the page comes back with it.
    r = answer_area(client, "backups", "partial", action="save",
                    n_BK_B_1="<b>tapes</b> in the safe")
    assert r.status_code == 303 and r.headers["location"].startswith(f"{BASE}/areas/backups")
    again = client.get(f"{BASE}/areas/backups")
    assert re.search(r'name="a_BK_B_1" value="partial" checked', again.text)
    assert "&lt;b&gt;tapes&lt;/b&gt; in the safe" in again.text
    assert "8 of 80 questions answered" in again.text
    # Completing too early: the review names what is missing.
    review = client.get(f"{BASE}/review")
    assert "Not answered yet" in review.text and "PH-B-1" in review.text
    token = csrf_of(client, f"{BASE}/review")
    r = client.post(f"{BASE}/complete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422 and "72 questions are not answered" in r.text
    # "Continue" resumes at the first area with unanswered questions.
    assert f'href="{BASE}/areas/filtering">Continue the assessment' in client.get(BASE).text
    # Go through every area with "Save and continue"; the last one leads to the review.
    slugs = [a.slug for a in bank().areas]
    for i, slug in enumerate(slugs):
        r = answer_area(client, slug, "no" if slug == "phishing" else "yes")
        expected = f"{BASE}/areas/{slugs[i + 1]}" if i + 1 < len(slugs) else f"{BASE}/review"
        assert r.status_code == 303 and r.headers["location"].split("?")[0] == expected
    overview = client.get(BASE)
    assert "80 of 80 questions answered" in overview.text
    assert f'href="{BASE}/areas/backups">Continue the assessment' in overview.text
    token = csrf_of(client, f"{BASE}/review")
    r = client.post(f"{BASE}/complete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    result_url = r.headers["location"].split("?")[0]
    result = client.get(result_url)
    assert result.status_code == 200
    assert "Action plan" in result.text and "PH-B-1" in result.text
    assert "Not enough peers yet" in result.text
    assert 'id="readiness-data"' in result.text and "/static/js/readiness.js" in result.text
    assert "<script>" not in result.text.replace('<script type="application/json"', "")
    html = client.get(result_url + "/report.html")
    assert html.status_code == 200 and "Gamma Savings" in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert '<html lang="en" dir="ltr">' in html.text
    arabic = client.get(result_url + "/report.html", headers={"accept-language": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    pdf = client.get(result_url + "/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["content-disposition"]
    overview = client.get(BASE)
    assert "Latest results" in overview.text and result_url in overview.text


def test_a_bad_answer_re_shows_the_form_and_stores_nothing(
        member: tuple[TestClient, User]) -> None:
    client, _user = member
    r = answer_area(client, "backups", "yes", action="save",
                    a_BK_B_2="sometimes", n_BK_B_1="x" * 1001)
    assert r.status_code == 422
    assert "That did not work." in r.text and "BK-B-1" in r.text
    assert 'name="a_BK_B_1" value="yes" checked' in r.text  # what was posted is kept
    assert "0 of 80 questions answered" in client.get(f"{BASE}/areas/backups").text
    assert client.get(f"{BASE}/areas/no-such-area").status_code == 404


def test_csrf_is_required(member: tuple[TestClient, User]) -> None:
    client, _user = member
    r = client.post(f"{BASE}/areas/backups", data={"a_BK_B_1": "yes"},
                    follow_redirects=False)
    assert r.status_code == 403
    assert "0 of 80" in client.get(f"{BASE}/areas/backups").text


def test_readers_read_and_outsiders_get_404(client: TestClient, community: Community) -> None:
    org = community.org("Delta Bank", sector="Bank")
    analyst = community.user(org)
    complete_directly(community, analyst, "partial")
    reader = community.user(org, role="reader", email="reader@delta.example")
    outsider = community.user(community.org("Epsilon"), role="hub-admin",
                              email="op@epsilon.example")
    assert sign_in(client, reader.email).status_code == 303
    home = client.get(BASE)
    assert "Latest results" in home.text and "Readers may read the results" in home.text
    assert "Start a new assessment" not in home.text
    link = re.search(rf'href="({BASE}/assessments/[0-9a-f-]+)"', home.text)
    assert link
    assert client.get(link.group(1)).status_code == 200
    assert client.get(f"{BASE}/areas/backups").status_code == 403
    client.cookies.clear()
    assert sign_in(client, outsider.email).status_code == 303
    for path in (link.group(1), link.group(1) + "/report.html", link.group(1) + "/report.pdf"):
        assert client.get(path).status_code == 404, path
    assert "No completed assessment yet" in client.get(BASE).text


def test_the_benchmark_shows_once_three_peers_have_completed(
        member: tuple[TestClient, User], community: Community) -> None:
    client, user = member
    for i, value in enumerate(("no", "partial", "yes")):
        complete_directly(community, community.user(community.org(f"Peer {i}", sector="Bank")),
                          value)
    complete_directly(community, user, "yes")
    home = client.get(BASE)
    link = re.search(rf'href="({BASE}/assessments/[0-9a-f-]+)"', home.text)
    assert link
    result = client.get(link.group(1))
    assert "Not enough peers yet" not in result.text
    assert "percentile in Bank" in result.text
    assert re.search(r'<span class="stat-value">80</span> <span>percentile', result.text)
