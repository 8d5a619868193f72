"""``cyberhub evidence …``: the evidence register's commands (registered by ``cyberhub.cli``)."""

from __future__ import annotations

import typer

from cyberhub import clihelp
from cyberhub.i18n import N_, _, ngettext

app = clihelp.Typer(help=N_("The evidence registers of joint operations."), no_args_is_help=True)


@app.command("verify", help=N_(
    "Recompute the SHA-256 of every evidence file in the hub and check every custody record "
    "against the audit log; exit 1 if a file is missing or changed, or a record differs "
    "from its audit entry."))
def verify() -> None:
    from cyberhub.cli import _database, err, out
    from cyberhub.operations.evidence import service

    database = _database()
    try:
        with database.transaction() as session, out.status(_("Verifying the evidence…")):
            report = service.verify_all(session)
    finally:
        database.dispose()
    if report.ok:
        out.print("[green]✓[/] " + ngettext(
            "The %(n)d evidence file matches its registered SHA-256, and every custody record "
            "matches its audit entry.",
            "All %(n)d evidence files match their registered SHA-256, and every custody record "
            "matches its audit entry.", report.checked) % {"n": report.checked})
        return
    # Ids and hashes only: the operator administers the hub but reads nothing shared.
    bad = len(report.problems)
    err.print("[bold red]✗[/] " + _("%(problems)s in %(items)s:") % {
        "problems": ngettext("%(n)d problem", "%(n)d problems", bad) % {"n": bad},
        "items": ngettext("%(n)d evidence item", "%(n)d evidence items", report.checked)
        % {"n": report.checked}})
    for p in report.problems:
        err.print(f"  - {_('operation')} {p.operation_id}  {p.kind}  {p.message}",
                  highlight=False)
    raise typer.Exit(code=1)
