"""What a member may see follows changes to their groups at once, in the same process:
the visibility rule is built per viewer and kept (access.visible), so a viewer whose
groups changed must get the rule of who they are now, never the one of before."""

from __future__ import annotations

from tests.api.conftest import Hub


def test_joining_and_leaving_a_group_opens_and_closes_its_amber_at_once(hub: Hub) -> None:
    group = hub.community.group("Mule watchers", orgs=[hub.beta])
    note = hub.community.note(hub.users["b_analyst"], tlp="AMBER", title="For the watchers",
                              groups=[group])
    strict = hub.community.note(hub.users["b_analyst"], tlp="AMBER+STRICT",
                                title="For the watching organisations", groups=[group])
    amber, amber_strict = f"/notes/{note.id}", f"/notes/{strict.id}"
    assert hub.get("a_analyst", amber).status_code == 404
    assert hub.get("a_analyst", amber_strict).status_code == 404

    def members(*, orgs: list[str], users: list[str]) -> None:
        r = hub.patch("admin", f"/groups/{group.id}", json={"org_ids": orgs, "user_ids": users})
        assert r.status_code == 200, r.text

    beta, alpha = str(hub.beta.id), str(hub.alpha.id)
    members(orgs=[beta, alpha], users=[])  # Alpha's organisation joins
    assert hub.get("a_analyst", amber).json()["title"] == "For the watchers"
    assert hub.get("a_analyst", amber_strict).status_code == 200
    assert hub.get("a_reader", amber).status_code == 200

    # Alpha leaves; one of its analysts stays, named: AMBER still, AMBER+STRICT no more.
    members(orgs=[beta], users=[str(hub.users["a_analyst"].id)])
    assert hub.get("a_analyst", amber).status_code == 200
    assert hub.get("a_analyst", amber_strict).status_code == 404
    assert hub.get("a_reader", amber).status_code == 404

    members(orgs=[beta], users=[])  # and is dropped too
    assert hub.get("a_analyst", amber).status_code == 404
    listed = hub.get("a_analyst", "/notes").json()["items"]
    assert str(note.id) not in {item["id"] for item in listed}
    assert str(hub.community.note(hub.users["b_analyst"], tlp="GREEN").id) in {
        item["id"] for item in hub.get("a_analyst", "/notes").json()["items"]}
