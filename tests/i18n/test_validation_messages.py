"""Request validation errors in the requester's language, Pydantic's words in English."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from cyberhub import i18n
from cyberhub.validation_messages import problem


class Form(BaseModel):
    a: str = Field(min_length=2, max_length=3)
    b: int = Field(ge=1, le=5000)
    c: bool
    d: uuid.UUID
    e: Literal["x", "y"]
    f: list[int] = Field(max_length=1)
    g: datetime.datetime
    h: float = Field(gt=0, lt=2)
    i: int
    j: str = Field(max_length=1)


def errors(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        Form(**data)
    return caught.value.errors()


BAD = [{"a": "abcd", "b": 0, "c": "maybe", "d": "nope", "e": "z", "f": [1, 2], "g": "x",
        "h": 5, "i": "x", "j": "long"},
       {"a": "a", "b": 9000, "h": 0, "i": 1.5}]


def test_english_is_pydantic_own_words():
    for data in BAD:
        for error in errors(data):
            if error["type"] in ("less_than_equal",):
                continue  # Babel groups thousands: "5,000"
            assert problem(error) == error["msg"], error["type"]


def test_other_languages_get_translations(tmp_path, monkeypatch):
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Field required"\nmsgstr "Champ obligatoire"\n\n'
        'msgid "Input should be less than or equal to %(n)s"\n'
        'msgstr "La valeur doit être au plus %(n)s"\n\n'
        'msgid "String should have at most %(n)s character"\n'
        'msgid_plural "String should have at most %(n)s characters"\n'
        'msgstr[0] "Au plus %(n)s caractère"\nmsgstr[1] "Au plus %(n)s caractères"\n',
        encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    try:
        with i18n.use_locale("fr"):
            first = {e["loc"][0]: problem(e) for e in errors(BAD[0])}
            second = {e["loc"][0]: problem(e) for e in errors(BAD[1])}
        assert second["c"] == "Champ obligatoire"
        assert second["b"] == "La valeur doit être au plus 5\u202f000"
        assert first["a"] == "Au plus 3 caractères" and first["j"] == "Au plus 1 caractère"
        # A kind without a translation keeps Pydantic's words.
        assert first["d"].startswith("Input should be a valid UUID")
    finally:
        i18n.clear_cache()


def test_api_answers_validation_errors_in_the_requester_language(client, community, tmp_path,
                                                                  monkeypatch):
    from tests.factories import bearer

    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Field required"\nmsgstr "Campo obligatorio"\n\n'
        'msgid "The request is not valid: %(what)s"\n'
        'msgstr "La solicitud no es válida: %(what)s"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    token = community.token(community.user(community.org()), scope="write")
    try:
        r = client.post("/api/v1/notes", json={},
                        headers={**bearer(token), "accept-language": "es"})
        assert r.status_code == 422
        error = r.json()["error"]
        assert error["message"].startswith("La solicitud no es válida: ")
        assert "Campo obligatorio" in {d["problem"] for d in error["details"]}
        r = client.post("/api/v1/notes", json={}, headers=bearer(token))
        assert "Field required" in {d["problem"] for d in r.json()["error"]["details"]}
    finally:
        i18n.clear_cache()
