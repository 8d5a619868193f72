"""Builds communities for tests through the services (never by writing rows by hand)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

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
             password: str = PASSWORD) -> User:
        with self.db.transaction() as s:
            return service.create_user(
                s, self.system, email=email or f"user{next(_seq)}@example.org", org_id=org.id,
                role=role, password=password)

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


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client)
    return client.post("/signin", data={"email": email, "password": password,
                                        "csrf_token": token}, follow_redirects=False)


def new_uuid() -> str:
    return str(uuid.uuid4())
