"""Web pages: the comments section that record pages load with htmx, and its forms.

``/comments/on/{type}/{id}`` answers an htmx request with the section alone and a plain
request with a page around it (the fallback without JavaScript). Every route loads
the record through the service, so a record the viewer may not see is a 404.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from cyberhub import access
from cyberhub.comments import service
from cyberhub.deps import Ctx
from cyberhub.web.common import MemberCtx, is_htmx, on_error, page

router = APIRouter()

Body = Annotated[str, Form(max_length=2 * service.MAX_BODY)]


def section_context(ctx: Ctx, on: service.On, *, body: str = "", failed: str = "",
                    not_notified: list[str] | None = None) -> dict[str, Any]:
    """Snapshots of the thread, so a failed form can re-render it after the rollback."""
    threads, more = service.threads(ctx.session, on)
    everyone = [t.comment for t in threads] + [r for t in threads for r in t.replies]
    names = service.authors(ctx.session, everyone)

    def snap(c: Any) -> SimpleNamespace:
        who = names.get(c.author_id, service.Author("", ""))
        return SimpleNamespace(
            id=str(c.id), body_html=c.body_html, body_markdown=c.body_markdown,
            author=who.name, org=who.org, created_at=c.created_at, edited=c.edited_at is not None,
            deleted=c.is_deleted, is_demo=c.is_demo, mine=c.author_id == ctx.viewer.user_id,
            can_edit=service.can_edit(c, ctx.viewer), can_delete=service.can_delete(c, ctx.viewer))

    return {
        "on": SimpleNamespace(type=on.target.name, id=str(on.record.id), url=on.url,
                              label=on.target.label(on.record), tlp=on.record.tlp),
        "threads": [SimpleNamespace(comment=snap(t.comment), replies=[snap(r) for r in t.replies])
                    for t in threads],
        "more": more, "count": sum(1 for c in everyone if not c.is_deleted),
        "can_write": access.can_contribute(ctx.viewer), "max_body": service.MAX_BODY,
        "form": SimpleNamespace(body=body), "failed": failed,
        "not_notified": not_notified or [],
    }


def _answer(ctx: Ctx, context: dict[str, Any]) -> Response:
    template = "comments/_section.html" if is_htmx(ctx) else "comments/page.html"
    return page(ctx, template, context)


def _fail_with(ctx: Ctx, context: dict[str, Any]) -> None:
    on_error(ctx, "comments/_section.html" if is_htmx(ctx) else "comments/page.html", context)


@router.get("/comments/on/{target_type}/{target_id}")
def show_section(ctx: MemberCtx, target_type: str, target_id: str) -> Response:
    on = service.target_of(ctx.session, ctx.viewer, target_type, target_id)
    return _answer(ctx, section_context(ctx, on))


@router.post("/comments/on/{target_type}/{target_id}")
def post_comment(ctx: MemberCtx, target_type: str, target_id: str, body: Body = "",
                 parent_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    on = service.target_of(ctx.session, ctx.viewer, target_type, target_id)
    failed = f"reply-{parent_id}" if parent_id else "new"
    _fail_with(ctx, section_context(ctx, on, body=body, failed=failed))
    posted = service.create_comment(ctx.session, ctx.viewer, target_type=on.target.name,
                                    target_id=on.record.id, body=body,
                                    parent_id=parent_id or None)
    return _answer(ctx, section_context(ctx, on, not_notified=posted.not_notified))


@router.post("/comments/{comment_id}/edit")
def edit_comment(ctx: MemberCtx, comment_id: str, body: Body = "") -> Response:
    comment, on = service.get_comment(ctx.session, ctx.viewer, comment_id)
    _fail_with(ctx, section_context(ctx, on, body=body, failed=f"edit-{comment.id}"))
    posted = service.edit_comment(ctx.session, ctx.viewer, comment.id, body=body)
    return _answer(ctx, section_context(ctx, on, not_notified=posted.not_notified))


@router.post("/comments/{comment_id}/delete")
def delete_comment(ctx: MemberCtx, comment_id: str) -> Response:
    comment, on = service.get_comment(ctx.session, ctx.viewer, comment_id)
    _fail_with(ctx, section_context(ctx, on))
    service.delete_comment(ctx.session, ctx.viewer, comment.id)
    return _answer(ctx, section_context(ctx, on))
