"""Converting while the import stores: the converter in a process of its own, writing
its bundle into a pipe.

The STIX importer reads a large bundle in a second process while the first stores
(``intel/importer.py``). A converted format would otherwise be converted whole, into a
file, before either starts. Piped, the converter runs in a third process and writes into
a pipe that the importer's reader reads as it fills: conversion, validation and storing
overlap on two cores, and no converted file is written.

What the converter returns or raises comes back when the importer is done with the pipe
(:meth:`PipedConversion.finish`): its notices, or the ``ConversionError`` that fails the
import. The importer has then met a bundle cut short, and the import's one transaction is
rolled back, so a piped conversion stores what a converted file would have, or nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import traceback
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from cyberhub.formats.convert import ConversionError, ConvertContext, Notice, converter_for

# Once the importer is done with the pipe, the converter has finished, or fails at its
# next write; it answers within this time unless it is stuck.
FINISH_TIMEOUT = 60.0
# A larger pipe lets the converter run ahead of the reader while the reader prepares a
# batch, rather than wait for it object by object.
_PIPE_BYTES = 1 << 20  # the most an unprivileged process may ask for, by default
_WRITE_BUFFER = 1 << 16


def available() -> bool:
    """The processes share the pipe by inheritance, so piping needs fork; and two cores,
    or the overlap gains nothing."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


class PipedConversion:
    """``with PipedConversion(fmt, source, context) as conversion:`` the importer reads
    the bundle from the pipe ``conversion.fd``; ``conversion.finish()`` then returns the
    converter's notices or raises its error. Leaving the block ends the converter."""

    def __init__(self, fmt: str, source: Path, context: ConvertContext) -> None:
        self.fmt, self.source, self.context = fmt, source, context
        self._mp: Any = multiprocessing.get_context("fork")
        self._share = self._mp.RawValue("d", 0.0)  # written by the converter, read here
        self.fd = -1
        self._process: Any = None
        self._answers: Connection | None = None

    def __enter__(self) -> PipedConversion:
        read, write = os.pipe()
        with contextlib.suppress(OSError, AttributeError):  # Linux only; 64 KiB otherwise
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        self._answers, answer = self._mp.Pipe(duplex=False)
        self._process = self._mp.Process(
            target=_convert, daemon=True,
            args=(self.fmt, self.source, self.context, read, write, self._share, answer))
        self._process.start()
        # Only the converter may hold the write end, or the reader would never see the end.
        os.close(write)
        answer.close()
        self.fd = read
        return self

    def share(self) -> float:
        """The share of the source the converter has read (0–1)."""
        return float(self._share.value)

    def finish(self) -> list[Notice]:
        """The converter's notices, once the importer is done with the pipe; raises its
        ConversionError (which also explains a bundle cut short)."""
        self._close_pipe()  # a converter still writing now fails at once
        assert self._answers is not None
        answer: tuple[str, Any] = ("crash", "the converter did not answer in time")
        if self._answers.poll(FINISH_TIMEOUT):
            try:
                answer = self._answers.recv()
            except EOFError:
                answer = ("crash", "the converter's process ended without an answer")
        kind, payload = answer
        if kind == "done":
            notices: list[Notice] = payload
            return notices
        if kind == "error":
            raise ConversionError(payload)
        if kind == "stopped":  # the importer stopped reading first; its error stands
            return []
        raise RuntimeError(f"The {self.fmt} converter failed:\n{payload}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._close_pipe()
        if self._process is not None:
            self._process.join(timeout=0 if kind is not None else 5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        if self._answers is not None:
            self._answers.close()

    def _close_pipe(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _convert(fmt: str, source: Path, context: ConvertContext, read: int, write: int,
             share: Any, answer: Connection) -> None:
    """Runs in the converter's process: convert into the pipe, then answer once."""
    # The read end belongs to the importer's reader: held here too, a reader that stops
    # would leave this process blocked on a full pipe for ever.
    os.close(read)

    def progress(value: float) -> None:
        share.value = value

    outcome: tuple[str, Any]
    target = open(write, "wb", buffering=_WRITE_BUFFER)  # noqa: SIM115 - closed below
    try:
        notices = converter_for(fmt)(source, target, replace(context, progress=progress))
        target.close()  # the bundle's last bytes
        outcome = ("done", notices)
    except ConversionError as exc:
        outcome = ("error", str(exc))
    except BrokenPipeError:
        outcome = ("stopped", "")
    except BaseException:  # the import must hear of any failure, and why
        outcome = ("crash", traceback.format_exc())
    finally:
        with contextlib.suppress(OSError):  # after a failure the pipe may be gone
            target.close()
    try:
        answer.send(outcome)
    finally:
        answer.close()
