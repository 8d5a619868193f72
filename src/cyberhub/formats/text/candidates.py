"""The candidates shown to the member: extracted values with their warning lists."""

from __future__ import annotations

from collections.abc import Callable

from cyberhub.formats.text.extract import Candidate, extract

__all__ = ["candidates"]

_LISTED_KINDS = frozenset({"ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256",
                           "sha512", "phone"})


def _default_lists(kind: str, value: str) -> tuple[list[str], bool]:
    from cyberhub.intel import warninglists

    found = warninglists.matches(kind, value)
    benign = bool(found) and warninglists.is_benign(kind, value)
    return [wl.name for wl in found], benign


def candidates(text: str, lists: Callable[[str, str], tuple[list[str], bool]] | None = None
               ) -> list[Candidate]:
    """Distinct values found in ``text``, each with the MISP warning lists holding it."""
    check = lists or _default_lists
    found = extract(text)
    for c in found:
        if c.kind in _LISTED_KINDS:
            c.lists, c.benign = check(c.kind, c.value)
    return found
