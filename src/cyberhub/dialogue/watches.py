"""Users may watch a dialogue (``dialogue:<uuid>``) they can see: the notifications
package delivers ``dialogue.*`` events published with that watch key."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.dialogue.models import Dialogue
from cyberhub.notifications.targets import register_watch_target


def check_dialogue(session: Session, viewer: Viewer, target: str) -> str | None:
    """The dialogue's canonical id, or None when the viewer may not see it."""
    try:
        did = uuid.UUID(target)
    except ValueError:
        return None
    return str(did) if access.can_see(session, Dialogue, did, viewer) else None


register_watch_target("dialogue", check_dialogue)
