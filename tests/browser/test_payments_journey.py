"""Following a ransom payment, in a real browser: a member imports an explorer export
through the form, opens the wallet the import names, sees its family, its payments and
the chart drawn under the strict CSP. Screenshots under tests/artifacts/."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from cyberhub.ransomware.demo_payments import btc_address
from cyberhub.ransomware.incidents import IncidentInput, create_incident
from cyberhub.refdata import service as refdata
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_journeys import no_console_errors, sign_in
from tests.ransomware.conftest import LOCKBIT, SMALL_GALAXY

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_import_payments_and_follow_the_wallet(hub, new_page, console, tmp_path):
    refdata.load(hub.database, ["ransomware"], files=[SMALL_GALAXY])
    tag = uuid.uuid4().hex[:6]
    org = hub.community.org(f"Payments CERT {tag}")
    user = hub.community.user(org, email=f"pay-{tag}@cert.example")
    wallet = btc_address(f"journey {tag}")
    with hub.database.transaction() as s:
        create_incident(s, hub.community.viewer(user), IncidentInput(
            discovered=date(2026, 3, 2), family=LOCKBIT, wallets=[f"btc:{wallet}"],
            paid=True), tlp="AMBER+STRICT")
    lines = ["chain,address,txid,time,amount,asset,usd"]
    for i, (month, amount, usd) in enumerate([("03", "1.2", "78000"), ("03", "0.35", "22750"),
                                              ("04", "2.05", "131200"), ("06", "0.5", "")]):
        lines.append(f"btc,{wallet},{uuid.uuid5(uuid.NAMESPACE_URL, tag + str(i)).hex * 2},"
                     f"2026-{month}-1{i}T09:30:00Z,{amount},BTC,{usd}")
    export = tmp_path / "payments.csv"
    export.write_text("\n".join(lines) + "\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, hub, user.email)
    page.goto(hub.url + "/ransomware/wallets")
    page.get_by_role("link", name="Import transactions").click()
    page.wait_for_load_state()
    page.get_by_label("Export file").set_input_files(str(export))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    assert "4 payments found, 4 stored" in page.locator("[role=status]").inner_text()
    page.get_by_role("link", name=f"btc:{wallet}").click()
    page.wait_for_load_state()
    assert wallet in page.get_by_role("heading", level=1).inner_text()
    assert "LockBit" in page.locator("section", has_text="Families").first.inner_text()
    assert "4.1 BTC" in page.locator(".rw-received").inner_text()
    page.locator("#wallet-chart canvas").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ransomware-wallet.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.locator("#wallet-chart canvas").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "ransomware-wallet-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")
    page.goto(hub.url + "/ransomware/wallets?q=lockbit")
    assert wallet in page.locator("table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "ransomware-wallets.png"), full_page=True)
    page.goto(hub.url + f"/ransomware/families/{LOCKBIT}")
    assert wallet in page.locator("section", has_text="Wallets and payments").inner_text()
    no_console_errors(console)
