"""Demo ransom payments: clearly fictional wallets and transactions for the demo incidents.

The demo incidents of a family that paid (or that the draw picks) get a wallet from that
family's small pool — generated addresses that pass the chain's checksum but belong to
no one — so one wallet is named by several incidents, as RaaS wallets are. Each wallet
then receives a few generated payments around the incidents' dates, imported by the
reporting organisation under the incident's marking, flagged ``is_demo``. Deterministic
(fixed seed) and idempotent: nothing is added when demo transactions exist.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.community.models import Role, User
from cyberhub.ransomware import payments
from cyberhub.ransomware.models import Incident, WalletTransaction
from cyberhub.ransomware.payment_formats import Payment

__all__ = ["btc_address", "eth_address", "load"]

SEED = 20261205
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
# Fictional exchange rates for the demo's USD values (not market data).
USD_PER = {"BTC": Decimal("61000"), "ETH": Decimal("3100")}
POOL = 3  # bitcoin wallets per family


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def btc_address(seed: str) -> str:
    """A bech32 (segwit v0, 20-byte program) address derived from ``seed``: valid on
    the chain, held by no one."""
    program = hashlib.sha256(b"cyberhub demo wallet " + seed.encode()).digest()[:20]
    acc, bits, data = 0, 0, [0]
    for byte in program:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrp = "bc"
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = _polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def eth_address(seed: str) -> str:
    return "0x" + hashlib.sha256(b"cyberhub demo wallet " + seed.encode()).hexdigest()[:40]


def _txid(seed: str) -> str:
    return hashlib.sha256(b"cyberhub demo tx " + seed.encode()).hexdigest()


def _assign_wallets(session: Session, rng: random.Random) -> None:
    """Give the demo incidents of known families that have none a wallet of the
    family's pool (paid ones always, others one in three)."""
    rows = list(session.scalars(select(Incident).where(
        Incident.is_demo.is_(True), Incident.family_ref.is_not(None))
        .order_by(Incident.family_name, Incident.discovered, Incident.systems_affected)))
    for inc in rows:
        if inc.wallets:
            continue
        if not inc.paid and rng.random() > 0.34:
            continue
        name = inc.family_name.lower()
        if rng.random() < 0.2:
            wallet = f"eth:{eth_address(name + ':eth')}"
        else:
            wallet = f"btc:{btc_address(f'{name}:{rng.randrange(POOL)}')}"
        inc.wallets = [wallet]
    session.flush()


def load(session: Session) -> int:
    """Add the demo payments once; returns how many transactions were added."""
    if session.scalar(select(WalletTransaction.id).where(
            WalletTransaction.is_demo.is_(True)).limit(1)) is not None:
        return 0
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    _assign_wallets(session, rng)
    incidents = list(session.scalars(select(Incident).where(Incident.is_demo.is_(True))
                                      .order_by(Incident.family_name, Incident.discovered,
                                                Incident.systems_affected)))
    by_owner: dict[tuple[object, object], list[Payment]] = defaultdict(list)
    for k, inc in enumerate(incidents):
        for wallet in inc.wallets or []:
            chain = wallet.partition(":")[0]
            asset = "ETH" if chain == "eth" else "BTC"
            decimals = 18 if asset == "ETH" else 8
            start = datetime.combine(inc.discovered, time(0), tzinfo=UTC)
            for n in range(rng.randint(1, 4)):
                moment = start + timedelta(days=rng.randint(1, 25), seconds=rng.randint(0, 86399))
                moment = min(moment, datetime(2026, 12, 1, tzinfo=UTC))
                whole = Decimal(rng.randint(5, 400)) / (Decimal(20) if asset == "BTC" else 1)
                units = int(whole.scaleb(decimals))
                usd = int(whole * USD_PER[asset] * 100)
                by_owner[(inc.owner_org_id, inc.id)].append(Payment(
                    wallet, _txid(f"{k}:{wallet}:{n}") if chain != "eth"
                    else "0x" + _txid(f"{k}:{wallet}:{n}"), moment, asset, decimals,
                    units, usd, n + 1))
    added = 0
    by_id = {i.id: i for i in incidents}
    for (org_id, inc_id), items in by_owner.items():
        inc = by_id[inc_id]  # type: ignore[index]
        user = session.get(User, inc.created_by_id)
        if user is None or user.role is Role.READER:
            continue
        viewer = access.viewer_for(session, user)
        result = payments.store_payments(session, viewer, items, source="demo", tlp=inc.tlp,
                                         is_demo=True)
        added += result.stored
        assert org_id == viewer.org_id
    return added
