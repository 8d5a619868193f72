"""Forms sent back at a person's pace (ASVS 4.0.3 V11.1.2, ``web.pace``): a form that
comes back sooner than ``CYBERHUB_MIN_FORM_SECONDS`` after its page was shown, or whose
stamp is missing, forged, another browser's or stale, is refused and stores nothing; at a
person's pace it is taken. The API is not paced. The stamps run on a clock the tests
move, never on the wall clock; on both engines."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cyberhub.community import security
from cyberhub.community.models import User
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.deps import SESSION_COOKIE
from cyberhub.notes.models import Note
from cyberhub.ransomware.models import Incident, ReportLink
from cyberhub.refdata import service as refdata
from cyberhub.web import pace
from tests.factories import PASSWORD, Community, bearer
from tests.observability.test_metrics import sample, scrape
from tests.ransomware.conftest import SMALL_GALAXY
from tests.state import snapshot
from tests.web.helpers import alert

START = 1_800_000_000.0  # 2027-01-15, in seconds since the epoch


class Clock:
    """The clock form stamps are made and judged by, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(pace, "clock", c)
    return c


@pytest.fixture
def paced(settings: Settings, clock: Clock) -> Clock:
    """The hub's default: two seconds at least between showing a form and taking it."""
    settings.min_form_seconds = 2.0
    return clock


@pytest.fixture
def alice(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), "analyst", email="alice@example.org")


def shown(client: TestClient, path: str) -> dict[str, str]:
    """The hidden fields the page at ``path`` hands this browser: its CSRF token and the
    form's stamp."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    fields = dict(re.findall(r'name="(csrf_token|form_stamp)" value="([^"]*)"', r.text))
    assert set(fields) == {"csrf_token", "form_stamp"}, f"no stamped form on {path}"
    return fields


def signin(client: TestClient, fields: dict[str, str], **over: Any) -> Any:
    data = {"email": "alice@example.org", "password": PASSWORD, **fields, **over}
    return client.post("/signin", data={k: v for k, v in data.items() if v is not None},
                       follow_redirects=False)


def refusals(app: Any, status: str, code: str) -> float:
    return sample(scrape(app), "cyberhub_security_refusals_total", status=status, code=code) or 0


def test_a_sign_in_sent_too_fast_is_refused_counted_and_stores_nothing(
        app: Any, client: TestClient, database: Database, alice: User, paced: Clock) -> None:
    fields = shown(client, "/signin")
    before = snapshot(database, skip=frozenset())
    counted = refusals(app, "429", "form_too_fast")
    paced.advance(0.4)
    r = signin(client, fields)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "2"
    assert SESSION_COOKIE not in r.cookies
    assert "faster than a person" in alert(r.text)
    # The form is shown again with what was typed (never the password) and a new stamp.
    assert 'value="alice@example.org"' in r.text and PASSWORD not in r.text
    assert f'value="{fields["form_stamp"]}"' not in r.text
    # Not even a failed sign-in is counted: nothing at all is written.
    assert snapshot(database, skip=frozenset()) == before
    assert refusals(app, "429", "form_too_fast") == counted + 1


def test_a_sign_in_at_a_person_s_pace_is_taken(client: TestClient, alice: User,
                                               paced: Clock) -> None:
    fields = shown(client, "/signin")
    paced.advance(2.0)
    r = signin(client, fields)
    assert r.status_code == 303, r.text
    assert SESSION_COOKIE in r.cookies


def test_a_missing_forged_other_browser_s_or_stale_stamp_is_refused(
        app: Any, client: TestClient, database: Database, alice: User, paced: Clock) -> None:
    fields = shown(client, "/signin")
    issued = fields["form_stamp"].partition(".")[0]
    with TestClient(client.app, base_url="http://testserver") as other:
        others = shown(other, "/signin")["form_stamp"]
    made_elsewhere = security.hmac_hex("another-hub-key", f"form-stamp:{issued}:csrf:anon:x")
    paced.advance(60)
    before = snapshot(database, skip=frozenset())
    counted = refusals(app, "403", "form_stamp_invalid")
    bad = [None, "", "soon", f"{int(START * 1000) - 60_000}.{'0' * 64}",
           f"{issued}.{made_elsewhere}", others, pace.stamp(None, "another-browser")]
    for stamp in bad:
        r = signin(client, fields, form_stamp=stamp)
        assert r.status_code == 403, (stamp, r.status_code)
        assert "has expired or was not shown by this page" in alert(r.text)
        assert 'value="alice@example.org"' in r.text
        assert SESSION_COOKIE not in r.cookies
    # A genuine stamp of this browser, left open longer than a day.
    paced.advance(pace.MAX_AGE)
    assert signin(client, fields).status_code == 403
    assert snapshot(database, skip=frozenset()) == before
    assert refusals(app, "403", "form_stamp_invalid") == counted + len(bad) + 1


def test_a_stamp_made_before_a_key_rotation_still_counts(
        client: TestClient, settings: Settings, alice: User, paced: Clock) -> None:
    fields = shown(client, "/signin")
    settings.previous_secret_keys = settings.secret_key
    settings.secret_key = "the-new-secret-key"
    # The CSRF token of the old key counts too (previous_secret_keys).
    paced.advance(5)
    assert signin(client, fields).status_code == 303


def test_the_second_step_of_sign_in_is_paced(client: TestClient, community: Community,
                                             paced: Clock) -> None:
    # An address of its own: Community.enrol keeps each address's authenticator for the
    # whole run, and other tests enrol alice@example.org their own way.
    email = "paced-second-step@example.org"
    totp = community.enrol(community.user(community.org("Beta CERT"), email=email))
    fields = shown(client, "/signin")
    paced.advance(3)
    r = signin(client, fields, email=email)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin/2fa")
    step = shown(client, "/signin/2fa")
    r = client.post("/signin/2fa", data={**step, "code": totp.now()}, follow_redirects=False)
    assert r.status_code == 429 and client.get("/api/v1/me").status_code == 401
    paced.advance(3)
    r = client.post("/signin/2fa", data={**step, "code": totp.now()}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get("/api/v1/me").status_code == 200


# ---------------------------------------------------------------- a victim's report


REPORT = {"discovered": "2026-05-02", "family": "LockBit", "access_vector": "phishing",
          "sector": "Health", "country": "BE", "victim_name": "St. Example Hospital",
          "victim_contact": "it@hospital.example", "notes": "they called us"}


@pytest.fixture
def report_path(client: TestClient, database: Database, community: Community) -> str:
    refdata.load(database, ["ransomware"], files=[SMALL_GALAXY])
    issuer = community.user(community.org("Issuer"), email="issuer@x.example")
    r = client.post("/api/v1/ransomware/report-links", json={},
                    headers=bearer(community.token(issuer, scope="write")))
    assert r.status_code == 201, r.text
    return str(r.json()["url"]).removeprefix("http://testserver")


def _incidents(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Incident)) or 0)


def test_a_victim_s_report_sent_too_fast_is_refused_then_taken_at_a_person_s_pace(
        client: TestClient, database: Database, report_path: str, paced: Clock) -> None:
    with TestClient(client.app, base_url="http://testserver") as victim:
        fields = shown(victim, report_path)
        before = snapshot(database, skip=frozenset())
        paced.advance(1)
        r = victim.post(report_path, data={**REPORT, **fields})
        assert r.status_code == 429
        assert "faster than a person" in alert(r.text)
        # Everything the victim typed is on the form again.
        assert "St. Example Hospital" in r.text and "they called us" in r.text
        assert snapshot(database, skip=frozenset()) == before
        assert _incidents(database) == 0
        # A bot that copies a stamp from another browser gets nowhere either.
        with TestClient(client.app, base_url="http://testserver") as bot:
            own = shown(bot, report_path)
            paced.advance(5)
            r = bot.post(report_path, data={**REPORT, **own,
                                             "form_stamp": fields["form_stamp"]})
            assert r.status_code == 403
            assert "has expired or was not shown by this page" in alert(r.text)
        assert _incidents(database) == 0
        r = victim.post(report_path, data={**REPORT, **fields})
        assert r.status_code == 200, r.text
        assert "your report is received" in r.text
    assert _incidents(database) == 1
    with database.transaction() as s:
        link = s.scalar(select(ReportLink))
        assert link is not None and link.used_at is not None


# ---------------------------------------------------------------- members' create forms


CREATE_FORMS = ["/notes/new", "/dialogues/new", "/insights/new", "/meetings/new",
                "/lessons/new", "/operations/new", "/packages/new",
                "/ransomware/incidents/new", "/ransomware/decryptors/new"]


def _notes(database: Database) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Note)) or 0)


def test_a_member_s_create_form_sent_too_fast_is_refused(
        client: TestClient, database: Database, alice: User, paced: Clock) -> None:
    fields = shown(client, "/signin")
    paced.advance(3)
    assert signin(client, fields).status_code == 303
    for path in CREATE_FORMS:
        shown(client, path)  # every create form carries a stamp
    fields = shown(client, "/notes/new")
    note = {"title": "Phishing kit on bulletproof host", "tlp": "GREEN", "body": "seen twice"}
    r = client.post("/notes/new", data={**note, **fields}, follow_redirects=False)
    assert r.status_code == 429
    assert "Phishing kit on bulletproof host" in r.text and "seen twice" in r.text
    r = client.post("/notes/new", data={**note, "csrf_token": fields["csrf_token"]},
                    follow_redirects=False)
    assert r.status_code == 403
    assert _notes(database) == 0
    paced.advance(30)
    r = client.post("/notes/new", data={**note, **fields}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert _notes(database) == 1


# ---------------------------------------------------------------- what is not paced


def test_the_api_is_not_paced(client: TestClient, database: Database, community: Community,
                              alice: User, paced: Clock) -> None:
    """Automation is what the API is for: a token writes as fast as it likes, and so does
    a browser's session through the API (with its CSRF header)."""
    token = community.token(alice, scope="write")
    for n in range(3):
        r = client.post("/api/v1/notes", json={"title": f"note {n}", "tlp": "GREEN"},
                        headers=bearer(token))
        assert r.status_code == 201, r.text
    fields = shown(client, "/signin")
    paced.advance(5)
    assert signin(client, fields).status_code == 303
    csrf_token = shown(client, "/notes/new")["csrf_token"]
    r = client.post("/api/v1/notes", json={"title": "from the page", "tlp": "GREEN"},
                    headers={"x-csrf-token": csrf_token})
    assert r.status_code == 201, r.text
    assert _notes(database) == 4


def test_zero_turns_the_check_off(client: TestClient, settings: Settings, alice: User,
                                  clock: Clock) -> None:
    settings.min_form_seconds = 0
    fields = shown(client, "/signin")
    assert signin(client, fields, form_stamp=None).status_code == 303


def test_two_seconds_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CYBERHUB_MIN_FORM_SECONDS", raising=False)
    assert Settings(secret_key="k").min_form_seconds == 2.0
    monkeypatch.setenv("CYBERHUB_MIN_FORM_SECONDS", "0")
    assert Settings(secret_key="k").min_form_seconds == 0


def test_the_refusal_speaks_the_reader_s_language(client: TestClient, alice: User,
                                                  paced: Clock) -> None:
    client.headers["accept-language"] = "fr"
    r = signin(client, shown(client, "/signin"))
    assert r.status_code == 429
    assert "plus vite qu'une personne ne le remplit" in alert(r.text).replace("&#39;", "'")
