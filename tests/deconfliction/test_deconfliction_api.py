"""REST: registering interests, hits, checks, renewal, withdrawal and every bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from cyberhub.audit import AuditEntry
from cyberhub.deconfliction.models import Registration
from tests.api.conftest import Hub, assert_error
from tests.deconfliction.conftest import WALLET
from tests.factories import new_uuid

IBAN = "GB82WEST12345698765432"


def _reg(hub: Hub, who: str, kind: str = "wallet", value: str = f"btc:{WALLET}",
         case: str = "CASE-1", contact: str = "Duty desk, +31 70 000 0000", **extra: Any) -> Any:
    return hub.post(who, "/deconfliction/registrations",
                    {"kind": kind, "value": value, "case_reference": case,
                     "contact": contact} | extra)


def test_two_agencies_register_the_same_wallet_and_both_get_the_pointer(hub: Hub) -> None:
    r = _reg(hub, "police_a", case="NL-2026-17", contact="DS Anna, anna@police-one.example")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["kind"] == "wallet" and first["hits"] == [] and first["active"]
    assert first["case_reference"] == "NL-2026-17" and not first["stale"]
    # Another spelling of the same wallet: upper-case bech32, bare address with a chain.
    r = _reg(hub, "police_b", value=WALLET.upper(), chain="BTC", case="DE-99",
             contact="KHK Bernd, +49 30 000 000")
    assert r.status_code == 201, r.text
    second = r.json()
    [hit] = second["hits"]
    assert hit["other_organisation"] == "Police One"
    assert hit["other_contact"] == "DS Anna, anna@police-one.example"
    assert hit["case_reference"] == "DE-99"  # the recipient's own case, never the other's
    assert "NL-2026-17" not in r.text

    a_hits = hub.get("police_a", "/deconfliction/hits").json()
    assert [(h["other_organisation"], h["other_contact"], h["case_reference"])
            for h in a_hits] == [("Police Two", "KHK Bernd, +49 30 000 000", "NL-2026-17")]
    assert "DE-99" not in str(a_hits)
    assert hub.get("police_a", "/deconfliction/registrations").json()[0]["hit_count"] == 1


def test_no_hit_within_one_organisation_or_on_different_values(hub: Hub) -> None:
    assert _reg(hub, "police_a").status_code == 201
    r = _reg(hub, "police_a2", value=f"btc:{WALLET}")
    assert r.status_code == 201 and r.json()["hits"] == []
    r = _reg(hub, "police_b", kind="iban", value=IBAN)
    assert r.status_code == 201 and r.json()["hits"] == []
    # The same text under another kind is another value.
    r = _reg(hub, "police_b", kind="email", value="mule@example.com")
    r2 = _reg(hub, "police_a", kind="url", value="https://mule@example.com/")
    assert r.json()["hits"] == [] and r2.json()["hits"] == []


def test_spellings_of_phone_iban_email_match(hub: Hub) -> None:
    pairs = [("phone", "+44 20 7946 0958", {"value": "020 7946 0958", "region": "gb"}),
             ("iban", "gb82 west 1234 5698 7654 32", {"value": IBAN}),
             ("email", "Mule.Account@Example.COM", {"value": "mule.account@example.com"}),
             ("social", "https://t.me/Mule_Boss", {"value": "telegram:@mule_boss"}),
             ("domain", "BÜCHER.de", {"value": "xn--bcher-kva.de."})]
    for kind, a, b in pairs:
        assert _reg(hub, "police_a", kind=kind, value=a).status_code == 201
        r = _reg(hub, "police_b", kind=kind, **b)
        assert r.status_code == 201, r.text
        assert len(r.json()["hits"]) == 1, kind


def test_expired_registrations_never_match_and_renewal_matches_later(hub: Hub) -> None:
    old = _reg(hub, "police_a").json()
    with hub.database.transaction() as s:
        s.execute(update(Registration).where(Registration.id == uuid.UUID(old["id"]))
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    listed = hub.get("police_a", f"/deconfliction/registrations/{old['id']}").json()
    assert listed["active"] is False
    r = _reg(hub, "police_b")
    assert r.json()["hits"] == []
    check = hub.post("police_b", "/deconfliction/check",
                     {"values": [{"kind": "wallet", "value": f"btc:{WALLET}"}]}).json()
    assert check["results"] == [{"kind": "wallet", "registered_elsewhere": False}]
    # Renewing the expired one matches what was registered meanwhile.
    r = hub.post("police_a", f"/deconfliction/registrations/{old['id']}/renew")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] and body["renewed_at"] is not None
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC) + timedelta(days=179)
    assert [h["other_organisation"] for h in body["hits"]] == ["Police Two"]
    # Renewing again makes no second hit.
    assert hub.post("police_a", f"/deconfliction/registrations/{old['id']}/renew"
                    ).json()["hits"] == []


def test_check_tells_only_whether_someone_else_registered(hub: Hub, heard: list[Any]) -> None:
    _reg(hub, "police_a")
    _reg(hub, "police_a", kind="ipv4", value="192.0.2.7")
    heard.clear()
    r = hub.post("police_b", "/deconfliction/check", {"values": [
        {"kind": "wallet", "value": WALLET, "chain": "btc"},
        {"kind": "ipv4", "value": "192.0.2.8"},
        {"kind": "ipv4", "value": " 192.0.2.7 "}]})
    assert r.status_code == 200, r.text
    assert [x["registered_elsewhere"] for x in r.json()["results"]] == [True, False, True]
    assert "Police One" not in r.text
    assert heard == []  # nobody is told of a check
    # One's own organisation's registrations are not "elsewhere".
    r = hub.post("police_a2", "/deconfliction/check",
                 {"values": [{"kind": "wallet", "value": f"btc:{WALLET}"}]})
    assert r.json()["results"][0]["registered_elsewhere"] is False


def test_registrations_are_private_to_their_registrant(hub: Hub) -> None:
    reg = _reg(hub, "police_a").json()
    for who in ("police_a2", "police_b"):
        assert hub.get(who, "/deconfliction/registrations").json() == []
        for method, path in (("get", ""), ("post", "/renew"), ("delete", "")):
            assert_error(getattr(hub, method)(
                who, f"/deconfliction/registrations/{reg['id']}{path}"), 404)
    assert_error(hub.get("police_a", f"/deconfliction/registrations/{new_uuid()}"), 404)
    assert_error(hub.get("police_a", "/deconfliction/registrations/nope"), 404)
    assert hub.delete("police_a", f"/deconfliction/registrations/{reg['id']}").status_code == 204
    assert hub.get("police_a", "/deconfliction/registrations").json() == []


def test_only_law_enforcement_may_use_it(hub: Hub) -> None:
    before = hub.state()
    for who in ("a_analyst", "b_admin", "admin"):
        err = assert_error(_reg(hub, who), 403, "permission_denied")
        assert "law-enforcement" in err["message"]
        assert_error(hub.get(who, "/deconfliction/registrations"), 403)
        assert_error(hub.get(who, "/deconfliction/hits"), 403)
        assert_error(hub.post(who, "/deconfliction/check",
                              {"values": [{"kind": "ipv4", "value": "192.0.2.1"}]}), 403)
    assert_error(_reg(hub, "police_a:read"), 403)
    err = assert_error(_reg(hub, "police_b_reader"), 403)
    assert "Readers may not register" in err["message"]
    # A reader of a law-enforcement organisation may still check and read its hits.
    assert hub.get("police_b_reader", "/deconfliction/hits").json() == []
    r = hub.client.post("/api/v1/deconfliction/registrations", json={})
    assert r.status_code == 401
    assert hub.state() == before


BAD_VALUES = [
    ("kind", {"kind": "colour", "value": "red"}),
    ("kind", {"kind": "", "value": "anything-at-all"}),
    ("value", {"kind": "wallet", "value": ""}),
    ("value", {"kind": "wallet", "value": "   "}),
    ("value", {"kind": "wallet", "value": "btc:bc1qnotawallet"}),
    ("value", {"kind": "wallet", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}),  # no chain
    ("value", {"kind": "wallet", "value": "eth:0x1234"}),
    ("value", {"kind": "iban", "value": "GB00WEST12345698765432"}),  # check digits
    ("value", {"kind": "iban", "value": "not an iban"}),
    ("value", {"kind": "bank-account", "value": "987654321"}),
    ("value", {"kind": "phone", "value": "12345"}),
    ("value", {"kind": "phone", "value": "020 7946 0958"}),  # no country
    ("region", {"kind": "phone", "value": "020 7946 0958", "region": "Britain"}),
    ("value", {"kind": "email", "value": "not-an-address"}),
    ("value", {"kind": "email", "value": "a@localhost"}),
    ("value", {"kind": "domain", "value": "localhost"}),
    ("value", {"kind": "domain", "value": "example[.]com"}),
    ("value", {"kind": "ipv4", "value": "999.1.1.1"}),
    ("value", {"kind": "ipv4", "value": "001.002.003.004"}),
    ("value", {"kind": "ipv6", "value": "2001:db8:::1"}),
    ("value", {"kind": "url", "value": "not a url"}),
    ("value", {"kind": "url", "value": "mailto:a@example.com"}),
    ("value", {"kind": "sha256", "value": "abc"}),
    ("value", {"kind": "md5", "value": "z" * 32}),
    ("value", {"kind": "social", "value": "no-platform-handle"}),
    ("value", {"kind": "mac", "value": "00:11:22"}),
    ("value", {"kind": "asn", "value": "AS-many"}),
]


def test_malformed_values_are_refused_naming_the_problem(hub: Hub) -> None:
    before = hub.state()
    for field, body in BAD_VALUES:
        _refused(hub, field, body)
    assert hub.state() == before


def _refused(hub: Hub, field: str, body: dict[str, Any]) -> None:
    r = hub.post("police_a", "/deconfliction/registrations",
                 body | {"case_reference": "C-1", "contact": "desk@police-one.example"})
    err = assert_error(r, 422, "invalid_input")
    assert err["details"]["field"] == field, err
    if field == "value":
        assert f"not valid for the kind {body['kind']}" in err["message"] or "Give the value" in \
            err["message"]
    if body["value"].strip():
        assert body["value"].strip() not in err["message"]  # never echoed
    r = hub.post("police_a", "/deconfliction/check", {"values": [
        {"kind": "ipv4", "value": "192.0.2.1"}, body]})
    err = assert_error(r, 422, "invalid_input")
    assert err["details"]["field"] in (field, "values[1].value")


BAD_TEXT = [
    ("case_reference", {"case_reference": ""}),
    ("case_reference", {"case_reference": "   "}),
    ("case_reference", {"case_reference": "x" * 201}),
    ("case_reference", {"case_reference": "C\x00-1"}),
    ("case_reference", {"case_reference": f"Wallet {WALLET.upper()}"}),
    ("contact", {"contact": ""}),
    ("contact", {"contact": "x" * 501}),
    ("contact", {"contact": f"call about btc:{WALLET}"}),
]


def test_bad_case_reference_or_contact_is_refused(hub: Hub) -> None:
    before = hub.state()
    for field, fields in BAD_TEXT:
        err = assert_error(_reg(hub, "police_a", **fields), 422)
        assert field in str(err), err
    assert hub.state() == before


def test_malformed_bodies(hub: Hub) -> None:
    before = hub.state()
    base = {"kind": "wallet", "value": f"btc:{WALLET}", "case_reference": "C",
            "contact": "desk"}
    for body in ({}, {"kind": "wallet"}, base | {"extra": 1}, base | {"value": 5},
                 base | {"value": "x" * 8193}, [base], "text"):
        assert_error(hub.post("police_a", "/deconfliction/registrations", body), 422)
    for body in ({}, {"values": []}, {"values": "x"},
                 {"values": [{"kind": "ipv4", "value": "192.0.2.1"}] * 1001}):
        assert_error(hub.post("police_a", "/deconfliction/check", body), 422)
    assert hub.state() == before


def test_rate_limit_per_user(hub: Hub) -> None:
    from cyberhub.config import get_settings

    get_settings().deconfliction_hourly_limit = 3
    values = [{"kind": "ipv4", "value": f"192.0.2.{i}"} for i in range(1, 3)]
    assert hub.post("police_a", "/deconfliction/check", {"values": values}).status_code == 200
    assert _reg(hub, "police_a").status_code == 201
    before = hub.state()
    r = _reg(hub, "police_a", kind="ipv4", value="192.0.2.9")
    err = assert_error(r, 429, "too_many_requests")
    assert "in the last hour" in err["message"] and int(r.headers["retry-after"]) > 0
    assert_error(hub.post("police_a", "/deconfliction/check", {"values": values[:1]}), 429)
    assert hub.state() == before
    # Per user: a colleague still may.
    assert _reg(hub, "police_a2", kind="ipv4", value="192.0.2.9").status_code == 201


def test_audit_names_the_act_never_the_value(hub: Hub) -> None:
    reg = _reg(hub, "police_a").json()
    hub.post("police_b", "/deconfliction/check", {"values": [{"kind": "wallet",
                                                              "value": f"btc:{WALLET}"}]})
    hub.post("police_a", f"/deconfliction/registrations/{reg['id']}/renew")
    hub.delete("police_a", f"/deconfliction/registrations/{reg['id']}")
    with hub.database.transaction() as s:
        entries = list(s.scalars(select(AuditEntry).where(
            AuditEntry.action.like("deconfliction.%")).order_by(AuditEntry.seq)))
    assert [e.action for e in entries] == ["deconfliction.register", "deconfliction.check",
                                           "deconfliction.renew", "deconfliction.withdraw"]
    assert entries[1].details == {"values": 1, "registered_elsewhere": 1}
    assert WALLET.lower() not in str([e.details for e in entries]).lower()


def test_expired_registrations_are_purged_after_the_grace_period(hub: Hub) -> None:
    from typer.testing import CliRunner

    from cyberhub.cli import app

    stale, recent = _reg(hub, "police_a").json(), _reg(hub, "police_b").json()
    assert len(hub.get("police_b", "/deconfliction/hits").json()) == 1
    keep = _reg(hub, "police_a", value="btc:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").json()
    now = datetime.now(UTC)
    with hub.database.transaction() as s:
        for rid, days in ((stale["id"], 31), (recent["id"], 29)):
            s.execute(update(Registration).where(Registration.id == uuid.UUID(rid))
                      .values(expires_at=now - timedelta(days=days)))
    done = CliRunner().invoke(app, ["deconfliction", "purge"])
    assert done.exit_code == 0, done.output
    assert "1 expired registration deleted" in done.output
    assert_error(hub.get("police_a", f"/deconfliction/registrations/{stale['id']}"), 404)
    # Within the grace period it is kept, and may still be renewed; the hit went with
    # the purged registration.
    assert hub.get("police_b", f"/deconfliction/registrations/{recent['id']}").status_code == 200
    assert hub.get("police_b", "/deconfliction/hits").json() == []
    assert hub.get("police_a", f"/deconfliction/registrations/{keep['id']}").status_code == 200
    with hub.database.transaction() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "deconfliction.purge")
                          ).one()
        assert entry.details["registrations"] == 1
    assert "0 expired registrations deleted" in CliRunner().invoke(
        app, ["deconfliction", "purge"]).output
