"""Activities as Mastodon sends them: their ids, actors, audiences and objects. Each returns a
complete document (``@context`` included) ready to be stored once and delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import Account, Block, Follow, FollowRequest
from federation.jsonld import PUBLIC
from federation.renderers.actor import render_actor
from federation.renderers.context import with_context
from federation.renderers.note import audience, mentioned_accounts, render_note
from federation.uris import (
    account_uri,
    featured_uri,
    followers_uri,
    status_activity_uri,
    status_uri,
)
from fedisocial.api.dates import iso
from statuses.models import Favourite, Poll, PollVote, Status, Tag


def _stamp() -> int:
    return int(timezone.now().timestamp() * 1000)


def render_create(status: Status) -> dict[str, Any]:
    note = render_note(status)
    return with_context(
        {
            "id": status_activity_uri(status),
            "type": "Create",
            "actor": account_uri(status.account),
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
    )


def render_update_note(status: Status, *, at: datetime | None = None) -> dict[str, Any]:
    """An edit (``at`` defaults to its edit time), or new poll tallies sent ``at`` now."""
    note = render_note(status)
    edited = at or status.edited_at or timezone.now()
    return with_context(
        {
            "id": f"{status_uri(status)}#updates/{int(edited.timestamp())}",
            "type": "Update",
            "actor": account_uri(status.account),
            "published": iso(edited),
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
    )


def render_delete_note(status: Status) -> dict[str, Any]:
    uri = status_uri(status)
    to, cc = audience(status, mentioned_accounts(status))
    return with_context(
        {
            "id": f"{uri}#delete",
            "type": "Delete",
            "actor": account_uri(status.account),
            "to": [PUBLIC] if status.visibility in (0, 1) else to,
            "cc": cc,
            "object": {"id": uri, "type": "Tombstone", "atomUri": uri},
        }
    )


def render_announce(boost: Status) -> dict[str, Any]:
    """A boost: to the booster's followers, or Public, and the original's author in cc."""
    original = boost.reblog
    assert original is not None
    author = account_uri(original.account)
    followers = followers_uri(boost.account)
    if boost.visibility == 0:
        to, cc = [PUBLIC], [author, followers]
    elif boost.visibility == 1:
        to, cc = [followers], [author, PUBLIC]
    else:
        to, cc = [followers], [author]
    return with_context(
        {
            "id": status_activity_uri(boost),
            "type": "Announce",
            "actor": account_uri(boost.account),
            "published": iso(boost.created_at),
            "to": to,
            "cc": cc,
            "object": status_uri(original),
        }
    )


def render_undo(actor: Account, inner: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in inner.items() if k != "@context"}
    return with_context(
        {
            "id": f"{body['id']}/undo",
            "type": "Undo",
            "actor": account_uri(actor),
            "to": body.get("to", []),
            "cc": body.get("cc", []),
            "object": body,
        }
    )


def render_like(favourite: Favourite) -> dict[str, Any]:
    actor = account_uri(favourite.account)
    return with_context(
        {
            "id": favourite.uri or f"{actor}#likes/{favourite.id}",
            "type": "Like",
            "actor": actor,
            "object": status_uri(favourite.status),
        }
    )


def follow_id(follow: Follow | FollowRequest) -> str:
    return follow.uri or f"{account_uri(follow.account)}#follows/{follow.id}"


def render_follow(follow: Follow | FollowRequest) -> dict[str, Any]:
    return with_context(
        {
            "id": follow_id(follow),
            "type": "Follow",
            "actor": account_uri(follow.account),
            "object": account_uri(follow.target_account),
        }
    )


def _follow_answer(kind: str, follow: Follow | FollowRequest) -> dict[str, Any]:
    target = account_uri(follow.target_account)
    inner = {k: v for k, v in render_follow(follow).items() if k != "@context"}
    return with_context(
        {
            "id": f"{target}#{kind.lower()}s/follows/{follow.id}",
            "type": kind,
            "actor": target,
            "object": inner,
        }
    )


def render_accept(follow: Follow | FollowRequest) -> dict[str, Any]:
    return _follow_answer("Accept", follow)


def render_reject(follow: Follow | FollowRequest) -> dict[str, Any]:
    return _follow_answer("Reject", follow)


def render_block(block: Block) -> dict[str, Any]:
    actor = account_uri(block.account)
    return with_context(
        {
            "id": block.uri or f"{actor}#blocks/{block.id}",
            "type": "Block",
            "actor": actor,
            "object": account_uri(block.target_account),
        }
    )


def render_update_actor(account: Account) -> dict[str, Any]:
    actor = account_uri(account)
    document = {k: v for k, v in render_actor(account).items() if k != "@context"}
    return with_context(
        {
            "id": f"{actor}#updates/{_stamp()}",
            "type": "Update",
            "actor": actor,
            "to": [PUBLIC],
            "object": document,
        }
    )


def render_delete_actor(account: Account) -> dict[str, Any]:
    actor = account_uri(account)
    return with_context(
        {"id": f"{actor}#delete", "type": "Delete", "actor": actor, "to": [PUBLIC], "object": actor}
    )


def render_move(account: Account, target: Account) -> dict[str, Any]:
    actor = account_uri(account)
    return with_context(
        {
            "id": f"{actor}#moves/{_stamp()}",
            "type": "Move",
            "actor": actor,
            "object": actor,
            "target": account_uri(target),
        }
    )


def render_vote(vote: PollVote, poll: Poll) -> dict[str, Any]:
    """A poll answer as Mastodon sends it: a Create of a Note whose ``name`` is the option."""
    voter = account_uri(vote.account)
    author = account_uri(poll.account)
    note = {
        "id": f"{voter}#votes/{vote.id}",
        "type": "Note",
        "name": poll.options[vote.choice],
        "attributedTo": voter,
        "to": [author],
        "inReplyTo": status_uri(poll.status),
    }
    return with_context(
        {
            "id": f"{voter}#votes/{vote.id}/activity",
            "type": "Create",
            "actor": voter,
            "to": [author],
            "object": note,
        }
    )


def render_add_pin(status: Status) -> dict[str, Any]:
    """A pinned status added to its author's ``featured`` collection (Mastodon's AddSerializer)."""
    actor = account_uri(status.account)
    return with_context(
        {
            "type": "Add",
            "actor": actor,
            "target": featured_uri(status.account),
            "object": status_uri(status),
        }
    )


def render_remove_pin(status: Status) -> dict[str, Any]:
    actor = account_uri(status.account)
    return with_context(
        {
            "type": "Remove",
            "actor": actor,
            "target": featured_uri(status.account),
            "object": status_uri(status),
        }
    )


def render_featured_tag_change(account: Account, tag: Tag, *, add: bool) -> dict[str, Any]:
    """A hashtag added to (or removed from) the account's featured tags collection, as
    Mastodon's AddHashtagSerializer sends it."""
    from federation.uris import absolute, featured_tags_uri

    return with_context(
        {
            "type": "Add" if add else "Remove",
            "actor": account_uri(account),
            "target": featured_tags_uri(account),
            "object": {
                "type": "Hashtag",
                "href": absolute(f"/@{account.username}/tagged/{tag.name}"),
                "name": f"#{tag.display_name or tag.name}",
            },
        }
    )
