"""Property: a wallet's and a family's totals are exactly the sum over the transactions
(and links) the viewer may see — for random markings, owners, duplicates and viewers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cyberhub import access
from cyberhub.community.models import User
from cyberhub.db import Database
from cyberhub.ransomware import payments
from cyberhub.ransomware.demo_payments import btc_address
from cyberhub.ransomware.incidents import IncidentInput, create_incident
from cyberhub.ransomware.payment_formats import Payment
from cyberhub.sharing import TLP
from tests.factories import Community
from tests.ransomware.conftest import LOCKBIT

WALLETS = [f"btc:{btc_address(f'property {i}')}" for i in range(4)]
TLPS = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]
START = datetime(2025, 1, 1, tzinfo=UTC)

tx = st.tuples(st.integers(0, 2), st.sampled_from(TLPS), st.integers(0, 3), st.integers(0, 4))
incident = st.tuples(st.integers(0, 2), st.sampled_from(TLPS), st.integers(0, 3))


def sees(viewer_org: int | None, admin: bool, owner: int, tlp: TLP) -> bool:
    """The rule for records without an audience, written out independently."""
    if tlp in (TLP.CLEAR, TLP.GREEN):
        return viewer_org is not None or tlp is TLP.CLEAR
    if tlp is TLP.AMBER:
        return viewer_org == owner or admin
    if tlp is TLP.AMBER_STRICT:
        return viewer_org == owner
    return viewer_org == owner  # RED: the author, and each org has one author here


def test_totals_are_the_sum_over_what_the_viewer_may_see(families: Database,
                                                         community: Community) -> None:
    orgs = [community.org(f"Prop {i}") for i in range(4)]
    users = [community.user(o, email=f"prop{i}@x.example") for i, o in enumerate(orgs[:3])]
    admin = community.user(orgs[3], role="hub-admin", email="prop-admin@x.example")
    viewers = [community.viewer(u) for u in [*users, admin]]
    user_ids = [u.id for u in users]
    database = families

    @settings(max_examples=50, deadline=None,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])
    @given(txs=st.lists(tx, max_size=14), incidents=st.lists(incident, max_size=4),
           amounts=st.lists(st.integers(1, 10**12), min_size=8, max_size=8),
           who=st.integers(0, 4))
    # Two organisations import the same payment, both visible: counted once.
    @example(txs=[(0, TLP.GREEN, 0, 0), (1, TLP.GREEN, 0, 0), (1, TLP.AMBER, 1, 1)],
             incidents=[(2, TLP.GREEN, 0)], amounts=[5, 7, 1, 1, 1, 1, 1, 1], who=2)
    def check(txs: list[tuple[int, TLP, int, int]], incidents: list[tuple[int, TLP, int]],
              amounts: list[int], who: int) -> None:
        session = database.sessionmaker()
        try:
            authors = [access.viewer_for(session, session.get(User, uid))  # type: ignore[arg-type]
                       for uid in user_ids]
            for org, tlp, w in incidents:
                create_incident(session, authors[org], IncidentInput(
                    discovered="2025-01-02", family=LOCKBIT, wallets=[WALLETS[w]]), tlp=tlp)
            for org, tlp, w, t in txs:
                pay = Payment(WALLETS[w], f"{t:064x}", START + timedelta(days=t), "BTC", 8,
                              amounts[t], None, 1)
                payments.store_payments(session, authors[org], [pay], source="generic-csv",
                                        tlp=tlp)
            viewer = access.ANONYMOUS if who == 4 else viewers[who]
            viewer_org = None if who == 4 else who
            is_admin = who == 3
            # What the viewer should see: one per (wallet, txid) among the stored rows
            # (an organisation's repeated import of the same transaction stored nothing).
            stored: dict[tuple[int, int, int], TLP] = {}
            for org, tlp, w, t in txs:
                stored.setdefault((org, w, t), tlp)
            expected: dict[str, set[int]] = {}
            for (org, w, t), tlp in stored.items():
                if sees(viewer_org, is_admin, org, tlp):
                    expected.setdefault(WALLETS[w], set()).add(t)
            linked = {WALLETS[w] for org, tlp, w in incidents
                      if sees(viewer_org, is_admin, org, tlp)}

            listed, _total = payments.list_wallets(session, viewer, limit=100)
            got = {w.wallet: w.totals for w in listed if w.totals.count}
            assert set(got) == set(expected)
            for wallet, ts in expected.items():
                assert got[wallet].count == len(ts)
                assert got[wallet].by_asset["BTC"].units == sum(amounts[t] for t in ts)
                assert got[wallet].first_seen == START + timedelta(days=min(ts))
            assert {w.wallet for w in listed} == set(expected) | linked
            fam = payments.family_payments(session, viewer, LOCKBIT)
            assert {w.wallet for w in fam.wallets} == linked
            want = sum(amounts[t] for w in linked for t in expected.get(w, set()))
            got_units = fam.totals.by_asset["BTC"].units if fam.totals.by_asset else 0
            assert got_units == want
            assert fam.totals.count == sum(len(expected.get(w, set())) for w in linked)
        finally:
            session.rollback()
            session.close()

    check()
