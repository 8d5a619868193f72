"""The whole database after registrations, checks, hits and notifications holds no
registered value in any spelling — only keyed digests."""

from __future__ import annotations

import sqlite3

from sqlalchemy import text

from tests.api.conftest import Hub
from tests.deconfliction.conftest import WALLET

# kind, submitted spelling, other spellings of the same value (the normal form first)
VALUES = [
    ("wallet", f"btc:{WALLET}", [WALLET, WALLET.upper()]),
    ("wallet", "eth:0x52908400098527886E0F7030069857D2E4169EE7",
     ["0x52908400098527886e0f7030069857d2e4169ee7", "52908400098527886e0f7030069857d2e4169ee7"]),
    ("iban", "GB82 WEST 1234 5698 7654 32", ["GB82WEST12345698765432", "WEST12345698765432"]),
    ("phone", "+44 20 7946 0958", ["+442079460958", "442079460958", "2079460958"]),
    ("email", "Mule.Boss@Example.org", ["mule.boss@example.org"]),
    ("social", "https://t.me/Mule_Boss_77", ["telegram:mule_boss_77", "mule_boss_77"]),
    ("domain", "mule-payouts.example", ["mule-payouts.example"]),
    ("ipv4", "198.51.100.77", ["198.51.100.77"]),
    ("url", "HTTPS://Mule-Portal.example:443/login?id=77", ["mule-portal.example/login?id=77"]),
    ("sha256", "A" * 64, ["a" * 64]),
    ("bank-account", "FR:1234-5678-9012", ["123456789012", "1234-5678-9012"]),
]


def _dump(hub: Hub) -> str:
    engine = hub.database.engine
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        assert path
        with sqlite3.connect(path) as conn:
            return "\n".join(conn.iterdump())
    rows: list[str] = []
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")).scalars().all()
        assert "deconfliction_registrations" in tables
        for table in tables:
            # Every column of every row as PostgreSQL prints it (bytea as \x… hex).
            rows.extend(conn.execute(text(f'SELECT t::text FROM "{table}" AS t')).scalars())
    return "\n".join(rows)


def test_database_dump_holds_no_registered_value(hub: Hub) -> None:
    for i, (kind, value, _spellings) in enumerate(VALUES):
        for who in ("police_a", "police_b"):
            r = hub.post(who, "/deconfliction/registrations", {
                "kind": kind, "value": value, "case_reference": f"CASE-{who}-{i}",
                "contact": f"Desk {who}, +31 70 000 00{i:02d}"})
            assert r.status_code == 201, r.text
            assert len(r.json()["hits"]) == (1 if who == "police_b" else 0)
        assert hub.post("police_a2", "/deconfliction/check",
                        {"values": [{"kind": kind, "value": value}]}).status_code == 200
    assert len(hub.get("police_a", "/notifications").json()["items"]) == len(VALUES)
    dump = _dump(hub)
    assert "deconfliction_registrations" in dump and "CASE-police_a-0" in dump
    folded = dump.casefold()
    for kind, value, spellings in VALUES:
        for spelling in [value, *spellings]:
            assert spelling.casefold() not in folded, (kind, spelling)
