"""How a comment reads on the page: escaped, line breaks kept, mentions highlighted."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from editorial.models import Comment
from editorial.services.comments import MENTION_RE

register = template.Library()


@register.filter
def comment_html(comment: Comment) -> SafeString:
    """The body escaped first; then only the mentions that reached someone are marked, with
    the member's name as a tooltip (a stale or refused @word stays plain text)."""
    people = {u.username.lower(): u for u in comment.mentions.all()}
    parts: list[str] = []
    last = 0
    body = comment.body
    for match in MENTION_RE.finditer(body):
        user = people.get(match.group(1).lower())
        if user is None:
            continue
        parts.append(escape(body[last : match.start()]))
        parts.append(
            format_html(
                '<span class="mention" title="{}">@{}</span>',
                user.get_full_name() or user.username,
                match.group(1),
            )
        )
        last = match.end()
    parts.append(escape(body[last:]))
    # Every piece above is escaped or built by format_html.
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308
