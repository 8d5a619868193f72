"""Precision and recall of ioc-finder and iocextract on the free-text corpus.

    .venv/bin/python bench/compare_extractors.py

Each library gets the raw text (both re-fang themselves); what they find is normalised
the same way (``intel.normalise``), as the hub stores it. A value counts as correct when
the corpus expects it, or allows it (the host of a URL, the domain of an e-mail address);
recall counts the expected values only. "pipeline" is what the hub runs: ioc-finder after
``formats.refang``, plus the hub's own IBAN and CVE patterns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cyberhub.formats.refang import refang
from cyberhub.formats.text.extract import Found, extract, extract_iocfinder, normal

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "text"


def extract_iocextract(text: str) -> Found:
    import iocextract

    out: Found = [("url", u) for u in iocextract.extract_urls(text, refang=True)]
    for ip in iocextract.extract_ips(text, refang=True):
        out.append(("ipv6" if ":" in ip else "ipv4", ip))
    out += [("email", e) for e in iocextract.extract_emails(text, refang=True)]
    for kind, fn in (("md5", iocextract.extract_md5_hashes),
                     ("sha1", iocextract.extract_sha1_hashes),
                     ("sha256", iocextract.extract_sha256_hashes),
                     ("sha512", iocextract.extract_sha512_hashes)):
        out += [(kind, h) for h in fn(text)]
    return out



def _score(found: set[tuple[str, str]], expected: set[tuple[str, str]],
           allowed: set[tuple[str, str]]) -> tuple[float, float, list[tuple[str, str]],
                                                   list[tuple[str, str]]]:
    right = found & (expected | allowed)
    precision = len(right) / len(found) if found else 0.0
    recall = len(found & expected) / len(expected)
    return precision, recall, sorted(found - expected - allowed), sorted(expected - found)


def _normalised(finder: Callable[[str], Found], text: str) -> set[tuple[str, str]]:
    out = set()
    for kind, raw in finder(text):
        value = normal(kind, raw.strip())
        if value is not None:
            out.add((kind, value))
    return out


def main() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        spec = json.loads(path.with_suffix(".expected.json").read_text())
        expected = {tuple(x) for x in spec["expected"]}
        allowed = {tuple(x) for x in spec["allowed"]}
        text = path.read_text()
        runs = {
            "ioc-finder": _normalised(extract_iocfinder, text),
            "iocextract": _normalised(extract_iocextract, text),
            "ioc-finder + refang": _normalised(extract_iocfinder, refang(text)),
            "iocextract + refang": _normalised(extract_iocextract, refang(text)),
            "pipeline": {(c.kind, c.value) for c in extract(text)},
        }
        print(f"{path.name}: {len(expected)} expected values")
        for name, found in runs.items():
            p, r, wrong, missed = _score(found, expected, allowed)  # type: ignore[arg-type]
            print(f"  {name:22} precision {p:5.1%}  recall {r:5.1%}  found {len(found)}")
            print(f"    false: {wrong}")
            print(f"    missed: {missed}")


if __name__ == "__main__":
    main()
