"""A generated, clearly fictional cybercrime ecosystem: for tests, benchmarks and demos.

Actors (intrusion sets named "Demo group NNN") use domains, wallets, contact points and
malware; domains resolve to addresses; addresses sit with a few bulletproof hosters and
wallets cash out through a few services, chosen with a heavy tail so that some resources
are shared by many actors — the choke points the threat map is meant to find. Every
object carries the label ``synthetic``; the same seed gives the same ecosystem.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

from cyberhub.intel import extensions
from cyberhub.intel.synthetic import EPOCH, LABEL, sco_id, ts

CREATED = ts(EPOCH)


class Ecosystem:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets

    def _id(self, stix_type: str) -> str:
        return f"{stix_type}--{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def _sdo(self, stix_type: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"type": stix_type, "spec_version": "2.1", "id": self._id(stix_type),
                "created": CREATED, "modified": CREATED, "name": name,
                "labels": [LABEL], **extra}

    def _relationship(self, kind: str, source: str, target: str) -> dict[str, Any]:
        return {"type": "relationship", "spec_version": "2.1",
                "id": self._id("relationship"), "created": CREATED, "modified": CREATED,
                "relationship_type": kind, "source_ref": source, "target_ref": target,
                "labels": [LABEL]}

    def _pick(self, pool: list[str]) -> str:
        """Heavy-tailed choice: the first entries of a pool are used far more often."""
        return pool[min(int(self.rng.paretovariate(1.2)) - 1, len(pool) - 1)]

    def objects(self, actors: int = 40, *, domains_per_actor: int = 6, hosters: int = 6,
                cashouts: int = 4, families: int = 12) -> Iterator[dict[str, Any]]:
        """About ``actors × (3·domains_per_actor + 6)`` objects, relationships included."""
        r = self.rng
        hoster_ids, cashout_ids, family_ids = [], [], []
        for i in range(hosters):
            obj = extensions.new_criminal_service(
                f"Demo bulletproof hoster {i + 1:02d}", "bulletproof-hosting", created=CREATED,
                labels=[LABEL])
            hoster_ids.append(obj["id"])
            yield obj
        for i in range(cashouts):
            obj = extensions.new_criminal_service(
                f"Demo cash-out service {i + 1:02d}", "money-laundering", created=CREATED,
                labels=[LABEL])
            cashout_ids.append(obj["id"])
            yield obj
        for i in range(families):
            ransomware = i % 3 == 0
            kind = "locker" if ransomware else "loader"
            obj = self._sdo("malware", f"Demo {kind} {i + 1:02d}", is_family=True,
                            malware_types=["ransomware"] if ransomware else ["downloader"])
            family_ids.append(obj["id"])
            yield obj
        for a in range(actors):
            actor = self._sdo("intrusion-set", f"Demo group {a + 1:03d}")
            yield actor
            yield self._relationship("uses", actor["id"], self._pick(family_ids))
            for _ in range(domains_per_actor):
                name = f"{uuid.UUID(int=r.getrandbits(128)).hex[:12]}.demo-crime.example"
                domain = {"type": "domain-name", "spec_version": "2.1",
                          "id": sco_id("domain-name", {"value": name}), "value": name}
                address = f"198.51.{r.randrange(100)}.{r.randrange(1, 255)}"
                ip = {"type": "ipv4-addr", "spec_version": "2.1",
                      "id": sco_id("ipv4-addr", {"value": address}), "value": address}
                yield domain
                yield ip
                yield self._relationship("uses", actor["id"], domain["id"])
                yield self._relationship("resolves-to", domain["id"], ip["id"])
                yield self._relationship("related-to", ip["id"], self._pick(hoster_ids))
            wallet = extensions.new_cryptocurrency_wallet(
                "bitcoin", "bc1q" + uuid.UUID(int=r.getrandbits(128)).hex[:30])
            yield wallet
            yield self._relationship("related-to", actor["id"], wallet["id"])
            yield self._relationship("related-to", wallet["id"], self._pick(cashout_ids))
