"""Mentions in user text, and the in-process event bus."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from cyberhub import events, mentions


def test_handles_finds_addresses_after_an_at_sign() -> None:
    text = "Thanks @Ana@bank.example, cc @bruno@ncu.example. Not mail@x.example or @@x@y.example"
    assert mentions.handles(text) == ["ana@bank.example", "bruno@ncu.example"]


def test_handles_deduplicates_and_caps() -> None:
    text = " ".join(f"@u{i}@x.example @u{i}@x.example" for i in range(50))
    found = mentions.handles(text)
    assert len(found) == mentions.MAX_MENTIONS
    assert found[0] == "u0@x.example" and len(set(found)) == len(found)


@given(st.text(max_size=300))
def test_handles_never_fails_and_returns_addresses(text: str) -> None:
    for handle in mentions.handles(text):
        assert "@" in handle and handle == handle.lower()


def test_publish_reaches_each_listener_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The bus alone: without the real listeners (notifications), which need a database.
    monkeypatch.setattr(events, "_listeners", [])
    heard: list[events.Event] = []

    def listener(session, event):  # type: ignore[no-untyped-def]
        heard.append(event)

    events.subscribe(listener)
    events.subscribe(listener)
    try:
        event = events.Event(kind="test", title="t", url="/", recipients=frozenset({uuid.uuid4()}))
        events.publish(None, event)  # type: ignore[arg-type]
        assert heard == [event]
    finally:
        events._listeners.clear()
