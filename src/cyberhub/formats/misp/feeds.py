"""Fetch what is new in a MISP feed into a staging directory, ready for a ``misp`` import.

A MISP feed is a folder — on a web server or on disk — holding ``manifest.json`` (event
uuid → ``{"timestamp", "info", …}``) and one ``<uuid>.json`` per event. :func:`fetch`
reads the manifest, keeps the events whose timestamp is after the cursor (oldest first,
at most ``max_events``, never splitting events that share a timestamp), and copies those
event files beside a manifest that lists only them. The result is an ordinary feed
directory that :mod:`.reader` imports.

Nothing here touches the database. Every failure is a :class:`FeedError` whose message
says what was wrong (the feed's *last error*): an unreachable or slow server, a 404,
an answer that is not a manifest, a redirect to another scheme, more bytes than a poll
may take.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx2
import orjson

from cyberhub.formats.convert import ConversionError
from cyberhub.formats.misp.reader import ManifestEntry, newer, parse_manifest
from cyberhub.i18n import _

MAX_REDIRECTS = 5
CHUNK = 1 << 16
USER_AGENT = "cyberhub (MISP feed subscription)"
SCHEMES = ("http", "https")


class FeedError(Exception):
    """The feed could not be fetched; the message says why and what to check."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_events: int
    connect_timeout: float
    read_timeout: float
    private_addresses: bool = False
    allow_http: bool = False

    @classmethod
    def from_settings(cls) -> Limits:
        from cyberhub.config import get_settings

        s = get_settings()
        return cls(max_bytes=s.misp_feed_max_bytes, max_events=s.misp_feed_max_events,
                   connect_timeout=s.misp_feed_connect_timeout,
                   read_timeout=s.misp_feed_read_timeout,
                   private_addresses=s.misp_feed_private_addresses,
                   allow_http=s.misp_feed_allow_http)


@dataclass(frozen=True)
class Fetched:
    directory: Path
    events: list[ManifestEntry]  # the new events staged, oldest first
    cursor: int | None  # the newest timestamp among them; None when nothing is new
    more: bool  # newer events remain for the next poll (max_events reached)
    bytes: int


# ---------------------------------------------------------------- locations


def is_url(location: str) -> bool:
    return location.lower().startswith(("http://", "https://"))


def check_transport(url: httpx2.URL, *, private_addresses: bool, allow_http: bool) -> None:
    """Feeds are fetched over TLS: what they hold goes into the knowledge base, and their
    URL may carry credentials. Plain http:// only where the operator says so — for every
    feed (``CYBERHUB_MISP_FEED_ALLOW_HTTP``), or for an intranet MISP named by a private
    address once private addresses are allowed at all."""
    if url.scheme == "https" or allow_http:
        return
    if private_addresses and _literal_private(url.host):
        return
    raise FeedError(_("Feeds are fetched over https:// only: what they hold must not cross "
                      "the network in clear. The operator may allow http:// "
                      "(CYBERHUB_MISP_FEED_ALLOW_HTTP, or CYBERHUB_MISP_FEED_PRIVATE_ADDRESSES "
                      "for an intranet MISP named by its address)."))


def check_location(location: str, *, local_roots: list[Path] | None,
                   private_addresses: bool, allow_http: bool = False) -> str:
    """The feed's address, tidied: an http(s) URL of the feed's folder (a trailing
    ``manifest.json`` is dropped), or an absolute directory. ``local_roots`` limits
    directories to those under them (``None``: any directory, for the operator)."""
    location = location.strip()
    if is_url(location):
        try:
            url = httpx2.URL(location)
        except httpx2.InvalidURL as exc:
            raise FeedError(_("The feed's URL is not valid: %(error)s") % {"error": exc}) \
                from None
        if not url.host:
            raise FeedError(_("The feed's URL names no host."))
        if not private_addresses and _literal_private(url.host):
            raise FeedError(_private_message(url.host))
        check_transport(url, private_addresses=private_addresses, allow_http=allow_http)
        text = str(url)
        if text.endswith("/manifest.json"):
            text = text[: -len("manifest.json")]
        return text
    if "://" in location:
        raise FeedError(_("Only http and https feeds are fetched; give an http(s) URL or a "
                          "directory on the hub's server."))
    path = Path(location)
    if not path.is_absolute():
        raise FeedError(_("Give an http(s) URL, or the absolute path of a directory holding "
                          "manifest.json."))
    path = Path(*path.parts)  # normalise separators; .. is checked below
    if path.name == "manifest.json":
        path = path.parent
    if local_roots is not None:
        resolved = path.resolve()
        if not any(resolved.is_relative_to(root.resolve()) for root in local_roots):
            raise FeedError(_("Local feeds may only be read from the directories the "
                              "operator allows (CYBERHUB_MISP_FEED_DIRS); use an http(s) "
                              "URL, or ask the operator."))
    return str(path)


def _literal_private(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
            ".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return False


def _private_message(host: str) -> str:
    return _("%(host)s is a loopback, private or link-local address; the hub fetches feeds "
             "from public addresses only, unless the operator allows private ones "
             "(CYBERHUB_MISP_FEED_PRIVATE_ADDRESSES).") % {"host": host}


# ---------------------------------------------------------------- fetching


class _Budget:
    """Bytes one poll may still download."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def take(self, n: int, name: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise FeedError(_too_large(name, self.limit))

    def check_declared(self, n: int, name: str) -> None:
        if self.used + n > self.limit:
            raise FeedError(_too_large(name, self.limit))


def _too_large(name: str, limit: int) -> str:
    return _("The feed is larger than a poll may download (%(mib)s MiB, reached at "
             "%(name)s). Ask the operator to raise CYBERHUB_MISP_FEED_MAX_BYTES, or to lower "
             "CYBERHUB_MISP_FEED_MAX_EVENTS so each poll takes fewer events.") % {
        "mib": f"{limit / 1_048_576:g}", "name": name}


class _Source(ABC):
    """Where a feed's files come from: a directory on the hub's server, or http(s)."""

    @abstractmethod
    def copy(self, name: str, out: IO[bytes], budget: _Budget) -> None:
        """Copy the feed's file ``name`` into ``out``, within the poll's byte budget."""

    def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release what the source holds (an HTTP client); nothing by default."""


class _Directory(_Source):
    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise FeedError(_("The feed's directory %(path)s does not exist on the hub's "
                              "server.") % {"path": root})
        self.root = root

    def copy(self, name: str, out: IO[bytes], budget: _Budget) -> None:
        path = self.root / name
        if not path.is_file():
            raise FeedError(_("%(name)s is missing from the feed's directory %(path)s.")
                            % {"name": name, "path": self.root})
        budget.check_declared(path.stat().st_size, name)
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                budget.take(len(chunk), name)
                out.write(chunk)


class _Http(_Source):
    def __init__(self, base: str, limits: Limits) -> None:
        self.base = httpx2.URL(base if base.endswith("/") else base + "/")
        self.limits = limits
        self.client = httpx2.Client(
            timeout=httpx2.Timeout(limits.read_timeout, connect=limits.connect_timeout),
            follow_redirects=False, trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"})

    def close(self) -> None:
        self.client.close()

    def copy(self, name: str, out: IO[bytes], budget: _Budget) -> None:
        url = self.base.join(name)
        for _hop in range(MAX_REDIRECTS + 1):
            self._check_host(url)
            try:
                with self.client.stream("GET", url) as response:
                    if response.is_redirect:
                        target = url.join(response.headers.get("location", ""))
                        if target.scheme not in SCHEMES:
                            raise FeedError(_(
                                "Fetching %(name)s, the server redirects to a %(scheme)s: "
                                "address; the hub follows redirects to http and https only.")
                                % {"name": name, "scheme": target.scheme or "?"})
                        url = target
                        continue
                    self._check_status(response, name, url)
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit():
                        budget.check_declared(int(declared), name)
                    for chunk in response.iter_bytes(CHUNK):
                        budget.take(len(chunk), name)
                        out.write(chunk)
                    return
            except httpx2.TimeoutException:
                raise FeedError(_("The feed's server did not answer in time for %(name)s "
                                  "(%(connect)gs to connect, %(read)gs between reads); "
                                  "the poll is tried again at the next interval.") % {
                    "name": name, "connect": self.limits.connect_timeout,
                    "read": self.limits.read_timeout}) from None
            except httpx2.HTTPError as exc:
                raise FeedError(_("Could not fetch %(name)s from %(url)s: %(error)s") % {
                    "name": name, "url": _shown(url), "error": exc or type(exc).__name__}) \
                    from None
        raise FeedError(_("Fetching %(name)s, the server redirected more than %(n)d times.")
                        % {"name": name, "n": MAX_REDIRECTS})

    @staticmethod
    def _check_status(response: httpx2.Response, name: str, url: httpx2.URL) -> None:
        if response.status_code == 404:
            raise FeedError(_("%(name)s was not found at %(url)s (HTTP 404). The feed's URL is "
                              "the folder that holds manifest.json and the event files.")
                            % {"name": name, "url": _shown(url)})
        if response.status_code != 200:
            raise FeedError(_("The feed's server answered HTTP %(status)d for %(name)s.")
                            % {"status": response.status_code, "name": name})

    def _check_host(self, url: httpx2.URL) -> None:
        if not self.limits.private_addresses:
            host = url.host
            if _literal_private(host):
                raise FeedError(_private_message(host))
            try:
                infos = socket.getaddrinfo(
                    host, url.port or (443 if url.scheme == "https" else 80),
                    type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError):
                raise FeedError(_("The feed's host %(host)s is not known (DNS).")
                                % {"host": host}) from None
            for info in infos:
                if not ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_global:
                    raise FeedError(_private_message(host))
        # Checked on every hop: an https feed must not redirect to http.
        check_transport(url, private_addresses=self.limits.private_addresses,
                        allow_http=self.limits.allow_http)


def _shown(url: httpx2.URL) -> str:
    """A URL for messages: without user name and password."""
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def shown_location(location: str) -> str:
    if is_url(location):
        try:
            return _shown(httpx2.URL(location))
        except httpx2.InvalidURL:
            return location
    return location


def _source(location: str, limits: Limits) -> _Source:
    return _Http(location, limits) if is_url(location) else _Directory(Path(location))


def _batch(entries: list[ManifestEntry], max_events: int) -> list[ManifestEntry]:
    """The oldest ``max_events`` entries, extended so that no timestamp is split (the
    cursor is a timestamp: events left behind must all be newer than it)."""
    if len(entries) <= max_events:
        return entries
    cut = max(max_events, 1)
    boundary = entries[cut - 1].timestamp
    while cut < len(entries) and entries[cut].timestamp == boundary:
        cut += 1
    return entries[:cut]


def fetch(location: str, target: Path, *, since: int | None, limits: Limits,
          progress: Callable[[int, int], None] | None = None) -> Fetched:
    """Stage the events of the feed at ``location`` newer than ``since`` in ``target``
    (an empty directory). ``progress(done, total)`` follows the event files."""
    source = _source(location, limits)
    budget = _Budget(limits.max_bytes)
    try:
        raw_manifest = target / "manifest.source.json"
        with raw_manifest.open("wb") as out:
            source.copy("manifest.json", out, budget)
        data = raw_manifest.read_bytes()
        raw_manifest.unlink()
        try:
            entries = parse_manifest(data)
        except ConversionError as exc:
            raise FeedError(_("The feed's manifest.json is not a MISP feed manifest: "
                              "%(error)s") % {"error": exc}) from None
        pending = newer(entries, since)
        chosen = _batch(pending, limits.max_events)
        if not chosen:
            return Fetched(target, [], None, False, budget.used)
        manifest = _manifest_of(data, chosen)
        (target / "manifest.json").write_bytes(orjson.dumps(manifest))
        if progress:
            progress(0, len(chosen))
        for done, entry in enumerate(chosen, 1):
            with (target / f"{entry.uuid}.json").open("wb") as out:
                source.copy(f"{entry.uuid}.json", out, budget)
            if progress:
                progress(done, len(chosen))
        return Fetched(target, chosen, chosen[-1].timestamp, len(chosen) < len(pending),
                       budget.used)
    finally:
        source.close()


def _manifest_of(data: bytes, chosen: list[ManifestEntry]) -> dict[str, Any]:
    """The source manifest cut down to the chosen events (keys as the reader names them)."""
    import uuid

    wanted = {e.uuid for e in chosen}
    original: dict[str, Any] = orjson.loads(data)
    return {str(uuid.UUID(k)): v for k, v in original.items() if str(uuid.UUID(k)) in wanted}


def clear(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
