"""``cyberhub backup`` and ``cyberhub restore`` (registered by ``cyberhub.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from cyberhub.backups.progress import Progress as _PhaseProgress
from cyberhub.errors import HubError
from cyberhub.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from cyberhub.backups import service

# The backup service (and Alembic behind it) is imported by the two commands alone: every
# other `cyberhub` call registers them and would otherwise pay for loading it.


class _Bytes(DownloadColumn):
    """Bytes done and due, for the phases whose size is known."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("sized") else Text("")


class _Bar(_PhaseProgress):
    """Each phase a line of its own: a bar when its size is known, else a spinner."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def phase(self, description: str, total: int | None = None) -> None:
        self._finish()
        self.task = self.bar.add_task(description, total=total, sized=total is not None)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)

    def _finish(self) -> None:
        if self.task is not None:
            task = self.bar.tasks[self.task]
            self.bar.update(self.task, total=task.total or 1,
                            completed=task.total or 1)

    def __enter__(self) -> _Bar:
        self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self._finish()
        self.bar.stop()


def _progress() -> _Bar:
    from cyberhub.cli import err

    return _Bar(Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                         _Bytes(), TimeElapsedColumn(), console=err))


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def _counts(summary: service.Summary) -> dict[str, str]:
    return {"files": ngettext("%(n)d file", "%(n)d files", summary.files) % {"n": summary.files},
            "keys": ngettext("%(n)d key", "%(n)d keys", summary.keys) % {"n": summary.keys}}


BACKUP_HELP = N_(
    "Back up the hub while it runs: the database (a consistent online copy of SQLite, or "
    "pg_dump of PostgreSQL), evidence files, dialogue attachments and the keys, in one tar "
    "archive with a manifest of SHA-256 sums. The archive is secret: store it encrypted "
    "(docs/backup.md).")


def backup(
    path: Annotated[Path, typer.Argument(
        help=N_("The archive to write (a new file; a name ending in .tar.gz compresses it)."))],
    exclude_keys: Annotated[bool, typer.Option(
        "--exclude-keys", help=N_("Leave the deconfliction key, the password pepper and the "
                                  "secret key out of the archive (keep them safe "
                                  "elsewhere)."))] = False,
) -> None:
    from cyberhub.backups import service
    from cyberhub.cli import _fail, err, out
    from cyberhub.config import get_settings

    try:
        with _progress() as bar:
            summary = service.create(get_settings(), path, include_keys=not exclude_keys,
                                     progress=bar)
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Backup written to %(path)s: the %(engine)s database at "
                                 "revision %(head)s, %(files)s, %(keys)s, %(size)s.")
              % {"path": summary.path, "engine": summary.engine, "head": summary.migration_head,
                 "size": _size(summary.size), **_counts(summary)},
              highlight=False)
    for warning in summary.warnings:
        err.print(f"[yellow]![/] {warning}", highlight=False)
    if summary.keys:
        err.print("[yellow]![/] " + _("The archive holds the hub's keys: store it encrypted."),
                  highlight=False)


RESTORE_HELP = N_(
    "Restore a backup into the configured database and var directory, then migrate it to "
    "the current schema. Every member is checked against the manifest first; a database "
    "holding data is replaced only with --force. Stop the hub (web and workers) before "
    "restoring.")


def restore(
    path: Annotated[Path, typer.Argument(help=N_("The archive written by 'cyberhub backup'."))],
    force: Annotated[bool, typer.Option(
        "--force", help=N_("Replace a database that already holds data."))] = False,
) -> None:
    from cyberhub.backups import service
    from cyberhub.cli import _fail, err, out
    from cyberhub.config import get_settings

    try:
        with _progress() as bar:
            summary = service.restore(get_settings(), path, force=force, progress=bar)
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Restored %(path)s: the %(engine)s database (made at revision "
                                 "%(head)s, now migrated to the current one), %(files)s, "
                                 "%(keys)s.")
              % {"path": summary.path, "engine": summary.engine, "head": summary.migration_head,
                 **_counts(summary)}, highlight=False)
    for warning in summary.warnings:
        err.print(f"[yellow]![/] {warning}", highlight=False)
