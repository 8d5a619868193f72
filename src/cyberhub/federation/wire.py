"""A record of every payload that leaves the hub towards another system, when the
operator asks for one (``CYBERHUB_WIRE_LOG``, a directory): TAXII pages served and
envelopes pushed to partners. Tests read it to show that nothing left that should not
have; operators may use it to answer "what did we send them?"."""

from __future__ import annotations

import itertools
import os
from typing import Final

import orjson

from cyberhub.config import get_settings

_seq: Final = itertools.count(1)


def enabled() -> bool:
    return bool(get_settings().wire_log)


def record(direction: str, to: str, body: bytes) -> None:
    """Keep one payload: ``direction`` is "serve" or "push", ``to`` who receives it."""
    folder = get_settings().wire_log
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    name = os.path.join(folder, f"{os.getpid()}-{next(_seq):08d}.json")
    with open(name, "wb") as out:
        out.write(orjson.dumps({"direction": direction, "to": to}) + b"\n" + body)
