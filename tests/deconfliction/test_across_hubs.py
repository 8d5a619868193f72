"""Deconfliction across partner hubs: two hubs run as separate processes (A on SQLite,
B on PostgreSQL); agencies on each register the same wallet — in either order — and both
are given only the other's point of contact; the value never crosses the wire, and a
partner learns nothing of registrations it does not hold itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest

from tests.conftest import scratch_database
from tests.federation.network import Command, HubProcess, command, org, token, user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("network")]

KEY = "a key agreed by the two hub operators, 2026-12"
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
OTHER_WALLET = "bc1qc7slrfxkknqcq2jevvvkdgvrt8080852dfjewde450xdlk4ugp7szw5tk9"


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[HubProcess, HubProcess]]:
    with scratch_database("cyberhub_dec") as pg:
        made: list[HubProcess] = []
        try:
            for hub, url in (("a", None), ("b", pg)):
                root = tmp_path / hub
                root.mkdir()
                made.append(HubProcess(hub, root, url or f"sqlite:///{root / 'hub.sqlite3'}"))
            yield made[0], made[1]
        finally:
            for h in made:
                h.stop()


def link(there: HubProcess, there_name: str, token_there: str) -> Command:
    """Knowing ``there`` as a partner, with the agreed matching key."""
    return command("peer", "add", there_name, f"{there.url}/taxii2/hub/collections/shared/",
                   "--org", f"Hub {there_name}", "--run-as",
                   f"sync@{there_name.lower()}.example", "--match-key-id", "2026-12",
                   "--contact", f"desk@{there_name.lower()}.example",
                   env={"CYBERHUB_PEER_TOKEN": token_there, "CYBERHUB_PEER_MATCH_KEY": KEY})


def agency_and_partner(agency: str, email: str, other: str) -> list[Command]:
    """An agency with an investigator, and the organisation standing for the other hub
    (whose client signs in with a token made here): their tokens, in that order."""
    return [org(agency, kind="law-enforcement"), user(email, agency),
            org(f"Hub {other}", kind="international-organisation"),
            user(f"sync@{other.lower()}.example", f"Hub {other}"),
            token(email, scope="write"), token(f"sync@{other.lower()}.example")]


def register(hub: HubProcess, token: str, value: str, case: str, contact: str) -> Any:
    got = httpx2.post(f"{hub.url}/api/v1/deconfliction/registrations",
                      headers={"Authorization": f"Bearer {token}"},
                      json={"kind": "wallet", "value": value, "chain": "btc",
                            "case_reference": case, "contact": contact}, timeout=30)
    assert got.status_code == 201, got.text
    return got.json()


def hits(hub: HubProcess, token: str) -> list[dict[str, Any]]:
    got = httpx2.get(f"{hub.url}/api/v1/deconfliction/hits",
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert got.status_code == 200, got.text
    return list(got.json())


def inbox(hub: HubProcess, token: str) -> str:
    got = httpx2.get(f"{hub.url}/api/v1/notifications", headers={"Authorization": f"Bearer {token}"},
                     timeout=30)
    assert got.status_code == 200, got.text
    return got.text


def test_agencies_on_two_hubs_meet(hubs: tuple[HubProcess, HubProcess]) -> None:
    a, b = hubs
    # b_on_a: B's client on A; a_on_b: A's client on B.
    ana, b_on_a = a.setup(*agency_and_partner("Police Alpha", "ana@alpha-police.example", "B"))
    ben, a_on_b = b.setup(*agency_and_partner("Police Bravo", "ben@bravo-police.example", "A"),
                          link(a, "A", b_on_a))
    a.setup(link(b, "B", a_on_b))
    a.start()
    b.start()

    # A registers first; announcing finds nothing on B (B has no registration yet).
    register(a, ana, WALLET, "ALPHA-CASE-7731", "Alpha cyber desk, +44 20 7946 0001")
    register(a, ana, OTHER_WALLET, "ALPHA-CASE-7732", "Alpha cyber desk, +44 20 7946 0001")
    assert "pointers received: 0" in a.cli("deconfliction", "announce").stdout
    assert hits(a, ana) == [] and hits(b, ben) == []

    # Later, B registers the same wallet (another spelling) and announces: both meet.
    register(b, ben, WALLET.upper(), "BRAVO-OP-NIGHTJAR", "Bravo duty officer, +33 1 00 00 00 02")
    out = b.cli("deconfliction", "announce").stdout
    assert "pointers received: 1" in out and "pointers sent: 1" in out, out
    [at_b] = hits(b, ben)
    assert at_b["partner_hub"] == "A" and at_b["other_organisation"] == "Police Alpha"
    assert at_b["other_contact"] == "Alpha cyber desk, +44 20 7946 0001"
    assert at_b["case_reference"] == "BRAVO-OP-NIGHTJAR"  # their own, never the other's
    [at_a] = hits(a, ana)
    assert at_a["partner_hub"] == "B" and at_a["other_organisation"] == "Police Bravo"
    assert at_a["other_contact"] == "Bravo duty officer, +33 1 00 00 00 02"
    assert at_a["case_reference"] == "ALPHA-CASE-7731"
    assert "Bravo duty officer" in inbox(a, ana) and "Alpha cyber desk" in inbox(b, ben)
    assert "ALPHA-CASE" not in inbox(b, ben) and "BRAVO-OP" not in inbox(a, ana)

    # Announcing again changes nothing: each pointer is recorded and notified once.
    a.cli("deconfliction", "announce")
    b.cli("deconfliction", "announce")
    assert len(hits(a, ana)) == 1 and len(hits(b, ben)) == 1

    # Nothing that left either hub carries a wallet, a case reference, or (towards B)
    # A's pointer for the wallet B does not hold.
    for hub in (a, b):
        for f in hub.wire.iterdir():
            sent = f.read_bytes()
            assert WALLET.lower().encode() not in sent.lower()
            assert OTHER_WALLET.encode() not in sent
            assert b"CASE-" not in sent and b"BRAVO-OP" not in sent
    # B told A its pointer for the matched wallet only; A (whose registrations were
    # announced before B had any) only ever sent digests.
    def sent_by(hub: HubProcess) -> list[Any]:
        return [orjson.loads(f.read_bytes().split(b"\n", 1)[1]) for f in hub.wire.iterdir()]

    told = [p for p in sent_by(b) if "hits" in p]
    assert len(told) == 1 and len(told[0]["hits"]) == 1
    assert told[0]["hits"][0]["organisation"] == "Police Bravo"
    assert all(set(p) == {"key_id", "digests"} for p in sent_by(a))


def test_partner_endpoints_refuse_others_and_bad_input(hubs: tuple[HubProcess, HubProcess]
                                                       ) -> None:
    a, _b = hubs
    ana, b_on_a = a.setup(*agency_and_partner("Police Alpha", "ana@alpha-police.example", "B"),
                          link(a, "B", "unused"))
    a.start()

    def post(path: str, token: str, body: Any) -> httpx2.Response:
        return httpx2.post(f"{a.url}/api/v1/federation/deconfliction/{path}",
                           headers={"Authorization": f"Bearer {token}"},
                           content=orjson.dumps(body), timeout=30)

    # A member of the hub is not a partner hub.
    assert post("match", ana, {"key_id": "2026-12", "digests": []}).status_code == 403
    # Another key id, malformed digests, hostile pointers: refused, saying what is wrong.
    assert post("match", b_on_a, {"key_id": "2025-01", "digests": []}).status_code == 403
    bad = post("match", b_on_a, {"key_id": "2026-12", "digests": ["zz"]})
    assert bad.status_code == 422 and "digests[0]" in bad.text
    too_many = post("match", b_on_a, {"key_id": "2026-12", "digests": ["00" * 16] * 1001})
    assert too_many.status_code == 422
    hostile = post("notify", b_on_a, {"key_id": "2026-12", "hits": [
        {"digest": "00" * 16, "organisation": "x\u0007y", "contact": "c"}]})
    assert hostile.status_code == 422 and "organisation" in hostile.text
    # A pointer for a digest nobody here registered is ignored.
    ok = post("notify", b_on_a, {"key_id": "2026-12", "hits": [
        {"digest": "00" * 16, "organisation": "Police Bravo", "contact": "desk"}]})
    assert ok.status_code == 200 and ok.json() == {"recorded": 0}
    assert hits(a, ana) == []
