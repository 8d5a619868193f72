"""Benchmark: validating STIX 2.1 objects.

Generates a mix of objects (indicators with simple and complex patterns, SCOs
including cyberhub's crime artefacts, relationships, identities, malware…) and times,
on the same objects in the same run:

- ``cyberhub validate_object`` on all N objects;
- ``stix2.parse(obj, allow_custom=True)`` (the OASIS object library) on all N;
- ``stix2validator.validate_instance`` (the OASIS validator) on a 5k subset.

    .venv/bin/python bench/bench_validate.py [--objects 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from cyberhub.formats.stix import patterns, validate_object
from cyberhub.intel import extensions as ext

console = Console()
TS = "2024-03-01T10:00:00.000Z"
IDENT = "identity--" + str(uuid.UUID(int=1, version=4))


def _id(t: str, rng: random.Random) -> str:
    return f"{t}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _sdo(t: str, rng: random.Random, **props: Any) -> dict[str, Any]:
    return {"type": t, "spec_version": "2.1", "id": _id(t, rng), "created": TS,
            "modified": TS, "created_by_ref": IDENT, **props}


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    ip = lambda: ".".join(str(rng.randint(1, 254)) for _ in range(4))  # noqa: E731
    sha = lambda: f"{rng.getrandbits(256):064x}"  # noqa: E731
    makers: list[tuple[float, Callable[[], dict[str, Any]]]] = [
        (0.22, lambda: _sdo("indicator", rng, pattern=f"[ipv4-addr:value = '{ip()}']",
                            pattern_type="stix", valid_from=TS,
                            indicator_types=["malicious-activity"])),
        (0.10, lambda: _sdo("indicator", rng, pattern=f"[file:hashes.'SHA-256' = '{sha()}' OR "
                            f"domain-name:value = 'd{rng.randint(0, 10**6)}.example']",
                            pattern_type="stix", valid_from=TS)),
        (0.03, lambda: _sdo("indicator", rng, pattern=f"[url:value LIKE 'http://{ip()}/%'] "
                            f"FOLLOWEDBY [file:size > {rng.randint(1, 999)}] WITHIN 600 SECONDS",
                            pattern_type="stix", valid_from=TS)),
        (0.12, lambda: {"type": "ipv4-addr", "spec_version": "2.1", "id": _id("ipv4-addr", rng),
                        "value": ip()}),
        (0.06, lambda: {"type": "domain-name", "spec_version": "2.1",
                        "id": _id("domain-name", rng),
                        "value": f"shop{rng.randint(0, 10**6)}.example"}),
        (0.05, lambda: {"type": "url", "spec_version": "2.1", "id": _id("url", rng),
                        "value": f"https://x{rng.randint(0, 10**6)}.example/login?a=1"}),
        (0.05, lambda: {"type": "file", "spec_version": "2.1", "id": _id("file", rng),
                        "name": "a.exe", "hashes": {"SHA-256": sha()}}),
        (0.04, lambda: ext.new_bank_account(iban="DE89370400440532013000",
                                            account_number=str(rng.randint(10**7, 10**8)))),
        (0.04, lambda: ext.new_phone_number(f"+336{rng.randint(10**7, 10**8 - 1)}")),
        (0.03, lambda: ext.new_cryptocurrency_wallet("bitcoin",
                                                     f"bc1q{rng.getrandbits(150):038x}")),
        (0.03, lambda: ext.new_social_account("telegram", f"@shop{rng.randint(0, 10**6)}")),
        (0.12, lambda: _sdo("relationship", rng, relationship_type="indicates",
                            source_ref=_id("indicator", rng), target_ref=_id("malware", rng))),
        (0.05, lambda: _sdo("identity", rng, name=f"Org {rng.randint(0, 999)}",
                            identity_class="organization")),
        (0.03, lambda: _sdo("malware", rng, name="LockBit", is_family=True,
                            malware_types=["ransomware"])),
        (0.03, lambda: _sdo("threat-actor", rng, name="X", threat_actor_types=["criminal"])),
    ]
    weights = [w for w, _ in makers]
    funcs = [f for _, f in makers]
    return [rng.choices(funcs, weights)[0]() for _ in range(n)]


def timed(fn: Callable[[dict[str, Any]], Any], objs: list[dict[str, Any]]) -> tuple[float, int]:
    bad = 0
    start = time.perf_counter()
    for o in objs:
        try:
            r = fn(o)
        except Exception:
            bad += 1
            continue
        if r is False or (isinstance(r, list) and r):
            bad += 1
    return time.perf_counter() - start, bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--subset", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import stix2
    from stix2validator import ValidationOptions, validate_instance

    objs = generate(args.objects, args.seed)
    subset = objs[: args.subset]
    options = ValidationOptions(version="2.1")
    rows: list[tuple[str, int, float, int]] = []
    with console.status("cyberhub validate_object…"):
        elapsed, bad = timed(validate_object, objs)
        rows.append(("cyberhub validate_object", len(objs), elapsed, bad))
        simple = [o for o in objs if "FOLLOWEDBY" not in o.get("pattern", "")]
        complex_ = [o for o in objs if "FOLLOWEDBY" in o.get("pattern", "")]
        patterns._cache.clear()  # the sub-rows measure uncached patterns too
        elapsed, bad = timed(validate_object, simple)
        rows.append(("  of which: all but complex patterns", len(simple), elapsed, bad))
        elapsed, bad = timed(validate_object, complex_)
        rows.append(("  of which: complex patterns (ANTLR)", len(complex_), elapsed, bad))
    with console.status("stix2.parse…"):
        elapsed, bad = timed(lambda o: stix2.parse(o, allow_custom=True), objs)
        rows.append(("stix2.parse(allow_custom=True)", len(objs), elapsed, bad))
    with console.status("stix2validator.validate_instance…"):
        elapsed, bad = timed(lambda o: validate_instance(o, options).is_valid, subset)
        rows.append(("stix2validator.validate_instance", len(subset), elapsed, bad))

    ours = rows[0][1] / rows[0][2]
    table = Table(title=f"Validating {args.objects:,} mixed STIX 2.1 objects")
    for col in ("validator", "objects", "seconds", "objects/s", "rejected", "vs cyberhub"):
        table.add_column(col, justify="left" if col == "validator" else "right")
    for name, n, secs, bad in rows:
        rate = n / secs
        table.add_row(name, f"{n:,}", f"{secs:.2f}", f"{rate:,.0f}", f"{bad:,}",
                      "" if name.startswith(" ") else
                      "1×" if rate == ours else f"{ours / rate:,.1f}× slower")
    console.print(table)
    target = 50_000
    verdict = "[green]meets[/]" if ours >= target else "[red]misses[/]"
    console.print(f"cyberhub: {ours:,.0f} objects/s — {verdict} the {target:,}/s target")


if __name__ == "__main__":
    main()
