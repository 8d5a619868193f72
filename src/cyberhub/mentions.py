"""@mentions in user text: ``@name@example.org`` names a user by e-mail address."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub.community.models import User

# An e-mail address after an "@" that does not continue a word or another address.
_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
MAX_MENTIONS = 20


def handles(text: str) -> list[str]:
    """The e-mail addresses mentioned, lower-cased, first occurrence order, capped."""
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(text or ""):
        seen.setdefault(match.group(1).lower().rstrip("."), None)
    return list(seen)[:MAX_MENTIONS]


def resolve(session: Session, text: str) -> tuple[list[User], list[str]]:
    """Active users mentioned in ``text``, and the handles that name nobody active."""
    wanted = handles(text)
    if not wanted:
        return [], []
    users = list(session.scalars(select(User).where(
        func.lower(User.email).in_(wanted), User.is_active.is_(True))))
    found = {u.email.lower() for u in users}
    return users, [h for h in wanted if h not in found]
