"""The ``cyberhub`` command. The forms below are relied on by tooling and docs."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cyberhub import access, audit, clihelp
from cyberhub.backups import cli as backups_cli
from cyberhub.config import get_settings
from cyberhub.db import Database
from cyberhub.deconfliction.cli import app as deconfliction_app
from cyberhub.errors import HubError
from cyberhub.i18n import N_, _, ngettext
from cyberhub.meetings.cli import app as meetings_app
from cyberhub.operations.evidence.cli import app as evidence_app
from cyberhub.ransomware.cli import app as ransomware_app

app = clihelp.Typer(help=N_("Run and administer a cyberhub."), no_args_is_help=True,
                    pretty_exceptions_enable=False)
db_app = clihelp.Typer(help=N_("Database schema."), no_args_is_help=True)
org_app = clihelp.Typer(help=N_("Organisations."), no_args_is_help=True)
user_app = clihelp.Typer(help=N_("Users."), no_args_is_help=True)
token_app = clihelp.Typer(help=N_("API tokens."), no_args_is_help=True)
audit_app = clihelp.Typer(help=N_("The audit log."), no_args_is_help=True)
feed_app = clihelp.Typer(help=N_("MISP feed subscriptions."), no_args_is_help=True)
secrets_app = clihelp.Typer(help=N_("The secrets the hub stores encrypted."),
                            no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(feed_app, name="feed")
app.add_typer(secrets_app, name="secrets")
taxii_app = clihelp.Typer(help=N_("TAXII 2.1 collections served at /taxii2/."),
                          no_args_is_help=True)
app.add_typer(taxii_app, name="taxii")
peer_app = clihelp.Typer(help=N_("Partner hubs (TAXII 2.1 sync)."), no_args_is_help=True)
app.add_typer(peer_app, name="peer")
app.add_typer(ransomware_app, name="ransomware")
app.add_typer(meetings_app, name="meetings")
app.add_typer(evidence_app, name="evidence")
app.add_typer(deconfliction_app, name="deconfliction")
app.command("backup", help=backups_cli.BACKUP_HELP)(backups_cli.backup)
app.command("restore", help=backups_cli.RESTORE_HELP)(backups_cli.restore)

# The run speaks the operator's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG): messages
# and help alike (cyberhub.clihelp).


out = Console()
err = Console(stderr=True)


def _database() -> Database:
    import cyberhub.notifications.delivery  # noqa: F401 - commands publish events: listen

    return Database(get_settings().resolved_database_url())


def _operator() -> access.Viewer:
    return access.system_viewer(f"operator {getpass.getuser()} (command line)")


def _fail(exc: HubError) -> typer.Exit:
    err.print(f"[bold red]{_('Error')}:[/] {exc.message}", highlight=False)
    return typer.Exit(code=1)


@app.command(help=N_("Serve the web app and the API (with a background-job worker alongside)."))
def serve(host: Annotated[str, typer.Option(help=N_("Address to listen on."))] = "127.0.0.1",
          port: Annotated[int, typer.Option(help=N_("Port to listen on."))] = 8000,
          worker: Annotated[bool, typer.Option(
              help=N_("Also run a background-job worker (imports)."))] = True,
          workers: Annotated[int, typer.Option(
              min=1, max=64,
              help=N_("App processes answering on the one address (PostgreSQL for more than "
                      "one; see docs/deployment.md)."))] = 1) -> None:
    import subprocess

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    settings = get_settings()
    # Keys made on first use are made here, before the app processes and the worker
    # start, so that they all read the one file (or the key service is reached).
    from cyberhub import keyring

    keyring.check()
    # The warning-list index, when this package version has none yet (normally made by
    # `cyberhub refdata load`): once here, not by every app process on its first request.
    from cyberhub.intel import warninglists

    if not warninglists.default_path().exists():
        out.print(_("Indexing the MISP warning lists (once per package version)…"))
        warninglists.build()
    # The page templates, compiled once here into the cache every app process loads from
    # (each would otherwise compile all of them as it starts).
    from cyberhub.web import render

    render.use_bytecode_cache(settings.var_dir)
    render.warm()
    _metrics_dir(settings.var_dir)
    child = None
    if worker:
        child = subprocess.Popen([sys.executable, "-m", "cyberhub", "worker"])
    out.print(f"[bold]cyberhub[/] on http://{host}:{port}")
    proxies = get_settings().trusted_proxies.strip()
    try:
        uvicorn.run("cyberhub.app:create_served_app", factory=True, host=host, port=port,
                    proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
                    log_level=settings.log_level.lower(), workers=workers,
                    # The hub writes its own access line, with the request id and route
                    # (cyberhub.observability); in JSON mode every line is the hub's.
                    access_log=False,
                    # No "server: uvicorn" header: answers name no component (ASVS V14.3.3).
                    server_header=False,
                    log_config=None if settings.log_format == "json" else LOGGING_CONFIG)
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)


def _metrics_dir(var_dir: Path) -> None:
    """Let every process of the hub — app processes and job workers, started together by
    `serve` or apart (two systemd units) — count into one directory of prometheus-client's
    multi-process mode, so that the app's /metrics adds them up (see
    cyberhub.observability.multiprocess). Before anything imports prometheus-client."""
    from cyberhub.observability import multiprocess

    multiprocess.prepare(var_dir)


@app.command("worker", help=N_(
    "Run background jobs (imports, MISP feed polls every minute) until stopped."))
def worker_command(
    workers: Annotated[int, typer.Option(help=N_("Jobs run at the same time."))] = 1,
) -> None:
    # The job and import counts reach the app's /metrics: the directory `serve` uses.
    _metrics_dir(get_settings().var_dir)
    from cyberhub import jobs
    from cyberhub.federation import service as federation
    from cyberhub.intel import imports

    with _database().transaction() as session:
        interrupted = imports.fail_interrupted(session)
        polls = federation.fail_interrupted(session)
    if interrupted:
        err.print(ngettext(
            "%(n)d interrupted import was marked as failed (nothing of it was stored).",
            "%(n)d interrupted imports were marked as failed (nothing of them was stored).",
            interrupted) % {"n": interrupted})
    if polls:
        err.print(ngettext(
            "%(n)d interrupted MISP feed poll was marked as failed; it is tried again at its "
            "next interval.",
            "%(n)d interrupted MISP feed polls were marked as failed; they are tried again at "
            "their next interval.", polls) % {"n": polls})
    from cyberhub.observability import logs

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    logging.getLogger("cyberhub.jobs").info(
        "worker ready: %d job thread(s) on queue %s", workers, settings.queue_name)
    # Poll the queue at least once a second: an import should start while its
    # uploader watches, not after huey's default backoff of up to 10 s.
    consumer = jobs.huey.create_consumer(workers=workers, worker_type="thread",
                                         initial_delay=0.1, backoff=1.15, max_delay=1.0)
    consumer.run()


refdata_app = clihelp.Typer(help=N_("Reference data shipped by the MISP data packages."),
                            no_args_is_help=True)
app.add_typer(refdata_app, name="refdata")


@refdata_app.command("load", help=N_(
    "Load the MISP galaxies (ransomware families, ATT&CK, actors, malware, tools, "
    "countries, sectors) as TLP:CLEAR reference objects, and index the MISP warning lists. "
    "Idempotent: a second run changes nothing."))
def refdata_load(
    galaxy: Annotated[list[str] | None, typer.Option(
        help=N_("Load only this MISP galaxy (repeatable; default: every galaxy the hub maps, "
                "see 'cyberhub refdata status')."))] = None,
    file: Annotated[list[Path] | None, typer.Option(
        help=N_("Also load a galaxy cluster file (a newer or a private galaxy; repeatable)."),
        exists=True, dir_okay=False, readable=True)] = None,
    force: Annotated[bool, typer.Option(
        help=N_("Build and import again even when every galaxy is loaded at its version."))]
    = False,
    warninglists: Annotated[bool, typer.Option(
        help=N_("Also index the MISP warning lists."))] = True,
) -> None:
    try:
        _load_reference_data(galaxy, file or [], force=force)
    except HubError as exc:
        raise _fail(exc) from None
    if warninglists:
        _index_warninglists()


def _load_reference_data(names: list[str] | None, files: list[Path], *,
                         force: bool = False) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from cyberhub.refdata import service as refdata

    labels = {"read": _("Reading the MISP galaxies"), "build": _("Building STIX objects"),
              "import": _("Importing reference data")}
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def step(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                for task in tasks.values():  # the earlier stages are over
                    bar.update(task, total=bar.tasks[task].completed or 1,
                               completed=bar.tasks[task].completed or 1)
                    bar.stop_task(task)
                tasks[stage] = bar.add_task(labels[stage], total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        report = refdata.load(_database(), names, files=files, force=force, progress=step)
        for task in tasks.values():
            bar.update(task, total=bar.tasks[task].completed or 1,
                       completed=bar.tasks[task].completed or 1)
            bar.stop_task(task)
    if report.up_to_date:
        out.print("[green]✓[/] " + ngettext(
            "Reference data is up to date (%(n)d galaxy).",
            "Reference data is up to date (%(n)d galaxies).", len(report.datasets))
                  % {"n": len(report.datasets)}, highlight=False)
        return
    table = Table(title=_("MISP galaxies loaded"))
    for col in (_("Galaxy"), _("Version"), _("Objects"), _("Relationships")):
        table.add_column(col, justify="left" if col == _("Galaxy") else "right")
    for d in report.datasets:
        version = str(d.version) if d.previous_version in (None, d.version) else \
            f"{d.previous_version} → {d.version}"
        table.add_row(f"{d.title} ({d.name})", version, str(d.objects), str(d.relationships))
    out.print(table)
    c = report.counts
    if c is not None:
        out.print(ngettext("%(stored)d object stored, %(versions)d new versions, %(unchanged)d "
                           "unchanged, in %(seconds).1f s.",
                           "%(stored)d objects stored, %(versions)d new versions, %(unchanged)d "
                           "unchanged, in %(seconds).1f s.", c.stored)
                  % {"stored": c.stored, "versions": c.new_versions, "unchanged": c.unchanged,
                     "seconds": report.seconds.get("total", 0.0)}, highlight=False)
    if report.skipped_objects:
        err.print(ngettext("%(n)d cluster was left out (its data is not valid STIX):",
                           "%(n)d clusters were left out (their data is not valid STIX):",
                           report.skipped_objects)
                  % {"n": report.skipped_objects}, highlight=False)
    for note in report.notes[:10]:
        err.print(f"  - {note}", highlight=False, markup=False)


def _index_warninglists() -> None:
    from rich.progress import Progress

    from cyberhub.intel import warninglists

    with Progress(console=err) as bar:
        task = bar.add_task(_("Indexing the MISP warning lists"), total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        path = warninglists.build(step)
    out.print("[green]✓[/] " + _("Warning lists indexed: %(path)s") % {"path": path},
              highlight=False)


@refdata_app.command("status", help=N_(
    "List the reference data the hub holds, and the galaxies it could load."))
def refdata_status() -> None:
    from cyberhub.intel.galaxies import GALAXY_STIX_TYPES
    from cyberhub.refdata import galaxies
    from cyberhub.refdata import service as refdata

    with _database().snapshot() as session:
        rows = {d.name: d for d in refdata.datasets(session)}
    table = Table(title=_("Reference data (MISP galaxies, pymispgalaxies %(v)s)")
                  % {"v": galaxies.package_version()})
    for col in (_("Galaxy"), _("STIX type"), _("Version"), _("Objects"), _("Relationships"),
                _("Loaded")):
        table.add_column(col)
    for name in sorted(set(galaxies.available()) | set(rows)):
        d = rows.get(name)
        default = "" if name in galaxies.DEFAULT_GALAXIES else " *"
        if d is None:
            table.add_row(name + default, GALAXY_STIX_TYPES.get(name, ""), "—", "—",
                          "—", _("not loaded"))
        else:
            table.add_row(f"{d.title} ({name}){default}", d.stix_type, str(d.version),
                          str(d.objects), str(d.relationships),
                          d.loaded_at.strftime("%Y-%m-%d %H:%M UTC"))
    out.print(table)
    out.print(_("* not loaded by default (deprecated copies); load with --galaxy NAME."))


@app.command("import", help=N_("Import a file into the knowledge base, with a progress bar."))
def import_command(
    path: Annotated[Path, typer.Argument(
        help=N_("The file to import, or a directory for formats that read one (a MISP feed)."),
        exists=True, readable=True)],
    as_: Annotated[str, typer.Option("--as", help=N_("E-mail of the contributing user."))],
    tlp: Annotated[str, typer.Option(help=N_("Marking for objects the data leaves unmarked."))]
    = "AMBER",
    audience: Annotated[str | None, typer.Option(
        help=N_("Recipient organisations, comma-separated names."))] = None,
    fmt: Annotated[str, typer.Option(
        "--format", help=N_("stix; misp (MISP event JSON, or a MISP feed: a directory or "
                            ".tar.gz); csv (with --mapping)"))] = "stix",
    mapping: Annotated[str | None, typer.Option(
        help=N_("For --format csv: the name (or id) of a CSV mapping saved by the user's "
                "organisation on the import page."))] = None,
    pap: Annotated[str | None, typer.Option(help=N_("PAP marking."))] = None,
    lenient: Annotated[bool, typer.Option(
        help=N_("Store the valid objects and report the invalid ones (default: strict, all or "
                "nothing)."))] = False,
) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from cyberhub.audience import Audience
    from cyberhub.community import service
    from cyberhub.intel import imports
    from cyberhub.intel.models import ImportStatus

    database = _database()
    try:
        if path.is_dir() and fmt == "stix":
            raise HubError(_("%(path)s is a directory; only MISP feeds (--format misp) are "
                             "imported from a directory.") % {"path": path})
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
            viewer = access.viewer_for(session, user)
            options = _format_options(session, viewer, fmt, mapping)
            job = imports.new_import(session, viewer, filename=path.name, tlp=tlp, pap=pap,
                                     audience=Audience(org_ids=org_ids),
                                     mode="lenient" if lenient else "strict", fmt=fmt,
                                     options=options)
            imports.stage_file(job, path.resolve())
            import_id, total = job.id, job.bytes_total
    except HubError as exc:
        raise _fail(exc) from None
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
               TextColumn(_("Objects: %(n)s") % {"n": "{task.fields[objects]}"}),
               TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task(_("Importing %(name)s") % {"name": path.name}, total=total,
                            objects=0)
        job = imports.run(database, import_id, lambda c: bar.update(
            task, completed=c.bytes_done, objects=c.seen), keep_source=True)
        bar.update(task, completed=total)
    from cyberhub.intel.labels import STATUS_LABELS

    table = Table(title=_("Import: %(status)s") % {"status": STATUS_LABELS[job.status]()})
    for col in (_("seen"), _("stored"), _("unchanged"), _("new versions"), _("invalid")):
        table.add_column(col, justify="right")
    table.add_row(*(str(v) for v in (job.objects_seen, job.objects_stored,
                                     job.objects_unchanged, job.objects_new_versions,
                                     job.objects_invalid)))
    out.print(table)
    for problem in job.errors[:50]:
        err.print(f"  #{problem['index']} {problem['id'] or ''} {problem['path']}: "
                  f"{problem['message']}", highlight=False, markup=False)
    for notice in job.notices[:50]:
        err.print(f"  {notice['message']}", highlight=False, markup=False)
    if len(job.notices) > 50:
        err.print(ngettext("… and %(n)d more notice; see the import's status page.",
                           "… and %(n)d more notices; see the import's status page.",
                           len(job.notices) - 50) % {"n": len(job.notices) - 50})
    if len(job.errors) > 50 or job.objects_invalid > len(job.errors):
        err.print(_("… and more; see the import's status for the first 1000."))
    if job.message:
        (out if job.status is ImportStatus.SUCCEEDED else err).print(job.message,
                                                                    highlight=False)
    if job.status is not ImportStatus.SUCCEEDED:
        raise typer.Exit(code=1)


def _format_options(session: Any, viewer: Any, fmt: str, mapping: str | None
                    ) -> dict[str, Any]:
    """A format's options from the command line: a CSV import names a saved mapping."""
    if fmt != "csv":
        if mapping:
            raise HubError(_("--mapping applies to --format csv only."))
        return {}
    if not mapping:
        raise HubError(_("A CSV import needs --mapping NAME: save a mapping on the hub's CSV "
                         "import page first."))
    from cyberhub.formats.csv import mappings

    return mappings.load(session, viewer, mapping).as_dict()


@app.command("export", help=N_(
    "Export what a user may see: a STIX 2.1 bundle, CSV, a blocklist or MISP events."))
def export_command(
    as_: Annotated[str, typer.Option(
        "--as", help=N_("E-mail of the user whose view is exported."))],
    fmt: Annotated[str, typer.Option("--format", help=N_("stix, csv, blocklist or misp."))]
    = "stix",
    kind: Annotated[str | None, typer.Option(
        help=N_("Blocklists: the kind of value (ipv4, ipv6, domain, url, sha256, …)."))] = None,
    type_: Annotated[list[str] | None, typer.Option(
        "--type", help=N_("Only these STIX types (repeatable)."))] = None,
    tlp: Annotated[list[str] | None, typer.Option(
        help=N_("Only these TLP markings (repeatable)."))] = None,
    since: Annotated[str | None, typer.Option(
        help=N_("Only objects added at or after (ISO 8601 date or time with zone)."))] = None,
    warninglisted: Annotated[bool, typer.Option(
        help=N_("Blocklists: keep values on MISP warning lists (left out by default)."))] = False,
    output: Annotated[Path | None, typer.Option(
        help=N_("Write to this file (default: standard output)."), dir_okay=False)] = None,
) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from cyberhub.community import service
    from cyberhub.intel import export

    database = _database()
    try:
        with database.snapshot() as session:
            user = service.find_user(session, as_)
            if user is None or not user.is_active:
                raise HubError(_("No active user with the e-mail %(email)s.") % {"email": as_})
            filters = export.make_filters(session, types=type_, tlps=tlp, since=since,
                                          skip_warninglisted=not warninglisted)
            user_id = user.id
        if output is None:
            body = export.stream(database, user_id, fmt, filters, kind=kind)
            sink = sys.stdout.buffer
            for chunk in body:
                sink.write(chunk)
            sink.flush()
            return
        unit = _("values") if fmt == "blocklist" else _("objects")
        columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"),
                   TextColumn("{task.fields[count]} " + unit), TimeElapsedColumn())
        bar = Progress(*columns, console=err)
        task = bar.add_task(_("Exporting to %(name)s") % {"name": output.name}, count=0)
        # Arguments are checked here, before the file is created.
        body = export.stream(database, user_id, fmt, filters, kind=kind,
                             progress=lambda n: bar.update(task, count=n))
        with bar, output.open("wb") as sink:
            for chunk in body:
                sink.write(chunk)
    except HubError as exc:
        raise _fail(exc) from None
    err.print("[green]✓[/] " + _("Exported to %(path)s.") % {"path": output}, highlight=False)


@feed_app.command("add", help=N_(
    "Subscribe an organisation to a MISP feed; the worker polls it every N minutes."))
def feed_add(
    name: Annotated[str, typer.Argument(
        help=N_("A name for the feed, unique in the organisation."))],
    url: Annotated[str, typer.Argument(
        help=N_("The feed's folder: an http(s) URL, or a directory holding manifest.json."))],
    as_: Annotated[str, typer.Option(
        "--as", help=N_("E-mail of the member whose rights the imports run with; the feed "
                        "belongs to their organisation."))],
    tlp: Annotated[str, typer.Option(help=N_("Marking for what the feed's data leaves "
                                             "unmarked."))] = "AMBER",
    pap: Annotated[str | None, typer.Option(help=N_("PAP marking."))] = None,
    audience: Annotated[str | None, typer.Option(
        help=N_("Recipient organisations, comma-separated names."))] = None,
    every: Annotated[int, typer.Option(help=N_("Minutes between polls."))] = 60,
    paused: Annotated[bool, typer.Option(help=N_("Add it paused."))] = False,
) -> None:
    from cyberhub.audience import Audience
    from cyberhub.community import service as community
    from cyberhub.federation import service

    try:
        with _database().transaction() as session:
            user = community.find_user(session, as_)
            if user is None or not user.is_active:
                raise HubError(_("No active user with the e-mail %(email)s.") % {"email": as_})
            org_ids = []
            for org_name in [n.strip() for n in (audience or "").split(",") if n.strip()]:
                org = community.find_organisation(session, org_name)
                if org is None:
                    raise HubError(_("No organisation named %(name)r.") % {"name": org_name})
                org_ids.append(org.id)
            viewer = access.viewer_for(session, user)
            feed = service.create_feed(
                session, viewer, name=name, url=url, tlp=tlp, pap=pap,
                audience=Audience(org_ids=org_ids), interval_minutes=every,
                enabled=not paused, any_directory=True)
            label, org_label = feed.name, user.organisation.name
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + ngettext(
        "Feed %(name)s added for %(org)s; polled every %(n)d minute.",
        "Feed %(name)s added for %(org)s; polled every %(n)d minutes.", every)
              % {"name": label, "org": org_label, "n": every},
              highlight=False)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _cursor(value: int | None) -> str:
    return _when(datetime.fromtimestamp(value, UTC)) if value else "—"


@feed_app.command("list", help=N_("Every MISP feed subscription of the hub, with its last poll."))
def feed_list() -> None:
    from cyberhub.community import service as community
    from cyberhub.federation import service
    from cyberhub.formats.misp.feeds import shown_location

    with _database().transaction() as session:
        found = service.list_feeds(session, _operator())
        orgs = {o.id: o.name for o in community.list_organisations(session, _operator())}
        rows = [(f.name, orgs.get(f.org_id, ""), shown_location(f.url),
                 str(f.interval_minutes) if f.enabled else _("paused"), f.last_status.value,
                 _cursor(f.cursor), str(f.events_imported), _when(f.last_polled_at),
                 f.last_error or "") for f in found]
    if not rows:
        out.print(_("No MISP feeds yet; add one with 'cyberhub feed add'."))
        return
    table = Table(title=_("MISP feeds"))
    for col in (_("name"), _("organisation"), _("URL"), _("every (min)"), _("status"),
                _("cursor"), _("events"), _("last poll"), _("last error")):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@feed_app.command("poll", help=N_(
    "Poll MISP feeds now, here, with progress; paused feeds only when named."))
def feed_poll(
    name: Annotated[str | None, typer.Argument(
        help=N_("The feed's name (or id); every enabled feed when left out."))] = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cyberhub.federation import service
    from cyberhub.federation.models import FeedStatus

    database = _database()
    with database.transaction() as session:
        if name is None:
            chosen = [f for f in service.list_feeds(session, _operator()) if f.enabled]
        else:
            chosen = service.find_feeds(session, name)
            if not chosen:
                raise _fail(HubError(_("No feed named %(name)r; see 'cyberhub feed list'.")
                                     % {"name": name}))
            if len(chosen) > 1:
                raise _fail(HubError(ngettext(
                    "%(n)d organisation has a feed named %(name)r; give its id instead (see "
                    "the API or the web page).",
                    "%(n)d organisations have a feed named %(name)r; give its id instead (see "
                    "the API or the web page).", len(chosen))
                                     % {"n": len(chosen), "name": name}))
        targets = [(f.id, f.name) for f in chosen]
    if not targets:
        out.print(_("No enabled MISP feeds to poll."))
        return
    results: list[tuple[str, service.PollResult | None]] = []
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[detail]}"))
    with Progress(*columns, console=err) as bar:
        for feed_id, label in targets:
            task = bar.add_task(_("%(name)s: fetching") % {"name": label}, total=None,
                                detail="")

            def fetched(done: int, total: int, task: Any = task, label: str = label) -> None:
                bar.update(task, completed=done, total=total,
                           description=_("%(name)s: fetching events") % {"name": label})

            def imported(counts: Any, task: Any = task, label: str = label) -> None:
                bar.update(task, description=_("%(name)s: importing") % {"name": label},
                           detail=ngettext("%(n)d object", "%(n)d objects", counts.seen)
                           % {"n": counts.seen})

            result = service.poll_now(database, feed_id, on_fetch=fetched, on_import=imported)
            bar.update(task, description=label, detail=(
                result.status.value if result else _("busy")))
            results.append((label, result))
    table = Table(title=_("MISP feed polls"))
    table.add_column(_("feed"), overflow="fold")
    table.add_column(_("status"))
    table.add_column(_("new events"), justify="right")
    table.add_column(_("cursor"), no_wrap=True)
    table.add_column(_("error"), overflow="fold")
    failed = False
    for label, result in results:
        if result is None:
            table.add_row(label, _("busy"), "", "", _("Another poll of this feed is running."))
            continue
        failed = failed or result.status is FeedStatus.FAILED
        events = str(result.events) + (" +" if result.more else "")
        table.add_row(label, result.status.value, events, _cursor(result.cursor),
                      result.error or "")
    out.print(table)
    if failed:
        raise typer.Exit(code=1)


@db_app.command("upgrade", help=N_("Bring the database schema up to date."))
def db_upgrade() -> None:
    from cyberhub import migrate

    url = get_settings().resolved_database_url()
    with out.status(_("Migrating the database…")):
        migrate.upgrade(url)
    out.print(f"[green]✓[/] {_('The database is up to date.')}")


@app.command(help=N_("Load the demo community (idempotent) and print its sign-ins."))
def demo(
    refdata: Annotated[bool, typer.Option(
        help=N_("Also make sure the reference data (MISP galaxies) is loaded."))] = True,
) -> None:
    from cyberhub import demo as demo_data

    if refdata:
        try:
            _load_reference_data(None, [])
        except HubError as exc:
            raise _fail(exc) from None
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
    out.print(_("The hub admin sets up two-factor sign-in (an authenticator app) at the first "
                "sign-in."))


@org_app.command("create", help=N_("Create an organisation."))
def org_create(
    name: str,
    kind: Annotated[str, typer.Option(help=N_("law-enforcement, cert, financial, telecom, hosting, "
                                              "online-platform, security-vendor, "
                                              "international-organisation, non-profit, academia, "
                                              "other"))],
    country: Annotated[str | None, typer.Option(help=N_("ISO 3166 two-letter code."))] = None,
    sector: Annotated[str | None, typer.Option(
        help=N_("A sector of the MISP sector galaxy."))] = None,
) -> None:
    from cyberhub.community import service

    try:
        with _database().transaction() as session:
            org = service.create_organisation(session, _operator(), name=name, kind=kind,
                                              country=country, sector=sector)
            out.print(f"[green]✓[/] {_('Created organisation')} {org.name} ({org.id})",
                      highlight=False)
    except HubError as exc:
        raise _fail(exc) from None


@user_app.command("create", help=N_(
    "Create a user. The password is read from stdin when it is not a terminal."))
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help=N_("Name of the user's organisation."))],
    role: Annotated[str, typer.Option(help=N_("hub-admin, org-admin, analyst or reader."))],
    name: Annotated[str | None, typer.Option(help=N_("Display name."))] = None,
) -> None:
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


@user_app.command("reset-2fa", help=N_(
    "Turn off a user's second factor (lost device, or a changed secret key)."))
def user_reset_2fa(email: str) -> None:
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


@user_app.command("erase", help=N_(
    "Erase a deactivated user's personal data: e-mail, name, language, sessions, tokens, "
    "second factor, webhooks, notifications and settings. What they contributed stays, "
    "attributed to \"Erased user\"; the audit log stays as it is. Cannot be undone."))
def user_erase(
    email: str,
    yes: Annotated[bool, typer.Option("--yes", help=N_("Do not ask for confirmation."))] = False,
) -> None:
    from cyberhub.community import privacy, service

    if not yes and not typer.confirm(
            _("Erase the account %(email)s? This cannot be undone.") % {"email": email}):
        err.print(_("Nothing was erased."))
        raise typer.Exit(code=1)
    try:
        with _database().transaction() as session:
            user = service.find_user(session, email)
            if user is None:
                raise HubError(_("No user with the e-mail %(email)s.") % {"email": email})
            erased = privacy.erase_user(session, _operator(), user.id, confirm=user.email)
            new_email = erased.email
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Erased %(email)s; the account is now %(erased)s.")
              % {"email": email, "erased": new_email}, highlight=False)


@token_app.command("create", help=N_("Create an API token for a user; prints only the token."))
def token_create(
    email: str,
    scope: Annotated[str, typer.Option(help=N_("read or write."))] = "read",
    name: Annotated[str, typer.Option(help=N_("What the token is for."))] = "command line",
    expires_days: Annotated[int, typer.Option(help=N_("Days until it expires (1-366)."))] = 90,
) -> None:
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


@audit_app.command("verify", help=N_(
    "Check the audit log's hash chain; exit 1 if any entry was edited or deleted."))
def audit_verify(
    anchor: Annotated[list[str] | None, typer.Option(
        help=N_("A head printed by an earlier run (SEQ:HASH); repeatable. Proves the log was "
                "not cut short and rewound since."))] = None,
) -> None:
    try:
        anchors = [audit.parse_anchor(a) for a in anchor or []]
    except ValueError as exc:
        err.print(f"[bold red]{_('Error')}:[/] {exc}", highlight=False)
        raise typer.Exit(code=2) from None
    with _database().snapshot() as session, out.status(_("Verifying the audit log…")):
        result = audit.verify(session, anchors)
    if result.ok:
        out.print("[green]✓[/] " + ngettext("The audit log is intact: %(n)d entry.",
                                            "The audit log is intact: %(n)d entries.",
                                            result.entries) % {"n": result.entries})
        out.print(_("Head: %(head)s (keep it outside the hub; pass it to --anchor later)")
                  % {"head": result.head}, highlight=False)
        return
    err.print("[bold red]✗[/] " + _("The audit log was tampered with:"))
    for problem in result.problems:
        err.print(f"  - {problem}", highlight=False)
    raise typer.Exit(code=1)


@app.command("check", help=N_(
    "Check that this hub is deployed securely: its settings and key files, and with "
    "--url what it serves; exit 1 on any failure."))
def check_command(
    url: Annotated[str | None, typer.Option(help=N_(
        "The hub's public address, to check what it serves through the proxy."))] = None,
) -> None:
    import httpx2

    from cyberhub import deploycheck

    checks = deploycheck.settings_checks(get_settings())
    if url:
        with httpx2.Client(timeout=10) as client:
            checks += deploycheck.live_checks(url, client)
    mark = {deploycheck.Status.OK: "[green]✓[/]", deploycheck.Status.WARN: "[yellow]![/]",
            deploycheck.Status.FAIL: "[bold red]✗[/]"}
    for c in checks:
        out.print(f"{mark[c.status]} {escape(c.name)}: {escape(c.message)}", highlight=False)
    failed = sum(c.status is deploycheck.Status.FAIL for c in checks)
    if failed:
        err.print("[bold red]✗[/] " + ngettext("%(n)d check failed.", "%(n)d checks failed.",
                                               failed) % {"n": failed})
        raise typer.Exit(code=1)
    out.print("[green]✓[/] " + _("No check failed."))


@secrets_app.command("rotate", help=N_(
    "Encrypt every stored secret again with CYBERHUB_SECRET_KEY, after a key change; "
    "the old key must be in CYBERHUB_PREVIOUS_SECRET_KEYS meanwhile."))
def secrets_rotate() -> None:
    from cyberhub import keyrotation

    labels = {"totp": _("two-factor seeds"), "peer_secret": _("partner hub passwords"),
              "peer_match_key": _("partner matching keys"),
              "webhook_secret": _("webhook secrets"),
              "victim_name": _("ransomware victims' names"),
              "victim_contact": _("ransomware victims' contacts")}
    try:
        with _database().transaction() as session, out.status(
                _("Re-encrypting stored secrets…")):
            result = keyrotation.rotate(session, _operator().actor)
    except HubError as exc:
        raise _fail(exc) from None
    for kind, n in result.counts.items():
        out.print(f"  {labels[kind]}: {n}", highlight=False)
    out.print("[green]✓[/] " + ngettext(
        "%(n)d secret re-encrypted with the current key. The previous keys can now be "
        "removed from CYBERHUB_PREVIOUS_SECRET_KEYS.",
        "%(n)d secrets re-encrypted with the current key. The previous keys can now be "
        "removed from CYBERHUB_PREVIOUS_SECRET_KEYS.", result.total) % {"n": result.total},
        highlight=False)


@secrets_app.command("serve", help=N_(
    "Hold the hub's keys in this process and answer on a Unix socket (the key service): "
    "app processes with CYBERHUB_KEY_SERVICE set to the socket then sign, hash and "
    "encrypt through it without ever holding a key (docs/deployment.md)."))
def secrets_serve(
    socket_path: Annotated[Path, typer.Option(
        "--socket", help=N_("Where to listen (a path; its directory is made)."))],
    mode: Annotated[str, typer.Option(help=N_(
        "The socket's permissions, in octal: the app's account must be able to open it, "
        "no other should."))] = "660",
) -> None:
    import signal

    from cyberhub.keyring import server

    settings = get_settings()
    if settings.key_service:
        err.print(f"[bold red]{_('Error')}:[/] " + _(
            "CYBERHUB_KEY_SERVICE is set in the key service's own environment: unset it "
            "there; the service holds the keys itself."), highlight=False)
        raise typer.Exit(code=1)
    try:
        permissions = int(mode, 8)
    except ValueError:
        permissions = -1
    if not 0 <= permissions <= 0o777:
        err.print(f"[bold red]{_('Error')}:[/] " + _(
            "The mode must be octal permissions such as 660.") + f" ({mode})", highlight=False)
        raise typer.Exit(code=1)
    try:
        service = server.make_server(settings, socket_path, permissions)
    except (RuntimeError, OSError) as exc:
        err.print(f"[bold red]{_('Error')}:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from None

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    out.print(_("The key service answers on %(path)s.") % {"path": socket_path},
              highlight=False)
    try:
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        service.server_close()


@taxii_app.command("add", help=N_(
    "Define a TAXII collection: a filter over what each member may see."))
def taxii_add(
    title: Annotated[str, typer.Argument(help=N_("The collection's title."))],
    alias: Annotated[str | None, typer.Option(help=N_("A short name clients may use."))] = None,
    description: Annotated[str, typer.Option(help=N_("What the collection holds."))] = "",
    type_: Annotated[list[str] | None, typer.Option(
        "--type", help=N_("Only these STIX types (repeat)."))] = None,
    tlp: Annotated[list[str] | None, typer.Option(help=N_("Only these markings (repeat)."))] = None,
    label: Annotated[list[str] | None, typer.Option(help=N_("Only objects with any of these "
                                                            "labels (repeat)."))] = None,
    source: Annotated[list[str] | None, typer.Option(
        help=N_("Only objects whose source starts with this (repeat), e.g. misp-feed:."))] = None,
    owner: Annotated[list[str] | None, typer.Option(
        help=N_("Only objects of these organisations, by name (repeat)."))] = None,
    shared_with: Annotated[list[str] | None, typer.Option(
        help=N_("Only objects whose audience names this organisation or group (repeat)."))]
    = None,
    writable: Annotated[bool, typer.Option(help=N_("Members may add objects."))] = False,
    write_tlp: Annotated[str, typer.Option(help=N_("Marking for unmarked objects added."))]
    = "AMBER",
) -> None:
    from cyberhub.community import service as community
    from cyberhub.taxii import service

    try:
        with _database().transaction() as session:
            owners = []
            for name in owner or []:
                org = community.find_organisation(session, name)
                if org is None:
                    raise HubError(_("No organisation named %(name)r.") % {"name": name})
                owners.append(str(org.id))
            audience = []
            for name in shared_with or []:
                named = community.find_organisation(session, name) or community.find_group(
                    session, name)
                if named is None:
                    raise HubError(_("No organisation or group named %(name)r.")
                                   % {"name": name})
                audience.append(str(named.id))
            found = service.save_collection(session, _operator(), service.CollectionSpec(
                title=title, alias=alias, description=description, types=type_ or [],
                tlps=tlp or [], labels=label or [], sources=source or [],
                owner_org_ids=owners, audience_ids=audience, writable=writable,
                write_tlp=write_tlp))
            cid = found.id
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Collection %(title)s added: %(id)s")
              % {"title": title, "id": cid}, highlight=False)


@taxii_app.command("list", help=N_("The TAXII collections and their filters."))
def taxii_list() -> None:
    from cyberhub.taxii import service

    with _database().transaction() as session:
        rows = [(str(c.id), c.alias or "", c.title,
                 "; ".join(f"{k}={','.join(v)}" for k, v in c.filters().items() if v) or "—",
                 _("yes") if c.writable else _("no"))
                for c in service.list_collections(session)]
    if not rows:
        out.print(_("No TAXII collections yet; add one with 'cyberhub taxii add'."))
        return
    table = Table(title=_("TAXII collections"))
    for col in (_("id"), _("alias"), _("title"), _("filter"), _("writable")):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@taxii_app.command("remove", help=N_(
    "Delete a TAXII collection (its objects stay in the knowledge base)."))
def taxii_remove(
    collection: Annotated[str, typer.Argument(help=N_("The collection's id or alias."))],
) -> None:
    from cyberhub.taxii import service

    try:
        with _database().transaction() as session:
            service.delete_collection(session, _operator(),
                                      service.get_collection(session, collection))
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Collection removed."))


@peer_app.command("add", help=N_(
    "Register a partner hub (or any TAXII 2.1 collection) to sync with."))
def peer_add(
    name: Annotated[str, typer.Argument(help=N_("A name for the partner."))],
    url: Annotated[str, typer.Argument(help=N_("The partner's TAXII collection address."))],
    org: Annotated[str, typer.Option(help=N_("The organisation here that stands for the "
                                             "partner (owns what it sends; its client signs "
                                             "in as one of its users)."))],
    run_as: Annotated[str, typer.Option(help=N_("E-mail of that organisation's user the "
                                                "imports run as."))],
    remote_user: Annotated[str, typer.Option(help=N_("Our e-mail on the partner's server "
                                                     "(Basic); empty: Bearer."))] = "",
    token_env: Annotated[str, typer.Option(
        help=N_("Name of the environment variable holding our API token on the partner's "
                "server (kept out of the shell history)."))] = "CYBERHUB_PEER_TOKEN",  # noqa: S107
    direction: Annotated[str, typer.Option(help=N_("pull, push or both."))] = "pull",
    share_green: Annotated[bool, typer.Option(help=N_("The partner's community is trusted "
                                                      "for TLP:GREEN."))] = False,
    tlp: Annotated[str, typer.Option(
        help=N_("The least restrictive marking what the partner sends may have here (as for "
                "any import): GREEN keeps its GREEN as GREEN."))] = "AMBER",
    audience: Annotated[list[str] | None, typer.Option(
        help=N_("Organisations here that receive the partner's AMBER (repeat)."))] = None,
    every: Annotated[int, typer.Option(help=N_("Minutes between syncs."))] = 15,
    match_key_env: Annotated[str, typer.Option(
        help=N_("Environment variable holding the matching key agreed with the partner."))]
    = "CYBERHUB_PEER_MATCH_KEY",
    match_key_id: Annotated[str, typer.Option(help=N_("The agreed key's id."))] = "",
    contact: Annotated[str, typer.Option(help=N_("The partner's point of contact, named to "
                                                 "analysts when a value matches."))] = "",
    trust: Annotated[int | None, typer.Option(
        help=N_("Confidence (0-100) given to the partner's objects that state none."))] = None,
    paused: Annotated[bool, typer.Option(help=N_("Add it paused: no scheduled syncs (sync "
                                                 "it by name)."))] = False,
) -> None:
    from cyberhub.federation import peers

    try:
        with _database().transaction() as session:
            peer = peers.add_peer(session, _operator(), peers.PeerSpec(
                name=name, url=url, org=org, run_as=run_as, remote_user=remote_user,
                secret=os.environ.get(token_env, ""), direction=direction,
                share_green=share_green, tlp=tlp, audience=tuple(audience or ()),
                interval_minutes=every, match_key=os.environ.get(match_key_env, ""),
                match_key_id=match_key_id, contact=contact, trust=trust))
            if paused:
                peers.set_enabled(session, _operator(), peer, False)
            pid = peer.id
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Partner %(name)s added: %(id)s") % {"name": name, "id": pid},
              highlight=False)


@peer_app.command("list", help=N_("The partner hubs and the state of each link."))
def peer_list() -> None:
    from cyberhub.federation import peers

    with _database().transaction() as session:
        rows = [(p.name, p.url, p.direction.value, _("yes") if p.share_green else _("no"),
                 _when(p.last_success_at), str(p.objects_pulled), str(p.objects_pushed),
                 p.last_error or "") for p in peers.list_peers(session, _operator())]
    if not rows:
        out.print(_("No partner hubs yet; add one with 'cyberhub peer add'."))
        return
    table = Table(title=_("Partner hubs"))
    for col in (_("name"), _("collection"), _("direction"), _("GREEN"), _("last success"),
                _("pulled"), _("pushed"), _("last error")):
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


@peer_app.command("remove", help=N_("Stop syncing with a partner (what it sent stays)."))
def peer_remove(peer: Annotated[str, typer.Argument(help=N_("The partner's name or id."))]) -> None:
    from cyberhub.federation import peers

    try:
        with _database().transaction() as session:
            peers.remove_peer(session, _operator(), peers.get_peer(session, _operator(), peer))
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Partner removed."))


@peer_app.command("index", help=N_(
    "Rebuild the keyed digests of the values offered to a partner for matching."))
def peer_index(peer: Annotated[str, typer.Argument(help=N_("The partner's name or id."))]) -> None:
    from cyberhub.federation import matching, peers

    database = _database()
    try:
        with database.transaction() as session:
            peer_id = peers.get_peer(session, _operator(), peer).id
    except HubError as exc:
        raise _fail(exc) from None
    with out.status(_("Computing digests…")):
        count = matching.rebuild_index(database, peer_id)
    out.print("[green]✓[/] " + ngettext("%(n)d value offered for matching.",
                                        "%(n)d values offered for matching.", count)
              % {"n": count})


@peer_app.command("set", help=N_(
    "Change a partner's settings (its cursors stay, unless the address changes)."))
def peer_set(
    peer: Annotated[str, typer.Argument(help=N_("The partner's name or id."))],
    url: Annotated[str | None, typer.Option(help=N_("A new collection address (reads it "
                                                    "afresh)."))] = None,
    remote_user: Annotated[str | None, typer.Option(help=N_("Our e-mail on the partner's "
                                                            "server."))] = None,
    token_env: Annotated[str | None, typer.Option(
        help=N_("Environment variable holding a new API token for the partner's server."))]
    = None,
    direction: Annotated[str | None, typer.Option(help=N_("pull, push or both."))] = None,
    share_green: Annotated[bool | None, typer.Option(
        "--share-green/--no-share-green", help=N_("Trusted for TLP:GREEN or not."))] = None,
    tlp: Annotated[str | None, typer.Option(help=N_("Least restrictive marking here."))] = None,
    every: Annotated[int | None, typer.Option(help=N_("Minutes between syncs."))] = None,
    contact: Annotated[str | None, typer.Option(help=N_("The partner's point of contact."))]
    = None,
    trust: Annotated[int | None, typer.Option(help=N_("Confidence (0-100) for its objects "
                                                      "that state none."))] = None,
) -> None:
    from cyberhub.federation import peers

    try:
        with _database().transaction() as session:
            found = peers.get_peer(session, _operator(), peer)
            peers.update_peer(
                session, _operator(), found, url=url, remote_user=remote_user,
                secret=os.environ.get(token_env, "") if token_env else None,
                direction=direction, share_green=share_green, tlp=tlp, interval_minutes=every,
                contact=contact, trust=trust)
    except HubError as exc:
        raise _fail(exc) from None
    out.print("[green]✓[/] " + _("Partner updated."))


@peer_app.command("key", help=N_(
    "Rotate the matching key agreed with a partner, and rebuild the digests."))
def peer_key(
    peer: Annotated[str, typer.Argument(help=N_("The partner's name or id."))],
    match_key_id: Annotated[str, typer.Option(help=N_("The new key's id."))] = "",
    match_key_env: Annotated[str, typer.Option(
        help=N_("Environment variable holding the new key; unset or empty removes the key."))]
    = "CYBERHUB_PEER_MATCH_KEY",
) -> None:
    from cyberhub.federation import matching, peers

    database = _database()
    try:
        with database.transaction() as session:
            found = peers.get_peer(session, _operator(), peer)
            peers.set_match_key(session, _operator(), found,
                                os.environ.get(match_key_env, ""), match_key_id)
            peer_id = found.id
    except HubError as exc:
        raise _fail(exc) from None
    count = matching.rebuild_index(database, peer_id)
    out.print("[green]✓[/] " + ngettext("Key set; %(n)d value offered for matching.",
                                        "Key set; %(n)d values offered for matching.", count)
              % {"n": count})


@app.command("sync", help=N_(
    "Sync now with one partner hub, or with all of them; exit 1 if any sync failed."))
def sync_peers(peer: Annotated[str | None, typer.Argument(
        help=N_("A partner's name or id; every enabled partner when left out."))] = None) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from cyberhub.federation import peers, sync

    database = _database()
    try:
        with database.transaction() as session:
            chosen = ([peers.get_peer(session, _operator(), peer)] if peer
                      else [p for p in peers.list_peers(session, _operator()) if p.enabled])
            targets = [(p.id, p.name) for p in chosen]
    except HubError as exc:
        raise _fail(exc) from None
    failed = False
    for peer_id, label in targets:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=out,
                      transient=True) as bar:
            task = bar.add_task(_("Syncing with %(name)s…") % {"name": label})

            def show(stage: str, n: int, task: Any = task, bar: Any = bar,
                     label: str = label) -> None:
                text = (ngettext("%(name)s: %(n)d object received",
                                 "%(name)s: %(n)d objects received", n) if stage == "pull"
                        else ngettext("%(name)s: %(n)d object sent",
                                      "%(name)s: %(n)d objects sent", n))
                bar.update(task, description=text % {"name": label, "n": n})

            outcome = sync.sync_now(database, peer_id, show)
        if outcome.error:
            failed = True
            err.print(f"[bold red]✗[/] {label}: {outcome.error}", highlight=False)
        else:
            out.print("[green]✓[/] " + _("%(name)s: %(pulled)d received (%(stored)d new), "
                                          "%(pushed)d sent.") % {
                "name": label, "pulled": outcome.pulled, "stored": outcome.stored,
                "pushed": outcome.pushed}, highlight=False)
    if failed:
        raise typer.Exit(code=1)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
