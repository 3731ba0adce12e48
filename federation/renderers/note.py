"""Statuses as Notes (and polls as Questions), as Mastodon's ActivityPub::NoteSerializer
renders them, with the audience of ActivityPub::TagManager#to/#cc:

| visibility | to | cc |
| --- | --- | --- |
| public | Public | followers, mentioned |
| unlisted | followers | Public, mentioned |
| private | followers | mentioned |
| direct | mentioned | |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import Account
from federation.jsonld import PUBLIC
from federation.uris import account_uri, followers_uri, status_uri, status_url, tag_url
from fedisocial.api.dates import iso
from statuses.models import Poll, Status, Visibility
from statuses.selectors import poll_of


def mentioned_accounts(status: Status) -> list[Account]:
    """The accounts a status mentions (loaded with ``with_related``, or queried)."""
    return [m.account for m in status.mentions.all()]


def audience(status: Status, mentioned: list[Account] | None = None) -> tuple[list[str], list[str]]:
    """``to`` and ``cc`` of a status (its boosts: see ``activities.render_announce``)."""
    mentions = [account_uri(a) for a in (mentioned or [])]
    followers = followers_uri(status.account)
    match status.visibility:
        case Visibility.PUBLIC:
            return [PUBLIC], [followers, *mentions]
        case Visibility.UNLISTED:
            return [followers], [PUBLIC, *mentions]
        case Visibility.PRIVATE:
            return [followers], mentions
        case _:
            return mentions, []


def conversation_uri(status: Status) -> str | None:
    conversation = status.conversation
    if conversation is None:
        return None
    if conversation.uri:
        return conversation.uri
    day = conversation.created_at.strftime("%Y-%m-%d")
    return f"tag:{settings.LOCAL_DOMAIN},{day}:objectId={conversation.id}:objectType=Conversation"


def _tags(status: Status, mentioned: list[Account]) -> list[dict[str, Any]]:
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": account_uri(a), "name": f"@{_full_acct(a)}"} for a in mentioned
    ]
    tags += [
        {"type": "Hashtag", "href": tag_url(st.tag.name), "name": f"#{st.tag.name}"}
        for st in status.status_tags.all()
    ]
    return tags


def _full_acct(account: Account) -> str:
    return account.acct if account.domain else f"{account.username}@{settings.LOCAL_DOMAIN}"


def _poll_options(poll: Poll) -> list[dict[str, Any]]:
    tallies = list(poll.cached_tallies or [])
    tallies += [0] * (len(poll.options) - len(tallies))
    return [
        {"type": "Note", "name": title, "replies": {"type": "Collection", "totalItems": tallies[i]}}
        for i, title in enumerate(poll.options)
    ]


def render_note(status: Status) -> dict[str, Any]:
    """A local status as a Note or, with a poll, a Question (no ``@context``: it is embedded
    in an activity, or wrapped by ``with_context`` when served on its own)."""
    mentioned = mentioned_accounts(status)
    to, cc = audience(status, mentioned)
    uri = status_uri(status)
    parent = status.in_reply_to
    poll = poll_of(status)
    data: dict[str, Any] = {
        "id": uri,
        "type": "Question" if poll is not None else "Note",
        "summary": status.spoiler_text or None,
        "inReplyTo": status_uri(parent) if parent is not None else None,
        "published": iso(status.created_at),
        "url": status_url(status),
        "attributedTo": account_uri(status.account),
        "to": to,
        "cc": cc,
        "sensitive": status.sensitive,
        "atomUri": uri,
        "inReplyToAtomUri": status_uri(parent) if parent is not None else None,
        "conversation": conversation_uri(status),
        "content": status.content,
        "contentMap": {status.language: status.content} if status.language else {},
        "attachment": [],
        "tag": _tags(status, mentioned),
    }
    if status.edited_at is not None:
        data["updated"] = iso(status.edited_at)
    if poll is not None:
        data["oneOf" if not poll.multiple else "anyOf"] = _poll_options(poll)
        data["votersCount"] = poll.voters_count or poll.votes_count
        if poll.expires_at is not None:
            data["endTime"] = iso(poll.expires_at)
            if poll.expired:
                data["closed"] = iso(poll.expires_at)
    return data
