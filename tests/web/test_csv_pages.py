"""The CSV import pages: upload → preview (nothing stored) → mapping changes → import; a
saved mapping is offered again; broken files and bad mappings re-render with a message."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.formats.models import CsvMapping
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.factories import Community
from tests.web.helpers import alert, login, post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
COLUMNS = ["value:ipv4", "value:domain", "description", "first_seen", "labels", "confidence"]


@pytest.fixture
def analyst(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), email="ana@alpha.example")


def count(database: Database, model: type) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def upload(client, name: str, data: dict | None = None):
    content = (FIXTURES / name).read_bytes()
    return post(client, "/import/csv", data or {}, token_from="/import/csv",
                files={"file": (name, content, "text/csv")})


def test_upload_preview_and_import(client, database, analyst):
    login(client, analyst.email)
    assert 'href="/import/csv"' in client.get("/import").text
    r = upload(client, "indicators.csv")
    assert r.status_code == 303, r.text
    preview_url = r.headers["location"]
    token = re.fullmatch(r"/import/csv/([0-9a-f]{32})\?name=indicators.csv", preview_url)[1]
    page = client.get(preview_url).text
    assert "Encoding found: UTF-8 · delimiter: comma" in page
    assert "All 5 rows:" in page and "4 objects" in page and "2 rows skipped" in page
    assert "is not a valid value of the kind" in page
    assert "formula?" in page and "=cmd|&#39; /C calc&#39;!A0" in page, "shown escaped"
    assert '<option value="value:ipv4" selected>' in page
    assert count(database, Import) == 0 and count(database, StixObject) == 0

    # htmx: a changed mapping answers the fragment only.
    fragment = post(client, f"/import/csv/{token}/preview",
                    {"columns": ["ignore", "value:domain", "name", "ignore", "ignore",
                                 "ignore"], "header": "1", "output": "observable",
                     "name": "indicators.csv"},
                    token_from="/import/csv", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith("<div id=\"csv-preview\"")
    assert "observables carry no name or description" in fragment.text
    assert "2 objects" in fragment.text
    empty = post(client, f"/import/csv/{token}/preview", {"columns": ["name"], "header": "1"},
                 token_from="/import/csv", headers={"HX-Request": "true"})
    assert "Choose at least one column that holds values" in empty.text

    # Import with the mapping, saving it for the organisation.
    r = post(client, f"/import/csv/{token}", {
        "columns": COLUMNS, "header": "1", "output": "indicator", "name": "indicators.csv",
        "save_as": "Daily C2 sheet", "tlp": "GREEN", "mode": "strict"},
        token_from="/import/csv")
    assert r.status_code == 303, alert(r.text)
    job_page = client.get(r.headers["location"]).text
    assert "succeeded" in job_page and "Notices from the conversion" in job_page
    with database.transaction() as s:
        job = s.scalar(select(Import))
        assert job.status is ImportStatus.SUCCEEDED and job.objects_stored == 4
        assert s.scalar(select(CsvMapping.name)) == "Daily C2 sheet"
    assert client.get(preview_url).status_code == 404, "the pending file became the import"

    # The saved mapping is offered on the next upload, and applies.
    form = client.get("/import/csv").text
    assert "Daily C2 sheet" in form
    with database.transaction() as s:
        mapping_id = str(s.scalar(select(CsvMapping.id)))
    r = upload(client, "indicators.csv", {"mapping": mapping_id})
    page = client.get(r.headers["location"]).text
    assert f'<option value="{mapping_id}" selected>Daily C2 sheet</option>' in page


def test_bad_files_and_mappings_say_what_to_do(client, database, analyst, community):
    login(client, analyst.email)
    r = upload(client, "broken_quote.csv")
    page = client.get(r.headers["location"])
    assert page.status_code == 422 and "closing quote" in alert(page.text)
    r = upload(client, "indicators.csv")
    token = r.headers["location"].split("/")[3].split("?")[0]
    r = post(client, f"/import/csv/{token}", {"columns": ["name"], "tlp": "GREEN"},
             token_from="/import/csv")
    assert r.status_code == 422 and "at least one column that holds values" in alert(r.text)
    r = post(client, f"/import/csv/{token}", {"columns": COLUMNS, "tlp": "PURPLE"},
             token_from="/import/csv")
    assert r.status_code == 422 and "Unknown TLP marking" in alert(r.text)
    r = post(client, f"/import/csv/{token}/preview", {"columns": COLUMNS, "encoding": "utf-16"},
             token_from="/import/csv")
    assert r.status_code == 200 and "cannot be read that way" in r.text
    assert count(database, Import) == 0 and count(database, StixObject) == 0
    # Another member cannot open this upload.
    client.cookies.clear()
    other = community.user(community.org("Bravo"), email="b@bravo.example")
    login(client, other.email)
    assert client.get(f"/import/csv/{token}").status_code == 404
    r = client.post(f"/import/csv/{token}", data={"columns": COLUMNS, "tlp": "GREEN"})
    assert r.status_code == 403, "CSRF first"


def test_saved_mappings_are_listed_and_deleted_by_their_organisation_only(
        client, database, analyst, community):
    from cyberhub.audit import AuditEntry
    from cyberhub.formats.csv.mapping import Mapping
    from cyberhub.formats.csv.mappings import save_mapping
    from tests.factories import bearer

    with database.transaction() as s:
        row = save_mapping(s, community.viewer(analyst), "Daily C2 sheet",
                           Mapping(columns=("value:ipv4",), header=True, output="indicator"))
        mapping_id = str(row.id)
    outsider = community.user(community.org("Beta Bank"))
    token = community.token(outsider, "write")
    assert client.get(f"/api/v1/csv-mappings/{mapping_id}",
                      headers=bearer(token)).status_code == 404
    assert client.delete(f"/api/v1/csv-mappings/{mapping_id}",
                         headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/csv-mappings", headers=bearer(token)).json() == []
    mine = client.get("/api/v1/csv-mappings", headers=bearer(community.token(analyst))).json()
    assert [m["name"] for m in mine] == ["Daily C2 sheet"]
    assert mine[0]["spec"]["columns"] == ["value:ipv4"]

    login(client, analyst.email)
    assert "Your organisation's saved mappings" in html.unescape(client.get("/import/csv").text)
    r = post(client, f"/import/csv/mappings/{mapping_id}/delete", token_from="/import/csv")
    assert r.status_code == 303 and r.headers["location"] == "/import/csv"
    assert count(database, CsvMapping) == 0
    with database.transaction() as s:
        assert s.scalar(select(AuditEntry.action).where(
            AuditEntry.action == "csv_mapping.delete")) == "csv_mapping.delete"
