"""An operation is commentable (``operation`` comments) and watchable
(``operation:<uuid>``): comments and notifications reach exactly those whom ``access``
lets see the operation — its participants."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from cyberhub import access
from cyberhub.access import Viewer
from cyberhub.comments.targets import register_target
from cyberhub.notifications.targets import register_watch_target
from cyberhub.operations.models import Operation


def check_operation(session: Session, viewer: Viewer, target: str) -> str | None:
    """The operation's canonical id, or None when the viewer may not see it."""
    try:
        oid = uuid.UUID(target)
    except ValueError:
        return None
    return str(oid) if access.can_see(session, Operation, oid, viewer) else None


register_watch_target("operation", check_operation)
register_target("operation", Operation, lambda r: f"/operations/{r.id}",
                label=lambda r: r.name, watch_key=lambda r: f"operation:{r.id}")
