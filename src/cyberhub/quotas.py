"""How many files, and how many bytes, one member may keep in each store (ASVS 12.1.3).

Each upload is refused, before it is kept, when it would take its uploader past their
quota: dialogue attachments (``CYBERHUB_ATTACHMENT_QUOTA_*``) and evidence files
(``CYBERHUB_EVIDENCE_QUOTA_*``); 0 lifts a limit. The count is of what the member has
uploaded to that store, wherever it sits, so no member can fill the disk alone.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cyberhub import i18n
from cyberhub.errors import QuotaExceeded
from cyberhub.i18n import _


def check(session: Session, *, owner: Any, size: Any, user_id: uuid.UUID, adding: int,
          max_files: int, max_bytes: int) -> None:
    """Raise QuotaExceeded if one more file of ``adding`` bytes exceeds the quota."""
    if not max_files and not max_bytes:
        return
    files, used = session.execute(
        select(func.count(), func.coalesce(func.sum(size), 0)).where(owner == user_id)).one()
    if max_files and files + 1 > max_files:
        raise QuotaExceeded(_(
            "You have already uploaded %(n)d files here, as many as one member may. Ask "
            "the hub's operator to raise the quota.") % {"n": files},
            details={"files": files, "max_files": max_files})
    if max_bytes and used + adding > max_bytes:
        raise QuotaExceeded(_(
            "This file would take your uploads here to %(used)s of the %(max)s one member "
            "may keep. Ask the hub's operator to raise the quota.")
            % {"used": i18n.format_size(used + adding), "max": i18n.format_size(max_bytes)},
            details={"bytes": int(used), "adding": adding, "max_bytes": max_bytes})

