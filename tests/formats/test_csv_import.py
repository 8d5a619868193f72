"""CSV import end to end: a saved mapping, the import job through the STIX pipeline (values
indexed, notices kept), the CLI and the REST API; a broken file stores nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cyberhub.cli import app as cli
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.errors import InvalidInput, NotFound, PermissionDenied
from cyberhub.formats.csv import Mapping, mappings
from cyberhub.intel import imports, service
from cyberhub.intel.models import Import, ImportStatus, StixObject
from tests.factories import Community, bearer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "csv"
MAPPING = Mapping(columns=("value:ipv4", "value:domain", "description", "first_seen", "labels",
                           "confidence"))


@pytest.fixture
def member(community: Community) -> User:
    return community.user(community.org("Alpha CERT"), role="analyst",
                          email="ana@alpha.example")


def stored(database: Database) -> list[StixObject]:
    with database.transaction() as s:
        return list(s.scalars(select(StixObject).order_by(StixObject.name)))


def run_csv(database: Database, community: Community, user: User, path: Path,
            mapping: Mapping, tmp_path: Path, mode: str = "strict") -> Import:
    local = tmp_path / path.name
    shutil.copy(path, local)
    with database.transaction() as s:
        job = imports.new_import(s, community.viewer(user), filename=path.name, tlp="GREEN",
                                 fmt="csv", options=mapping.as_dict(), mode=mode)
        imports.stage_file(job, local)
        job_id = job.id
    return imports.run(database, job_id, keep_source=True)


def test_a_csv_file_is_imported_with_its_notices(database, community, member, tmp_path):
    job = run_csv(database, community, member, FIXTURES / "indicators.csv", MAPPING, tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    assert job.objects_stored == 4
    assert job.format == "csv" and job.options["columns"] == list(MAPPING.columns)
    messages = [n["message"] for n in job.notices]
    assert any("Skipped row at line 4" in m for m in messages)
    assert {n["index"] for n in job.notices} == {4, 5, 6}
    objects = stored(database)
    assert {o.type for o in objects} == {"indicator"}
    viewer = community.viewer(member)
    with database.transaction() as s:
        found = service.correlate_values(s, viewer, service.value_keys("c2.shadow-loader.example"))
        assert found and found[0].total == 1, "the values are indexed for correlation"
    again = run_csv(database, community, member, FIXTURES / "indicators.csv", MAPPING, tmp_path)
    assert again.status is ImportStatus.SUCCEEDED
    assert len(stored(database)) == 4, "the same file again meets the same indicators"


def test_observables_with_dates_become_observed_data(database, community, member, tmp_path):
    mapping = Mapping(columns=MAPPING.columns, output="observable")
    job = run_csv(database, community, member, FIXTURES / "indicators.csv", mapping, tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    types = sorted(o.type for o in stored(database))
    assert types.count("observed-data") == 4
    assert {"ipv4-addr", "domain-name"} <= set(types)


@pytest.mark.parametrize(("name", "mapping", "count"), [
    ("iban_semicolon_cp1252.csv", Mapping(columns=("value:iban", "name", "first_seen",
                                                   "description")), 2),
    ("hashes_utf16.tsv", Mapping(columns=("value:sha256", "name")), 2),
    ("bom_crlf_mixed.csv", Mapping(columns=("value:url", "name")), 3),
])
def test_other_encodings_and_shapes(database, community, member, tmp_path, name, mapping,
                                    count):
    job = run_csv(database, community, member, FIXTURES / name, mapping, tmp_path)
    assert job.status is ImportStatus.SUCCEEDED, (job.message, job.errors)
    assert job.objects_stored == count


def test_a_broken_file_fails_and_stores_nothing(database, community, member, tmp_path):
    job = run_csv(database, community, member, FIXTURES / "broken_quote.csv",
                  Mapping(columns=("value:ipv4", "name")), tmp_path)
    assert job.status is ImportStatus.FAILED
    assert "closing quote" in job.message
    assert stored(database) == []
    job = run_csv(database, community, member, FIXTURES / "indicators.csv",
                  Mapping(columns=("name",)), tmp_path)
    assert job.status is ImportStatus.FAILED
    assert "at least one column that holds values" in job.message


def test_saved_mappings_belong_to_the_organisation(database, community, member):
    with database.transaction() as s:
        alpha = s.get(User, member.id).organisation
    colleague = community.user(alpha, role="reader", email="r@alpha.example")
    outsider = community.user(community.org("Bravo Bank"), email="b@bravo.example")
    ana, reader, other = (community.viewer(u) for u in (member, colleague, outsider))
    with database.transaction() as s:
        saved = mappings.save_mapping(s, ana, "  Daily   C2 list ", MAPPING)
        assert saved.name == "Daily C2 list"
        again = mappings.save_mapping(s, ana, "Daily C2 list",
                                      Mapping(columns=("value:url",)))
        assert again.id == saved.id, "saving under the same name replaces it"
    with database.transaction() as s:
        assert mappings.load(s, reader, "Daily C2 list").columns == ("value:url",)
        assert mappings.load(s, reader, str(saved.id)).name == "Daily C2 list"
        with pytest.raises(NotFound):
            mappings.load(s, other, str(saved.id))
        with pytest.raises(PermissionDenied):
            mappings.save_mapping(s, reader, "mine", MAPPING)
        with pytest.raises(InvalidInput, match="at least one column"):
            mappings.save_mapping(s, ana, "empty", Mapping(("name",)))
        with pytest.raises(InvalidInput, match="name of 1 to 100"):
            mappings.save_mapping(s, ana, "x" * 101, MAPPING)
        assert [m.name for m in mappings.list_mappings(s, other)] == []


def test_cli_and_api_import_with_a_saved_mapping(client, database, community, member,
                                                 settings, tmp_path):
    ana = community.viewer(member)
    with database.transaction() as s:
        mappings.save_mapping(s, ana, "C2 sheet", MAPPING)
    path = tmp_path / "indicators.csv"
    shutil.copy(FIXTURES / "indicators.csv", path)
    result = CliRunner().invoke(cli, ["import", str(path), "--as", member.email, "--tlp",
                                      "GREEN", "--format", "csv", "--mapping", "C2 sheet"])
    assert result.exit_code == 0, result.output
    assert "Skipped row at line 4" in result.stderr
    result = CliRunner().invoke(cli, ["import", str(path), "--as", member.email, "--format",
                                      "csv"])
    assert result.exit_code != 0 and "--mapping" in result.output + result.stderr
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StixObject)) == 4

    token = community.token(member, scope="write")
    body = (FIXTURES / "iban_semicolon_cp1252.csv").read_bytes()
    with database.transaction() as s:
        mappings.save_mapping(s, ana, "IBANs",
                              Mapping(columns=("value:iban", "name")))
    r = client.post("/api/v1/import?tlp=GREEN&format=csv&mapping=IBANs&filename=ibans.csv",
                    content=body, headers={**bearer(token), "Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    job = client.get(r.headers["Location"], headers=bearer(token)).json()
    assert job["status"] == "succeeded", job
    assert job["counts"]["stored"] == 2 and job["notices"][0]["index"] == 4
    r = client.post("/api/v1/import?tlp=GREEN&format=csv", content=body,
                    headers={**bearer(token), "Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "mapping"
    r = client.post("/api/v1/import?tlp=GREEN&format=csv&mapping=nope", content=body,
                    headers={**bearer(token), "Content-Type": "text/csv"})
    assert r.status_code == 422 and "no CSV mapping 'nope'" in r.json()["error"]["message"]


def test_csv_notices_are_written_in_the_language_of_whoever_started_the_import(
        client, database, community, member):
    from cyberhub import i18n

    with database.transaction() as s:
        mappings.save_mapping(s, community.viewer(member), "IBANs",
                              Mapping(columns=("value:iban", "name")))
    token = community.token(member, scope="write")
    body = (FIXTURES / "iban_semicolon_cp1252.csv").read_bytes()
    notices = {}
    for language in ("en", "fr"):
        r = client.post("/api/v1/import?tlp=GREEN&format=csv&mapping=IBANs&filename=ibans.csv",
                        content=body, headers={**bearer(token), "Content-Type": "text/csv",
                                               "Accept-Language": language})
        assert r.status_code == 202, r.text
        job = client.get(r.headers["Location"], headers=bearer(token)).json()
        notices[language] = job["notices"][0]["message"]
        with i18n.use_locale(language):
            skipped = i18n.gettext("Skipped %(where)s: %(why)s.").split("%(where)s")[0]
        assert notices[language].startswith(skipped), (language, notices)
    assert notices["en"].startswith("Skipped ") and notices["fr"] != notices["en"]
