"""Snapshots of packages for pages (safe after a failed form's rollback)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

from cyberhub.deps import Ctx
from cyberhub.i18n import _, pgettext
from cyberhub.packages import service
from cyberhub.packages.models import IntelPackage, PackageStatus

STATUS_LABELS: dict[PackageStatus, Callable[[], str]] = {
    PackageStatus.DRAFT: lambda: _("Draft"),
    PackageStatus.IN_REVIEW: lambda: _("In review"),
    PackageStatus.RELEASED: lambda: pgettext("package status", "Released"),
}


def status_label(package: IntelPackage) -> str:
    if package.status is PackageStatus.IN_REVIEW and package.reviewed_by_id is not None:
        return _("Approved, ready to release")
    return STATUS_LABELS[package.status]()


def drafts_for(ctx: Ctx) -> list[SimpleNamespace]:
    """The viewer's drafts, for the object page's "Add to a package"."""
    return [SimpleNamespace(id=str(p.id), title=p.title)
            for p in service.drafts_of(ctx.session, ctx.viewer)]
