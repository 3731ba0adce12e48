"""Mastodon's Tag entity for a list of tags, with everything the viewer's flags need batched.

``render_tag`` draws one Tag; this adds what Mastodon 4.4 sends beside it: ``id`` (public since
4.3.1) and, for a signed-in viewer, ``featuring`` (whether it shows the tag on its profile). The
Tag entity page names that flag ``featuring``, as Mastodon's TagSerializer does; the examples
on the tags methods page say ``featured``, which no Mastodon release sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accounts.models import Account
from accounts.selectors import featured_tag_ids
from statuses.api.serializers import render_tag
from statuses.models import Tag
from statuses.selectors import followed_tag_ids, tag_histories


def render_tag_entities(tags: Sequence[Tag], viewer: Account | None) -> list[dict[str, Any]]:
    """Tags in the order given; three queries whatever their number (histories, follows and
    features), one for an anonymous viewer. A tag nobody has used yet (unsaved) has an empty
    ``id``, as Mastodon renders an unsaved Tag."""
    saved = [t.pk for t in tags if t.pk is not None]
    histories = tag_histories(saved)
    following = followed_tag_ids(viewer, saved)
    featuring = featured_tag_ids(viewer, saved)
    rendered: list[dict[str, Any]] = []
    for tag in tags:
        body = render_tag(
            tag,
            history=histories.get(tag.pk, histories[None]),
            following=(tag.pk in following) if viewer is not None else None,
        )
        data = {"id": str(tag.pk) if tag.pk is not None else "", **body}
        if viewer is not None:
            data["featuring"] = tag.pk in featuring
        rendered.append(data)
    return rendered


def render_tag_entity(tag: Tag, viewer: Account | None) -> dict[str, Any]:
    return render_tag_entities([tag], viewer)[0]
