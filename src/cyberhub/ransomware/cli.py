"""``cyberhub ransomware …``: the ransomware commands (registered by ``cyberhub.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cyberhub import clihelp
from cyberhub.errors import HubError
from cyberhub.i18n import N_, _, ngettext

app = clihelp.Typer(help=N_("Ransomware: payments followed to their wallets, and leak-site posts."),
                    no_args_is_help=True)


@app.command("import-payments", help=N_(
    "Import the payments a wallet received; every row is checked before anything is stored, "
    "and transactions the organisation already holds are left as they are."))
def import_payments(
    path: Annotated[Path, typer.Argument(
        help=N_("An explorer export: Etherscan CSV, Esplora JSON, or the generic CSV."),
        exists=True, readable=True, dir_okay=False)],
    as_: Annotated[str, typer.Option("--as", help=N_("E-mail of the importing user."))],
    fmt: Annotated[str | None, typer.Option(
        "--format", help=N_("etherscan-csv, esplora-json or generic-csv (default: recognised "
                            "from the file)."))] = None,
    chain: Annotated[str, typer.Option(help=N_("Chain of an Esplora export: btc, ltc, bch."))]
    = "btc",
    wallet: Annotated[str | None, typer.Option(
        help=N_("The address an explorer export is about (found when every row names it)."))]
    = None,
    tlp: Annotated[str, typer.Option(help=N_("Marking of the transactions."))] = "AMBER",
    audience: Annotated[str | None, typer.Option(
        help=N_("Recipient organisations, comma-separated names."))] = None,
) -> None:
    from cyberhub import access
    from cyberhub.audience import Audience
    from cyberhub.cli import _database, _fail, out
    from cyberhub.community import service
    from cyberhub.ransomware import payments

    database = _database()
    try:
        from cyberhub.ransomware.payments import MAX_UPLOAD

        if path.stat().st_size > MAX_UPLOAD:
            raise HubError(_("The file is larger than %(n)d bytes; split it.")
                           % {"n": MAX_UPLOAD})
        data = path.read_bytes()
        with database.transaction() as session:
            user = service.find_user(session, as_)
            if user is None or not user.is_active:
                raise HubError(_("No active user with the e-mail %(email)s.") % {"email": as_})
            org_ids = []
            for name in [n.strip() for n in (audience or "").split(",") if n.strip()]:
                org = service.find_organisation(session, name)
                if org is None:
                    raise HubError(_("No organisation named %(name)r.") % {"name": name})
                org_ids.append(org.id)
            result = payments.import_payments(
                session, access.viewer_for(session, user), data, fmt=fmt, chain=chain,
                address=wallet, tlp=tlp, audience=Audience(org_ids=org_ids))
    except HubError as exc:
        raise _fail(exc) from None
    finally:
        database.dispose()
    out.print(ngettext("%(format)s: %(found)d payment found, %(stored)d stored, %(unchanged)d "
                       "already imported.",
                       "%(format)s: %(found)d payments found, %(stored)d stored, %(unchanged)d "
                       "already imported.", result.found)
              % {"format": result.format, "found": result.found,
                                        "stored": result.stored,
                                        "unchanged": result.unchanged})
    for value in result.wallets:
        out.print(f"  {value}", highlight=False)


@app.command("import-leak-posts", help=N_(
    "Import leak-site posts, de-duplicated and matched to families."))
def import_leak_posts(
    path: Annotated[Path, typer.Argument(
        help=N_("A JSON Lines file from a leak-site monitor (one post per line)."), exists=True,
        readable=True, dir_okay=False)],
    as_: Annotated[str, typer.Option("--as", help=N_("E-mail of the importing user."))],
    tlp: Annotated[str, typer.Option(help=N_("GREEN, AMBER, AMBER+STRICT or RED."))] = "GREEN",
    lenient: Annotated[bool, typer.Option(
        help=N_("Store the good lines and report the bad ones (default: strict, all or "
                "nothing)."))] = False,
) -> None:
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
    out.print(ngettext("%(stored)d post stored, %(dups)d duplicates, %(bad)d bad lines left out.",
                       "%(stored)d posts stored, %(dups)d duplicates, %(bad)d bad lines left "
                       "out.", result.stored)
              % {"stored": result.stored, "dups": result.duplicates, "bad": result.skipped},
              highlight=False)
    for e in result.errors:
        err.print(_("line %(line)d, %(field)s: %(problem)s") % e.as_dict(), highlight=False,
                  markup=False)
    if result.unmatched:
        out.print(_("Groups matched to no family: %(groups)s") % {"groups": ", ".join(
            f"{g} ({n})" for g, n in result.unmatched.items())}, highlight=False, markup=False)
