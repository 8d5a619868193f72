"""The sharing rules, checked against an independent reference for every viewer and record.

Hypothesis draws small communities (organisations, users with roles, active or not,
groups whose members are organisations and/or users) and notes under every TLP marking
with audiences of organisations, groups and users. Some audiences follow the rules of
``notes.service.check_audience``; others are written as raw rows, including combinations
the service refuses (users in an AMBER+STRICT audience, organisations in a RED one,
recipients of a CLEAR note), because the predicate must still answer correctly for them.

For every (viewer, record) pair — anonymous visitors, the operator's command line,
inactive users and hub administrators included — the SQL predicate
(``access.select_visible`` / ``access.visible``) and ``access.load`` must agree with
:func:`reference_visible`, a plain-Python reading of the table in ``access``'s docstring
and section 3 of the brief. Each example lives in one transaction that is rolled back,
so examples never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub import access
from cyberhub.audit import AuditEntry
from cyberhub.community.models import Group, GroupMember, Organisation, OrgKind, Role, User
from cyberhub.db import Database
from cyberhub.errors import NotFound
from cyberhub.notes import service as notes
from cyberhub.notes.models import Note
from cyberhub.sharing import TLP, AudienceEntry

MAX_EXAMPLES = 200


# ---------------------------------------------------------------- the drawn world


@dataclass(frozen=True)
class UserSpec:
    org: int
    role: Role
    active: bool


@dataclass(frozen=True)
class GroupSpec:
    orgs: frozenset[int]
    users: frozenset[int]


@dataclass(frozen=True)
class NoteSpec:
    author: int
    owner: int
    tlp: TLP
    orgs: frozenset[int]
    groups: frozenset[int]
    users: frozenset[int]
    # True: the audience obeys check_audience; False: raw rows, whatever they name.
    by_the_rules: bool


@dataclass(frozen=True)
class World:
    n_orgs: int
    users: tuple[UserSpec, ...]
    groups: tuple[GroupSpec, ...]
    notes: tuple[NoteSpec, ...]


def _subset(draw: st.DrawFn, n: int, max_size: int = 3) -> frozenset[int]:
    if n == 0:
        return frozenset()
    return draw(st.frozensets(st.integers(0, n - 1), max_size=min(n, max_size)))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n_orgs = draw(st.integers(1, 5))
    users = tuple(draw(st.lists(st.builds(
        UserSpec,
        org=st.integers(0, n_orgs - 1),
        role=st.sampled_from(list(Role)),
        active=st.sampled_from([True, True, True, False]),
    ), min_size=1, max_size=9)))
    groups = tuple(
        GroupSpec(_subset(draw, n_orgs), _subset(draw, len(users)))
        for _ in range(draw(st.integers(0, 4))))
    note_specs = []
    for _ in range(draw(st.integers(1, 10))):
        author = draw(st.integers(0, len(users) - 1))
        # Usually the author's organisation owns the note; sometimes another one does
        # (say the author has since moved), which separates "creator" from "owner".
        owner = draw(st.one_of(st.just(users[author].org), st.integers(0, n_orgs - 1)))
        tlp = draw(st.sampled_from(list(TLP)))
        orgs, grps, usrs = (_subset(draw, n_orgs), _subset(draw, len(groups)),
                            _subset(draw, len(users)))
        by_the_rules = draw(st.booleans())
        if by_the_rules:
            if tlp in (TLP.CLEAR, TLP.GREEN):
                orgs = grps = usrs = frozenset()
            elif tlp is TLP.AMBER_STRICT:
                usrs = frozenset()
            elif tlp is TLP.RED:
                orgs = frozenset()
        note_specs.append(NoteSpec(author, owner, tlp, orgs, grps, usrs, by_the_rules))
    return World(n_orgs, users, groups, tuple(note_specs))


# ---------------------------------------------------------------- the reference


@dataclass(frozen=True)
class Who:
    """A viewer in the reference's terms: None for anonymous and the operator's CLI."""

    user: int | None


def reference_visible(world: World, who: Who, n: NoteSpec) -> bool:
    """FIRST TLP 2.0 on a hub, as access's docstring and the brief state it."""
    if n.tlp is TLP.CLEAR:
        return True
    if who.user is None or not world.users[who.user].active:
        # Anonymous visitors, the command line and deactivated accounts see CLEAR only.
        return False
    me, my = who.user, world.users[who.user]
    if n.tlp is TLP.GREEN:
        return True
    named_groups = [world.groups[g] for g in n.groups]
    if n.tlp is TLP.RED:
        # The named people only, and the person who wrote it; no organisation, no admin.
        return (me == n.author or me in n.users
                or any(me in g.users for g in named_groups))
    if my.org == n.owner:
        return True
    if n.tlp is TLP.AMBER_STRICT:
        # Named organisations, directly or as members of a named group. Named users,
        # and users named in a group, do not widen it; hub admins get nothing extra.
        return my.org in n.orgs or any(my.org in g.orgs for g in named_groups)
    assert n.tlp is TLP.AMBER
    if my.role is Role.HUB_ADMIN:
        return True
    return (my.org in n.orgs or me in n.users
            or any(my.org in g.orgs or me in g.users for g in named_groups))


# ---------------------------------------------------------------- the check


def _build(session, world: World):  # type: ignore[no-untyped-def]
    tag = uuid.uuid4().hex[:10]
    orgs = [Organisation(name=f"Org {tag} {i}", name_key=f"org {tag} {i}", kind=OrgKind.CERT)
            for i in range(world.n_orgs)]
    session.add_all(orgs)
    users = [User(email=f"u{i}.{tag}@example.org", display_name=f"User {i}",
                  organisation=orgs[u.org], role=u.role, is_active=u.active)
             for i, u in enumerate(world.users)]
    session.add_all(users)
    groups = [Group(name=f"Group {tag} {i}", name_key=f"group {tag} {i}")
              for i in range(len(world.groups))]
    session.add_all(groups)
    session.flush()
    for g, spec in zip(groups, world.groups, strict=True):
        session.add_all([GroupMember(group_id=g.id, org_id=orgs[i].id) for i in spec.orgs]
                        + [GroupMember(group_id=g.id, user_id=users[i].id) for i in spec.users])
    records = []
    for i, n in enumerate(world.notes):
        note = Note(title=f"Note {i}", tlp=n.tlp, owner_org_id=orgs[n.owner].id,
                    created_by_id=users[n.author].id)
        session.add(note)
        records.append(note)
    session.flush()
    for note, n in zip(records, world.notes, strict=True):
        audience = notes.Audience([orgs[i].id for i in n.orgs], [groups[i].id for i in n.groups],
                                  [users[i].id for i in n.users])
        if n.by_the_rules:
            # The generator's idea of a lawful audience is the service's idea too.
            notes.check_audience(session, n.tlp, audience)
        session.add_all(
            [AudienceEntry(record_id=note.id, org_id=i) for i in audience.org_ids]
            + [AudienceEntry(record_id=note.id, group_id=i) for i in audience.group_ids]
            + [AudienceEntry(record_id=note.id, user_id=i) for i in audience.user_ids])
    session.flush()
    return users, records


def _reads_audited(session, ids: list[uuid.UUID]) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "record.read",
        AuditEntry.target_id.in_([str(i) for i in ids]))) or 0


def test_visibility_matches_the_reference(database: Database, database_url: str) -> None:
    engine = database_url.split(":", 1)[0]
    count: Counter[str] = Counter()

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=False,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(world=worlds())
    def check(world: World) -> None:
        session = database.sessionmaker()
        try:
            users, records = _build(session, world)
            ids = [r.id for r in records]
            spec_of = dict(zip(ids, world.notes, strict=True))
            viewers: list[tuple[str, access.Viewer, Who]] = [
                ("anonymous", access.ANONYMOUS, Who(None)),
                ("operator", access.system_viewer(), Who(None)),
            ] + [(f"user {i} ({u.role.value}{'' if u.is_active else ', inactive'})",
                  access.viewer_for(session, u), Who(i)) for i, u in enumerate(users)]
            for label, viewer, who in viewers:
                expected = {rid for rid in ids if reference_visible(world, who, spec_of[rid])}
                listed = set(session.scalars(
                    access.select_visible(Note, viewer).where(Note.id.in_(ids))).all())
                assert {n.id for n in listed} == expected, (label, world)
                by_predicate = set(session.scalars(
                    select(Note.id).where(Note.id.in_(ids), access.visible(Note, viewer))))
                assert by_predicate == expected, (label, world)
                before = _reads_audited(session, ids)
                sensitive_reads = 0
                for rid in ids:
                    try:
                        loaded = access.load(session, Note, rid, viewer)
                    except NotFound:
                        assert rid not in expected, (label, spec_of[rid], world)
                    else:
                        assert rid in expected and loaded.id == rid, (label, spec_of[rid], world)
                        sensitive_reads += loaded.tlp.is_sensitive
                    count["pairs"] += 1
                # Every RED and AMBER+STRICT read is in the audit log, and nothing else is.
                assert _reads_audited(session, ids) - before == sensitive_reads, (label, world)
                count["visible"] += len(expected)
            count["examples"] += 1
        finally:
            session.rollback()
            session.close()

    check()
    print(f"\n[{engine}] {count['examples']} examples, {count['pairs']} (viewer, record) pairs "
          f"checked, {count['visible']} visible")
    assert count["examples"] >= MAX_EXAMPLES // 2, count
    assert 0 < count["visible"] < count["pairs"], count


def test_unknown_and_malformed_ids_are_not_found(database: Database, community) -> None:  # type: ignore[no-untyped-def]
    org = community.org()
    author = community.user(org)
    community.note(author, tlp="CLEAR")
    viewer = community.viewer(author)
    with database.transaction() as s:
        for rid in (uuid.uuid4(), "not-a-uuid", "", "1; DROP TABLE notes"):
            try:
                access.load(s, Note, rid, viewer)
            except NotFound as exc:
                assert exc.body() == NotFound().body()
            else:  # pragma: no cover - the assertion below explains
                raise AssertionError(f"{rid!r} was found")
