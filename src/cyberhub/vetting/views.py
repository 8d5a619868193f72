"""What the object page's "Vetting" section shows: snapshots, safe after a failed form."""

from __future__ import annotations

from types import SimpleNamespace

from cyberhub import access
from cyberhub.community.models import Organisation, User
from cyberhub.deps import Ctx
from cyberhub.i18n import _
from cyberhub.intel.models import StixObject
from cyberhub.vetting import service
from cyberhub.vetting.models import Verdict


def verdict_label(verdict: Verdict) -> str:
    return _("Confirmed") if verdict is Verdict.CONFIRM else _("Disputed")


def section(ctx: Ctx, row: StixObject, *, verdict: str | None = None,
            reason: str | None = None) -> SimpleNamespace:
    """The state, the standing verdicts and the viewer's form (``verdict``/``reason``
    refill it after a failed submission)."""
    found = service.tally(ctx.session, row)
    verdicts = []
    for v in found.verdicts:
        org = ctx.session.get(Organisation, v.org_id)
        user = ctx.session.get(User, v.user_id)
        verdicts.append(SimpleNamespace(
            verdict=v.verdict.value, label=verdict_label(v.verdict), reason_html=v.reason_html,
            reason=v.reason, org=org.name if org else "", user=user.display_name if user else "",
            created_at=v.created_at, updated_at=v.updated_at,
            changed=v.updated_at != v.created_at, own=v.org_id == ctx.viewer.org_id))
    own = next((v for v in verdicts if v.own), None)
    return SimpleNamespace(
        quorum=found.quorum, confirmations=found.confirmations, disputes=found.disputes,
        verdicts=verdicts, own=own, is_owner=row.owner_org_id == ctx.viewer.org_id,
        can_vote=access.can_contribute(ctx.viewer) and row.owner_org_id != ctx.viewer.org_id,
        form=SimpleNamespace(
            verdict=verdict if verdict is not None else (own.verdict if own else "confirm"),
            reason=reason if reason is not None else (own.reason if own else ""),
            max_reason=service.MAX_REASON))
