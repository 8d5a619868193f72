"""One error tree for the whole hub.

Services raise these; the boundary renders them as the JSON error body
``{"error": {"code", "message", "details"}}``, as an HTML page, or (later) as a TAXII
error. Messages say what was wrong and what to do about it.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None, code: str | None = None,
                 keep_changes: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        # True when what the service wrote before failing must still be committed
        # (a failed sign-in is counted and audited even though the request fails).
        self.keep_changes = keep_changes
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(HubError):
    """The request itself cannot be understood (malformed JSON, a wrong envelope)."""

    status_code = 400
    code = "bad_request"


class InvalidInput(HubError):
    status_code = 422
    code = "invalid_input"


class Conflict(HubError):
    status_code = 409
    code = "conflict"


class NotAuthenticated(HubError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(HubError):
    """The caller is known but may not perform the action (never used to hide records)."""

    status_code = 403
    code = "permission_denied"


class NotFound(HubError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        from cyberhub.i18n import _

        super().__init__(message or _("No such record."), **kwargs)


class TooManyRequests(HubError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class HubBusy(HubError):
    """Refused for now (503): each kind says why by default, and when to ask again."""

    status_code = 503
    code = "busy"
    retry_seconds = 5

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message or self.default_message(), **kwargs)
        self.retry_after = self.retry_seconds

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _("The hub is busy writing (a large import may be running). Try again in a "
                 "moment.")


class KeyServiceUnavailable(HubBusy):
    """The key service (``CYBERHUB_KEY_SERVICE``) cannot be reached: nothing that needs
    the hub's keys — signing in, a form, a signed link — can be done meanwhile."""

    code = "key_service_unavailable"
    retry_seconds = 10

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _(
            "The hub's key service cannot be reached, so this cannot be done now; nothing "
            "was changed. Try again in a moment, and tell the hub's operators if this "
            "lasts.")


class ScannerUnavailable(HubBusy):
    """The virus scanner the hub is set to use does not answer: the file is not taken."""

    code = "scanner_unavailable"
    retry_seconds = 30

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _(
            "The virus scanner does not answer, so the file was not taken. Try again in a "
            "moment; if it persists, tell the hub's operators.")


class DatabaseUnavailable(HubBusy):
    """The database cannot be reached (PostgreSQL restarting, the network to it cut)."""

    code = "database_unavailable"
    retry_seconds = 10

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _(
            "The hub cannot reach its database right now; nothing was changed. Try again "
            "in a moment, and tell the hub's operators if this lasts.")


class QueueUnavailable(HubBusy):
    """The job queue (Redis) cannot be reached: nothing that needs a job is accepted."""

    code = "queue_unavailable"
    retry_seconds = 10

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _(
            "The hub's job queue is unavailable, so this cannot be started; nothing was "
            "stored. Try again in a moment, and tell the hub's operators if this lasts.")


class RateLimitUnavailable(HubBusy):
    """The shared rate-limit counts (Redis) cannot be reached: a rate-limited request is
    refused rather than let through uncounted."""

    code = "rate_limit_unavailable"
    retry_seconds = 10

    def default_message(self) -> str:
        from cyberhub.i18n import _

        return _(
            "The hub cannot count requests against your limit right now, so this one was "
            "not handled; nothing was stored. Try again in a moment, and tell the hub's "
            "operators if this lasts.")


class StorageFull(HubError):
    """The database's disk is full: reads work, writes are refused until space is freed."""

    status_code = 507
    code = "storage_full"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        from cyberhub.i18n import _

        super().__init__(message or _(
            "The hub's storage is full, so nothing was changed. Reading still works; tell "
            "the hub's operators, who must free disk space."), **kwargs)


class InternalError(HubError):
    """A fault in the hub itself (a bug): answered without any of its internals."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        from cyberhub.i18n import _

        super().__init__(message or _(
            "Something went wrong on the hub's side; nothing you sent is at fault. Try "
            "again later, and tell the hub's operators the request id if it persists."), **kw)


class PayloadTooLarge(HubError):
    status_code = 413
    code = "payload_too_large"


class QuotaExceeded(PayloadTooLarge):
    """One member's files would exceed their share of the hub's storage (ASVS 12.1.3)."""

    code = "quota_exceeded"
