"""`cyberhub check`: a deployment's settings, key files and served headers are checked,
and any failure ends the command with 1 (ASVS 1.14.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from typer.testing import CliRunner

from cyberhub.app import create_app
from cyberhub.cli import app as cli
from cyberhub.config import Settings, set_settings
from cyberhub.db import Database
from cyberhub.deploycheck import Status, live_checks
from tests.deployment.fake_volumes import fake_volume
from tests.live import serve

runner = CliRunner()


@pytest.fixture(autouse=True)
def _encrypted_storage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The tests' files lie on a LUKS volume, as a sound deployment's do
    (tests/deployment/test_storage_encryption.py shows the other cases)."""
    fake_volume(monkeypatch, tmp_path / "kernel", tmp_path, "luks-under-lvm")


GOOD_KEY = "k" * 8 + "Zq3vR8mT1yW6pL0sX4nB7cF2hJ9dG5aE"


def _production(settings: Settings, tmp_path: Path, **changes: Any) -> Settings:
    var = tmp_path / "prod-var"
    var.mkdir(mode=0o750)
    var.chmod(0o750)
    (var / "deconfliction_key").write_text("x" * 48)
    (var / "deconfliction_key").chmod(0o600)
    new = settings.model_copy(update={
        "var_dir": var, "secret_key": GOOD_KEY, "public_url": "https://hub.example.org",
        "secure_cookies": True, "trusted_proxies": "127.0.0.1", **changes})
    set_settings(new)
    return new


def test_a_sound_deployment_passes(settings: Settings, tmp_path: Path) -> None:
    _production(settings, tmp_path)
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "No check failed" in result.output


def test_each_unsafe_setting_fails_with_what_to_do(settings: Settings, tmp_path: Path) -> None:
    s = _production(settings, tmp_path, secret_key="change-me", secure_cookies=False,
                    database_url="postgresql://hub@db.example.org/hub",
                    redis_url="redis://cache.example.org:6379/0")
    (s.var_dir / "deconfliction_key").chmod(0o644)
    (s.var_dir / "password_pepper").write_text("p" * 48)
    (s.var_dir / "password_pepper").chmod(0o640)
    s.var_dir.chmod(0o777)
    try:
        result = runner.invoke(cli, ["check"], terminal_width=240)
    finally:
        s.var_dir.chmod(0o750)
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "5 checks failed" in out
    for expected in ("CYBERHUB_SECRET_KEY is a placeholder",
                     "can be read by other accounts (mode 0o644)",
                     "password_pepper can be read by other accounts (mode 0o640)",
                     "can be written by any account",
                     "CYBERHUB_SECURE_COOKIES=true",
                     "sslmode=verify-full", "rediss://"):
        # Spaces dropped: the console folds a long path inside a word.
        assert "".join(expected.split()) in "".join(out.split()), expected


def test_the_hub_as_served_passes_the_live_checks(settings: Settings, database: Database,
                                                  tmp_path: Path) -> None:
    s = _production(settings, tmp_path)
    with serve(create_app(s, database)) as url, httpx2.Client() as client:
        checks = live_checks(url, client)
    failed = [c for c in checks if c.status is Status.FAIL]
    assert not failed, failed
    names = {c.name for c in checks}
    assert {"content-security-policy", "x-content-type-options", "x-frame-options",
            "referrer-policy"} <= names
    assert any(n.startswith("cookie ") for n in names)


def test_a_proxy_that_strips_the_hub_s_headers_fails() -> None:
    bare = Starlette(routes=[Route("/signin", lambda request: HTMLResponse(
        "<p>sign in</p>", headers={"set-cookie": "session=abc; Path=/"}))])
    with serve(bare) as url, httpx2.Client() as client:
        checks = {c.name: c for c in live_checks(url, client)}
    for header in ("content-security-policy", "x-content-type-options", "x-frame-options"):
        assert checks[header].status is Status.FAIL
    assert checks["cookie session"].status is Status.FAIL
    assert "httponly" in checks["cookie session"].message


def test_over_https_the_cookie_prefix_hsts_and_the_redirect_are_required() -> None:
    """The TLS branch, against canned answers: a proxy that serves plain HTTP too, drops
    Strict-Transport-Security and lets a cookie out without Secure."""
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={
            "content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY",
            "x-content-type-options": "nosniff", "referrer-policy": "same-origin",
            "set-cookie": "cyberhub_presession=x; HttpOnly; SameSite=strict; Path=/"},
            text="<p>sign in</p>")
    with httpx2.Client(transport=httpx2.MockTransport(answer)) as client:
        checks = {c.name: c for c in live_checks("https://hub.example.org", client)}
    assert checks["strict-transport-security"].status is Status.FAIL
    assert checks["cookie cyberhub_presession"].status is Status.FAIL
    assert checks["http://"].status is Status.FAIL
    assert checks["content-security-policy"].status is Status.OK
