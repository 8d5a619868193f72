"""``cyberhub deconfliction …``: operator commands (registered by ``cyberhub.cli``)."""

from __future__ import annotations

import typer

from cyberhub import clihelp
from cyberhub.i18n import N_, _, ngettext

app = clihelp.Typer(help=N_("Pointer-only deconfliction."), no_args_is_help=True)


@app.command("purge", help=N_(
    "Delete registrations expired more than CYBERHUB_DECONFLICTION_PURGE_DAYS ago, with "
    "their hits (the worker does it every night)."))
def purge() -> None:
    from cyberhub.cli import _database, out
    from cyberhub.deconfliction import service

    database = _database()
    try:
        with database.transaction() as session:
            count = service.purge_expired(session)
    finally:
        database.dispose()
    out.print(ngettext("%(n)d expired registration deleted.",
                       "%(n)d expired registrations deleted.", count) % {"n": count})


@app.command("announce", help=N_(
    "Announce new and renewed registrations to every partner hub now (the worker does it "
    "after each registration and every minute); exit 1 if a partner could not be reached."))
def announce() -> None:
    from cyberhub.cli import _database, err, out
    from cyberhub.deconfliction import network

    database = _database()
    try:
        with out.status(_("Announcing registrations to partner hubs…")):
            results = network.announce_all(database)
    finally:
        database.dispose()
    if not results:
        out.print(_("No partner hub with an agreed matching key."))
    for r in results:
        line = _("%(partner)s: digests asked: %(asked)d; pointers received: %(matched)d; "
                 "pointers sent: %(told)d.") % {"partner": r.partner, "asked": r.asked,
                                               "matched": r.matched, "told": r.told}
        if r.error:
            err.print("[bold red]✗[/] " + line + " " + _("Failed: %(error)s") % {"error": r.error},
                      highlight=False)
        else:
            out.print("[green]✓[/] " + line, highlight=False)
    if any(r.error for r in results):
        raise typer.Exit(code=1)
