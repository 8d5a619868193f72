"""Settings from ``CYBERHUB_*`` environment variables.

The secret key is generated on first start and kept under the var directory, so a
newcomer never has to invent one. It signs CSRF and TAXII page tokens and encrypts the
stored secrets; to replace it, list the old key in ``CYBERHUB_PREVIOUS_SECRET_KEYS`` and
run ``cyberhub secrets rotate`` (docs/deployment.md). Any setting may also come from a
file in a secrets directory (:func:`secrets_dir`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PEPPER_FILE = "password_pepper"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CYBERHUB_", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the hub keeps its files.")
    database_url: str = Field(default="", description="SQLAlchemy URL; SQLite under var/ if empty.")
    # A PostgreSQL hot standby of the primary that answers the reads of GET requests when
    # it has caught up (docs/deployment.md, "The replica"). Empty: every query goes to
    # the primary. PostgreSQL only.
    database_replica_url: str = ""
    # The replica answers only while it is at most this many seconds behind the primary;
    # otherwise, and whenever it is unreachable, reads go to the primary.
    replica_max_lag_seconds: float = Field(default=5.0, gt=0, le=3600)
    secret_key: str = Field(default="", description="Signs CSRF tokens, encrypts TOTP secrets.")
    # Keys the secret key replaced, comma-separated: they still decrypt stored secrets and
    # check signatures, never make new ones, until `cyberhub secrets rotate` has run.
    previous_secret_keys: str = Field(default="", description="Former secret keys.")
    # ASVS V2.4.5: the pepper, a key of its own mixed into every password hash (an HMAC
    # before argon2id), kept outside the database: a copy of the database alone cannot be
    # used to test guesses of passwords. Empty: a key file under var/ made on first use.
    # Unlike the secret key it cannot be rotated: change it and every password must be
    # set again.
    password_pepper: str = Field(default="", description="Keys the password hashes.")
    # ASVS V6.4.2: the path of a key service's Unix socket (`cyberhub secrets serve`, a
    # process of its own run as another user). When set, this process never reads the
    # keys above: it sends what must be signed, hashed or encrypted to the service
    # (cyberhub.keyring). Empty: the keys are used in-process.
    key_service: str = Field(default="", description="Unix socket of the key service.")
    key_service_timeout: float = Field(default=5.0, gt=0, le=120)
    hub_name: str = "cyberhub"
    public_pages: bool = False
    secure_cookies: bool = False
    # ASVS 4.0.3 level 2 (V3.3.2): sign in again after 12 hours, or 30 minutes idle.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    signin_max_failures: int = 5
    signin_window_minutes: int = 15
    # ASVS 4.0.3 V11.1.2: the web forms bots abuse most (sign-in, a victim's report, the
    # create forms) are refused when sent sooner than this many seconds after the page
    # showed them (cyberhub.web.pace); 0 turns the check off. The API is not affected.
    min_form_seconds: float = Field(default=2.0, ge=0, le=600)
    password_min_length: int = 12
    # ASVS 4.0.3 V2.3.1: a password an administrator sets for someone else is one-time:
    # changed at first sign-in, and refused once this many hours have passed unused.
    initial_password_hours: int = 24
    password_min_score: int = 3
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    max_body_bytes: int = 1_048_576
    # Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed.
    # Empty: the peer address is the client (throttling per address stays per client
    # only when the hub is reached directly or this names the proxy).
    trusted_proxies: str = ""
    # Background jobs: Redis when set (scaled deployments), else SQLite under var/.
    redis_url: str = ""
    # Queue name: lets several hubs (or test runs) share one Redis without mixing jobs.
    queue_name: str = "cyberhub"
    # Largest file an import accepts (streamed to disk, never held in memory).
    max_import_bytes: int = 4 * 1024**3
    # Largest evidence file an operation's register accepts (streamed to disk and hashed).
    evidence_max_bytes: int = 2 * 1024**3
    # Largest TAXII request body (a POST of objects), announced as max_content_length.
    max_taxii_bytes: int = 64 * 1024**2
    # A directory where every payload leaving the hub (TAXII pages, pushes) is kept.
    wire_log: str = ""
    # A partner sync holds its partner this long without a sign of life; then another
    # run may take over (a sync killed half way does not block the next one for long).
    sync_lease_seconds: int = 300
    # How long a partner's server may take to connect and to answer one request.
    peer_connect_timeout: float = 10.0
    peer_read_timeout: float = 60.0
    # Cross-hub matching: how many digests one partner may ask about per day.
    match_daily_limit: int = 10_000
    # MISP feed subscriptions (docs/misp.md): what one poll may download (manifest and
    # event files together), how many events it takes (oldest first; the rest follow
    # on the next poll), and how long a feed's server may take to connect and answer.
    misp_feed_max_bytes: int = 512 * 1024**2
    misp_feed_max_events: int = 1000
    misp_feed_connect_timeout: float = 10.0
    misp_feed_read_timeout: float = 60.0
    # Directories (comma-separated) under which members may subscribe to a local feed
    # through the web or the API. Empty: local feeds are added at the command line only.
    misp_feed_dirs: str = ""
    # Fetch feeds from loopback, private and link-local addresses (an intranet MISP).
    # Off by default: members must not make the hub probe its own network.
    misp_feed_private_addresses: bool = False
    # Fetch feeds over plain http:// (off: https:// only, or http:// to an intranet MISP
    # named by its private address when private addresses are allowed).
    misp_feed_allow_http: bool = False
    # Community vetting (docs/vetting-and-packages.md): confirmations from this many
    # distinct organisations other than the owner make an object "vetted".
    vetting_quorum: int = Field(default=2, ge=1, le=100)
    # Ransomware trends (docs/ransomware.md): a published figure rests on at least this
    # many distinct reporting organisations besides the asker's own.
    trend_k: int = Field(default=3, ge=1, le=100)
    # What one member may keep (cyberhub.quotas): files and bytes; 0 lifts a limit.
    attachment_quota_files: int = Field(default=1000, ge=0)
    attachment_quota_bytes: int = Field(default=2 * 1024**3, ge=0)
    evidence_quota_files: int = Field(default=20_000, ge=0)
    evidence_quota_bytes: int = Field(default=500 * 1024**3, ge=0)
    # Files members share with each other (dialogue attachments) are scanned by a ClamAV
    # daemon when one is set (cyberhub.malware): "unix:///run/clamav/clamd.ctl" or
    # "tcp://host:3310". Empty: no scan.
    clamd_url: str = ""
    clamd_timeout: float = Field(default=60.0, gt=0)
    # The operator's privacy notice, Markdown (/privacy); var/privacy.md when empty. A
    # file beside it named privacy.<locale>.md is shown to readers of that language.
    privacy_notice: str = ""
    # Retention of personal data needed only for a while (cyberhub.retention), in days
    # after it ended (a session's expiry, a token's expiry or revocation, a notification
    # being read); 0 keeps it for ever.
    retention_sessions_days: int = Field(default=30, ge=0)
    retention_signin_failures_days: int = Field(default=30, ge=0)
    retention_tokens_days: int = Field(default=90, ge=0)
    retention_webhook_deliveries_days: int = Field(default=30, ge=0)
    retention_notifications_days: int = Field(default=365, ge=0)
    # Notifications (docs/notifications.md). The hub's public address, for links in
    # e-mails and webhook payloads (paths alone when empty).
    public_url: str = ""
    # E-mail through SMTP: off while smtp_host is empty.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "cyberhub@localhost"
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    # Webhook targets: comma-separated host patterns ("hooks.example.org",
    # "*.example.net"); empty: no webhook may be registered.
    webhook_allow: str = ""
    # Deliver webhooks to loopback and private addresses (an intranet receiver, tests).
    # Off by default: members must not make the hub probe its own network.
    webhook_private_addresses: bool = False
    webhook_timeout: float = 10.0
    # Pointer-only deconfliction (docs/deconfliction.md). The key of the stored digests:
    # empty means a key file under var/ made on first use. Changing it orphans every
    # registration (they no longer match and must be registered again).
    deconfliction_key: str = ""
    deconfliction_days: int = Field(default=180, ge=1, le=3650)
    # Expired registrations stay this many days (they can still be renewed), then they are
    # deleted with their hits: the hub keeps no trace of an interest nobody renewed.
    deconfliction_purge_days: int = Field(default=30, ge=0, le=3650)
    # Values (registrations and checks together) one user may submit per hour.
    deconfliction_hourly_limit: int = Field(default=1000, ge=1, le=1_000_000)
    # A key shared with partner hubs for cross-hub deconfliction; when set, each new
    # registration also keeps its digest under it (docs/deconfliction.md).
    deconfliction_network_key: str = ""
    # Observability (docs/observability.md). Logs: "text" (human-readable) or "json"
    # (one object per line, with the request id); the level of the root logger.
    log_format: str = Field(default="text", pattern="^(text|json)$")
    log_level: str = Field(default="INFO", pattern="^(?i:debug|info|warning|error|critical)$")
    # /metrics answers loopback peers (requests without proxy headers) unless this is
    # off, and anyone presenting this bearer token; everyone else gets a 404.
    metrics_token: str = ""
    metrics_loopback: bool = True
    # Database connections each app process keeps (pool) and may add under load
    # (overflow); the process runs at most that many requests at once in its threads,
    # so that a request waits for a thread rather than times out waiting for a connection.
    # Mind PostgreSQL's max_connections: (pool + overflow) × app processes + the worker's.
    db_pool_size: int = Field(default=10, ge=1, le=500)
    db_max_overflow: int = Field(default=5, ge=0, le=500)
    # Seconds a request waits for a free connection before answering 503.
    db_pool_timeout: float = Field(default=10.0, gt=0, le=300)
    # PostgreSQL helper processes one query may take (max_parallel_workers_per_gather on
    # the hub's connections). 0 by default: on a hub answering many requests at once,
    # a parallel plan takes the cores the other requests are waiting for (the load test,
    # docs/deployment.md). Raise it on a machine with cores to spare.
    db_parallel_workers: int = Field(default=0, ge=0, le=64)
    # How the hub's storage is encrypted at rest where `cyberhub check` cannot see it
    # (a cloud provider's volume encryption, PostgreSQL on another machine): the
    # operator's statement, shown by the check (docs/deployment.md, "Encrypted storage").
    storage_encrypted_by: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _replica_needs_postgresql(self) -> Settings:
        if self.database_replica_url:
            if not self.database_url.startswith("postgresql"):
                raise ValueError(
                    "CYBERHUB_DATABASE_REPLICA_URL needs PostgreSQL: the hub reads from a "
                    "replica only when CYBERHUB_DATABASE_URL is a postgresql:// primary. "
                    "Unset CYBERHUB_DATABASE_REPLICA_URL, or move the hub to PostgreSQL.")
            if not self.database_replica_url.startswith("postgresql"):
                raise ValueError(
                    "CYBERHUB_DATABASE_REPLICA_URL must be a postgresql:// URL of a hot "
                    "standby of the primary.")
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'cyberhub.sqlite3').resolve()}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        self.secret_key = key_file(self.var_dir / "secret_key")
        return self.secret_key

    def resolved_password_pepper(self) -> str:
        """The pepper: the setting, else ``var/password_pepper`` (made on first use, 0600)."""
        if self.password_pepper:
            return self.password_pepper
        path = self.var_dir / PEPPER_FILE
        pepper = key_file(path)
        if len(pepper) < 32:
            raise RuntimeError(f"{path} holds no usable pepper (32 characters at least): "
                               "restore it from a backup; without it no password works")
        return pepper

    def secret_keys(self) -> list[str]:
        """The secret key first, then the ones it replaced (see previous_secret_keys)."""
        previous = [k.strip() for k in self.previous_secret_keys.split(",") if k.strip()]
        return [self.resolved_secret_key(), *previous]


def secrets_dir() -> str | None:
    """Where settings may come from as one file each, named like the variable in lower
    case (``cyberhub_secret_key``): systemd's credentials directory (``LoadCredential=``,
    ``LoadCredentialEncrypted=``), or ``CYBERHUB_SECRETS_DIR`` (a vault agent's output)."""
    return os.environ.get("CYBERHUB_SECRETS_DIR") or os.environ.get("CREDENTIALS_DIRECTORY")



def key_file(path: Path) -> str:
    """The key kept in ``path``, made on first use: random, mode 0600, and made once even
    when several processes start together (the first writes it, the others read it)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()

_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings(_secrets_dir=secrets_dir())
    return _settings


def set_settings(settings: Settings) -> None:
    """Make ``settings`` the hub's settings (the app factory and the tests call this)."""
    global _settings
    _settings = settings
    from cyberhub.community import security

    security.reset_caches()
