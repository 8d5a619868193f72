"""The words the interface uses for a record's vetting state and an import's status, in
the active language: one place for the pages, the command line and the services'
messages."""

from __future__ import annotations

from collections.abc import Callable

from cyberhub.i18n import _
from cyberhub.intel.models import ImportStatus, Vetting

VETTING_LABELS: dict[Vetting, Callable[[], str]] = {
    Vetting.UNVERIFIED: lambda: _("Unverified"),
    Vetting.CORROBORATED: lambda: _("Corroborated"),
    Vetting.VETTED: lambda: _("Vetted"),
    Vetting.DISPUTED: lambda: _("Disputed"),
}

STATUS_LABELS: dict[ImportStatus, Callable[[], str]] = {
    ImportStatus.QUEUED: lambda: _("queued"),
    ImportStatus.RUNNING: lambda: _("running"),
    ImportStatus.SUCCEEDED: lambda: _("succeeded"),
    ImportStatus.REJECTED: lambda: _("rejected"),
    ImportStatus.FAILED: lambda: _("failed"),
}
