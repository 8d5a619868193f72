"""Builds communities for tests through the services (never by writing rows by hand)."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from cyberhub import access
from cyberhub.community import auth, service
from cyberhub.community.models import Group, Organisation, User
from cyberhub.db import Database
from cyberhub.notes import service as notes
from cyberhub.notes.models import Note

PASSWORD = "a quiet harbour under seven lanterns"
_seq = itertools.count(1)


class Community:
    def __init__(self, database: Database) -> None:
        self.db = database
        self.system = access.system_viewer("tests")

    def org(self, name: str | None = None, kind: str = "cert", **kw: Any) -> Organisation:
        with self.db.transaction() as s:
            return service.create_organisation(
                s, self.system, name=name or f"Org {next(_seq)}", kind=kind, **kw)

    def user(self, org: Organisation, role: str = "analyst", email: str | None = None,
             password: str = PASSWORD, second_factor: bool | None = None) -> User:
        """A user; hub and organisation administrators come enrolled in two-factor
        sign-in (the hub requires it of them to administer) unless
        ``second_factor=False``. ``sign_in`` below enters their codes."""
        with self.db.transaction() as s:
            # The strength check (zxcvbn, about a quarter of the making of a user) has
            # tests of its own (tests/test_cli.py, tests/web/test_profile_pages.py); the
            # suite's users share one strong password.
            user = service.create_user(
                s, self.system, email=email or f"user{next(_seq)}@example.org", org_id=org.id,
                role=role, password=password, check_strength=password != PASSWORD)
        if second_factor if second_factor is not None else role in ("hub-admin", "org-admin"):
            self.enrol(user)
        return user

    def enrol(self, user: User) -> pyotp.TOTP:
        """Enrol the user in two-factor sign-in through the service, as the profile page
        does; the secret is kept for ``next_code``."""
        with self.db.transaction() as s:
            me = s.get(User, user.id)
            assert me is not None
            totp = pyotp.parse_uri(auth.begin_totp_enrolment(s, me))
            # Confirmed with the previous step's code, so that the current and the next
            # step are left for two sign-ins straight away.
            step = int(time.time() // totp.interval) - 1
            auth.confirm_totp_enrolment(s, me, totp.at(step * totp.interval), ip=None)
            _TOTP[user.email] = (totp, step)
        return totp  # type: ignore[no-any-return]

    def group(self, name: str | None = None, orgs: list[Organisation] = (),  # type: ignore[assignment]
              users: list[User] = ()) -> Group:  # type: ignore[assignment]
        with self.db.transaction() as s:
            return service.create_group(s, self.system, name=name or f"Group {next(_seq)}",
                                        org_ids=[o.id for o in orgs], user_ids=[u.id for u in users])

    def viewer(self, user: User) -> access.Viewer:
        with self.db.transaction() as s:
            return access.viewer_for(s, s.get(User, user.id))  # type: ignore[arg-type]

    def note(self, author: User, tlp: str = "GREEN", title: str = "A note", body: str = "",
             orgs: list[Organisation] = (), groups: list[Group] = (),  # type: ignore[assignment]
             users: list[User] = ()) -> Note:  # type: ignore[assignment]
        viewer = self.viewer(author)
        with self.db.transaction() as s:
            return notes.create_note(
                s, viewer, title=title, body=body, tlp=tlp,
                audience=notes.Audience([o.id for o in orgs], [g.id for g in groups],
                                        [u.id for u in users]))

    def token(self, user: User, scope: str = "read") -> str:
        with self.db.transaction() as s:
            _t, secret = auth.create_token(s, s.get(User, user.id), name="test", scope=scope)  # type: ignore[arg-type]
        return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token the page at ``path`` hands this browser."""
    import re

    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# The authenticator of each user enrolled by ``Community.enrol``, and the last time step
# a code was used for (the hub accepts each step once, within one step of drift).
_TOTP: dict[str, tuple[pyotp.TOTP, int]] = {}


def enrolled(email: str) -> bool:
    """Whether ``Community.enrol`` holds this user's authenticator."""
    return email.strip().lower() in _TOTP


def next_code(email: str) -> str:
    """A code the hub has not seen yet from this user's authenticator (waits for the next
    time step when the current ones are used up)."""
    email = email.strip().lower()
    totp, last = _TOTP[email]
    while True:
        now = int(time.time() // totp.interval)
        step = max(last + 1, now)
        if step <= now + 1:
            break
        time.sleep(0.2)
    _TOTP[email] = (totp, step)
    return totp.at(step * totp.interval)  # type: ignore[no-any-return]


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Sign in with the password and, for a user enrolled by ``Community.enrol``, the
    second factor; returns the last answer (a 303 on success)."""
    token = csrf_of(client)
    r = client.post("/signin", data={"email": email, "password": password,
                                     "csrf_token": token}, follow_redirects=False)
    if (r.status_code == 303 and r.headers["location"].startswith("/signin/2fa")
            and enrolled(email)):
        form = r.headers["location"]
        r = client.post("/signin/2fa", data={
            "code": next_code(email), "csrf_token": csrf_of(client, form),
            "next": form.partition("next=")[2] or "/"}, follow_redirects=False)
    return r


def new_uuid() -> str:
    return str(uuid.uuid4())
