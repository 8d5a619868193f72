"""Benchmark: normalised values and MISP warning-list checks.

- ``values_of``: (kind, normalised value) extraction on N generated STIX objects (SCOs,
  indicators with patterns, crime artefacts; ~10% repeated values), beside baselines
  measured in the same run on the same objects: ``orjson.loads`` of their JSON, and
  ``ipaddress.ip_address`` alone on the IP values.
- warning lists: checks per second on M values (about a third of them on a list) against
  the compiled index, beside a plain Python ``set`` lookup of the same values; index build
  time, index open time, and pymispwarninglists' own load of its JSON (what a process
  would pay at start without the index).

    .venv/bin/python bench/bench_values.py [--objects 100000] [--checks 200000]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from cyberhub.intel import normalise as norm
from cyberhub.intel.normalise import values_of
from cyberhub.intel.warninglists import WarningIndex, build_index

console = Console()

WALLETS = [("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
           ("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
           ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
           ("usdt-trc20", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
           ("xmr", "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBY"
                   "Bb98uNbr2VBBEt7f2wfn3RVGQBEP3A"),
           ("bch", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
           ("ltc", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz")]
IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00",
         "FR14 2004 1010 0505 0001 3M02 606"]


def _ip(rng: random.Random) -> str:
    return str(ipaddress.IPv4Address(rng.getrandbits(32)))


def _domain(rng: random.Random) -> str:
    return f"{rng.choice(['WWW.', 'mail.', '', 'cdn.'])}host{rng.getrandbits(24)}." \
           f"{rng.choice(['com', 'net', 'ru', 'xyz', 'de'])}"


def generate(n: int, rng: random.Random) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = []
    for i in range(n):
        if objs and rng.random() < 0.1:  # repeated values
            objs.append(dict(rng.choice(objs)))
            continue
        r = i % 12
        if r == 0:
            obj = {"type": "ipv4-addr", "value": _ip(rng)}
        elif r == 1:
            obj = {"type": "domain-name", "value": _domain(rng)}
        elif r == 2:
            obj = {"type": "url", "value": f"HTTP://{_domain(rng)}:80/path/{rng.getrandbits(32)}"
                                           f"?id={rng.getrandbits(16)}#frag"}
        elif r == 3:
            obj = {"type": "email-addr", "value": f"User{rng.getrandbits(20)}@{_domain(rng)}"}
        elif r == 4:
            obj = {"type": "file", "name": f"invoice{i}.exe",
                   "hashes": {"MD5": f"{rng.getrandbits(128):032X}",
                              "SHA-256": f"{rng.getrandbits(256):064x}"}}
        elif r in (5, 6):
            obj = {"type": "indicator", "pattern_type": "stix",
                   "pattern": f"[ipv4-addr:value = '{_ip(rng)}'] OR "
                              f"[domain-name:value = '{_domain(rng)}']"}
        elif r == 7:
            obj = {"type": "indicator", "pattern_type": "stix",
                   "pattern": f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}']"}
        elif r == 8:
            obj = {"type": "x-cyberhub-bank-account", "iban": rng.choice(IBANS),
                   "bic": "DEUTDEFFXXX", "account_number": f"{rng.getrandbits(30)}",
                   "country": "FR"}
        elif r == 9:
            obj = {"type": "x-cyberhub-phone-number",
                   "value": f"+44 20 7{rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"}
        elif r == 10:
            chain, address = rng.choice(WALLETS)
            obj = {"type": "x-cyberhub-cryptocurrency-wallet", "chain": chain,
                   "address": address}
        else:
            obj = {"type": "x-cyberhub-social-account", "platform": "Telegram",
                   "handle": f"@User_{rng.getrandbits(24)}"}
        objs.append(obj)
    return objs


def rate(n: int, fn: Callable[[], object]) -> tuple[float, float]:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    return n / dt, dt


def clear_caches() -> None:
    for name in ("_check_alabels", "_idna_domain", "_iban", "_bic", "_phone_cached",
                 "_wallet_cached"):
        getattr(norm, name).cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--checks", type=int, default=200_000)
    args = ap.parse_args()
    rng = random.Random(42)

    objs = generate(args.objects, rng)
    blobs = [orjson.dumps(o) for o in objs]
    ips = [o["value"] for o in objs if o["type"] == "ipv4-addr"]

    table = Table(title=f"values_of on {len(objs):,} STIX objects")
    table.add_column("what")
    table.add_column("items/s", justify="right")
    table.add_column("seconds", justify="right")
    r, dt = rate(len(blobs), lambda: [orjson.loads(b) for b in blobs])
    table.add_row("baseline: orjson.loads", f"{r:,.0f}", f"{dt:.2f}")
    clear_caches()
    r, dt = rate(len(objs), lambda: [values_of(o) for o in objs])
    table.add_row("values_of (cold caches)", f"{r:,.0f}", f"{dt:.2f}")
    r, dt = rate(len(objs), lambda: [values_of(o) for o in objs])
    table.add_row("values_of (warm caches)", f"{r:,.0f}", f"{dt:.2f}")
    clear_caches()
    r, dt = rate(len(blobs), lambda: [values_of(orjson.loads(b)) for b in blobs])
    table.add_row("orjson.loads + values_of", f"{r:,.0f}", f"{dt:.2f}")
    r, dt = rate(len(ips), lambda: [str(ipaddress.ip_address(v)) for v in ips])
    table.add_row(f"baseline: str(ipaddress.ip_address) ×{len(ips):,}", f"{r:,.0f}", f"{dt:.2f}")
    r, dt = rate(len(ips), lambda: [norm.normalise("ipv4", v) for v in ips])
    table.add_row(f"normalise('ipv4') ×{len(ips):,}", f"{r:,.0f}", f"{dt:.2f}")
    console.print(table)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.bin"
        t = time.perf_counter()
        build_index(path)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        ix = WarningIndex(path)
        open_s = time.perf_counter() - t
        t = time.perf_counter()
        from pymispwarninglists import WarningLists

        WarningLists(slow_search=True)
        misp_s = time.perf_counter() - t

        values: list[tuple[str, str]] = []
        listed = [("domain", "google.com"), ("domain", "mail.google.com"),
                  ("ipv4", "8.8.8.8"), ("ipv4", "10.1.2.3"), ("url", "https://www.google.com/x"),
                  ("md5", "d41d8cd98f00b204e9800998ecf8427e"), ("email", "a@mailinator.com")]
        for i in range(args.checks):
            r3 = i % 3
            if r3 == 0:
                values.append(rng.choice(listed))
            elif r3 == 1:
                values.append(("ipv4", _ip(rng)))
            else:
                d = norm.normalise("domain", _domain(rng))
                assert d is not None
                values.append(("domain", d))
        kinds = {k for k, _ in values}
        plain = set(values)
        hits = sum(1 for k, v in values if ix.mask(k, v))

        t2 = Table(title=f"warning lists: {len(values):,} checks ({hits:,} on a list), "
                         f"{len(ix.lists)} lists")
        t2.add_column("what")
        t2.add_column("per second / seconds", justify="right")
        r, dt = rate(len(values), lambda: [(k, v) in plain for k, v in values])
        t2.add_row("baseline: Python set lookup", f"{r:,.0f}/s")
        r, dt = rate(len(values), lambda: [ix.mask(k, v) for k, v in values])
        t2.add_row("index mask (kinds " + ", ".join(sorted(kinds)) + ")", f"{r:,.0f}/s")
        r, dt = rate(len(values), lambda: [ix.check(k, v) for k, v in values])
        t2.add_row("index check → list names", f"{r:,.0f}/s")
        t2.add_row("index build (once per package version)", f"{build_s:.1f} s")
        t2.add_row(f"index open (mmap, {path.stat().st_size / 1e6:.0f} MB file)",
                   f"{open_s * 1000:.1f} ms")
        t2.add_row("baseline: pymispwarninglists load of its JSON", f"{misp_s:.1f} s")
        console.print(t2)
        ix.close()


if __name__ == "__main__":
    main()
