"""Field checks shared by the API, the web forms and the CLI."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from cyberhub.community.models import OrgKind, Role
from cyberhub.community.reference import countries, sector_key
from cyberhub.errors import InvalidInput
from cyberhub.i18n import _


def clean_text(value: str, field: str, *, max_len: int, min_len: int = 1) -> str:
    """Strip, normalise (NFC) and bound a one-line text; refuse control characters."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise InvalidInput(_("%(field)s must not contain control characters.") % {"field": field},
                           details={"field": field})
    if len(value) < min_len:
        raise InvalidInput(_("%(field)s is required.") % {"field": field}, details={"field": field})
    if len(value) > max_len:
        raise InvalidInput(
            _("%(field)s must be at most %(n)d characters long.") % {"field": field, "n": max_len},
            details={"field": field})
    return value


def refuse_nul(value: str, field: str) -> str:
    """Multi-line text (Markdown) may hold any character but NUL, which no engine stores
    alike (PostgreSQL refuses it in text): refused by name, the same on both."""
    if "\x00" in value:
        raise InvalidInput(_("%(field)s must not contain the NUL character.") % {"field": field},
                           details={"field": field})
    return value


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def clean_email(value: str) -> str:
    try:
        info = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_("That is not a valid e-mail address: %(why)s") % {"why": str(exc)},
                           details={"field": "email"}) from None
    return info.normalized.lower()


def clean_kind(value: str) -> OrgKind:
    try:
        return OrgKind(value)
    except ValueError:
        raise InvalidInput(
            _("Unknown organisation kind %(value)r; use one of: %(choices)s")
            % {"value": value, "choices": ", ".join(k.value for k in OrgKind)},
            details={"field": "kind"}) from None


def clean_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            _("Unknown role %(value)r; use one of: %(choices)s")
            % {"value": value, "choices": ", ".join(r.value for r in Role)},
            details={"field": "role"}) from None


def clean_country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in countries():
        raise InvalidInput(
            _("Unknown country code %(value)r; use an ISO 3166 two-letter code such as FR.")
            % {"value": value}, details={"field": "country"})
    return code


def clean_sector(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    sector = sector_key(value)
    if sector is None:
        raise InvalidInput(
            _("Unknown sector %(value)r; use a sector of the MISP sector galaxy.")
            % {"value": value}, details={"field": "sector"})
    return sector
