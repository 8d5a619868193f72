"""The knowledge base in the browser: search and value lookup, the object page under the
sharing rules, sightings, owners' changes, import with its status page, export."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cyberhub.audience import Audience
from cyberhub.community.models import Organisation, User
from cyberhub.db import Database
from cyberhub.intel import imports
from cyberhub.intel.models import Import, ImportStatus, StixObject
from cyberhub.intel.synthetic import Generator, bundle_bytes
from tests.factories import Community
from tests.web.helpers import alert, login, post

SHARED_IP = "45.13.7.99"


class Hub:
    """Three organisations with one analyst each, and a way to import into the hub."""

    def __init__(self, database: Database, community: Community, tmp: Path) -> None:
        self.database, self.community, self.tmp = database, community, tmp
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        for name in ("alpha", "bravo", "charlie"):
            self.orgs[name] = community.org(name.title())
            self.users[name] = community.user(self.orgs[name], email=f"{name}@kb.example")

    def import_(self, who: str, objects: list[dict[str, Any]], tlp: str = "GREEN",
                audience: tuple[str, ...] = ()) -> None:
        path = self.tmp / f"{uuid.uuid4()}.json"
        path.write_bytes(bundle_bytes(objects))
        viewer = self.community.viewer(self.users[who])
        with self.database.transaction() as s:
            job = imports.new_import(s, viewer, filename=path.name, tlp=tlp, audience=Audience(
                org_ids=[self.orgs[a].id for a in audience]))
            imports.stage_file(job, path)
            job_id = job.id
        done = imports.run(self.database, job_id, keep_source=True)
        assert done.status is ImportStatus.SUCCEEDED, (done.message, done.errors)

    def record_id(self, who: str, stix_id: str) -> str:
        with self.database.transaction() as s:
            return str(s.scalar(select(StixObject.id).where(
                StixObject.stix_id == stix_id, StixObject.owner_org_id == self.orgs[who].id)))

    def count(self, model: type[Any]) -> int:
        with self.database.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def hub(database, community, tmp_path) -> Hub:
    return Hub(database, community, tmp_path)


def indicator(gen: Generator, ip: str, name: str, **extra: Any) -> dict[str, Any]:
    obj = gen.indicator("ipv4")
    obj["pattern"] = f"[ipv4-addr:value = '{ip}']"
    obj["name"] = name
    return obj | extra


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- every page


def test_every_page_renders_for_members(client, hub):
    gen = Generator(seed=21)
    ind = indicator(gen, SHARED_IP, "Loader C2 server")
    fam = gen.malware() | {"name": "Qakbot"}
    rel = gen.relationship(ind["id"], fam["id"])
    hub.import_("alpha", [ind, fam, rel])
    rid = hub.record_id("alpha", ind["id"])
    login(client, hub.users["bravo"].email)
    for path in ("/objects", "/objects?q=loader", f"/objects?value={SHARED_IP}",
                 "/objects?type=indicator&tlp=GREEN&vetting=unverified&since=2020-01-01",
                 f"/objects/{rid}", f"/objects/{ind['id']}", f"/objects/{rid}/versions/1",
                 "/import", "/imports", "/export"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert 'aria-current="page">Knowledge base</a>' in r.text, path
        assert "style=" not in r.text and "<style" not in r.text, path  # CSP: no inline CSS
        assert "<script>" not in r.text and "javascript:" not in r.text, path
    page = client.get(f"/objects/{rid}").text
    words = text_of(page)
    assert "Loader C2 server" in words and "Alpha" in words and "TLP:GREEN" in words
    assert "indicates" in words and "Qakbot" in words  # the relationship, both ends visible
    assert SHARED_IP in words and "Version 1" in words
    # Search finds it by words and by value; the value lookup says who has it.
    assert f'href="/objects/{rid}"' in client.get("/objects?q=loader").text
    lookup = text_of(client.get(f"/objects?value={SHARED_IP}").text)
    assert "Who has seen" in lookup and "1 object you may see carries this value" in lookup
    assert "Loader C2 server" in lookup and "Alpha" in lookup


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ("/objects", "/import", "/imports", "/export", f"/objects/{uuid.uuid4()}"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/signin?next=" + path


def test_search_filters_and_pages(client, hub):
    gen = Generator(seed=22)
    hub.import_("alpha", [indicator(gen, f"45.13.8.{i}", f"Panel {i}") for i in range(30)])
    hub.import_("alpha", [gen.malware() | {"name": "Emotet"}], tlp="AMBER", audience=("bravo",))
    login(client, hub.users["bravo"].email)
    first = client.get("/objects?type=indicator").text
    assert first.count('class="primary" href="/objects/') == 25
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older, "no link to older results"
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert second.count('class="primary" href="/objects/') == 5
    assert "Emotet" not in second and ">Newest<" in second
    amber = text_of(client.get("/objects?tlp=AMBER").text)
    assert "Emotet" in amber and "Panel 1" not in amber
    r = client.get("/objects?since=31-01-2026")
    assert r.status_code == 422 and "must be a date" in alert(r.text)
    r = client.get("/objects?value=not a value at all")
    assert r.status_code == 200 and "Not a value the hub indexes." in r.text


def test_warning_listed_values_are_flagged_likely_benign(client, hub):
    gen = Generator(seed=23)
    hub.import_("alpha", [indicator(gen, "8.8.8.8", "Resolver seen in a phishing kit")])
    login(client, hub.users["bravo"].email)
    lookup = text_of(client.get("/objects?value=8.8.8.8").text)
    assert "Likely benign:" in lookup
    assert "Resolver seen in a phishing kit" in lookup


# ---------------------------------------------------------------- sharing rules


def test_an_object_another_org_may_not_see_answers_like_a_missing_one(client, hub):
    gen = Generator(seed=24)
    secret = indicator(gen, SHARED_IP, "Undercover lead")
    hub.import_("alpha", [secret], tlp="AMBER", audience=("bravo",))
    rid = hub.record_id("alpha", secret["id"])
    login(client, hub.users["charlie"].email)
    missing_id, missing_stix = str(uuid.uuid4()), f"indicator--{uuid.uuid4()}"
    for hidden, absent in ((f"/objects/{rid}", f"/objects/{missing_id}"),
                           (f"/objects/{secret['id']}", f"/objects/{missing_stix}"),
                           (f"/objects/{rid}/versions/1", f"/objects/{missing_id}/versions/1"),
                           (f"/objects/{rid}/sharing", f"/objects/{missing_id}/sharing"),
                           (f"/objects/{rid}/revoke", f"/objects/{missing_id}/revoke")):
        a, b = client.get(hidden), client.get(absent)
        assert a.status_code == b.status_code == 404, hidden
        assert a.text == b.text
    r = post(client, f"/objects/{rid}/sightings", {"count": "1"}, token_from="/objects")
    assert r.status_code == 404
    assert "Undercover lead" not in client.get("/objects").text
    assert "Undercover lead" not in client.get(f"/objects?value={SHARED_IP}").text
    # Bravo, in the audience, sees it.
    client.cookies.clear()
    login(client, hub.users["bravo"].email)
    assert "Undercover lead" in client.get(f"/objects/{rid}").text


def test_relationships_to_objects_you_may_not_see_do_not_reveal_them(client, hub):
    gen = Generator(seed=25)
    ind = indicator(gen, SHARED_IP, "Public C2")
    hidden = gen.malware() | {"name": "Secret family name"}
    rel = gen.relationship(ind["id"], hidden["id"])
    hub.import_("alpha", [hidden], tlp="RED")  # references must resolve: the target first
    hub.import_("alpha", [ind, rel])
    login(client, hub.users["bravo"].email)
    page = client.get(f"/objects/{hub.record_id('alpha', ind['id'])}").text
    assert "not visible to you" in page
    assert "Secret family name" not in page


def test_hostile_strings_come_back_escaped(client, hub):
    gen = Generator(seed=26)
    evil = indicator(gen, SHARED_IP, '<script>alert("n")</script>',
                     description='<img src=x onerror=alert(1)> "quoted" & more',
                     labels=["<b>label</b>"])
    hub.import_("alpha", [evil])
    rid = hub.record_id("alpha", evil["id"])
    login(client, hub.users["bravo"].email)
    for path in (f"/objects/{rid}", "/objects", f"/objects?value={SHARED_IP}",
                 f"/objects/{rid}/versions/1"):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "<b>label</b>" not in html, path
        assert "&lt;script&gt;alert(" in html, path
    assert "&lt;img src=x onerror=alert(1)&gt;" in client.get(f"/objects/{rid}").text


# ---------------------------------------------------------------- sightings


def test_report_a_sighting(client, hub):
    gen = Generator(seed=27)
    ind = indicator(gen, SHARED_IP, "Scanner")
    hub.import_("alpha", [ind])
    rid = hub.record_id("alpha", ind["id"])
    login(client, hub.users["bravo"].email)
    r = post(client, f"/objects/{rid}/sightings",
             {"count": "0", "first_seen": "2026-02-01T10:00", "tlp": "GREEN"},
             token_from=f"/objects/{rid}")
    assert r.status_code == 422 and "count must be between" in alert(r.text)
    assert 'value="2026-02-01T10:00"' in r.text  # the form keeps what was typed
    r = post(client, f"/objects/{rid}/sightings",
             {"count": "3", "first_seen": "2026-02-01T10:00", "last_seen": "2026-01-01T10:00"},
             token_from=f"/objects/{rid}")
    assert r.status_code == 422 and "last_seen must not be before" in alert(r.text)
    r = post(client, f"/objects/{rid}/sightings",
             {"count": "3", "first_seen": "2026-02-01T10:00", "last_seen": "2026-02-03T18:30",
              "tlp": "GREEN", "description": "Seen on our <b>VPN</b> gateway"},
             token_from=f"/objects/{rid}")
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(f"/objects/{rid}")
    page = client.get(r.headers["location"]).text
    words = text_of(page)
    assert "Your sighting is recorded." in words
    assert "Bravo" in words and "Feb 1, 2026, 10:00 AM" in words \
        and "Feb 3, 2026, 6:30 PM" in words
    assert "Seen on our &lt;b&gt;VPN&lt;/b&gt; gateway" in page
    # The owner sees it too.
    client.cookies.clear()
    login(client, hub.users["alpha"].email)
    assert "Seen on our" in client.get(f"/objects/{rid}").text


# ---------------------------------------------------------------- owners' changes


def test_owner_controls_are_hidden_and_refused_for_others(client, hub):
    gen = Generator(seed=28)
    fam = gen.malware() | {"name": "Owned family"}
    hub.import_("alpha", [fam])
    rid = hub.record_id("alpha", fam["id"])
    login(client, hub.users["bravo"].email)
    page = client.get(f"/objects/{rid}").text
    assert "Owned family" in page
    for control in ("Change sharing", f"/objects/{rid}/vetting", f"/objects/{rid}/revoke"):
        assert control not in page
    for path in (f"/objects/{rid}/sharing", f"/objects/{rid}/revoke"):
        assert client.get(path).status_code == 403
    for path, data in ((f"/objects/{rid}/sharing", {"tlp": "RED"}),
                       (f"/objects/{rid}/vetting", {"vetting": "vetted"}),
                       (f"/objects/{rid}/revoke", {})):
        assert post(client, path, data, token_from="/objects").status_code == 403, path

    client.cookies.clear()
    login(client, hub.users["alpha"].email)
    page = client.get(f"/objects/{rid}").text
    assert "Change sharing" in page and f"/objects/{rid}/revoke" in page
    r = post(client, f"/objects/{rid}/vetting", {"vetting": "vetted"}, token_from="/objects")
    assert r.status_code == 303
    assert "The vetting state is changed." in client.get(r.headers["location"]).text
    r = post(client, f"/objects/{rid}/sharing", {"tlp": "AMBER", "pap": "GREEN",
                                                 "org_ids": [str(hub.orgs["charlie"].id)]},
             token_from=f"/objects/{rid}/sharing")
    assert r.status_code == 303, r.text
    page = text_of(client.get(f"/objects/{rid}").text)
    assert "TLP:AMBER" in page and "PAP:GREEN" in page and "Vetted" in page
    r = post(client, f"/objects/{rid}/sharing", {"tlp": "GREEN",
                                                 "org_ids": [str(hub.orgs["charlie"].id)]},
             token_from=f"/objects/{rid}/sharing")
    assert r.status_code == 422 and "name an audience" in alert(r.text)
    r = post(client, f"/objects/{rid}/revoke", token_from=f"/objects/{rid}/revoke")
    assert r.status_code == 303
    page = text_of(client.get(f"/objects/{rid}").text)
    assert "Revoked" in page and "Version 2" in page
    # Bravo is no longer in the audience (AMBER for Charlie): the object is gone for Bravo.
    client.cookies.clear()
    login(client, hub.users["bravo"].email)
    assert client.get(f"/objects/{rid}").status_code == 404


# ---------------------------------------------------------------- import


def _upload(client, content: bytes, name: str = "bundle.json", **data: Any) -> Any:
    return post(client, "/import", {"tlp": "GREEN", "mode": "strict", **data},
                token_from="/import", files={"file": (name, content, "application/json")})


def test_import_needs_the_csrf_token(client, hub):
    login(client, hub.users["alpha"].email)
    content = bundle_bytes([Generator(seed=29).malware()])
    r = client.post("/import", data={"tlp": "GREEN"}, files={"file": ("b.json", content)},
                    follow_redirects=False)
    assert r.status_code == 403
    assert hub.count(Import) == 0


def test_bad_import_input_rerenders_the_form_and_stores_nothing(client, hub):
    login(client, hub.users["alpha"].email)
    content = bundle_bytes([Generator(seed=30).malware()])
    r = _upload(client, content, tlp="PURPLE")
    assert r.status_code == 422
    assert "Unknown TLP marking" in alert(r.text)
    assert 'enctype="multipart/form-data"' in r.text  # the form, again
    r = _upload(client, content, tlp="GREEN", mode="sloppy")
    assert r.status_code == 422 and "strict or lenient" in alert(r.text)
    r = _upload(client, b"", tlp="GREEN")
    assert r.status_code == 422 and "The file is empty." in alert(r.text)
    r = post(client, "/import", {"tlp": "GREEN"}, token_from="/import")
    assert r.status_code == 422 and "Choose the file" in alert(r.text)
    assert hub.count(Import) == 0 and hub.count(StixObject) == 0


def test_upload_imports_and_the_status_page_shows_the_outcome(client, hub):
    gen = Generator(seed=31)
    ind = indicator(gen, SHARED_IP, "Uploaded C2")
    objects = [ind, gen.malware(), indicator(gen, "45.13.7.100", "Second")]
    login(client, hub.users["alpha"].email)
    r = _upload(client, bundle_bytes(objects), name="campaign.json", tlp="AMBER",
                org_ids=[str(hub.orgs["bravo"].id)])
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert re.fullmatch(r"/imports/[0-9a-f-]{36}", location)
    page = client.get(location).text
    words = text_of(page)
    assert "campaign.json" in words and "succeeded" in words
    assert "Seen 3" in words and "Stored 3" in words and "Invalid 0" in words
    assert "3 objects stored." in words
    assert 'hx-trigger="every 1s"' not in page  # finished: nothing to poll
    assert "campaign.json" in client.get("/imports").text
    # Bravo, in the audience, finds it; Charlie does not.
    client.cookies.clear()
    login(client, hub.users["bravo"].email)
    assert "Uploaded C2" in client.get(f"/objects?value={SHARED_IP}").text
    assert client.get(location).status_code == 404  # an import is its uploader's
    client.cookies.clear()
    login(client, hub.users["charlie"].email)
    assert "Uploaded C2" not in client.get(f"/objects?value={SHARED_IP}").text


def test_a_strict_import_with_invalid_objects_lists_the_problems(client, hub):
    gen = Generator(seed=32)
    good = gen.malware()
    bad = indicator(gen, SHARED_IP, "Broken") | {"pattern": "[ipv4-addr:value = "}
    login(client, hub.users["alpha"].email)
    r = _upload(client, bundle_bytes([good, bad]), name="broken.json")
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    words = text_of(page)
    assert "rejected" in words and "Nothing was stored" in words
    assert "Problems" in words and bad["id"] in words and "pattern" in words
    assert hub.count(StixObject) == 0
    r = _upload(client, bundle_bytes([good, bad]), name="broken.json", mode="lenient")
    words = text_of(client.get(r.headers["location"]).text)
    assert "succeeded" in words and "1 invalid object was left out." in words


def test_the_status_fragment_polls_while_the_import_waits(client, hub, tmp_path):
    path = tmp_path / "queued.json"
    path.write_bytes(bundle_bytes([Generator(seed=33).malware()]))
    viewer = hub.community.viewer(hub.users["alpha"])
    with hub.database.transaction() as s:
        job = imports.new_import(s, viewer, filename="queued.json", tlp="GREEN")
        imports.stage_file(job, path)
        job_id = job.id
    login(client, hub.users["alpha"].email)
    page = client.get(f"/imports/{job_id}").text
    assert f'hx-get="/imports/{job_id}/status" hx-trigger="every 1s"' in page
    assert "queued" in text_of(page)
    fragment = client.get(f"/imports/{job_id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="import-status"')
    assert "<html" not in fragment.text and 'hx-trigger="every 1s"' in fragment.text
    imports.run(hub.database, job_id, keep_source=True)
    fragment = client.get(f"/imports/{job_id}/status", headers={"HX-Request": "true"}).text
    assert 'hx-trigger="every 1s"' not in fragment and "succeeded" in fragment
    # Without htmx, the fragment's address leads to the page.
    r = client.get(f"/imports/{job_id}/status", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/imports/{job_id}"


def test_readers_may_not_import(client, hub, community):
    reader = community.user(hub.orgs["alpha"], role="reader")
    login(client, reader.email)
    assert client.get("/import").status_code == 403
    r = _upload(client, bundle_bytes([Generator(seed=34).malware()]))
    assert r.status_code == 403
    assert hub.count(Import) == 0


# ---------------------------------------------------------------- export


def test_export_page_offers_the_rest_export(client, hub):
    login(client, hub.users["alpha"].email)
    page = client.get("/export").text
    assert 'action="/api/v1/export"' in page and 'method="get"' in page
    for field in ('name="format" value="stix"', 'name="format" value="csv"',
                  'name="format" value="blocklist"', 'name="kind"', 'name="type"',
                  'name="tlp"', 'name="since"'):
        assert field in page, field


def test_an_object_page_audits_one_read_of_a_sensitive_object(client, hub):
    """The page shows the object, its versions, relationships and sightings: one read."""
    from cyberhub.audit import AuditEntry

    gen = Generator(seed=31)
    secret = indicator(gen, SHARED_IP, "Strictly for the two agencies")
    hub.import_("alpha", [secret], tlp="AMBER+STRICT", audience=("bravo",))
    rid = hub.record_id("alpha", secret["id"])
    login(client, hub.users["bravo"].email)
    assert client.get(f"/objects/{rid}").status_code == 200
    with hub.database.transaction() as s:
        reads = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "record.read", AuditEntry.target_id == rid))
    assert reads == 1
