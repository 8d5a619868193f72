"""The ``cyberhub`` command. The forms below are relied on by tooling and docs."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cyberhub import access, audit
from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.errors import HubError
from cyberhub.i18n import _

app = typer.Typer(help="Run and administer a cyberhub.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")

out = Console()
err = Console(stderr=True)


def _database() -> Database:
    return Database(get_settings().resolved_database_url())


def _operator() -> access.Viewer:
    return access.system_viewer(f"operator {getpass.getuser()} (command line)")


def _fail(exc: HubError) -> typer.Exit:
    err.print(f"[bold red]{_('Error')}:[/] {exc.message}", highlight=False)
    return typer.Exit(code=1)


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000) -> None:
    """Serve the web app and the API."""
    import uvicorn

    get_settings().resolved_secret_key()
    out.print(f"[bold]cyberhub[/] on http://{host}:{port}")
    proxies = get_settings().trusted_proxies.strip()
    uvicorn.run("cyberhub.app:create_app", factory=True, host=host, port=port,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                log_level="info")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date."""
    from cyberhub import migrate

    url = get_settings().resolved_database_url()
    with out.status(_("Migrating the database…")):
        migrate.upgrade(url)
    out.print(f"[green]✓[/] {_('The database is up to date.')}")


@app.command()
def demo() -> None:
    """Load the demo community (idempotent) and print its sign-ins."""
    from cyberhub import demo as demo_data

    database = _database()
    with out.status(_("Loading the demo community…")), database.transaction() as session:
        created, signins = demo_data.load(session)
    out.print(_("Loaded the demo community.") if created
              else _("The demo community is already loaded."))
    table = Table(title=_("Demo sign-ins (DEMO DATA, not real organisations)"))
    for col in (_("E-mail"), _("Role"), _("Organisation")):
        table.add_column(col, overflow="fold")
    for s in signins:
        table.add_row(s.email, s.role, s.organisation)
    out.print(table)
    out.print(_("Password for every demo user: %(pw)s") % {"pw": demo_data.DEMO_PASSWORD})


@org_app.command("create")
def org_create(
    name: str,
    kind: Annotated[str, typer.Option(help="law-enforcement, cert, financial, telecom, hosting, "
                                           "online-platform, security-vendor, "
                                           "international-organisation, non-profit, academia, "
                                           "other")],
    country: Annotated[str | None, typer.Option(help="ISO 3166 two-letter code.")] = None,
    sector: Annotated[str | None, typer.Option(help="A sector of the MISP sector galaxy.")] = None,
) -> None:
    """Create an organisation."""
    from cyberhub.community import service

    try:
        with _database().transaction() as session:
            org = service.create_organisation(session, _operator(), name=name, kind=kind,
                                              country=country, sector=sector)
            out.print(f"[green]✓[/] {_('Created organisation')} {org.name} ({org.id})",
                      highlight=False)
    except HubError as exc:
        raise _fail(exc) from None


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Name of the user's organisation.")],
    role: Annotated[str, typer.Option(help="hub-admin, org-admin, analyst or reader.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a user. The password is read from stdin when it is not a terminal."""
    from cyberhub.community import service

    if sys.stdin.isatty():
        password = getpass.getpass(_("Password: "))
        if getpass.getpass(_("Password again: ")) != password:
            err.print(f"[bold red]{_('Error')}:[/] {_('The passwords differ.')}")
            raise typer.Exit(code=1)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with _database().transaction() as session:
            organisation = service.find_organisation(session, org)
            if organisation is None:
                raise HubError(_("No organisation named %(name)r; create it first with "
                                 "'cyberhub org create'.") % {"name": org})
            user = service.create_user(session, _operator(), email=email, role=role,
                                       org_id=organisation.id, display_name=name,
                                       password=password)
            out.print(f"[green]✓[/] {_('Created user')} {user.email} ({user.role.value}, "
                      f"{organisation.name})", highlight=False)
    except HubError as exc:
        raise _fail(exc) from None


@user_app.command("reset-2fa")
def user_reset_2fa(email: str) -> None:
    """Turn off a user's second factor (lost device, or a changed secret key)."""
    from cyberhub.community import service

    try:
        with _database().transaction() as session:
            user = service.find_user(session, email)
            if user is None:
                raise HubError(_("No user with the e-mail %(email)s.") % {"email": email})
            service.reset_second_factor(session, _operator(), user.id)
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Two-factor sign-in is off for %(email)s; they enrol again at "
                                  "their next sign-in if their organisation requires it.")
              % {"email": email}, highlight=False)


@token_app.command("create")
def token_create(
    email: str,
    scope: Annotated[str, typer.Option(help="read or write.")] = "read",
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
    expires_days: Annotated[int, typer.Option(help="Days until it expires (1-366).")] = 90,
) -> None:
    """Create an API token for a user; prints only the token."""
    from cyberhub.community import auth, service

    try:
        with _database().transaction() as session:
            user = service.find_user(session, email)
            if user is None or not user.is_active:
                raise HubError(_("No active user with the e-mail %(email)s.") % {"email": email})
            _token, secret = auth.create_token(session, user, name=name, scope=scope,
                                               expires_days=expires_days)
    except HubError as exc:
        raise _fail(exc) from None
    sys.stdout.write(secret + "\n")


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[list[str] | None, typer.Option(
        help="A head printed by an earlier run (SEQ:HASH); repeatable. Proves the log was "
             "not cut short and rewound since.")] = None,
) -> None:
    """Check the audit log's hash chain; exit 1 if any entry was edited or deleted."""
    try:
        anchors = [audit.parse_anchor(a) for a in anchor or []]
    except ValueError as exc:
        err.print(f"[bold red]{_('Error')}:[/] {exc}", highlight=False)
        raise typer.Exit(code=2) from None
    with _database().snapshot() as session, out.status(_("Verifying the audit log…")):
        result = audit.verify(session, anchors)
    if result.ok:
        out.print("[green]✓[/] " + _("The audit log is intact: %(n)d entries.")
                  % {"n": result.entries})
        out.print(_("Head: %(head)s (keep it outside the hub; pass it to --anchor later)")
                  % {"head": result.head}, highlight=False)
        return
    err.print("[bold red]✗[/] " + _("The audit log was tampered with:"))
    for problem in result.problems:
        err.print(f"  - {problem}", highlight=False)
    raise typer.Exit(code=1)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
