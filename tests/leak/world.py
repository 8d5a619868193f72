"""Drawing small communities and their records for the end-to-end leak test.

A drawn world is plain data: organisations of different kinds, users with roles (some
deactivated after the records are made), groups of organisations and users, and records
of every kind that has a read path, each under a TLP marking with an audience that the
kind's own service accepts. :func:`sees` is the reference: it answers from the drawn data
alone, by way of ``reference_visible`` of the SQL predicate's property test, plus the
rules particular to a kind (a draft insight stays with its organisation; a comment goes
where the record it is on goes) and the rule for what may leave to a partner hub.

Every record carries a unique marker in its title, name or text, so a leak in any field of
any answer is found by a plain substring search of the body.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from cyberhub.community.models import Role
from cyberhub.sharing import TLP
from tests.test_access_property import (
    GroupSpec,
    NoteSpec,
    UserSpec,
    Who,
    World,
    reference_visible,
)

ORG_KINDS = ("cert", "financial", "law-enforcement", "telecom", "hosting")
MEMBER_ROLES = (Role.ORG_ADMIN, Role.ANALYST, Role.READER)
ALL_TLPS = tuple(TLP)

# What each kind accepts as a marking, and whether it names an audience the usual way.
# An operation is shared with its participating organisations (AMBER+STRICT) or its named
# members (RED); a package in draft is AMBER+STRICT with no audience (its organisation).
STIX_KINDS = ("indicator", "relationship", "sighting")
AUDIENCE_KINDS = ("note", "insight", "dialogue", "lesson", "meeting", "incident", *STIX_KINDS)
KINDS = (*AUDIENCE_KINDS, "operation", "package", "comment")


@dataclass(frozen=True)
class RecordSpec:
    index: int
    kind: str
    author: int
    tlp: TLP
    orgs: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    published: bool = True  # insights: a draft stays with the owning organisation
    on: int | None = None  # comment: the note; relationship: source; sighting: indicator
    to: int | None = None  # relationship: the target indicator
    value: str | None = None  # indicator: the IPv4 address its pattern names
    same_stix_as: int | None = None  # indicator: another organisation's copy of that one
    narrowed: bool = False  # note: made RED for its author alone once everyone was told
    seed: int = 0

    @property
    def marker(self) -> str:
        """Unique in the world and never a prefix of another marker."""
        return f"lkw{self.seed}x{self.index:03d}z"


@dataclass(frozen=True)
class Drawn:
    seed: int
    org_kinds: tuple[str, ...]
    users: tuple[UserSpec, ...]  # ``active`` is the state when the reads happen
    groups: tuple[GroupSpec, ...]
    records: tuple[RecordSpec, ...]
    partner: int | None = None  # the organisation standing for a partner hub
    share_green: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def world(self) -> World:
        return World(len(self.org_kinds), self.users, self.groups, ())

    @property
    def word(self) -> str:
        """A search word every record of this world carries."""
        return f"leakworld{self.seed}"

    def owner(self, rec: RecordSpec) -> int:
        return self.users[rec.author].org

    def contributors(self) -> list[int]:
        return [i for i, u in enumerate(self.users) if u.role is not Role.READER]


def _as_note(d: Drawn, rec: RecordSpec) -> NoteSpec:
    return NoteSpec(rec.author, d.owner(rec), rec.tlp, rec.orgs, rec.groups, rec.users, True)


def sees(d: Drawn, user: int | None, rec: RecordSpec) -> bool:
    """May ``user`` (None: anonymous) see ``rec``? The reference, from the drawn data."""
    if rec.kind == "comment":
        assert rec.on is not None
        return sees(d, user, d.records[rec.on])
    if rec.narrowed:
        rec = replace(rec, tlp=TLP.RED, orgs=frozenset(), groups=frozenset(),
                      users=frozenset({rec.author}), narrowed=False)
    if not reference_visible(d.world, Who(user), _as_note(d, rec)):
        return False
    if rec.kind == "insight" and not rec.published:
        return user is not None and d.users[user].active and \
            d.users[user].org == d.owner(rec)
    return True


def while_built(d: Drawn) -> Drawn:
    """The world as it stood while its records were made: nobody had left yet, and no
    note had been narrowed."""
    return replace(d, users=tuple(replace(u, active=True) for u in d.users),
                   records=tuple(replace(r, narrowed=False) for r in d.records))


def may_leave(d: Drawn, rec: RecordSpec) -> bool:
    """May ``rec`` travel to the partner hub (``access.may_leave_to``, read from the brief:
    CLEAR always, GREEN to a partner trusted for GREEN, AMBER when its audience names the
    partner or a group it belongs to, never AMBER+STRICT or RED, never what it sent)."""
    if d.partner is None or d.owner(rec) == d.partner:
        return False
    if rec.tlp is TLP.CLEAR:
        return True
    if rec.tlp is TLP.GREEN:
        return d.share_green
    if rec.tlp is TLP.AMBER:
        return d.partner in rec.orgs or any(d.partner in d.groups[g].orgs for g in rec.groups)
    return False


# ---------------------------------------------------------------- drawing


def _pick(rng: random.Random, n: int, most: int) -> frozenset[int]:
    return frozenset(rng.sample(range(n), rng.randint(0, min(n, most)))) if n else frozenset()


def _audience(rng: random.Random, tlp: TLP, n_orgs: int, n_groups: int, n_users: int
              ) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """An audience ``audience.check_audience`` accepts for the marking."""
    if tlp in (TLP.CLEAR, TLP.GREEN):
        return frozenset(), frozenset(), frozenset()
    orgs, groups, users = _pick(rng, n_orgs, 2), _pick(rng, n_groups, 1), _pick(rng, n_users, 2)
    if tlp is TLP.AMBER_STRICT:
        users = frozenset()
    elif tlp is TLP.RED:
        orgs = frozenset()
    return orgs, groups, users


def draw(seed: int) -> Drawn:
    """One world, the same for the same seed."""
    rng = random.Random(seed)
    n_orgs = n_members = rng.randint(3, 4)
    org_kinds = tuple(rng.sample(ORG_KINDS, n_orgs))
    users: list[UserSpec] = []
    for org in range(n_orgs):
        # Every organisation has someone who writes, and perhaps one more person.
        users.append(UserSpec(org, rng.choice((Role.ORG_ADMIN, Role.ANALYST)), True))
        if rng.random() < 0.6:
            users.append(UserSpec(org, rng.choice(MEMBER_ROLES), True))
    if all(u.role is not Role.READER for u in users):
        users.append(UserSpec(rng.randrange(n_orgs), Role.READER, True))
    if seed % 2 == 0 or rng.random() < 0.3:
        # A hub administrator: moderates AMBER, never reads others' RED or AMBER+STRICT.
        users.append(UserSpec(rng.randrange(n_orgs), Role.HUB_ADMIN, True))
    writers = [i for i, u in enumerate(users) if u.role is not Role.READER]
    partner: int | None = None
    if seed % 4 != 3:
        # A partner hub, as the organisation that stands for it here and the one account
        # its client uses (it writes nothing here; audiences may name it).
        partner = n_orgs
        n_orgs += 1
        org_kinds += ("other",)
        users.append(UserSpec(partner, Role.ANALYST, True))
    n_users = len(users)
    groups = tuple(GroupSpec(_pick(rng, n_orgs, 2), _pick(rng, n_users, 2))
                   for _ in range(rng.randint(1, 2)))
    records: list[RecordSpec] = []
    shared_ips = [f"45.13.77.{seed % 50 * 4 + k + 1}" for k in range(2)]

    def add(kind: str, **kw: object) -> RecordSpec:
        author = int(kw.pop("author")) if "author" in kw else rng.choice(writers)  # type: ignore[call-overload]
        tlp = kw.pop("tlp", None) or rng.choice(ALL_TLPS)
        assert isinstance(tlp, TLP)
        orgs, grps, usrs = _audience(rng, tlp, n_orgs, len(groups), n_users)
        rec = RecordSpec(len(records), kind, author, tlp, orgs, grps, usrs, seed=seed,
                         **kw)  # type: ignore[arg-type]
        records.append(rec)
        return rec

    # Every marking at least once among the notes and the indicators.
    tlps = list(ALL_TLPS)
    rng.shuffle(tlps)
    for tlp in tlps:
        add("note", tlp=tlp)
    indicators = []
    for k, tlp in enumerate(tlps):
        # Some share a value (correlations); the others' values are their own secrets.
        ip = rng.choice(shared_ips) if k % 2 == 0 else f"45.14.{seed % 250}.{k + 10}"
        indicators.append(add("indicator", tlp=tlp, value=ip))
    # Another organisation's copy of an indicator (same STIX id, its own marking).
    first = indicators[0]
    others = [w for w in writers if users[w].org != users[first.author].org]
    if others:
        indicators.append(add("indicator", author=rng.choice(others), value=first.value,
                              same_stix_as=first.index))
    def able(*refs: RecordSpec) -> list[int]:
        """Who may write a record that refers to ``refs``: someone who sees them all."""
        now = _provisional(seed, org_kinds, users, groups, records)
        return [w for w in writers if all(sees(now, w, r) for r in refs)]

    for _ in range(2):
        a, b = rng.sample(indicators, 2)
        if able(a, b):
            add("relationship", author=rng.choice(able(a, b)), on=a.index, to=b.index)
    for _ in range(rng.randint(1, 2)):
        a = rng.choice(indicators)
        if able(a):
            add("sighting", author=rng.choice(able(a)), on=a.index)
    for _ in range(2):
        add("insight", published=rng.random() < 0.6)
    for kind in ("dialogue", "lesson", "meeting", "incident"):
        add(kind)
    for _ in range(2):
        author = rng.choice(writers)
        if rng.random() < 0.5:
            # AMBER+STRICT: the participating organisations (the lead's always among them).
            orgs = _pick(rng, n_members, 2) | {users[author].org}
            records.append(RecordSpec(len(records), "operation", author, TLP.AMBER_STRICT,
                                      orgs=frozenset(orgs), seed=seed))
        else:
            # RED: named members of the participating organisations (and its author).
            participants = _pick(rng, n_members, 2) | {users[author].org}
            members = {u for u in _pick(rng, n_users, 3) if users[u].org in participants}
            records.append(RecordSpec(len(records), "operation", author, TLP.RED,
                                      users=frozenset(members | {author}), seed=seed))
    records.append(RecordSpec(len(records), "package", rng.choice(writers), TLP.AMBER_STRICT,
                              seed=seed))
    notes = [r for r in records if r.kind == "note"]
    for _ in range(2):
        note = rng.choice(notes)
        # A comment is written by someone who sees the note.
        records.append(RecordSpec(len(records), "comment", rng.choice(able(note)), note.tlp,
                                  on=note.index, seed=seed))
    # The note of the first comment is narrowed to its author once everyone mentioned
    # there was told: what was said of it before must go out of sight with it.
    first_on = next(r.on for r in records if r.kind == "comment")
    assert first_on is not None
    records[first_on] = replace(records[first_on], narrowed=True)
    # Some people leave after the records are made: they must see nothing but CLEAR.
    final_users = [replace(u, active=u.org == partner or rng.random() >= 0.2) for u in users]
    return Drawn(seed, org_kinds, tuple(final_users), groups, tuple(records), partner,
                 seed % 2 == 1)


def _provisional(seed: int, org_kinds: tuple[str, ...], users: list[UserSpec],
                 groups: tuple[GroupSpec, ...], records: list[RecordSpec]) -> Drawn:
    return Drawn(seed, org_kinds, tuple(users), groups, tuple(records))
