"""A generated, clearly fictional cybercrime ecosystem: for tests, benchmarks and demos.

Actors (intrusion sets named "Demo group NNN") use domains, wallets, contact points and
malware; domains resolve to addresses; addresses sit with a few bulletproof hosters and
wallets cash out through a few services, chosen with a heavy tail so that some resources
are shared by many actors — the choke points the threat map is meant to find. Every
object carries the label ``synthetic``; the same seed (and ``until``) gives the same
ecosystem.

With ``extras=True`` the ecosystem also has a history and a place in the world, for the
landscape dashboard and the actor profiles: objects are spread over the two years before
``until`` (``created``/``modified``, ``first_seen`` on relationships), actors have
aliases, campaigns attributed to them, e-mail, phone and social accounts and mule bank
accounts, ``uses`` relationships to real ATT&CK techniques, ``targets`` relationships to
sector identities and countries, and an ``originates-from`` country — the ids of the
hub's reference data (:class:`Reference`, read from ``pymispgalaxies``), so that the
generated actors link to the techniques, sectors and countries the reference data
loads. :meth:`Ecosystem.sightings` then gives sightings of some of the infrastructure,
for several observing organisations.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from cyberhub.intel import extensions
from cyberhub.intel.synthetic import EPOCH, LABEL, sco_id, ts

CREATED = ts(EPOCH)
SPAN = timedelta(days=730)  # how far back the history of ``extras`` reaches

# Techniques, sectors and countries a crime ecosystem plausibly touches (those the
# installed galaxies do not know are left out).
TECHNIQUES = ("T1566", "T1566.001", "T1566.002", "T1486", "T1490", "T1059.001", "T1078",
              "T1190", "T1133", "T1021.001", "T1567", "T1048", "T1105", "T1027", "T1204",
              "T1071", "T1003", "T1110", "T1219", "T1657", "T1583.001", "T1588.002",
              "T1555", "T1539", "T1056.001", "T1496", "T1498", "T1489", "T1047", "T1053")
# The enterprise tactic each stand-in technique is drawn under (its first, for those
# ATT&CK lists under several).
TACTICS = {
    "T1566": "initial-access", "T1566.001": "initial-access", "T1566.002": "initial-access",
    "T1486": "impact", "T1490": "impact", "T1059.001": "execution", "T1078": "initial-access",
    "T1190": "initial-access", "T1133": "initial-access", "T1021.001": "lateral-movement",
    "T1567": "exfiltration", "T1048": "exfiltration", "T1105": "command-and-control",
    "T1027": "defense-evasion", "T1204": "execution", "T1071": "command-and-control",
    "T1003": "credential-access", "T1110": "credential-access",
    "T1219": "command-and-control", "T1657": "impact", "T1583.001": "resource-development",
    "T1588.002": "resource-development", "T1555": "credential-access",
    "T1539": "credential-access", "T1056.001": "collection", "T1496": "impact",
    "T1498": "impact", "T1489": "impact", "T1047": "execution", "T1053": "execution"}
SECTORS = ("Finance", "Bank", "Health", "Government, Administration", "Manufacturing",
           "Retail", "Education", "Telecoms", "Energy", "Transport", "Payment", "Legal",
           "Insurance", "eCommerce", "Digital infrastructure", "Hospitality")
TARGET_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "IT", "ES", "CA", "AU", "BE", "SE", "BR",
                    "IN", "JP", "PL", "AT", "CH", "IE", "PT", "DK", "NO", "FI", "MX", "ZA",
                    "SG", "KR", "NZ", "CZ", "RO", "GR")
ORIGIN_COUNTRIES = ("BR", "NG", "IN", "VN", "ID", "TR", "UA", "RO", "MA", "PH", "AR", "PK",
                    "TH", "EG", "CO", "KE", "MY", "PE", "GH", "BD")


@dataclass(frozen=True)
class Reference:
    """Ids of reference-data objects the ecosystem points at (as the hub's reference
    data builds them from the MISP galaxies)."""

    techniques: list[tuple[str, str, str]]  # (attack-pattern id, ATT&CK id, name)
    sectors: list[tuple[str, str]]  # (identity id, name)
    countries: dict[str, tuple[str, str]]  # ISO alpha-2 → (location id, name)

    @staticmethod
    @cache
    def load() -> Reference | None:
        """From the installed ``pymispgalaxies``; None when its data cannot be read."""
        try:
            from cyberhub.intel.galaxies import cluster_stix_id
            from cyberhub.refdata.galaxies import GalaxyError, read_galaxy
        except ImportError:  # pragma: no cover - declared dependencies
            return None
        try:
            patterns = read_galaxy("mitre-attack-pattern")
            sectors = read_galaxy("sector")
            countries = read_galaxy("country")
        except (GalaxyError, OSError):  # pragma: no cover - a broken installation
            return None
        techniques: dict[str, tuple[str, str, str]] = {}
        for c in patterns.clusters:
            meta = c.get("meta") or {}
            ext = meta.get("external_id")
            ext = ext[0] if isinstance(ext, list) and ext else ext
            sid = cluster_stix_id("mitre-attack-pattern", c["uuid"])
            chains = meta.get("kill_chain") or []
            if (ext in TECHNIQUES and sid and ext not in techniques
                    and any(str(k).startswith("attack-") for k in chains)):
                name = str(c["value"]).rsplit(" - ", 1)[0]
                techniques[ext] = (sid, ext, name)
        by_name = {str(c["value"]): c for c in sectors.clusters}
        sector_ids = [(sid, name) for name in SECTORS if name in by_name
                      for sid in [cluster_stix_id("sector", by_name[name]["uuid"])] if sid]
        found: dict[str, tuple[str, str]] = {}
        for c in countries.clusters:
            iso = (c.get("meta") or {}).get("ISO")
            iso = iso[0] if isinstance(iso, list) and iso else iso
            sid = cluster_stix_id("country", c["uuid"])
            if isinstance(iso, str) and len(iso) == 2 and sid:
                name = str(c.get("description") or c["value"])
                found.setdefault(iso.upper(), (sid, name))
        return Reference([techniques[t] for t in TECHNIQUES if t in techniques], sector_ids,
                         found)

    def objects(self) -> Iterator[dict[str, Any]]:
        """Minimal stand-ins of the referenced objects, for hubs (tests, benchmarks) that
        have not loaded the reference data; ids as the reference data's."""
        for sid, ext, name in self.techniques:
            yield {"type": "attack-pattern", "spec_version": "2.1", "id": sid,
                   "created": CREATED, "modified": CREATED, "name": f"{name} - {ext}",
                   "kill_chain_phases": [{"kill_chain_name": "mitre-attack",
                                          "phase_name": TACTICS.get(ext, "impact")}],
                   "external_references": [{"source_name": "mitre-attack",
                                            "external_id": ext}], "labels": [LABEL]}
        for sid, name in self.sectors:
            yield {"type": "identity", "spec_version": "2.1", "id": sid, "created": CREATED,
                   "modified": CREATED, "name": name, "identity_class": "class",
                   "labels": [LABEL]}
        for code, (sid, name) in sorted(self.countries.items()):
            if code in TARGET_COUNTRIES or code in ORIGIN_COUNTRIES:
                yield {"type": "location", "spec_version": "2.1", "id": sid,
                       "created": CREATED, "modified": CREATED, "name": name,
                       "country": code, "labels": [LABEL]}


@dataclass
class _Actor:
    id: str
    start: datetime
    infrastructure: list[str] = field(default_factory=list)


class Ecosystem:
    def __init__(self, seed: int = 1, *, until: datetime = EPOCH,
                 reference: Reference | None = None) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.until = until
        self._reference = reference
        self._actors: list[_Actor] = []

    @property
    def reference(self) -> Reference | None:
        if self._reference is None:
            self._reference = Reference.load()
        return self._reference

    def _id(self, stix_type: str) -> str:
        return f"{stix_type}--{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def _sdo(self, stix_type: str, name: str, when: str = CREATED,
             **extra: Any) -> dict[str, Any]:
        return {"type": stix_type, "spec_version": "2.1", "id": self._id(stix_type),
                "created": when, "modified": when, "name": name, "labels": [LABEL], **extra}

    def _relationship(self, kind: str, source: str, target: str,
                      when: datetime | None = None) -> dict[str, Any]:
        stamp = CREATED if when is None else ts(when)
        rel = {"type": "relationship", "spec_version": "2.1",
               "id": self._id("relationship"), "created": stamp, "modified": stamp,
               "relationship_type": kind, "source_ref": source, "target_ref": target,
               "labels": [LABEL]}
        if when is not None:
            rel["start_time"] = stamp  # STIX's name for "first seen" on a relationship
        return rel

    def _pick(self, pool: list[str]) -> str:
        """Heavy-tailed choice: the first entries of a pool are used far more often."""
        return pool[min(int(self.rng.paretovariate(1.2)) - 1, len(pool) - 1)]

    def _after(self, start: datetime) -> datetime:
        """A moment between ``start`` and ``until``, later moments a little likelier (the
        ecosystem grows)."""
        span = (self.until - start).total_seconds()
        return start + timedelta(seconds=int(span * self.rng.random() ** 0.7))

    def objects(self, actors: int = 40, *, domains_per_actor: int = 6, hosters: int = 6,
                cashouts: int = 4, families: int = 12, extras: bool = False,
                reference_objects: bool = False) -> Iterator[dict[str, Any]]:
        """About ``actors × (3·domains_per_actor + 6)`` objects, relationships included;
        with ``extras`` about twice as many (see the module's docstring), and with
        ``reference_objects`` stand-ins of the reference data they point at."""
        r = self.rng
        begin = self.until - SPAN
        ref = self.reference if extras else None
        if ref is not None and reference_objects:
            yield from ref.objects()

        def when(moment: datetime | None) -> str:
            return CREATED if moment is None else ts(moment)

        hoster_ids, cashout_ids, family_ids = [], [], []
        for i in range(hosters):
            at = begin + timedelta(days=i) if extras else None
            obj = extensions.new_criminal_service(
                f"Demo bulletproof hoster {i + 1:02d}", "bulletproof-hosting",
                created=when(at), labels=[LABEL])
            hoster_ids.append(obj["id"])
            yield obj
        for i in range(cashouts):
            at = begin + timedelta(days=i) if extras else None
            obj = extensions.new_criminal_service(
                f"Demo cash-out service {i + 1:02d}", "money-laundering", created=when(at),
                labels=[LABEL])
            cashout_ids.append(obj["id"])
            yield obj
        for i in range(families):
            ransomware = i % 3 == 0
            kind = "locker" if ransomware else "loader"
            at = begin + timedelta(days=10 * i) if extras else None
            obj = self._sdo("malware", f"Demo {kind} {i + 1:02d}", when(at), is_family=True,
                            malware_types=["ransomware"] if ransomware else ["downloader"])
            family_ids.append(obj["id"])
            yield obj
        for a in range(actors):
            start = begin + timedelta(seconds=int(SPAN.total_seconds() * 0.9 * r.random())) \
                if extras else None

            def moment(start: datetime | None = start) -> datetime | None:
                return None if start is None else self._after(start)

            extra: dict[str, Any] = {}
            if extras:
                extra = {"aliases": [f"DEMO-{a + 1:03d}", f"Fictional Spider {a + 1:03d}"],
                         "description": "A generated, fictional group (synthetic demo data)."}
            actor = self._sdo("intrusion-set", f"Demo group {a + 1:03d}", when(start), **extra)
            record = _Actor(actor["id"], start or EPOCH)
            self._actors.append(record)
            yield actor
            yield self._relationship("uses", actor["id"], self._pick(family_ids), moment())
            for _ in range(domains_per_actor):
                name = f"{uuid.UUID(int=r.getrandbits(128)).hex[:12]}.demo-crime.example"
                domain = {"type": "domain-name", "spec_version": "2.1",
                          "id": sco_id("domain-name", {"value": name}), "value": name}
                address = f"198.51.{r.randrange(100)}.{r.randrange(1, 255)}"
                ip = {"type": "ipv4-addr", "spec_version": "2.1",
                      "id": sco_id("ipv4-addr", {"value": address}), "value": address}
                record.infrastructure += [domain["id"], ip["id"]]
                yield domain
                yield ip
                yield self._relationship("uses", actor["id"], domain["id"], moment())
                yield self._relationship("resolves-to", domain["id"], ip["id"], moment())
                yield self._relationship("related-to", ip["id"], self._pick(hoster_ids),
                                         moment())
            wallet = extensions.new_cryptocurrency_wallet(
                "bitcoin", "bc1q" + uuid.UUID(int=r.getrandbits(128)).hex[:30])
            yield wallet
            yield self._relationship("related-to", actor["id"], wallet["id"], moment())
            yield self._relationship("related-to", wallet["id"], self._pick(cashout_ids),
                                     moment())
            if start is not None:
                yield from self._extras(a, record, start, ref)

    def _extras(self, a: int, actor: _Actor, start: datetime,
                ref: Reference | None) -> Iterator[dict[str, Any]]:
        r = self.rng
        n = a + 1
        contacts = [
            extensions.new_phone_number(f"+447700900{n % 1000:03d}"),
            extensions.new_social_account("telegram", f"demo_group_{n:03d}_ops"),
            {"type": "email-addr", "spec_version": "2.1", "value": f"ops{n:03d}@demo-crime.example",
             "id": sco_id("email-addr", {"value": f"ops{n:03d}@demo-crime.example"})},
        ]
        for contact in contacts:
            yield contact
            yield self._relationship("related-to", actor.id, contact["id"], self._after(start))
        for m in range(r.randrange(0, 3)):
            account = extensions.new_bank_account(account_number=f"DEMO-{n:03d}-{m + 1:02d}",
                                                  bank_name="Demo Mule Bank (fictional)")
            yield account
            yield self._relationship("related-to", actor.id, account["id"], self._after(start))
        for c in range(r.randrange(1, 4)):
            at = self._after(start)
            campaign = self._sdo("campaign", f"Demo campaign {n:03d}-{c + 1}", ts(at),
                                 first_seen=ts(at))
            yield campaign
            yield self._relationship("attributed-to", campaign["id"], actor.id, at)
        if ref is None:
            return
        if ref.techniques:
            for sid, _ext, _name in r.sample(ref.techniques, min(len(ref.techniques),
                                                                 r.randrange(2, 7))):
                yield self._relationship("uses", actor.id, sid, self._after(start))
        if ref.sectors:
            for sid, _name in r.sample(ref.sectors, min(len(ref.sectors), r.randrange(1, 4))):
                yield self._relationship("targets", actor.id, sid, self._after(start))
        targets = [ref.countries[c] for c in TARGET_COUNTRIES if c in ref.countries]
        for k in range(r.randrange(1, 5) if targets else 0):
            country = targets[min(int(r.paretovariate(0.8)) - 1 + k, len(targets) - 1)][0]
            yield self._relationship("targets", actor.id, country, self._after(start))
        origins = [ref.countries[c] for c in ORIGIN_COUNTRIES if c in ref.countries]
        if origins:
            yield self._relationship("originates-from", actor.id, r.choice(origins)[0], start)

    def sightings(self, observers: int = 5,
                  ratio: float = 0.15) -> Iterator[tuple[int, dict[str, Any]]]:
        """Sightings of some of the infrastructure generated so far (call after
        :meth:`objects` with ``extras``): (observer number 0…observers-1, sighting)."""
        r = self.rng
        for actor in self._actors:
            for ref in actor.infrastructure:
                if r.random() >= ratio:
                    continue
                first = self._after(actor.start)
                last = min(first + timedelta(days=r.randrange(1, 60)), self.until)
                yield r.randrange(observers), {
                    "type": "sighting", "spec_version": "2.1", "id": self._id("sighting"),
                    "created": ts(last), "modified": ts(last), "sighting_of_ref": ref,
                    "first_seen": ts(first), "last_seen": ts(last),
                    "count": r.randrange(1, 40), "labels": [LABEL]}
