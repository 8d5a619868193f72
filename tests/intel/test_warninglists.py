"""MISP warning lists: the compiled index finds real entries, and only those."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cyberhub.config import Settings, get_settings, set_settings
from cyberhub.intel import warninglists
from cyberhub.intel.warninglists import WarningIndex, build_index
from tests.cache import warninglists_index


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarningIndex]:
    """One index for the run: building it normalises ~2.5 million entries."""
    ix = WarningIndex(warninglists_index())
    yield ix
    ix.close()


def slugs(ix: WarningIndex, kind: str, value: str) -> set[str]:
    return {wl.slug for wl in ix.matches(kind, value)}


@pytest.mark.parametrize(("kind", "value", "slug"), [
    ("ipv4", "8.8.8.8", "public-dns-v4"),  # a public resolver (a single-address "cidr" entry)
    ("ipv4", "1.1.1.1", "public-dns-v4"),
    ("ipv4", "10.20.30.40", "rfc1918"),  # inside 10.0.0.0/8
    ("ipv4", "172.31.255.255", "rfc1918"),  # last address of 172.16.0.0/12
    ("ipv4", "192.168.0.0/24", "rfc1918"),  # a network inside a listed one
    ("ipv4", "224.0.0.1", "multicast"),
    ("ipv6", "fe80::1", "ipv6-linklocal"),
    ("ipv6", "2001:db8::42", "rfc3849"),
    ("domain", "google.com", "tranco"),  # hostname list
    ("domain", "google.com", "cisco_top1000"),  # string list
    ("domain", "mail.google.com", "tranco"),  # subdomain of a hostname entry
    ("domain", "a.b.c.google.com", "google"),  # ".google.com" entry of a string list
    ("domain", "co.uk", "second-level-tlds"),
    ("domain", "evil.duckdns.org", "dynamic-dns"),
    ("url", "https://www.google.com/search?q=x", "tranco"),  # the URL's host
    ("email", "someone@mailinator.com", "disposable-email"),  # substring list, as a domain
    ("email", "abuse@example.com", "common-contact-emails"),  # regex list
    ("phone", "+12125550123", "phone_numbers"),  # fictional 555-01xx number
    ("phone", "+442079460958", "phone_numbers"),  # Ofcom's drama range 020 7946 0xxx
    ("md5", "d41d8cd98f00b204e9800998ecf8427e", "empty-hashes"),
    ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty-hashes"),
])
def test_known_entries_are_found(index: WarningIndex, kind: str, value: str, slug: str) -> None:
    assert slug in slugs(index, kind, value)
    assert any(wl.slug == slug for wl in index.lists)
    names = index.check(kind, value)
    assert next(wl.name for wl in index.lists if wl.slug == slug) in names


@pytest.mark.parametrize(("kind", "value"), [
    ("ipv4", "185.220.101.1/33"),  # not a normal form: nothing, no error
    ("domain", "notgoogle-evil-example.xyz"),
    ("domain", "google.com.evil-example.xyz"),  # the list entry as a prefix is no match
    ("domain", "xgoogle.com"),  # nor as a suffix without a dot
    ("url", "http://phish-example.xyz/google.com"),
    ("email", "victim@bank-example.org"),
    ("md5", "0123456789abcdef0123456789abcdef"),
    ("phone", "+41446681800"),
    ("wallet", "btc:1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),  # no list applies to wallets
    ("mutex", "Global\\x"),
])
def test_unknown_values_are_not_found(index: WarningIndex, kind: str, value: str) -> None:
    assert index.check(kind, value) == []
    assert not index.is_benign(kind, value)


def test_cidr_boundaries(index: WarningIndex) -> None:
    assert "rfc1918" in slugs(index, "ipv4", "10.0.0.0")
    assert "rfc1918" in slugs(index, "ipv4", "10.255.255.255")
    assert "rfc1918" not in slugs(index, "ipv4", "11.0.0.0")
    assert "rfc1918" not in slugs(index, "ipv4", "9.255.255.255")
    assert "rfc1918" not in slugs(index, "ipv4", "8.0.0.0/7")
    assert "rfc1918" in slugs(index, "ipv4", "10.0.0.0/8")
    assert "rfc1918" not in slugs(index, "ipv4", "10.0.0.0/7")  # larger than the listed one
    assert "ipv6-linklocal" not in slugs(index, "ipv6", "fec0::1")


def test_lists_apply_only_to_their_kinds(index: WarningIndex) -> None:
    # 8.8.8.8 is a public-DNS address; as a "domain" it is nothing (and not a domain).
    assert index.check("domain", "8.8.8.8") == []
    # Hash lists do not apply to file names.
    assert index.check("filename", "d41d8cd98f00b204e9800998ecf8427e") == []


def test_categories_and_benign(index: WarningIndex) -> None:
    by_slug = {wl.slug: wl for wl in index.lists}
    assert by_slug["rfc1918"].category == "false-positive"
    assert by_slug["dynamic-dns"].category == "known"
    assert by_slug["public-dns-v4"].type == "cidr"
    assert by_slug["tranco"].description
    assert index.is_benign("ipv4", "10.1.2.3")
    assert index.is_benign("domain", "google.com")
    # Under a popular provider (top-site lists) but a dynamic-DNS name: not benign.
    assert not index.is_benign("domain", "evil.duckdns.org")


def test_hub_index_is_built_once_under_var_dir(index: WarningIndex, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    previous = get_settings()
    set_settings(Settings(var_dir=tmp_path))
    monkeypatch.setattr(warninglists, "_index", None)
    stale = tmp_path / "warninglists" / "index-0.0-f0-little.bin"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    # Building is the slow part: reuse the session's file for the hub's path.
    built: list[Path] = []

    def fake_build_index(path: Path, progress: object = None) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(index.path.read_bytes())
        built.append(path)
        return path

    monkeypatch.setattr(warninglists, "build_index", fake_build_index)
    try:
        path = warninglists.build()
        assert path == warninglists.default_path() and path.parent == tmp_path / "warninglists"
        assert not stale.exists()
        assert "rfc1918" in {wl.slug for wl in warninglists.matches("ipv4", "192.168.1.1")}
        assert warninglists.check("ipv4", "192.168.1.1")
        assert warninglists.is_benign("ipv4", "192.168.1.1")
        assert len(built) == 1  # the file existed: opened, not rebuilt
    finally:
        if warninglists._index is not None:
            warninglists._index.close()
        set_settings(previous)


def test_progress_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A two-list package keeps this quick.
    lists = warninglists._load_lists()
    small = [item for item in lists if item[0] in ("rfc1918", "google")]
    monkeypatch.setattr(warninglists, "_load_lists", lambda: small)
    seen: list[tuple[int, int]] = []
    path = build_index(tmp_path / "small.bin", lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] > 0
    ix = WarningIndex(path)
    try:
        assert {wl.slug for wl in ix.lists} == {"rfc1918", "google"}
        assert ix.check("ipv4", "8.8.8.8") == []
        assert ix.check("ipv4", "10.0.0.1") == ["List of RFC 1918 CIDR blocks"]
    finally:
        ix.close()


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not an index at all")
    with pytest.raises(ValueError, match="not a warning-list index"):
        WarningIndex(bad)
