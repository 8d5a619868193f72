"""End-to-end fixtures: the app served by uvicorn on a loopback port, driven by Chromium.

The server runs in a thread of the test process against its own fresh SQLite database;
tests build their community through the same services as every other test. Each test
gets a new browser context (fresh cookies); a failing test leaves a screenshot under
tests/artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cyberhub import migrate
from cyberhub.app import create_app
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from tests.factories import Community
from tests.live import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


class LiveHub:
    def __init__(self, url: str, database: Database, settings: Settings) -> None:
        self.url = url
        self.database = database
        self.settings = settings
        self.community = Community(database)


def _new_hub(tmp_path_factory: pytest.TempPathFactory, name: str,
             hub_name: str) -> tuple[Settings, Database]:
    """A migrated SQLite hub in a directory of its own, its settings made the global ones."""
    root = tmp_path_factory.mktemp(name)
    url = f"sqlite:///{root / 'hub.sqlite3'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, var_dir=root / "var", secret_key=f"{name}-secret",
                        argon2_time_cost=1, argon2_memory_kib=8192, hub_name=hub_name)
    set_settings(settings)
    return settings, Database(url)


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    settings, database = _new_hub(tmp_path_factory, "browser-hub", "Test Hub")
    app = create_app(settings, database)
    with serve(app) as url:
        yield LiveHub(url, database, settings)
    database.dispose()


class DemoHub:
    """A hub of its own with the demo community loaded (no reference data)."""

    def __init__(self, url: str, database: Database, settings: Settings) -> None:
        self.url, self.database, self.settings = url, database, settings

    def member(self, organisation: str, role: str) -> str:
        """The e-mail of a demo user of ``organisation`` (its name without "(demo)")."""
        from sqlalchemy import select

        from cyberhub.community.models import Organisation, User

        with self.database.snapshot() as s:
            email = s.scalars(select(User.email).join(Organisation).where(
                Organisation.name == f"{organisation} (demo)", User.role == role)
                .order_by(User.email)).first()
        assert email is not None, (organisation, role)
        return email


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoHub]:
    """The demo community on a hub of its own, one per test module (the shared live hub
    stays clean, and one module's changes to the demo do not reach another's); the
    global settings are the demo hub's while the module runs."""
    from cyberhub import demo
    from cyberhub.config import get_settings

    before = get_settings()
    settings, database = _new_hub(tmp_path_factory, "demo-hub", "Demo Hub")
    with database.transaction() as s:  # what `cyberhub demo` does, without the galaxies
        created, _signins = demo.load(s)
    assert created
    try:
        with serve(create_app(settings, database)) as url:
            yield DemoHub(url, database, settings)
    finally:
        database.dispose()
        set_settings(before)


@pytest.fixture
def hub(live_hub: LiveHub) -> LiveHub:
    # Other tests in this process may have swapped the global settings; restore ours
    # (the secret key signs CSRF tokens and encrypts TOTP secrets).
    set_settings(live_hub.settings)
    return live_hub


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed at /usr/bin/chromium: run 'make system-deps'.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


class Console:
    """Messages the page wrote to the console: CSP violations show up here."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest, console: Console) -> Iterator[Any]:
    """A factory of pages, each in its own browser context (its own cookies)."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", console)
        return page

    yield make
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                name = f"{request.node.name}-{i}-{j}.png".replace("/", "_")
                page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    for context in contexts:
        context.close()
