"""``cyberhub meetings …``: the meetings commands (registered by ``cyberhub.cli``)."""

from __future__ import annotations

from cyberhub import clihelp
from cyberhub.i18n import N_, _

app = clihelp.Typer(help=N_("Meetings: action items and their reminders."), no_args_is_help=True)


@app.command("remind", help=N_(
    "Publish the action-item reminders due now (due within 24 hours, overdue), each once "
    "per item — what the worker does every 15 minutes."))
def remind() -> None:
    from cyberhub.cli import _database, out
    from cyberhub.meetings import reminders

    database = _database()
    try:
        with database.transaction() as session:
            result = reminders.send_due(session)
    finally:
        database.dispose()
    if not result.sent:
        out.print(_("No reminders were due."))
        return
    # Ids and dates only: the operator administers the hub but reads nothing shared.
    for sent in result.sent:
        out.print(f"[bold]{sent.kind}[/]  {_('action item')} {sent.item_id}  "
                  f"{_('due')} {sent.due_at:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print(_("Reminders published: %(due)d due, %(overdue)d overdue.")
              % {"due": result.count(reminders.DUE), "overdue": result.count(reminders.OVERDUE)})
