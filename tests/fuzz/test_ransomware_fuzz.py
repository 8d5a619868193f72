"""Hostile files through the ransomware imports, end to end: leak-site posts (JSON Lines)
and ransom payments (chain-explorer exports), each through its REST operation
(``POST /api/v1/ransomware/leak-posts/import``, ``…/payments/import``) and its page's
form (``/ransomware/leak-posts/import``, ``/ransomware/payments/import``).

Every body starts from a real, valid file the hub accepts (the posts of
``tests/ransomware/test_leakposts_import.py``, the Etherscan, Esplora and generic CSV
fixtures) and is spoilt structurally, line by line and then byte-wise
(``tests/fuzz/hostile.py``), or is random bytes; the markings, modes, formats, chains,
wallets and audiences beside it are hostile too. Whatever arrives, the hub must

- refuse it with a 4xx and the one error body (or the form again, its alert) naming the
  problem — never a 5xx — and then store nothing: no post, import record, transaction,
  audience entry or audit entry;
- or accept it (201) and store exactly what its answer counts: as many posts (or
  transactions) as it says it stored, each with the marking asked for and the audience
  named, and account for every line or payment (stored, duplicate, skipped, unchanged).

Bounded and deterministic (derandomized, no example database); the example counts are
in docs/security.md#fuzzing.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub.audit import AuditEntry
from cyberhub.db import Database
from cyberhub.ransomware.models import WalletTransaction
from cyberhub.ransomware.models_leakposts import LeakPost, LeakPostImport
from cyberhub.refdata import service as refdata
from cyberhub.sharing import AudienceEntry
from tests.factories import Community, bearer, csrf_of, sign_in
from tests.fuzz.hostile import dumps, form, hostile_text, mutated, short_text, spoilt_bytes
from tests.fuzz.test_import_fuzz import assert_page_refusal, assert_refusal, fuzz
from tests.ransomware.conftest import SMALL_GALAXY
from tests.ransomware.test_leakposts_import import post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ransomware" / "payments"
LEAK_API = "/api/v1/ransomware/leak-posts/import"
LEAK_PAGE = "/ransomware/leak-posts/import"
PAY_API = "/api/v1/ransomware/payments/import"
PAY_PAGE = "/ransomware/payments/import"
TABLES = (LeakPost, LeakPostImport, WalletTransaction, AudienceEntry, AuditEntry)


@dataclass
class Hub:
    client: TestClient
    database: Database
    email: str
    token: str
    own: str  # the importer's organisation id
    other: str  # another organisation's id (a recipient)

    def count(self) -> dict[str, int]:
        """The rows an import may write: what a refused one must leave as it was."""
        with self.database.transaction() as s:
            return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                    for m in TABLES}

    def signed_in(self) -> TestClient:
        browser = TestClient(self.client.app, base_url="http://testserver")
        assert sign_in(browser, self.email).status_code == 303
        return browser


@pytest.fixture
def hub(client: TestClient, database: Database, community: Community) -> Hub:
    refdata.load(database, ["ransomware"], files=[SMALL_GALAXY])  # six families to match
    alpha, bravo = community.org("Alpha CERT"), community.org("Bravo Bank", kind="financial")
    ana = community.user(alpha, email="ana@alpha.example")
    return Hub(client, database, ana.email, community.token(ana, scope="write"),
               str(alpha.id), str(bravo.id))


def sendable(value: Any) -> Any:
    """A multipart field as a browser can send it (no lone surrogates: they have no UTF-8)."""
    if isinstance(value, dict):
        return {k: sendable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sendable(v) for v in value]
    return value.encode("utf-8", "replace").decode() if isinstance(value, str) else value


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before}


def refused(hub: Hub, r: Any, before: dict[str, int], *, page: bool = False) -> None:
    event(f"refused {r.status_code}")
    if page:
        assert_page_refusal(r)
    else:
        assert_refusal(r)
    assert hub.count() == before, "a refused import stored something"


# Mostly a marking the import accepts, so that most requests get past it to the file.
TLPS = st.one_of(st.just("GREEN"), st.just("GREEN"), st.sampled_from([
    "GREEN", "AMBER", "AMBER+STRICT", "RED", "CLEAR", "amber", "tlp:amber", "WHITE", ""]),
    short_text)


@st.composite
def audiences(draw: st.DrawFn, hub: Hub) -> list[str]:
    return draw(st.lists(st.one_of(st.sampled_from([hub.other, hub.other, hub.own, ""]),
                                   st.uuids().map(str), short_text), max_size=2))


# ------------------------------------------------------------------------ leak posts


POSTS = [post(), post(post_title="Demo Meadow Clinic", group_name="LockBit 3.0",
                      website="meadow-clinic.example", country="Netherlands",
                      activity="Healthcare"),
         # The other spellings monitors use (title, group, date, site, sector).
         {"title": "Demo Quay Foods", "group": "wannacry", "discovered": "2026-02-01",
          "date": "2026-01-31", "summary": "Files published.", "site": "quay-foods.example",
          "url": "http://leak.example/quay", "country": "DE", "sector": "Agriculture"},
         post(post_title="Demo Lantern Bank", group_name="unknowngroup", published="",
              country="not found", activity="n/a")]


@st.composite
def jsonl_bodies(draw: st.DrawFn) -> bytes:
    """A monitor's JSON Lines file: the posts spoilt structurally, then its lines (blank,
    over-long, not JSON, CRLF), then its bytes; or random bytes."""
    if draw(st.integers(0, 9), label="random bytes?") == 0:
        return draw(st.binary(max_size=300), label="random")
    # A fresh title now and then, so that imports store posts and do not only find
    # duplicates of earlier examples.
    posts = [dict(p) for p in POSTS[:draw(st.integers(1, len(POSTS)))]]
    posts[0]["post_title"] = f"Demo {draw(st.integers(0, 10**6))}"
    doc = draw(mutated(posts, 3), label="posts")
    lines = [dumps(p) for p in doc] if isinstance(doc, list) else [dumps(doc)]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from([
            b"", b"   ", b"\t", b"[]", b"null", b"{}", b"{", b'"x"', b"\xef\xbb\xbf{}",
            b'{"post_title": "' + b"x" * 70_000 + b'"}', json.dumps(
                post(post_title=draw(hostile_text), group_name=draw(hostile_text))).encode(),
        ]), label="line"))
    newline = draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"]), label="newline")
    return draw(spoilt_bytes(newline.join(lines) + newline), label="body")  # type: ignore[no-any-return]


def check_leak_import(hub: Hub, r: Any, before: dict[str, int], result: dict[str, Any],
                      *, tlp: str, recipients: int) -> None:
    """An accepted import stored exactly the posts it counts, marked as asked."""
    event("leak posts: some stored" if result["stored"] else "leak posts: none stored")
    changed = delta(before, hub.count())
    assert changed["ransomware_leak_posts"] == result["stored"], (changed, result)
    assert changed["ransomware_leak_post_imports"] == 1, changed
    assert changed["audience_entries"] == result["stored"] * recipients, (changed, result)
    assert changed["ransomware_wallet_transactions"] == 0, changed
    assert result["lines"] == result["stored"] + result["duplicates"] + result["skipped"], \
        result
    assert result["skipped"] == result["error_count"], result
    for e in result["errors"]:
        assert isinstance(e["problem"], str) and e["problem"].strip(), e
    with hub.database.transaction() as s:
        rows = list(s.scalars(select(LeakPost).where(
            LeakPost.import_id == uuid.UUID(result["import_id"]))))
    assert len(rows) == result["stored"]
    for row in rows:
        assert row.tlp.value == tlp and str(row.owner_org_id) == hub.own, row
        assert row.post_title.strip() and row.group_name.strip(), row


def marking(raw: str) -> str:
    """The TLP an accepted request stored under (as ``audience.clean_tlp`` reads it)."""
    return raw.upper().removeprefix("TLP:")


def recipients(tlp: str, audience: list[str]) -> int:
    """How many audience entries each stored record gets: its distinct recipients (only
    AMBER and AMBER+STRICT records name organisations)."""
    if tlp not in ("AMBER", "AMBER+STRICT"):
        return 0
    return len({a.lower() for a in audience if a})


@fuzz(100)
@given(data=st.data())
def test_leak_post_import_api(hub: Hub, data: st.DataObject) -> None:
    """Spoilt JSON Lines (and random bytes) through the API, with hostile markings,
    modes, audiences and file names."""
    body = data.draw(jsonl_bodies(), label="body")
    query = data.draw(st.fixed_dictionaries({
        "tlp": TLPS, "mode": st.sampled_from(["strict", "strict", "lenient", "lenient", "x"])},
        optional={"org_ids": audiences(hub), "pap": st.sampled_from(["GREEN", "RED", "x"]),
                  "filename": short_text}), label="query")
    before = hub.count()
    r = hub.client.post(LEAK_API + "?" + form(query).decode(), content=body,
                        headers={**bearer(hub.token), "Content-Type": "application/x-ndjson"})
    if r.status_code != 201:
        refused(hub, r, before)
        return
    result = r.json()
    assert query["mode"] in ("strict", "lenient"), query
    if query["mode"] == "strict":
        assert result["error_count"] == 0 and result["skipped"] == 0, result
    tlp = marking(query["tlp"])
    check_leak_import(hub, r, before, result, tlp=tlp,
                      recipients=recipients(tlp, query.get("org_ids", [])))


LEAK_RESULT = re.compile(r"<li>(\d+) posts? stored</li>\s*<li>(\d+) duplicates? left out")


@fuzz(30)
@given(data=st.data())
def test_leak_post_import_page(hub: Hub, data: st.DataObject) -> None:
    """The import form: spoilt files under hostile names, markings and modes."""
    browser = hub.signed_in()
    csrf = csrf_of(browser, LEAK_PAGE)
    body = data.draw(jsonl_bodies(), label="body")
    name = data.draw(st.one_of(st.just("posts.jsonl"), short_text.filter(bool)), label="name")
    fields = {"csrf_token": csrf, "tlp": data.draw(TLPS, label="tlp"),
              "mode": data.draw(st.sampled_from(["strict", "lenient", "", "x"]), label="mode")}
    fields = sendable(fields)
    before = hub.count()
    r = browser.post(LEAK_PAGE, data=fields, follow_redirects=False,
                     files={"file": (sendable(name), body, "application/x-ndjson")})
    if r.status_code != 201:
        refused(hub, r, before, page=True)
        return
    shown = LEAK_RESULT.search(r.text)
    assert shown, r.text[:500]
    changed = delta(before, hub.count())
    assert changed["ransomware_leak_posts"] == int(shown.group(1)), (changed, shown.group(0))
    assert changed["ransomware_leak_post_imports"] == 1, changed
    assert changed["audience_entries"] == 0, changed  # the form names no recipients


# -------------------------------------------------------------------------- payments


ESPLORA = json.loads((FIXTURES / "esplora.json").read_text())
CSVS = {"etherscan-csv": (FIXTURES / "etherscan.csv").read_text(),
        "generic-csv": (FIXTURES / "generic.csv").read_text()}
TXID = re.compile(r"\b(?:0x)?([0-9a-f]{64})\b")
FORMATS = st.one_of(st.sampled_from([None, None, None, "etherscan-csv", "esplora-json",
                                     "generic-csv", "", "ESPLORA-JSON", "csv"]), short_text)


def fresh_txids(text: str, salt: int) -> str:
    """The export with other transaction ids (the same shape), so that an import stores
    payments rather than finding those of earlier examples."""
    return TXID.sub(lambda m: m.group(0)[:-8] + f"{(int(m.group(1)[-8:], 16) ^ salt):08x}",
                    text)


@st.composite
def exports(draw: st.DrawFn) -> tuple[str, bytes]:
    """(the format it was, body): an explorer export spoilt structurally (JSON) or by cell
    and row (CSV), then byte-wise; or random bytes."""
    if draw(st.integers(0, 9), label="random bytes?") == 0:
        return "random", draw(st.binary(max_size=300), label="random")
    fmt = draw(st.sampled_from(["esplora-json", "etherscan-csv", "generic-csv"]), label="fmt")
    salt = draw(st.integers(0, 2**32 - 1), label="salt")
    if fmt == "esplora-json":
        doc = json.loads(fresh_txids(json.dumps(ESPLORA), salt))
        text = dumps(draw(mutated(doc, 3), label="doc"))
    else:
        lines = fresh_txids(CSVS[fmt], salt).splitlines(keepends=True)
        for _ in range(draw(st.integers(0, 3))):
            at = draw(st.integers(0, len(lines)))
            how = draw(st.sampled_from(["cell", "row", "drop", "dup", "wide", "quote"]))
            if how == "cell" and at < len(lines):
                cells = lines[at].rstrip("\r\n").split(",")
                cells[draw(st.integers(0, len(cells) - 1))] = draw(st.one_of(
                    hostile_text, st.sampled_from(['""', "-1", "1e999", "NaN", "0x", "0",
                                                  "99999999999999999999999", "0.000000001",
                                                  "1709251200000", "2009-01-02T00:00:00Z"])))
                lines[at] = ",".join(cells) + "\n"
            elif how == "row":
                lines.insert(at, draw(hostile_text) + "\n")
            elif how == "drop" and at < len(lines):
                del lines[at]
            elif how == "dup" and at < len(lines):
                lines.insert(at, lines[at])
            elif how == "wide":
                lines.insert(at, ",".join(["1"] * draw(st.sampled_from([50, 5000]))) + "\n")
            elif how == "quote":
                lines.insert(at, '"' + "x" * draw(st.sampled_from([10, 200_000])) + "\n")
        text = "".join(lines).encode("utf-8", "surrogatepass")
    return fmt, draw(spoilt_bytes(text), label="body")


def check_payments(hub: Hub, before: dict[str, int], *, found: int, stored: int,
                   unchanged: int, tlp: str | None, recipients: int) -> None:
    """An accepted export stored exactly the transactions it counts, marked as asked."""
    event("payments: some stored" if stored else "payments: none stored")
    assert stored + unchanged == found, (found, stored, unchanged)
    changed = delta(before, hub.count())
    assert changed["ransomware_wallet_transactions"] == stored, changed
    assert changed["audience_entries"] == stored * recipients, (changed, stored)
    assert changed["ransomware_leak_posts"] == 0, changed
    if stored:
        with hub.database.transaction() as s:
            rows = list(s.scalars(select(WalletTransaction)
                                  .order_by(WalletTransaction.created_at.desc())
                                  .limit(stored)))
        for row in rows:
            assert str(row.owner_org_id) == hub.own and int(row.amount) >= 0, row
            assert tlp is None or row.tlp.value == tlp, (row.tlp, tlp)


@fuzz(150)
@given(data=st.data())
def test_payment_import_api(hub: Hub, data: st.DataObject) -> None:
    """Spoilt Etherscan, Esplora and generic CSV exports (and random bytes) through the
    API, with hostile formats, chains, wallets, markings and audiences."""
    fmt, body = data.draw(exports(), label="export")
    query = data.draw(st.fixed_dictionaries({}, optional={
        "format": FORMATS, "tlp": TLPS,
        "chain": st.one_of(st.sampled_from(["btc", "ltc", "bch", "eth", "BTC", "xmr", ""]),
                           short_text),
        "wallet": st.one_of(st.sampled_from([
            "bc1qnxcwu864v6e3n8k5dy9khu3kkh4zgezzssw22n",
            "0x550a7c9e2e4496ebc845ce4dea21b804719b6908", "", "bc1qnotanaddress"]),
            short_text),
        "audience": audiences(hub), "pap": st.sampled_from(["GREEN", "AMBER", "x", ""])}),
        label="query")
    before = hub.count()
    r = hub.client.post(PAY_API + "?" + form(query).decode(), content=body,
                        headers=bearer(hub.token))
    event(f"payments API {fmt}: {r.status_code}")
    if r.status_code != 201:
        refused(hub, r, before)
        return
    result = r.json()
    assert result["format"] in ("etherscan-csv", "esplora-json", "generic-csv"), result
    tlp = marking(query.get("tlp", "AMBER"))
    check_payments(hub, before, found=result["found"], stored=result["stored"],
                   unchanged=result["unchanged"], tlp=tlp,
                   recipients=recipients(tlp, query.get("audience", [])))
    assert len(set(result["wallets"])) == len(result["wallets"]), result


PAY_RESULT = re.compile(r"(\d+) payments? found, (\d+) stored, (\d+) already imported")


@fuzz(30)
@given(data=st.data())
def test_payment_import_page(hub: Hub, data: st.DataObject) -> None:
    """The import form: spoilt exports with hostile fields and recipients."""
    browser = hub.signed_in()
    csrf = csrf_of(browser, PAY_PAGE)
    _fmt, body = data.draw(exports(), label="export")
    org_ids = data.draw(st.lists(st.sampled_from([hub.other, hub.own, "", "x"]), max_size=2),
                        label="org_ids")
    fields = {"csrf_token": csrf, "tlp": data.draw(TLPS, label="tlp"),
              "format": data.draw(FORMATS.map(lambda f: f or ""), label="format"),
              "chain": data.draw(st.sampled_from(["btc", "eth", "x"]), label="chain"),
              "wallet": data.draw(st.sampled_from(["", "bc1qnotanaddress"]), label="wallet"),
              "org_ids": org_ids}
    fields = sendable(fields)
    before = hub.count()
    r = browser.post(PAY_PAGE, data=fields, follow_redirects=False,
                     files={"file": ("export.bin", body, "application/octet-stream")})
    if r.status_code != 201:
        refused(hub, r, before, page=True)
        return
    shown = PAY_RESULT.search(r.text)
    assert shown, r.text[:500]
    found, stored, unchanged = (int(g) for g in shown.groups())
    tlp = marking(fields["tlp"] or "AMBER")  # an empty field is the default
    check_payments(hub, before, found=found, stored=stored, unchanged=unchanged, tlp=tlp,
                   recipients=recipients(tlp, org_ids))
