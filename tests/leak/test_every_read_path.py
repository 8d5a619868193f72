"""End to end: nobody reads, by any path, a record the sharing rules keep from them.

For each of ``WORLDS`` seeded worlds (``tests/leak/world.py``: three or four organisations
of different kinds, people with every role, some of whom leave, groups, a partner hub, and
records of every kind that has a read path under every TLP marking), the records are made
through the services and endpoints members use; then every person — and an anonymous
visitor — reads through every read path, and what comes back is compared with the
reference (``world.sees``, which rests on ``reference_visible`` of the predicate's own
property test):

* REST lists and details of every kind, the knowledge base's versions, relationships,
  correlations, sightings, vetting and value look-ups, dialogue contributions and
  transcripts, an insight's STIX, a package's export, comments, search (``q=``,
  ``value=``), imports (their importer's and their organisation admins' only);
* web pages: the home page, lists, details, edit pages, an object's versions, watch
  buttons, imports and the search page; the audit log (hub administrators: ids, never
  content; everyone else: refused);
* TAXII 2.1: the collections, a collection's objects (also filtered by ``match[type]``,
  ``match[id]`` and ``added_after``) and manifest, single objects and their versions;
* exports: STIX, MISP, CSV and blocklists, and the personal data export;
* the inbox (REST and page): everyone mentions everyone and watches every dialogue, so
  notices go out, and they must reach exactly those who see their subject (one note is
  narrowed afterwards: its notices must go out of sight with it);
* views over many records: the threat map, the graph's expansion, actor pages, ransomware
  trends (counted against the reference) and their CSV, action items, lesson tags;
* federation: what the push to a partner hub sends, what its client reads over TAXII,
  and the keyed digests offered to it for matching.

Lists must hold exactly the visible records; an invisible record's marker, record id or
own value must appear in no answer; a detail read of an invisible record answers exactly
like one of an id that does not exist. Deactivated people and anonymous visitors are held
to "nothing they may not see" only (they are refused, or see CLEAR alone).

The number of (viewer, path) cases checked is printed at the end of the run (also with
``-q``) and written to ``var/leak-test-counts.json``.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cyberhub.community.models import Role
from cyberhub.config import Settings
from cyberhub.db import Database
from cyberhub.deconfliction import keys
from cyberhub.federation import matching, sync
from cyberhub.federation.models import MatchDigest
from cyberhub.intel import warninglists
from cyberhub.taxii.media import TAXII
from tests.cache import warninglists_index
from tests.factories import Community, bearer
from tests.leak.build import MATCH_KEY, Built, build
from tests.leak.world import (
    STIX_KINDS,
    Drawn,
    RecordSpec,
    draw,
    may_leave,
    sees,
    while_built,
)

# Worlds per engine; CYBERHUB_LEAK_WORLDS=50 for a longer hunt (each seed is a new world).
WORLDS = int(os.environ.get("CYBERHUB_LEAK_WORLDS", "2"))
ROOT = Path(__file__).resolve().parents[2]
COUNTS: Counter[str] = Counter()
TIMES: dict[str, float] = {}

# Kind → (REST list, REST detail, web list, web detail); None where the kind has none.
PATHS: dict[str, tuple[str | None, str, str | None, str | None]] = {
    "note": ("/notes?limit=200", "/notes/{id}", "/notes", "/notes/{id}"),
    "insight": ("/insights?limit=200", "/insights/{id}", "/insights", "/insights/{id}"),
    "dialogue": ("/dialogues?limit=200", "/dialogues/{id}", "/dialogues", "/dialogues/{id}"),
    "lesson": ("/lessons?limit=200", "/lessons/{id}", "/lessons", "/lessons/{id}"),
    "meeting": ("/meetings?limit=200", "/meetings/{id}", "/meetings", "/meetings/{id}"),
    "operation": ("/operations?limit=200", "/operations/{id}", "/operations",
                  "/operations/{id}"),
    "incident": ("/ransomware/incidents?limit=200", "/ransomware/incidents/{id}",
                 "/ransomware/incidents", "/ransomware/incidents/{id}"),
    "package": (None, "/packages/{id}", "/packages", "/packages/{id}"),
    "comment": (None, "/comments/{id}", None, None),
    "indicator": ("/objects?limit=200", "/objects/{id}", "/objects", "/objects/{id}"),
    "relationship": ("/objects?limit=200", "/objects/{id}", "/objects", "/objects/{id}"),
    "sighting": ("/objects?limit=200", "/objects/{id}", "/objects", "/objects/{id}"),
}
# Further reads of one record: they answer 404 for an invisible one, like its detail.
SUB_PATHS: dict[str, tuple[str, ...]] = {
    "indicator": ("/objects/{id}/versions", "/objects/{id}/relationships",
                  "/objects/{id}/correlations", "/objects/{id}/sightings",
                  "/objects/{id}/vetting"),
    "relationship": ("/objects/{id}/versions", "/objects/{id}/vetting"),
    "sighting": ("/objects/{id}/versions", "/objects/{id}/vetting"),
    "insight": ("/insights/{id}/stix",),
    "dialogue": ("/dialogues/{id}/contributions", "/dialogues/{id}/transcript"),
    "operation": ("/operations/{id}/timeline", "/operations/{id}/tasks",
                  "/operations/{id}/targets", "/operations/{id}/evidence",
                  "/operations/{id}/outcomes"),
    "package": ("/packages/{id}/export",),
}
# A package with no objects has nothing to export yet (409 to those who see it).
CONFLICTS = {"/packages/{id}/export"}
AGGREGATES = ("/atlas/graph?q={word}", "/atlas/landscape", "/atlas/chokepoints", "/atlas/actors",
              "/ransomware/trends", "/ransomware/dashboard", "/action-items?status=all",
              "/lessons/tags")
# Edit pages: for those who see the record but may not change it, 403.
EDIT_PAGES = {"/objects/{id}/sharing", "/notes/{id}/edit", "/insights/{id}/edit",
              "/lessons/{id}/edit", "/meetings/{id}/edit", "/operations/{id}/edit",
              "/packages/{id}/edit", "/ransomware/incidents/{id}/edit"}
WEB_SUB_PATHS: dict[str, tuple[str, ...]] = {
    "indicator": ("/objects/{id}/sharing", "/objects/{id}/versions/1"),
    "dialogue": ("/dialogues/{id}/transcript", "/watch/dialogue/{id}"),
    "note": ("/comments/on/note/{id}", "/notes/{id}/edit"),
    "insight": ("/insights/{id}/stix", "/insights/{id}/edit"),
    "package": ("/packages/{id}/print", "/packages/{id}/edit"),
    "lesson": ("/lessons/{id}/edit",),
    "meeting": ("/meetings/{id}/edit",),
    "operation": ("/operations/{id}/edit", "/watch/operation/{id}"),
    "incident": ("/ransomware/incidents/{id}/edit",),
}


class Reader:
    """One person (or an anonymous visitor) reading a built world, checking every answer."""

    def __init__(self, b: Built, user: int | None, client: TestClient) -> None:
        self.b, self.d, self.user, self.client = b, b.drawn, user, client
        active = user is not None and self.d.users[user].active
        # Exact answers are expected from active people; the others only see nothing more.
        # A partner hub's account may use the TAXII server only: elsewhere it is refused.
        self.stands_for_partner = user is not None and self.d.users[user].org == self.d.partner
        self.exact = active and not self.stands_for_partner
        self.taxii_exact = active
        self.visible = {r.index for r in self.d.records if sees(self.d, user, r)}
        self.label = f"seed {self.d.seed} user {user}" + (
            f" ({self.d.users[user].role.value}, org {self.d.users[user].org}"
            f"{'' if active else ', inactive'})" if user is not None else " (anonymous)")
        self.api_headers = bearer(b.tokens[user]) if user is not None else {}
        # A value is a secret of an indicator when no other indicator carries it.
        self.secrets = {r.index: self._secrets(r) for r in self.d.records}

    def _secrets(self, rec: RecordSpec) -> list[str]:
        found = [rec.marker, self.b.ids[rec.index]]
        if rec.kind == "indicator" and rec.value is not None and sum(
                1 for r in self.d.records if r.value == rec.value) == 1:
            found.append(rec.value)
        return found

    # ------------------------------------------------------------ the checks

    def no_leak(self, where: str, body: str, visible: Iterable[int] | None = None,
                asked: str | None = None, ids: bool = True) -> None:
        """No record outside ``visible`` (the reader's visible set) shows in ``body``;
        ``asked``, the id in the request's own address, may be echoed back; with
        ``ids=False`` only content counts (markers and values, not record ids)."""
        allowed = self.visible if visible is None else set(visible)
        if asked is not None:
            body = body.replace(asked, "<asked>")
        leaked = [(r.index, r.kind, r.tlp.value, s) for r in self.d.records
                  if r.index not in allowed for s in self.secrets[r.index]
                  if s in body and (ids or s != self.b.ids[r.index])]
        COUNTS["record checks"] += len(self.d.records)
        COUNTS["read paths"] += 1
        assert not leaked, f"{self.label}: {where} shows what it may not: {leaked}"

    def markers_in(self, body: str, kinds: Iterable[str]) -> set[int]:
        ks = set(kinds)
        return {r.index for r in self.d.records if r.kind in ks and r.marker in body}

    def shown_in(self, body: str, kinds: Iterable[str]) -> set[int]:
        """Records of ``kinds`` a page shows: by marker, or by a link to the record."""
        ks = set(kinds)
        return {r.index for r in self.d.records if r.kind in ks
                and (r.marker in body or self.b.ids[r.index] in body)}

    def expect_exactly(self, where: str, found: set[int], kinds: Iterable[str],
                       also: set[int] | None = None) -> None:
        ks = set(kinds)
        expected = {i for i in (self.visible if also is None else self.visible & also)
                    if self.d.records[i].kind in ks}
        if self.exact:
            assert found == expected, (
                f"{self.label}: {where}: missing {sorted(expected - found)}, "
                f"extra {sorted(found - expected)}")
        else:
            assert found <= expected, f"{self.label}: {where}: extra {sorted(found - expected)}"

    def api(self, path: str, **kw: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.api_headers, **kw)

    def page(self, path: str) -> Any:
        return self.client.get(path, headers={"Accept": "text/html"})

    # ------------------------------------------------------------ read paths

    def run(self) -> None:
        missing = str(uuid.uuid4())
        self.lists()
        self.details(missing)
        self.knowledge_base()
        self.search()
        self.exports()
        self.taxii()
        self.inbox()
        self.aggregates()
        self.own_and_admin(missing)
        self.by_stix_id()

    def lists(self) -> None:
        done: set[str] = set()
        for kind, (api_list, _d, web_list, _w) in PATHS.items():
            kinds = [k for k, p in PATHS.items() if p[0] == api_list]
            if api_list is not None and api_list not in done:
                done.add(api_list)
                r = self.api(api_list)
                self.no_leak(f"GET {api_list}", r.text)
                if self.exact:
                    assert r.status_code == 200, (self.label, api_list, r.text)
                    ids = {str(item["id"]) for item in r.json()["items"]}
                    found = {i for i, rid in self.b.ids.items() if rid in ids}
                    self.expect_exactly(f"GET {api_list}", found, kinds)
            if web_list is not None and web_list not in done:
                done.add(web_list)
                r = self.page(web_list)
                self.no_leak(f"page {web_list}", r.text)
                if self.exact and kind not in ("package",):
                    assert r.status_code == 200, (self.label, web_list)
                    # The knowledge base's page names objects; relationships and
                    # sightings have no name to show there.
                    shown = ["indicator"] if web_list == "/objects" else kinds
                    self.expect_exactly(f"page {web_list}", self.shown_in(r.text, shown),
                                        shown)
        # Packages: a draft is in its author's drafts box; the other boxes show none.
        for box in ("drafts", "review", "received", "released"):
            r = self.api(f"/packages?box={box}")
            self.no_leak(f"GET /packages?box={box}", r.text)
            if self.exact and box == "drafts":
                mine = {r_.index for r_ in self.d.records
                        if r_.kind == "package" and r_.author == self.user}
                self.expect_exactly("GET /packages?box=drafts",
                                    self.markers_in(r.text, ["package"]), ["package"], mine)
        # Comments, listed on the note they are on (a 404 where the note is not visible).
        for note in (r for r in self.d.records if r.kind == "note"):
            nid = self.b.ids[note.index]
            r = self.api("/comments", params={"target_type": "note", "target_id": nid})
            self.no_leak("GET /comments", r.text, asked=nid)
            if self.exact:
                on_it = {c.index for c in self.d.records if c.kind == "comment"
                         and c.on == note.index}
                if note.index in self.visible:
                    assert r.status_code == 200, (self.label, r.text)
                    self.expect_exactly(f"GET /comments on {note.index}",
                                        self.markers_in(r.text, ["comment"]), ["comment"], on_it)
                else:
                    assert r.status_code == 404, (self.label, r.text)

    def details(self, missing: str) -> None:
        api_missing: dict[str, tuple[int, Any]] = {}
        web_missing: dict[str, tuple[int, str]] = {}
        for rec in self.d.records:
            rid = self.b.ids[rec.index]
            _l, api_detail, _wl, web_detail = PATHS[rec.kind]
            seen = rec.index in self.visible
            for template in (api_detail, *SUB_PATHS.get(rec.kind, ())):
                path = template.format(id=rid)
                r = self.api(path)
                self.no_leak(f"GET {path}", r.text, asked=rid)
                if seen and self.exact:
                    ok = (200, 409) if template in CONFLICTS else (200,)
                    assert r.status_code in ok, (self.label, rec, path, r.text)
                    if template == api_detail:
                        assert rec.marker in r.text, (self.label, rec, path)
                elif not seen:
                    # Exactly like an id that does not exist.
                    if template not in api_missing:
                        m = self.api(template.format(id=missing))
                        api_missing[template] = (m.status_code, m.json())
                    status, body = api_missing[template]
                    assert (r.status_code, r.json()) == (status, body), (
                        self.label, rec, path, r.text, body)
                    if self.exact:
                        assert status == 404, (self.label, path, body)
                COUNTS["detail reads"] += 1
            for template in ((web_detail,) if web_detail else ()) + WEB_SUB_PATHS.get(
                    rec.kind, ()):
                path = template.format(id=rid)
                r = self.page(path)
                self.no_leak(f"page {path}", r.text, asked=rid)
                if seen and self.exact:
                    # Changing who receives a record is for those who may edit it.
                    ok = (200, 403) if template in EDIT_PAGES else (200,)
                    assert r.status_code in ok, (self.label, rec, path, r.text[:300])
                    if template == web_detail:
                        assert rec.marker in r.text, (self.label, rec, path)
                elif not seen:
                    if template not in web_missing:
                        m = self.page(template.format(id=missing))
                        web_missing[template] = (m.status_code, _scrub(m.text, missing))
                    status, text = web_missing[template]
                    assert r.status_code == status, (self.label, rec, path, r.status_code)
                    assert _scrub(r.text, rid) == text, (self.label, rec, path)
                    if self.exact:
                        assert status == 404, (self.label, path)
                COUNTS["detail reads"] += 1
        # A STIX id held by several organisations: the read by STIX id finds a copy the
        # reader may see, or nothing.
        by_stix: dict[str, set[int]] = {}
        for i, sid in self.b.stix_ids.items():
            by_stix.setdefault(sid, set()).add(i)
        for sid, held in by_stix.items():
            r = self.api(f"/objects/{sid}")
            self.no_leak(f"GET /objects/{sid}", r.text)
            if self.exact:
                if held & self.visible:
                    assert r.status_code == 200 and r.json()["id"] in {
                        self.b.ids[i] for i in held & self.visible}, (self.label, sid, r.text)
                else:
                    assert r.status_code == 404, (self.label, sid, r.text)

    def knowledge_base(self) -> None:
        recs = self.d.records
        indicators = [r for r in recs if r.kind == "indicator"]
        for ind in indicators:
            if ind.index not in self.visible or not self.exact:
                continue
            rid = self.b.ids[ind.index]
            sid = self.b.stix_ids[ind.index]
            # Correlations: the other visible objects that carry the same value.
            r = self.api(f"/objects/{rid}/correlations")
            occurrences = {o["id"] for c in r.json() for o in c["objects"]}
            found = {i for i, x in self.b.ids.items() if x in occurrences}
            same = {o.index for o in indicators if o.value == ind.value}
            self.expect_exactly(f"correlations of {ind.index}", found | {ind.index},
                                ["indicator"], same)
            # Relationships: through the visible relationships that touch its STIX id.
            r = self.api(f"/objects/{rid}/relationships")
            via = {link["via"] for link in r.json()}
            # (A sighting is a link too: sighting_of_ref.)
            touching = {x.index for x in recs if x.kind in ("relationship", "sighting")
                        and sid in {self.b.stix_ids[j] for j in (x.on, x.to) if j is not None}}
            self.expect_exactly(f"relationships of {ind.index}",
                                {i for i, x in self.b.ids.items() if x in via},
                                ["relationship", "sighting"], touching)
            for link in r.json():
                if link["other"] is not None:
                    assert link["other"] in {self.b.ids[i] for i in self.visible}, link
            r = self.api(f"/objects/{rid}/sightings")
            seen = {item["id"] for item in r.json()}
            of_it = {x.index for x in recs if x.kind == "sighting"
                     and self.b.stix_ids[x.on] == sid}  # type: ignore[index]
            self.expect_exactly(f"sightings of {ind.index}",
                                {i for i, x in self.b.ids.items() if x in seen},
                                ["sighting"], of_it)
        # Value look-ups: every visible indicator with the value, and nothing else.
        for value in sorted({r.value for r in indicators if r.value}):
            carrying = {r.index for r in indicators if r.value == value}
            for path in (f"/values?value={value}", f"/objects?value={value}&limit=200"):
                r = self.api(path)
                self.no_leak(f"GET {path}", r.text, self.visible | carrying)
                if self.exact:
                    assert r.status_code == 200, (self.label, path, r.text)
                    ids = set(re.findall(r'"id":"([0-9a-f-]{36})"', r.text))
                    self.expect_exactly(f"GET {path}",
                                        {i for i, x in self.b.ids.items() if x in ids},
                                        ["indicator"], carrying)

    def search(self) -> None:
        word = self.d.word
        for path, kinds in ((f"/objects?q={word}&limit=200", ["indicator"]),
                            (f"/dialogues?q={word}&limit=200", ["dialogue"]),
                            (f"/lessons?q={word}&limit=200", ["lesson"]),
                            (f"/insights?q={word}&limit=200", ["insight"]),
                            (f"/operations?q={word}&limit=200", ["operation"])):
            r = self.api(path)
            self.no_leak(f"GET {path}", r.text)
            if self.exact:
                assert r.status_code == 200, (self.label, path, r.text)
                self.expect_exactly(f"GET {path}", self.markers_in(r.text, kinds), kinds)
        for path in (f"/objects?q={word}", f"/lessons?q={word}", f"/dialogues?q={word}",
                     f"/operations?q={word}", f"/insights?q={word}"):
            r = self.page(path)
            self.no_leak(f"page {path}", r.text)

    def exports(self) -> None:
        stix_kinds = list(STIX_KINDS)
        for fmt in ("stix", "misp", "csv", "blocklist&kind=ipv4"):
            r = self.api(f"/export?format={fmt}")
            self.no_leak(f"export {fmt}", r.text)
            if not self.exact:
                continue
            assert r.status_code == 200, (self.label, fmt, r.text)
            if fmt == "stix":
                self.expect_exactly("export stix", self.markers_in(r.text, stix_kinds),
                                    stix_kinds)
            elif fmt == "misp":
                self.expect_exactly("export misp", self.markers_in(r.text, ["indicator"]),
                                    ["indicator"])
            elif fmt.startswith("blocklist"):
                values = set(r.text.split())
                expected = {x.value for x in self.d.records if x.kind == "indicator"
                            and x.index in self.visible}
                assert values == expected, (self.label, values, expected)

    def taxii(self) -> None:
        if self.user is None:
            return
        d, b = self.d, self.b
        root = f"/taxii2/hub/collections/{b.collection_id}"
        headers = {**bearer(b.tokens[self.user]), "Accept": TAXII}
        partner = self.stands_for_partner
        allowed = {i for i in self.visible
                   if not partner or may_leave(d, d.records[i])}
        for part in ("objects", "manifest"):
            r = self.client.get(f"{root}/{part}/", headers=headers)
            self.no_leak(f"TAXII {part}", r.text, allowed)
            if not self.taxii_exact:
                continue
            assert r.status_code == 200, (self.label, part, r.text)
            if part == "objects":
                found = self.markers_in(r.text, STIX_KINDS)
                assert r.headers.get("X-TAXII-Date-Added-Last") or not found
                self.expect_exactly(f"TAXII objects{' (partner)' if partner else ''}", found,
                                    STIX_KINDS, allowed)
            else:
                ids = {o["id"] for o in r.json().get("objects", [])}
                expected = {b.stix_ids[i] for i in allowed if i in b.stix_ids}
                assert ids == expected, (self.label, "manifest", ids ^ expected)
        self.taxii_more(root, headers, allowed)
        for i, sid in b.stix_ids.items():
            r = self.client.get(f"{root}/objects/{sid}/", headers=headers)
            self.no_leak(f"TAXII object {sid}", r.text, allowed)
            COUNTS["detail reads"] += 1
            if self.taxii_exact:
                copies = {j for j, s in b.stix_ids.items() if s == sid}
                if copies & allowed:
                    assert r.status_code == 200, (self.label, sid, r.text)
                else:
                    assert r.status_code == 404, (self.label, sid, r.text)

    def taxii_more(self, root: str, headers: dict[str, str], allowed: set[int]) -> None:
        """The collections list, the filters (``added_after``, ``match[type]``,
        ``match[id]``) and each object's versions."""
        b = self.b
        r = self.client.get("/taxii2/hub/collections/", headers=headers)
        self.no_leak("TAXII collections", r.text, allowed)
        if self.taxii_exact:
            assert r.status_code == 200 and b.collection_id in r.text, (self.label, r.text)
        for query, kinds, also in (
                *((f"match[type]={k}", [k], allowed) for k in STIX_KINDS),
                ("added_after=2000-01-01T00:00:00.000Z", STIX_KINDS, allowed),
                ("added_after=2100-01-01T00:00:00.000Z", STIX_KINDS, set()),
                *((f"match[id]={sid}", STIX_KINDS, allowed & copies)
                  for sid, copies in _sample(b).items())):
            r = self.client.get(f"{root}/objects/?{query}", headers=headers)
            self.no_leak(f"TAXII objects?{query}", r.text, allowed)
            if self.taxii_exact:
                assert r.status_code == 200, (self.label, query, r.text)
                self.expect_exactly(f"TAXII objects?{query}", self.markers_in(r.text, kinds),
                                    kinds, also)
        absent = f"indicator--{uuid.uuid4()}"
        m = self.client.get(f"{root}/objects/{absent}/versions/", headers=headers)
        for sid, copies in _sample(b).items():
            r = self.client.get(f"{root}/objects/{sid}/versions/", headers=headers)
            self.no_leak(f"TAXII versions of {sid}", r.text, allowed)
            COUNTS["detail reads"] += 1
            if copies & allowed:
                if self.taxii_exact:
                    assert r.status_code == 200 and r.json().get("versions"), (self.label, r.text)
            else:
                assert (r.status_code, r.text.replace(sid, "<id>")) == (
                    m.status_code, m.text.replace(absent, "<id>")), (self.label, sid, r.text)

    def own_and_admin(self, missing: str) -> None:
        """The home page, the personal data export, the audit log and imports."""
        d, b = self.d, self.b
        r = self.page("/")
        self.no_leak("page /", r.text)
        if self.exact:
            # The latest eight notes the reader may see: a world has fewer.
            assert r.status_code == 200, (self.label, r.text[:300])
            self.expect_exactly("page /", self.shown_in(r.text, ["note"]), ["note"])
        # The personal export: about the reader, and references to what they wrote.
        authored = {x.index for x in d.records if x.author == self.user}
        r = self.api("/me/export")
        self.no_leak("GET /me/export", r.text, self.visible | authored)
        if self.exact:
            assert r.status_code == 200, (self.label, r.text[:300])
            for i in authored:
                if d.records[i].kind in ("note", "comment", "lesson", "meeting"):
                    assert b.ids[i] in r.text, (self.label, "export lacks", d.records[i])
        # The audit log is for hub administrators: they see that a sensitive read happened
        # (which record, by id), never its content; everyone else is refused.
        role = d.users[self.user].role if self.user is not None else None
        r = self.page("/admin/audit")
        if self.exact and role is Role.HUB_ADMIN:
            assert r.status_code == 200, (self.label, r.text[:300])
            self.no_leak("page /admin/audit", r.text, ids=False)
        else:
            self.no_leak("page /admin/audit", r.text)
            if self.exact:
                assert r.status_code == 403, (self.label, r.status_code)
        # An import is its importer's, and their organisation's admins'.
        api_absent = self.api(f"/imports/{missing}")
        page_absent = self.page(f"/imports/{missing}")
        for k, (i, jid) in enumerate(b.import_ids.items()):
            rec = d.records[i]
            may = self.exact and (self.user == rec.author or (
                role is Role.ORG_ADMIN and d.users[self.user].org == d.owner(rec)))  # type: ignore[index]
            # The page shows what the API does: three of them are enough there.
            pages = ((page_absent, self.page(f"/imports/{jid}")),) if k < 3 else ()
            for absent, r in ((api_absent, self.api(f"/imports/{jid}")), *pages):
                self.no_leak(f"import {jid}", r.text, asked=jid)
                COUNTS["detail reads"] += 1
                if may:
                    assert r.status_code == 200, (self.label, rec, r.text[:300])
                else:
                    assert r.status_code == absent.status_code, (self.label, rec, r.text[:300])
                    assert _scrub(r.text, jid) == _scrub(absent.text, missing), (self.label, rec)

    def by_stix_id(self) -> None:
        """Reads by STIX id: the watch button, the graph's expansion, an actor's page.
        A STIX id none of whose copies the reader sees answers like an unknown one."""
        b = self.b
        known = {b.stix_ids[i] for i in self.visible if i in b.stix_ids}
        # A visible relationship or sighting names its ends: their STIX ids are no secret.
        known |= {b.stix_ids[j] for i in self.visible if i in b.stix_ids
                  for j in (self.d.records[i].on, self.d.records[i].to) if j is not None}
        absent = f"indicator--{uuid.uuid4()}"
        paths = (("page", "/watch/stix/{sid}"), ("api", "/atlas/graph/expand?node={sid}"),
                 ("api", "/atlas/actors/{sid}"), ("page", "/atlas/actors/{sid}"))
        missing = {(k, p): self._get(k, p.format(sid=absent)) for k, p in paths}
        sample = _sample(b)
        for sid, copies in _by_stix(b).items():
            seen = bool(copies & self.visible)
            for kind, template in paths if sid in sample else paths[:2]:
                path = template.format(sid=sid)
                r = self._get(kind, path)
                self.no_leak(f"{kind} {path}", r.text)
                COUNTS["detail reads"] += 1
                graph = "expand" in path
                if graph and self.exact:
                    # The node's visible neighbours: a visible sighting or relationship
                    # may name an object the reader does not see, and is shown.
                    assert r.status_code == 200, (self.label, path, r.text[:300])
                    shown = set(re.findall(r"(?:indicator|relationship|sighting)--[0-9a-f-]{36}",
                                           r.text))
                    assert shown <= known | {sid}, (self.label, path, shown - known)
                elif seen and self.exact and "watch" in path:
                    assert r.status_code == 200, (self.label, path, r.text[:300])
                elif not seen and not graph:
                    m = missing[kind, template]
                    assert r.status_code == m.status_code, (self.label, path, r.status_code)
                    assert _scrub(r.text, sid) == _scrub(m.text, absent), (self.label, path)

    def _get(self, kind: str, path: str) -> Any:
        return self.page(path) if kind == "page" else self.api(path)

    def aggregates(self) -> None:
        """Views built over many records (the threat map, ransomware statistics, action
        items, lesson tags): nothing of an invisible record in them."""
        for template in AGGREGATES:
            path = template.format(word=self.d.word)
            r = self.api(path)
            self.no_leak(f"GET {path}", r.text)
            if self.exact:
                assert r.status_code == 200, (self.label, path, r.text[:300])
        for path in ("/atlas", "/ransomware/trends", "/action-items", "/atlas/actors"):
            self.no_leak(f"page {path}", self.page(path).text)
        r = self.api("/ransomware/trends.csv")
        self.no_leak("GET /ransomware/trends.csv", r.text)
        if self.exact:
            assert r.status_code == 200, (self.label, r.text[:300])
            # Counted over the incidents the reader may see; k is 1 here, so a total is
            # published once one other organisation's incident is among them.
            seen = [i for i in self.visible if self.d.records[i].kind == "incident"]
            others = {self.d.owner(self.d.records[i]) for i in seen} - {
                self.d.users[self.user].org}  # type: ignore[index]
            total = self.api("/ransomware/trends").json()["total"]
            assert total == (len(seen) if others else None), (self.label, total, seen)
            # The landscape counts the visible objects (two organisations' copies of one
            # STIX id once) and sightings, all made this year.
            r = self.api("/atlas/landscape?period=2y")
            assert r.status_code == 200, (self.label, r.text[:300])
            counted = {s["category"]: sum(s["counts"]) for s in r.json()["new_objects"]}
            kinds = Counter(self.d.records[i].kind for i in self.visible)
            indicators = {self.b.stix_ids[i] for i in self.visible
                          if self.d.records[i].kind == "indicator"}
            assert (counted.get("indicator", 0), sum(r.json()["sightings"])) == (
                len(indicators), kinds["sighting"]), (self.label, counted, kinds)

    def inbox(self) -> None:
        """Every notice leak-free; and the mentions (in every comment and in each dialogue's
        first contribution, of everyone) and the watched dialogues' news reach exactly
        those who see their subject, but their authors."""
        r = self.api("/notifications?limit=200")
        self.no_leak("GET /notifications", r.text)
        if self.exact:
            assert r.status_code == 200, (self.label, r.text[:300])
            built = while_built(self.d)
            told: dict[str, set[int]] = {"mention": set(), "dialogue.contribution": set()}
            for n in r.json()["items"]:
                if n["kind"] in told:
                    # The subject's address (a note's may name the comment too).
                    told[n["kind"]] |= {i for i, x in self.b.ids.items() if x in n["url"]
                                        and self.d.records[i].kind in ("note", "dialogue")}
            about = {x.index for x in self.d.records if x.author != self.user
                     and x.index in self.visible and sees(built, self.user, x)}
            notes = {self.d.records[c].on for c in about if self.d.records[c].kind == "comment"}
            dialogues = {i for i in about if self.d.records[i].kind == "dialogue"}
            assert told["mention"] == notes | dialogues, (self.label, told, notes | dialogues)
            assert told["dialogue.contribution"] == dialogues, (self.label, told, dialogues)
            COUNTS["notices"] += len(r.json()["items"])
        r = self.page("/inbox")
        self.no_leak("page /inbox", r.text)


def _by_stix(b: Built) -> dict[str, set[int]]:
    """Each STIX id, and the records (copies held by different organisations) under it."""
    held: dict[str, set[int]] = {}
    for i, sid in b.stix_ids.items():
        held.setdefault(sid, set()).add(i)
    return held


def _sample(b: Built) -> dict[str, set[int]]:
    """For the reads by STIX id that cost the most: the ids two organisations hold, and
    the first three others (what each reader sees of them varies with the marking)."""
    held = _by_stix(b)
    shared = {sid: c for sid, c in held.items() if len(c) > 1}
    return shared | dict([(sid, c) for sid, c in held.items() if len(c) == 1][:3])


def _scrub(text: str, rid: str) -> str:
    """A page, without what differs between two requests for different missing ids (the
    CSRF token, and the form stamp, which holds the moment the page was made)."""
    text = text.replace(rid, "<id>")
    text = re.sub(r'(name="form_stamp" value=")[^"]+"', r'\1"', text)
    return re.sub(r'(csrf[-_a-z]*"? (?:value|content)=")[^"]+"', r'\1"', text)


def _federation(b: Built, database: Database) -> None:
    """What leaves for the partner hub: the push, and the digests offered for matching."""
    d = b.drawn
    if b.peer_id is None:
        return
    leaving = {r.index for r in d.records if r.kind in STIX_KINDS and may_leave(d, r)}
    sent: list[bytes] = []
    after = None
    while True:
        objects, _stated, after_ = sync._outgoing(database, b.peer_id, after)
        if not objects:
            break
        sent.extend(objects)
        after = after_
    body = b"[" + b",".join(sent) + b"]"
    text = body.decode()
    leaked = [(r.index, r.tlp.value) for r in d.records
              if r.index not in leaving and r.marker in text]
    assert not leaked, f"seed {d.seed}: the push to the partner carries {leaked}"
    found = {r.index for r in d.records if r.kind in STIX_KINDS and r.marker in text}
    assert found == leaving, (d.seed, sorted(found ^ leaving))
    COUNTS["read paths"] += 1
    COUNTS["record checks"] += len(d.records)
    # Matching: the keyed digests offered are those of the values that may leave.
    assert matching.rebuild_index(database, b.peer_id) >= 0
    with database.transaction() as s:
        held = set(s.scalars(select(MatchDigest.digest).where(
            MatchDigest.peer_id == b.peer_id)))
    expected = {keys.digest(MATCH_KEY.encode(), "ipv4", r.value) for r in d.records
                if r.kind == "indicator" and r.value and may_leave(d, r)}
    assert held == expected, (d.seed, len(held), len(expected))
    COUNTS["read paths"] += 1
    COUNTS["record checks"] += len(d.records)


@pytest.fixture(scope="module", autouse=True)
def _shared_warning_lists() -> None:
    """Correlations flag values on MISP warning lists: open the index the test run shares
    (built once under var/test-cache) rather than building one in each test's var/."""
    if warninglists._index is None:
        warninglists._index = warninglists.WarningIndex(warninglists_index())


@pytest.mark.parametrize("seed", range(WORLDS))
def test_no_read_path_shows_what_the_rules_keep(seed: int, app: Any, client: TestClient,
                                                database: Database, community: Community,
                                                database_url: str, tmp_path: Path,
                                                settings: Settings,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    engine = database_url.split(":", 1)[0].split("+", 1)[0]
    # Ransomware trends count every incident: a world has too few to pass a k of 3.
    monkeypatch.setattr(settings, "trend_k", 1)
    started = time.monotonic()
    d: Drawn = draw(seed)
    b = build(app, database, community, d, tmp_path)
    TIMES[f"{engine}, building"] = TIMES.get(f"{engine}, building", 0.0) + \
        time.monotonic() - started
    readers = [Reader(b, None, client)] + [Reader(b, i, b.browsers[i])
                                           for i in range(len(d.users))]
    for reader in readers:
        reader.run()
    # Someone is told something: the inbox check is not over empty boxes.
    assert any(r.exact and r.visible for r in readers) and COUNTS["notices"], d.seed
    _federation(b, database)
    COUNTS["worlds"] += 1
    COUNTS["readers"] += len(readers)
    COUNTS["records"] += len(d.records)
    COUNTS[f"worlds on {engine}"] += 1
    TIMES[engine] = TIMES.get(engine, 0.0) + time.monotonic() - started


def _summary() -> dict[str, float]:
    # Each read path checked is one answer to one viewer: a (viewer, path) case.
    cases = {"(viewer, path) cases": COUNTS["read paths"]}
    return cases | dict(COUNTS) | {f"seconds ({k})": round(v, 1) for k, v in TIMES.items()}


def summary_line() -> str:
    """What was checked, for the end of the run (``conftest.pytest_terminal_summary``)."""
    if not COUNTS:
        return ""
    return "leak test: " + ", ".join(f"{v} {k}" for k, v in _summary().items())


def teardown_module() -> None:
    if not COUNTS:
        return
    summary = _summary()
    out = ROOT / "var" / "leak-test-counts.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
