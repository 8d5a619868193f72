"""Re-encrypting the hub's stored secrets under a new secret key.

The secret key (``CYBERHUB_SECRET_KEY``) encrypts six kinds of stored value: members'
TOTP seeds, partner hubs' passwords and matching keys, webhook signing secrets, and
ransomware victims' names and contacts (``db.EncryptedText``). To
replace it, an operator sets the new key and lists the old one in
``CYBERHUB_PREVIOUS_SECRET_KEYS`` (both still decrypt), runs :func:`rotate` through
``cyberhub secrets rotate``, then drops the old key. The rotation is one transaction:
if any secret opens with none of the keys, nothing is rewritten and each is named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from cyberhub import audit
from cyberhub.community import security
from cyberhub.community.models import User
from cyberhub.errors import InvalidInput
from cyberhub.federation.models import Peer
from cyberhub.i18n import _
from cyberhub.notifications.models import Webhook
from cyberhub.ransomware.models import IncidentVictim

# (kind named in reports, the encrypted column); an empty value holds no secret.
ENCRYPTED_COLUMNS: tuple[tuple[str, InstrumentedAttribute[Any]], ...] = (
    ("totp", User.totp_secret_enc),
    ("peer_secret", Peer.secret),
    ("peer_match_key", Peer.match_key),
    ("webhook_secret", Webhook.secret_enc),
    ("victim_name", IncidentVictim.name),
    ("victim_contact", IncidentVictim.contact),
)


@dataclass
class Rotation:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rotate(session: Session, actor: audit.Actor,
           progress: Callable[[str, int], None] | None = None) -> Rotation:
    """Encrypt every stored secret again under the current secret key, or raise
    InvalidInput (changing nothing) naming those no configured key opens."""
    result = Rotation()
    unreadable: list[str] = []
    for kind, column in ENCRYPTED_COLUMNS:
        # The stored tokens themselves, read and written as plain text: an EncryptedText
        # column would decrypt on the way out and encrypt again on the way in.
        table = column.class_.__table__
        key = next(iter(table.primary_key.columns))
        raw = type_coerce(column, Text)
        rows = session.execute(select(key, raw).where(raw.is_not(None), raw != "")).all()
        done = 0
        for row_id, token in rows:
            fresh = security.reencrypt_secret(token)
            if fresh is None:
                unreadable.append(f"{kind} {row_id}")
                continue
            session.execute(update(table).where(key == row_id)
                            .values({column.key: type_coerce(fresh, Text)}))
            done += 1
        result.counts[kind] = done
        if progress:
            progress(kind, done)
    if unreadable:
        session.rollback()
        raise InvalidInput(
            _("No configured key opens these stored secrets, so nothing was re-encrypted: "
              "%(list)s. Add the key they were encrypted with to "
              "CYBERHUB_PREVIOUS_SECRET_KEYS and run the rotation again.")
            % {"list": ", ".join(unreadable)}, details={"unreadable": unreadable})
    audit.record(session, actor, "secrets.rotate", details=dict(result.counts))
    return result
