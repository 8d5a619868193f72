"""The evidence store: streamed SHA-256, limits, declared hashes, nothing left behind."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.config import Settings, get_settings, set_settings
from cyberhub.errors import InvalidInput, NotFound, PayloadTooLarge
from cyberhub.operations.evidence import store


def _run(coroutine):  # type: ignore[no-untyped-def]
    """Run a coroutine in a thread of its own: the browser tests' Playwright keeps an event
    loop running in the worker's main thread, where asyncio.run() refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path) -> Iterator[Path]:
    before = get_settings()
    set_settings(Settings(var_dir=tmp_path / "var", secret_key="test-secret-key",
                          database_url="sqlite://"))
    yield tmp_path / "var" / "evidence"
    set_settings(before)


async def _stream(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_streamed_upload_is_hashed_and_kept_under_a_random_name(var_dir: Path) -> None:
    parts = [b"seized ledger, page %d\n" % i for i in range(1000)]
    data = b"".join(parts)
    stored = _run(store.store_stream(_stream(parts)))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert _files(var_dir) == [stored.name]
    assert len(stored.name) == 48 and stored.name != stored.sha256[:48]
    assert store.path_of(stored.name).read_bytes() == data
    assert oct(os.stat(store.path_of(stored.name)).st_mode & 0o777) == "0o600"
    assert store.hash_of(stored.name) == stored.sha256


def test_two_uploads_of_the_same_file_get_different_names(var_dir: Path) -> None:
    a = store.store_chunks([b"same"])
    b = store.store_chunks([b"same"])
    assert a.sha256 == b.sha256 and a.name != b.name


def test_a_matching_declared_hash_is_accepted_in_any_case_and_with_a_prefix() -> None:
    digest = hashlib.sha256(b"image").hexdigest()
    assert store.store_chunks([b"image"], declared="sha256:" + digest.upper()).sha256 == digest


def test_a_declared_hash_that_does_not_match_stores_nothing(var_dir: Path) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(InvalidInput) as caught:
        _run(store.store_stream(_stream([b"the real ", b"content"]), declared=wrong))
    assert caught.value.code == "hash_mismatch"
    assert caught.value.details["field"] == "sha256"
    assert caught.value.details["computed"] == hashlib.sha256(b"the real content").hexdigest()
    assert wrong in caught.value.message
    assert _files(var_dir) == []


@pytest.mark.parametrize("declared", ["abc", "z" * 64, "0" * 63, "md5:" + "0" * 32])
def test_a_malformed_declared_hash_is_refused_before_anything_is_written(
        declared: str, var_dir: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.store_chunks([b"x"], declared=declared)
    assert caught.value.details == {"field": "sha256"}
    assert _files(var_dir) == []


def test_an_oversized_upload_is_refused_part_way_and_nothing_is_kept(var_dir: Path) -> None:
    read: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for i in range(10_000):
            read.append(i)
            yield b"x" * 1000

    with pytest.raises(PayloadTooLarge) as caught:
        _run(store.store_stream(endless(), limit=50_000))
    assert caught.value.details == {"field": "file"}
    assert len(read) == 51  # stopped at the first chunk past the limit
    assert _files(var_dir) == []


def test_the_limit_comes_from_the_settings(var_dir: Path) -> None:
    get_settings().evidence_max_bytes = 10
    assert store.store_chunks([b"0123456789"]).size == 10
    with pytest.raises(PayloadTooLarge):
        store.store_chunks([b"0123456789", b"!"])
    assert len(_files(var_dir)) == 1


def test_an_empty_file_is_refused(var_dir: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.store_chunks([b""])
    assert caught.value.code == "empty_file"
    assert _files(var_dir) == []


@pytest.mark.parametrize("name", ["../secret_key", "/etc/passwd", "a" * 48 + "/..", "",
                                  "A" * 48, "0" * 47])
def test_only_names_the_store_made_are_ever_opened(name: str) -> None:
    with pytest.raises(NotFound):
        store.path_of(name)
    assert store.hash_of(name) is None


def test_a_tampered_or_missing_file_shows_in_its_recomputed_hash(var_dir: Path) -> None:
    stored = store.store_chunks([b"original"])
    (var_dir / stored.name).write_bytes(b"0riginal")
    assert store.hash_of(stored.name) == hashlib.sha256(b"0riginal").hexdigest()
    store.remove(stored.name)
    assert store.hash_of(stored.name) is None


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.binary(max_size=300), max_size=12),
       limit=st.integers(min_value=1, max_value=2000))
def test_the_store_keeps_exactly_the_accepted_files(parts: list[bytes], limit: int) -> None:
    folder = store.folder()
    before = set(_files(folder))
    data = b"".join(parts)
    try:
        stored = store.store_chunks(parts, limit=limit)
    except PayloadTooLarge:
        assert len(data) > limit
        assert set(_files(folder)) == before
        return
    except InvalidInput:
        assert data == b""
        assert set(_files(folder)) == before
        return
    assert len(data) <= limit and data
    assert set(_files(folder)) == before | {stored.name}
    assert store.path_of(stored.name).read_bytes() == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
