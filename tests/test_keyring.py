"""The key service (ASVS V6.4.2): an app process with CYBERHUB_KEY_SERVICE holds no key.

The service is the real server on a real Unix socket; the app is the real app. What the
service answers must be exactly what the keys would give in-process (so a hub can move
to a key service, and back, without any stored hash, signature or secret changing), bad
frames must be refused without stopping it, and an app whose service is down must say
so instead of failing obscurely.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select

from cyberhub import keyring
from cyberhub.app import create_app
from cyberhub.config import Settings, get_settings, set_settings
from cyberhub.db import Database
from cyberhub.deconfliction import keys
from cyberhub.deconfliction.models import Registration
from cyberhub.errors import KeyServiceUnavailable
from cyberhub.jobs import SignedPickle
from cyberhub.keyring import client, local, wire
from tests.deconfliction.conftest import WALLET
from tests.factories import Community, bearer, sign_in
from tests.keyservice import Service, short_dir

SERVICE_KEYS = {"secret_key": "the-service-s-secret-key-" * 2,
                "previous_secret_keys": "a-key-the-secret-key-replaced-" * 2,
                "password_pepper": "the-service-s-pepper-" * 3,
                "deconfliction_key": "the-service-s-deconfliction-key-" * 2,
                "deconfliction_network_key": "a-network-key-shared-with-partners-" * 2}
APP_KEY_FILES = ("secret_key", "password_pepper", "deconfliction_key")


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    keys_dir = short_dir()
    svc = Service(Settings(var_dir=keys_dir, **SERVICE_KEYS))
    svc.start()
    yield svc
    svc.close()
    shutil.rmtree(keys_dir, ignore_errors=True)


def _remote(svc: Service) -> client.ServiceClient:
    return client.ServiceClient(str(svc.path), 5.0)


# ------------------------------------------------------------------ same answers

NAMES = ["secret", "jobs", "pepper", "deconfliction", "network"]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), messages=st.lists(st.binary(max_size=300), max_size=20))
def test_the_service_signs_as_the_keys_would_in_process(service: Service, name: str,
                                                        messages: list[bytes]) -> None:
    remote, here = _remote(service), service.backend
    remote_key, local_key = remote.named(name), here.named(name)  # type: ignore[arg-type]
    assert remote_key is not None and local_key is not None
    assert remote_key.macs(messages) == local_key.macs(messages)
    for message in messages[:3]:
        assert remote.candidates(name, message) == here.candidates(name, message)  # type: ignore[arg-type]
        assert remote_key.mac(message) == local_key.mac(message)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.text(max_size=200), min_size=1, max_size=10))
def test_what_one_side_seals_the_other_opens(service: Service, values: list[str]) -> None:
    remote, here = _remote(service), service.backend
    assert here.decrypt(remote.encrypt(values)) == values
    assert remote.decrypt(here.encrypt(values)) == values
    again = remote.reencrypt(here.encrypt(values))
    assert all(t is not None for t in again)
    assert here.decrypt([t for t in again if t is not None]) == values
    # A sealed key signs the same on both sides; a token no key opens gives no key.
    token = here.encrypt([values[0] or "x"])[0]
    sealed_remote, sealed_here = remote.sealed(token), here.sealed(token)
    assert sealed_remote is not None and sealed_here is not None
    assert sealed_remote.macs([b"a", b"b"]) == sealed_here.macs([b"a", b"b"])
    assert remote.sealed(token[:-4] + "AAAA") is None
    assert remote.decrypt([token[:-4] + "AAAA", "not a token"]) == [None, None]


def test_the_former_secret_key_still_verifies_through_the_service(service: Service) -> None:
    remote = _remote(service)
    old = local.LocalKey(SERVICE_KEYS["previous_secret_keys"].encode()).mac(b"form")
    current = local.LocalKey(SERVICE_KEYS["secret_key"].encode()).mac(b"form")
    assert remote.candidates("secret", b"form") == [current, old]
    assert remote.candidates("pepper", b"form") == [
        local.LocalKey(SERVICE_KEYS["password_pepper"].encode()).mac(b"form")]


def test_a_missing_network_key_is_none_through_the_service() -> None:
    svc = Service(Settings(var_dir=short_dir(), secret_key="k" * 48))
    svc.start()
    try:
        remote = _remote(svc)
        assert remote.named("network") is None
        assert remote.named("deconfliction") is not None
        # Made on first use in the service's own var directory, owner only.
        made = svc.settings.var_dir / "deconfliction_key"
        assert made.is_file() and made.stat().st_mode & 0o777 == 0o600
    finally:
        svc.close()
        shutil.rmtree(svc.settings.var_dir, ignore_errors=True)


def test_a_key_the_service_cannot_read_fails_that_request_only() -> None:
    svc = Service(Settings(var_dir=short_dir(), secret_key="k" * 48))
    svc.start()
    try:
        (svc.settings.var_dir / "deconfliction_key").write_text("cut short")
        remote = _remote(svc)
        with pytest.raises(KeyServiceUnavailable):
            remote.named("deconfliction")
        assert remote.named("secret") is not None  # the service is still up
    finally:
        svc.close()
        shutil.rmtree(svc.settings.var_dir, ignore_errors=True)


def _mac_in_child(path: str) -> tuple[bytes, int]:
    shared = client.for_socket(path, 5.0)
    return shared.candidates("secret", b"from a child")[0], shared._connection().fileno()


def test_a_forked_process_opens_a_connection_of_its_own(service: Service) -> None:
    """Import processes and app workers are forked: sharing the parent's connection would
    interleave two processes' frames on one socket."""
    shared = client.for_socket(str(service.path), 5.0)
    expected = service.backend.candidates("secret", b"from a child")[0]
    assert shared.candidates("secret", b"from a child")[0] == expected  # parent connected
    parents = shared._connection().fileno()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        answers = pool.map(_mac_in_child, [str(service.path)] * 8)
    assert [mac for mac, _fd in answers] == [expected] * 8
    # The inherited socket stays open in each child, so a connection of its own has
    # another descriptor.
    assert all(fd != parents for _mac, fd in answers)
    assert shared.candidates("secret", b"from a child")[0] == expected  # parent unharmed


# ------------------------------------------------------------------ hostile frames

def _raw(svc: Service) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(str(svc.path))
    return sock


def _ask(sock: socket.socket, message: object) -> dict[str, object]:
    body = orjson.dumps(message)
    sock.sendall(struct.pack(">I", len(body)) + body)
    return wire.receive(sock)


@pytest.mark.parametrize(("request_", "says"), [
    ({"op": "steal", "key": "secret"}, "unknown operation"),
    ({"op": "mac", "key": "root", "data": []}, "no key is named"),
    ({"op": "mac", "key": "secret", "data": ["***"]}, "base64"),
    ({"op": "mac", "key": "secret", "data": "QUJD"}, "list of strings"),
    ({"op": "mac", "key": "secret", "data": [1, 2]}, "list of strings"),
    ({"op": "mac", "sealed": 7, "data": []}, "sealed must be a string"),
    ({"op": "mac", "sealed": "gAAAAA-not-a-token", "data": []}, "opens with none"),
    ({"op": "candidates", "key": "secret", "data": []}, "exactly one message"),
    ({"op": "encrypt", "data": ["x"] * (wire.MAX_ITEMS + 1)}, "at most"),
    (["op", "mac"], "not a JSON object"),
])
def test_bad_requests_are_refused_and_the_service_goes_on(service: Service, request_: object,
                                                          says: str) -> None:
    with _raw(service) as sock:
        answer = _ask(sock, request_)
        assert says in str(answer["error"])
        assert "data" not in answer
        # A refused request never leaks a key, and the connection still serves.
        for secret in SERVICE_KEYS.values():
            assert secret not in str(answer)
        if not isinstance(request_, list):
            assert _ask(sock, {"op": "named", "key": "secret"}) == {"data": [True]}


def test_frames_that_cannot_be_read_close_only_their_connection(service: Service) -> None:
    with _raw(service) as sock:
        sock.sendall(struct.pack(">I", wire.MAX_FRAME + 1))
        assert "over the limit" in str(wire.receive(sock)["error"])
        assert sock.recv(1) == b""  # closed
    with _raw(service) as sock:
        sock.sendall(struct.pack(">I", 5) + b"{not}")
        assert "not JSON" in str(wire.receive(sock)["error"])
    with _raw(service) as sock:
        sock.sendall(struct.pack(">I", 100) + b"{}")  # then hangs up mid-frame
    assert _remote(service).named("secret") is not None


# ------------------------------------------------------------------ a hub on the service

@pytest.fixture
def hub_on_service(settings: Settings, database: Database, service: Service
                   ) -> Iterator[tuple[Settings, TestClient]]:
    app_settings = settings.model_copy(update={
        "secret_key": "", "key_service": str(service.path), "key_service_timeout": 2.0})
    app = create_app(app_settings, database)
    try:
        with TestClient(app, base_url="http://testserver") as c:
            yield app_settings, c
    finally:
        set_settings(settings)


def test_a_hub_on_a_key_service_works_without_holding_a_key(
        hub_on_service: tuple[Settings, TestClient], database: Database,
        service: Service) -> None:
    app_settings, browser = hub_on_service
    assert get_settings() is app_settings
    community = Community(database)
    police = community.org("Police One", kind="law-enforcement")
    analyst = community.user(police, "analyst", email="analyst@police.example")
    admin = community.user(police, "org-admin", email="admin@police.example")  # TOTP enrolled

    # Sign-in (pepper, CSRF token, form stamp) and the second factor (a sealed seed).
    assert sign_in(browser, admin.email).status_code == 303
    assert browser.get("/profile").status_code == 200
    # The password hash is peppered by the service's pepper.
    here = local.LocalBackend(service.settings)
    assert sign_in(TestClient(browser.app), analyst.email).status_code == 303

    # A deconfliction registration: its digest is made under the service's key.
    token = community.token(analyst, scope="write")
    r = browser.post("/api/v1/deconfliction/registrations", headers=bearer(token), json={
        "kind": "wallet", "value": f"btc:{WALLET}", "case_reference": "K-1",
        "contact": "desk one"})
    assert r.status_code == 201, r.text
    service_key = here.named("deconfliction")
    assert service_key is not None
    with database.transaction() as s:
        registration = s.scalars(select(Registration)).one()
        assert registration.key_id == keys.key_id(service_key)

    # Job messages are signed by the service, and verified through it.
    signed = SignedPickle().serialize({"job": 1})
    assert SignedPickle().deserialize(signed) == {"job": 1}
    assert signed.endswith(here.candidates("jobs", signed.rpartition(b"|sig:")[0])[0]
                           .hex().encode())

    # Nothing of the keys reached the app's side.
    for name in APP_KEY_FILES:
        assert not (app_settings.var_dir / name).exists(), name
    assert app_settings.secret_key == "" and app_settings.password_pepper == ""


def test_a_hub_whose_key_service_is_down_says_so_and_recovers(
        settings: Settings, database: Database) -> None:
    svc = Service(Settings(var_dir=short_dir(), **SERVICE_KEYS))
    svc.start()
    app_settings = settings.model_copy(update={
        "secret_key": "", "key_service": str(svc.path), "key_service_timeout": 1.0})
    try:
        app = create_app(app_settings, database)
        with TestClient(app, base_url="http://testserver") as browser:
            assert browser.get("/signin").status_code == 200
            assert browser.get("/readyz").json()["checks"]["key_service"] == "ok"
            svc.stop()
            down = browser.get("/signin", headers={"Accept": "application/json"})
            assert down.status_code == 503 and down.headers["retry-after"] == "10"
            assert "key service cannot be reached" in down.text
            ready = browser.get("/readyz")
            assert ready.status_code == 503 and ready.json()["failed"] == ["key_service"]
            assert str(svc.path) not in ready.text  # no address in the answer
            api = browser.post("/api/v1/deconfliction/registrations", json={})
            assert api.status_code in (401, 503)  # not signed in: refused before any key
            svc.start()  # the same socket again: the next request reconnects by itself
            assert browser.get("/signin").status_code == 200
            assert browser.get("/readyz").status_code == 200
    finally:
        set_settings(settings)
        svc.close()
        shutil.rmtree(svc.settings.var_dir, ignore_errors=True)


def test_keyring_check_makes_the_keys_in_process_when_no_service(settings: Settings) -> None:
    set_settings(settings.model_copy(update={"secret_key": ""}))
    try:
        keyring.check()
        made = {name: (settings.var_dir / name).read_text() for name in APP_KEY_FILES}
        for name in APP_KEY_FILES:
            assert (settings.var_dir / name).stat().st_mode & 0o777 == 0o600, name
        keyring.check()  # made once: a second start keeps them
        assert made == {name: (settings.var_dir / name).read_text() for name in APP_KEY_FILES}
    finally:
        set_settings(settings)


# ------------------------------------------------------------------ the command

def test_cyberhub_secrets_serve_answers_and_cleans_up(tmp_path: Path) -> None:
    root = short_dir()
    sock = root / "run" / "keys.sock"
    env = {**os.environ, "CYBERHUB_VAR_DIR": str(tmp_path / "service"),
           "CYBERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    env.pop("CYBERHUB_KEY_SERVICE", None)
    cli = [sys.executable, "-m", "cyberhub"]
    proc = subprocess.Popen([*cli, "secrets", "serve", "--socket", str(sock), "--mode", "600"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the key service did not start"
            time.sleep(0.1)
        assert sock.stat().st_mode & 0o777 == 0o600
        for name in APP_KEY_FILES:  # made in the service's own var directory
            assert (tmp_path / "service" / name).is_file(), name
        assert client.ServiceClient(str(sock), 5.0).named("pepper") is not None
        # A second service on the same socket is refused; the first goes on.
        second = subprocess.run([*cli, "secrets", "serve", "--socket", str(sock)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 1 and "already answers" in second.stderr
        # An app that is told to use a service must not hold keys of its own.
        check = subprocess.run([*cli, "check"], capture_output=True, text=True, timeout=120,
                               env={**env, "CYBERHUB_VAR_DIR": str(tmp_path / "app"),
                                    "CYBERHUB_KEY_SERVICE": str(sock),
                                    "CYBERHUB_PASSWORD_PEPPER": "p" * 48})
        assert "The key service answers on" in check.stdout
        assert "CYBERHUB_PASSWORD_PEPPER is given to the app" in check.stdout
        assert check.returncode == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    assert proc.returncode == 0
    assert not sock.exists()
