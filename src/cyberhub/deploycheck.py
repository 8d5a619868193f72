"""Checks that a hub is deployed securely: its settings, its files, and what it serves.

``cyberhub check`` runs them (and ``--url`` adds the checks of a running hub, through
its reverse proxy); any failure makes it exit 1, so an installation script or a CI job
can stop on it (ASVS 1.14.4). Each check says what is wrong and how to put it right.
"""

from __future__ import annotations

import enum
import ipaddress
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2
from sqlalchemy.engine import make_url

from cyberhub import volumes
from cyberhub.config import PEPPER_FILE, Settings
from cyberhub.i18n import _

MIN_KEY_LENGTH = 32
PLACEHOLDERS = ("change-me", "changeme", "secret", "example")


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str


def _local(host: str | None) -> bool:
    if not host or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key(name: str, value: str) -> Check:
    if len(value) < MIN_KEY_LENGTH or any(p in value.lower() for p in PLACEHOLDERS):
        return Check(name, Status.FAIL, _(
            "%(name)s is a placeholder or shorter than %(n)d characters: make one with "
            "python3 -c \"import secrets; print(secrets.token_urlsafe(48))\".")
            % {"name": name, "n": MIN_KEY_LENGTH})
    return Check(name, Status.OK, _("%(name)s is set and long enough.") % {"name": name})


def _private_file(path: Path) -> Check:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check(str(path), Status.FAIL, _(
            "%(path)s can be read by other accounts (mode %(mode)s): chmod 600 it.")
            % {"path": path, "mode": oct(mode)})
    return Check(str(path), Status.OK, _("Only the hub's account can read it."))


def settings_checks(settings: Settings) -> list[Check]:
    """What the settings and the files under the var directory say."""
    checks: list[Check] = []
    if settings.key_service:
        checks.extend(_key_service_checks(settings))
    else:
        checks.extend(_key_checks(settings))
    if settings.var_dir.is_dir():
        mode = stat.S_IMODE(settings.var_dir.stat().st_mode)
        if mode & stat.S_IWOTH:
            checks.append(Check(str(settings.var_dir), Status.FAIL, _(
                "The var directory can be written by any account: chmod 750 it.")))
        elif mode & stat.S_IROTH:
            checks.append(Check(str(settings.var_dir), Status.WARN, _(
                "The var directory can be listed by any account: chmod 750 it.")))
    checks.extend(storage_checks(settings))
    checks.extend(_transport_checks(settings))
    checks.append(_scanner_check(settings))
    return checks


def _key_checks(settings: Settings) -> list[Check]:
    """The keys this process holds: long enough, in files only its account reads."""
    checks: list[Check] = []
    if settings.secret_key:
        checks.append(_key("CYBERHUB_SECRET_KEY", settings.secret_key))
    if settings.deconfliction_key:
        checks.append(_key("CYBERHUB_DECONFLICTION_KEY", settings.deconfliction_key))
    if settings.password_pepper:
        checks.append(_key("CYBERHUB_PASSWORD_PEPPER", settings.password_pepper))
    for name in ("secret_key", "deconfliction_key", PEPPER_FILE):
        path = settings.var_dir / name
        if path.is_file():
            checks.append(_private_file(path))
    if settings.previous_secret_keys.strip():
        checks.append(Check("CYBERHUB_PREVIOUS_SECRET_KEYS", Status.WARN, _(
            "A key rotation is unfinished: run cyberhub secrets rotate, then remove the "
            "previous keys.")))
    return checks


def _key_service_checks(settings: Settings) -> list[Check]:
    """With a key service, the keys must be reachable through it and nowhere else."""
    from cyberhub.errors import KeyServiceUnavailable
    from cyberhub.keyring import client

    checks: list[Check] = []
    try:
        client.ServiceClient(settings.key_service, settings.key_service_timeout).check()
    except KeyServiceUnavailable:
        checks.append(Check("CYBERHUB_KEY_SERVICE", Status.FAIL, _(
            "No key service answers on %(path)s: start cyberhub secrets serve there, and "
            "let this account open the socket.") % {"path": settings.key_service}))
    else:
        checks.append(Check("CYBERHUB_KEY_SERVICE", Status.OK, _(
            "The key service answers on %(path)s; this process holds no key.")
            % {"path": settings.key_service}))
    for name, value in (("CYBERHUB_SECRET_KEY", settings.secret_key),
                        ("CYBERHUB_PREVIOUS_SECRET_KEYS", settings.previous_secret_keys),
                        ("CYBERHUB_PASSWORD_PEPPER", settings.password_pepper),
                        ("CYBERHUB_DECONFLICTION_KEY", settings.deconfliction_key),
                        ("CYBERHUB_DECONFLICTION_NETWORK_KEY",
                         settings.deconfliction_network_key)):
        if value.strip():
            checks.append(Check(name, Status.FAIL, _(
                "%(name)s is given to the app although the key service holds the keys: "
                "remove it from the app's environment.") % {"name": name}))
    for file in ("secret_key", "deconfliction_key", PEPPER_FILE):
        path = settings.var_dir / file
        if path.is_file():
            checks.append(Check(str(path), Status.FAIL, _(
                "%(path)s lies in the app's var directory although the key service holds "
                "the keys: move it to the service's own directory.") % {"path": path}))
    return checks


def storage_checks(settings: Settings) -> list[Check]:
    """Whether the hub's files and database are encrypted at rest (ASVS 6.1): checked on
    the volume below them (``volumes``), or stated by the operator where it cannot be."""
    name = "CYBERHUB_STORAGE_ENCRYPTED_BY"
    how = settings.storage_encrypted_by.strip()
    if how:
        return [Check(name, Status.OK, _("Encrypted at rest, as the operator states: "
                                         "%(how)s.") % {"how": how})]
    paths = [settings.var_dir]
    database = make_url(settings.resolved_database_url())
    checks = []
    if database.get_backend_name() == "sqlite":
        if database.database and database.database != ":memory:":
            paths.append(Path(database.database).parent)
    else:
        checks.append(Check(name, Status.WARN, _(
            "PostgreSQL's files are not checked from here: keep its data directory on an "
            "encrypted volume, then say how in CYBERHUB_STORAGE_ENCRYPTED_BY.")))
    seen: set[Path] = set()
    for path in paths:
        path = path.resolve()
        if path in seen:
            continue
        seen.add(path)
        checks.append(_volume_check(path))
    return checks


def _volume_check(path: Path) -> Check:
    volume = volumes.volume_of(path)
    where = {"path": path, "device": volume.device, "fs": volume.fs_type}
    if volume.kind is volumes.Kind.ENCRYPTED:
        return Check(str(path), Status.OK, _("On an encrypted volume (%(device)s).") % where)
    if volume.kind is volumes.Kind.PLAIN:
        return Check(str(path), Status.FAIL, _(
            "On %(device)s, which is not encrypted, while the hub keeps members' and "
            "victims' personal data here: move it onto an encrypted volume (LUKS), or, if "
            "the disk is encrypted below this machine (a cloud provider's volume "
            "encryption), say how in CYBERHUB_STORAGE_ENCRYPTED_BY.") % where)
    if volume.kind is volumes.Kind.MEMORY:
        return Check(str(path), Status.WARN, _(
            "In memory (%(fs)s): nothing is at rest here, and nothing survives a "
            "restart.") % where)
    return Check(str(path), Status.WARN, _(
        "Whether this is encrypted cannot be seen from here (%(fs)s): check the volume "
        "below it, then say how it is encrypted in CYBERHUB_STORAGE_ENCRYPTED_BY.") % where)


def _scanner_check(settings: Settings) -> Check:
    from cyberhub import malware

    if not settings.clamd_url:
        return Check("CYBERHUB_CLAMD_URL", Status.WARN, _(
            "No virus scanner: files members share in dialogues are not scanned. Install "
            "clamav-daemon and set CYBERHUB_CLAMD_URL=unix:///run/clamav/clamd.ctl."))
    problem = malware.ping(settings.clamd_url, min(settings.clamd_timeout, 10.0))
    if problem is not None:
        return Check("CYBERHUB_CLAMD_URL", Status.FAIL, _(
            "The virus scanner does not answer (%(problem)s), so every attachment is "
            "refused: start clamd or correct the address.") % {"problem": problem})
    return Check("CYBERHUB_CLAMD_URL", Status.OK, _("The virus scanner answers."))


def _transport_checks(settings: Settings) -> Iterable[Check]:
    public = urlsplit(settings.public_url) if settings.public_url else None
    if public is None:
        yield Check("CYBERHUB_PUBLIC_URL", Status.WARN, _(
            "Not set: links in e-mails and webhooks carry paths alone. Set the hub's "
            "https:// address."))
    elif public.scheme != "https" and not _local(public.hostname):
        yield Check("CYBERHUB_PUBLIC_URL", Status.FAIL, _(
            "The hub is announced over plain HTTP: serve it over HTTPS behind the proxy "
            "and give its https:// address."))
    https = public is not None and public.scheme == "https"
    if https and not settings.secure_cookies:
        yield Check("CYBERHUB_SECURE_COOKIES", Status.FAIL, _(
            "The hub is served over HTTPS but its cookies may travel over HTTP: set "
            "CYBERHUB_SECURE_COOKIES=true."))
    elif settings.secure_cookies and not settings.trusted_proxies.strip():
        yield Check("CYBERHUB_TRUSTED_PROXIES", Status.WARN, _(
            "Behind a proxy, every client looks like the proxy to the sign-in throttle: "
            "name the proxy's address."))
    database = urlsplit(settings.resolved_database_url())
    if database.scheme.startswith("postgresql") and not _local(database.hostname):
        mode = parse_qs(database.query).get("sslmode", [""])[0]
        if mode != "verify-full":
            yield Check("CYBERHUB_DATABASE_URL", Status.WARN, _(
                "PostgreSQL on another machine without sslmode=verify-full: the link is "
                "not encrypted and checked."))
    redis = urlsplit(settings.redis_url) if settings.redis_url else None
    if redis is not None and redis.scheme == "redis" and not _local(redis.hostname):
        yield Check("CYBERHUB_REDIS_URL", Status.WARN, _(
            "Redis on another machine over plain redis://: use rediss:// with its "
            "certificate checked."))


# Headers every answer of the hub carries, as the browser receives them.
_REQUIRED_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def live_checks(url: str, client: httpx2.Client) -> list[Check]:
    """What a running hub serves at ``url`` (its public address, through the proxy)."""
    base = url.rstrip("/")
    try:
        page = client.get(base + "/signin")
    except httpx2.HTTPError as exc:
        return [Check(base, Status.FAIL, _("The hub did not answer: %(error)s")
                      % {"error": exc})]
    checks: list[Check] = []
    https = urlsplit(base).scheme == "https"
    for name, expected in _REQUIRED_HEADERS.items():
        value = page.headers.get(name, "")
        checks.append(Check(name, Status.OK if expected in value else Status.FAIL,
                            _("Sent.") if expected in value else _(
                                "Missing or weakened (%(value)s): a proxy may strip it.")
                            % {"value": value or "—"}))
    if "server" in page.headers:
        checks.append(Check("server", Status.WARN, _(
            "The answer names its server software (%(value)s): turn server_tokens off.")
            % {"value": page.headers["server"]}))
    hsts = page.headers.get("strict-transport-security", "")
    if https and "max-age=" not in hsts:
        checks.append(Check("strict-transport-security", Status.FAIL, _(
            "Not sent over HTTPS: set CYBERHUB_SECURE_COOKIES=true.")))
    cookies = page.headers.get_list("set-cookie")
    for cookie in cookies:
        name, attributes = cookie.split("=", 1)[0], cookie.lower()
        weak = [flag for flag in ("httponly", "samesite") if flag not in attributes]
        if https and ("secure" not in attributes or not name.startswith("__Host-")):
            weak.append("secure / __Host-")
        checks.append(Check(f"cookie {name}", Status.FAIL if weak else Status.OK,
                            _("Missing: %(flags)s.") % {"flags": ", ".join(weak)} if weak
                            else _("HttpOnly, SameSite and, over HTTPS, Secure.")))
    if https:
        plain = "http://" + base.removeprefix("https://")
        try:
            redirect = client.get(plain + "/signin", follow_redirects=False)
            ok = redirect.status_code in (301, 308) and redirect.headers.get(
                "location", "").startswith("https://")
            checks.append(Check("http://", Status.OK if ok else Status.FAIL,
                                _("Redirected to HTTPS.") if ok else _(
                                    "Plain HTTP is served instead of redirected to HTTPS.")))
        except httpx2.HTTPError:
            checks.append(Check("http://", Status.OK, _("Plain HTTP is not served.")))
    return checks
