"""``cyberhub ransomware …``: the ransomware commands (registered by ``cyberhub.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cyberhub.errors import HubError
from cyberhub.i18n import _

app = typer.Typer(help="Ransomware: leak-site posts.", no_args_is_help=True)


@app.command("import-leak-posts")
def import_leak_posts(
    path: Annotated[Path, typer.Argument(
        help="A JSON Lines file from a leak-site monitor (one post per line).", exists=True,
        readable=True, dir_okay=False)],
    as_: Annotated[str, typer.Option("--as", help="E-mail of the importing user.")],
    tlp: Annotated[str, typer.Option(help="GREEN, AMBER, AMBER+STRICT or RED.")] = "GREEN",
    lenient: Annotated[bool, typer.Option(
        help="Store the good lines and report the bad ones (default: strict, all or "
             "nothing).")] = False,
) -> None:
    """Import leak-site posts, de-duplicated and matched to families."""
    from cyberhub import access
    from cyberhub.cli import _database, _fail, err, out
    from cyberhub.community import service
    from cyberhub.ransomware import leakposts

    try:
        with _database().transaction() as session, path.open("rb") as stream:
            user = service.find_user(session, as_)
            if user is None or not user.is_active:
                raise HubError(_("No active user with the e-mail %(email)s.") % {"email": as_})
            result = leakposts.import_posts(
                session, access.viewer_for(session, user), stream, filename=path.name,
                tlp=tlp, mode="lenient" if lenient else "strict")
    except HubError as exc:
        for problem in (exc.details or {}).get("errors", []) if isinstance(
                exc.details, dict) else []:
            err.print(_("line %(line)d, %(field)s: %(problem)s") % problem, highlight=False,
                      markup=False)
        raise _fail(exc) from None
    out.print(_("%(stored)d posts stored, %(dups)d duplicates, %(bad)d bad lines left out.")
              % {"stored": result.stored, "dups": result.duplicates, "bad": result.skipped},
              highlight=False)
    for e in result.errors:
        err.print(_("line %(line)d, %(field)s: %(problem)s") % e.as_dict(), highlight=False,
                  markup=False)
    if result.unmatched:
        out.print(_("Groups matched to no family: %(groups)s") % {"groups": ", ".join(
            f"{g} ({n})" for g, n in result.unmatched.items())}, highlight=False, markup=False)
