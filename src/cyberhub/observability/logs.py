"""Log lines that carry the request id, as text (default) or JSON lines.

``CYBERHUB_LOG_FORMAT=json`` turns on one JSON object per line: time (UTC, ISO 8601),
level, logger, message, request_id, and the exception when there is one. Text lines
start with the UTC time (ISO 8601, ``Z``), whatever the process's time zone, and their
message has its line breaks and other control characters escaped (``\\n``, ``\\x1b``),
so that what a client sent (a path, say) cannot start a forged line. Only the
fields named here are written — never a record's arbitrary attributes — so a secret
passed to a logger as an extra never reaches the log. Request bodies, headers and query
strings are never logged (the access line has the path without its query).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

# What a client may send as X-Request-ID: short, and only characters that are safe in
# a log line and a header (no spaces, quotes, control characters or separators).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
NO_REQUEST = "-"

request_id_var: ContextVar[str | None] = ContextVar("cyberhub_request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# Attributes a log call may pass as ``extra`` and that the JSON formatter writes out
# (the access line's fields); anything else stays out of the log.
JSON_EXTRAS = ("http",)
# Held at WARNING: the HTTP clients log every outgoing URL at INFO, query strings and
# all (a webhook's URL may hold its secret); huey logs two lines per job, periodic ones
# included (the job metrics count them instead); alembic announces its plugins.
QUIET_LOGGERS = ("httpx", "httpx2", "httpcore", "httpcore2", "huey", "alembic.runtime.plugins")


def accept_request_id(value: str | None) -> str:
    """The client's request id when it is well-formed, else a new one."""
    if value and REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request being served (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or NO_REQUEST
        return True


_LINE_SEPARATORS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with a fixed set of fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get()
            or NO_REQUEST,
        }
        for name in JSON_EXTRAS:
            value = record.__dict__.get(name)
            if isinstance(value, dict):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # orjson leaves NEL and the Unicode line and paragraph separators as they are
        # (valid JSON); escaped, the record stays one line for readers that split there.
        return orjson.dumps(entry, default=str).decode().translate(_LINE_SEPARATORS)


# C0 and C1 control characters (line breaks included) and DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class TextFormatter(logging.Formatter):
    """The text format: UTC time, and the message kept on its one line."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape, record.message)
        return super().formatMessage(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when the record is emitted."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def make_formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT)


def configure(fmt: str = "text", level: str = "INFO") -> logging.Handler:
    """Send the hub's logs to standard error in ``fmt`` ("text" or "json").

    Idempotent: the handler installed by an earlier call is replaced, not doubled (every
    app worker calls this from create_app). In JSON mode uvicorn's own loggers go
    through the same handler, so that every line of the process is JSON; its access
    line gives way to the hub's, which carries the request id and the route.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cyberhub", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler._cyberhub = True  # type: ignore[attr-defined]
    handler.setFormatter(make_formatter(fmt))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if fmt == "json":
        for name in ("uvicorn", "uvicorn.error"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
        logging.getLogger("uvicorn.access").disabled = True
    return handler
