"""The hub key: a 0600 file under var/ made on first use (or the setting), never in the
database; after a key change earlier registrations are stale — they never match again
and cannot be renewed."""

from __future__ import annotations

import stat

from cyberhub.config import Settings
from cyberhub.deconfliction import keys
from tests.api.conftest import Hub, assert_error
from tests.deconfliction.conftest import WALLET


def _reg(hub: Hub, who: str) -> dict[str, object]:
    r = hub.post(who, "/deconfliction/registrations", {
        "kind": "wallet", "value": f"btc:{WALLET}", "case_reference": f"K-{who}",
        "contact": f"desk {who}"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_key_file_is_made_once_with_owner_only_access(hub: Hub, settings: Settings) -> None:
    _reg(hub, "police_a")
    path = settings.var_dir / keys.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_bytes().strip()
    assert len(key) >= 32 and keys.key_id(keys.hub_key()) == keys.key_id(key)
    _reg(hub, "police_a2")
    assert path.read_bytes().strip() == key  # not made again
    snapshot = str(hub.state())
    assert key.decode() not in snapshot  # not in the database


def test_a_new_key_leaves_earlier_registrations_stale(hub: Hub, settings: Settings) -> None:
    old = _reg(hub, "police_a")
    settings.deconfliction_key = "a-new-deconfliction-key-after-a-suspected-leak"
    listed = hub.get("police_a", f"/deconfliction/registrations/{old['id']}").json()
    assert listed["stale"] is True
    # The same value under the new key: no hit with the stale registration.
    new = _reg(hub, "police_b")
    assert new["hits"] == [] and new["stale"] is False
    err = assert_error(hub.post("police_a", f"/deconfliction/registrations/{old['id']}/renew"),
                       409)
    assert "register the value again" in err["message"]
    # Registering again under the new key matches.
    again = _reg(hub, "police_a")
    assert [h["other_organisation"] for h in again["hits"]] == ["Police Two"]
