"""Property: under the Chatham House Rule, nothing the attribution module writes ever
contains a participant's name, e-mail address or organisation."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from cyberhub.access import Viewer
from cyberhub.community.models import OrgKind, Role
from cyberhub.dialogue import attribution
from cyberhub.dialogue.models import Dialogue, Rule, Status

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)
_email = st.builds(lambda a, b: f"{a}.{b}@{b}-corp.example", _word, _word)
_name = st.builds(lambda a, b: f"Zed{a.title()} {b.title()}q", _word, _word)
_org = st.builds(lambda a: f"Qorg {a.title()} Ltd", _word)
_kind = st.sampled_from([k.value for k in OrgKind] + ["unknown-kind"])


@st.composite
def _room(draw: st.DrawFn) -> tuple[list[tuple[str, str, str, str]], str]:
    people = draw(st.lists(st.tuples(_name, _email, _org, _kind), min_size=1, max_size=5))
    parts = draw(st.lists(st.one_of(
        _word, st.sampled_from(["**", "_", "\n", "> ", "- ", "`", " ", ",", "."]),
        st.sampled_from([p[1] for p in people]).map(lambda e: "@" + e),
        st.sampled_from([p[1] for p in people]).map(lambda e: "@" + e.upper())),
        max_size=40))
    return people, " ".join(parts)


@settings(max_examples=200, deadline=None)
@given(_room(), st.booleans())
def test_chatham_house_output_never_names_anyone(room: tuple[list[tuple[str, str, str, str]],
                                                             str], viewer_is_author: bool) -> None:
    people, text = room
    dialogue = Dialogue(id=uuid.uuid4(), topic="A topic", rule=Rule.CHATHAM_HOUSE,
                        status=Status.OPEN, convenor_id=uuid.uuid4())
    author = uuid.uuid4()
    viewer = Viewer(author if viewer_is_author else uuid.uuid4(), uuid.uuid4(), Role.ANALYST)
    # Under the rule the attributor never needs the database: it knows nobody.
    who = attribution.Attributor(None, dialogue, viewer)  # type: ignore[arg-type]
    outputs: list[str] = []
    for _name_, _email_, _org_, kind in people:
        a = who.author(author, kind)
        assert a.user_id is None and a.organisation is None
        outputs += [a.label, who.author(author, kind, third_person=True).label,
                    attribution.contribution_title(who, author, kind),
                    attribution.reply_title(who, author, kind),
                    attribution.mention_title(who, author, kind)]
    outputs += [who.text(text), attribution.render(dialogue, text),
                attribution.excerpt(dialogue, text)]
    blob = "\n".join(outputs).lower()
    for name, email, org, _kind_ in people:
        for ident in (name, email, org):
            assert ident.lower() not in blob
