"""Actors as Mastodon renders them (ActivityPub::ActorSerializer): a Person (Service for bots,
Group for groups, Application for the instance actor) with its public key, inboxes, collections,
profile fields, avatar and header."""

from __future__ import annotations

from typing import Any

from accounts.models import Account
from federation.actors import is_instance_actor
from federation.renderers.context import with_context
from federation.uris import (
    absolute,
    account_uri,
    account_url,
    featured_tags_uri,
    featured_uri,
    followers_uri,
    following_uri,
    inbox_uri,
    key_id_for,
    outbox_uri,
    shared_inbox_uri,
)
from fedisocial.api.dates import iso


def render_key(account: Account) -> dict[str, Any]:
    return {
        "id": key_id_for(account),
        "owner": account_uri(account),
        "publicKeyPem": account.public_key,
    }


def _image(url: str, media_type: str = "image/png") -> dict[str, Any] | None:
    return {"type": "Image", "mediaType": media_type, "url": url} if url else None


def _actor_type(account: Account) -> str:
    if is_instance_actor(account):
        return "Application"
    if account.group:
        return "Group"
    return "Service" if account.bot else "Person"


def render_actor(account: Account) -> dict[str, Any]:
    """A local account's actor document (the key document too: ``#main-key`` is in it)."""
    uri = account_uri(account)
    if is_instance_actor(account):
        return render_instance_actor(account)
    suspended = account.suspended_at is not None
    data: dict[str, Any] = {
        "id": uri,
        "type": _actor_type(account),
        "following": following_uri(account),
        "followers": followers_uri(account),
        "inbox": inbox_uri(account),
        "outbox": outbox_uri(account),
        "featured": featured_uri(account),
        "featuredTags": featured_tags_uri(account),
        "preferredUsername": account.username,
        "name": "" if suspended else account.display_name,
        "summary": "" if suspended else account.note,
        "url": account_url(account),
        "manuallyApprovesFollowers": account.locked,
        "discoverable": bool(account.discoverable),
        "indexable": account.indexable,
        "published": iso(account.created_at),
        "memorial": account.memorial,
        "publicKey": render_key(account),
        "tag": [],
        "attachment": []
        if suspended
        else [
            {"type": "PropertyValue", "name": f.get("name", ""), "value": f.get("value", "")}
            for f in account.fields or []
        ],
        "endpoints": {"sharedInbox": shared_inbox_uri()},
    }
    if suspended:
        data["suspended"] = True
    if account.also_known_as:
        data["alsoKnownAs"] = list(account.also_known_as)
    if account.moved_to_id is not None and account.moved_to is not None:
        data["movedTo"] = account_uri(account.moved_to)
    icon = _image(account.avatar_remote_url)
    if icon is not None and not suspended:
        data["icon"] = icon
    image = _image(account.header_remote_url)
    if image is not None and not suspended:
        data["image"] = image
    return with_context(data)


def render_instance_actor(account: Account) -> dict[str, Any]:
    """The server's own actor (Mastodon's InstanceActor): it signs fetches and owns nothing."""
    from django.conf import settings

    uri = account_uri(account)
    return with_context(
        {
            "id": uri,
            "type": "Application",
            "inbox": inbox_uri(account),
            "outbox": outbox_uri(account),
            "preferredUsername": settings.LOCAL_DOMAIN,
            "url": absolute("/about/more?instance_actor=true"),
            "manuallyApprovesFollowers": True,
            "publicKey": render_key(account),
            "endpoints": {"sharedInbox": shared_inbox_uri()},
        }
    )


def render_actor_barebones(account: Account) -> dict[str, Any]:
    """The actor as an unsigned fetch sees it under authorized fetch: what a peer needs to
    verify our signatures and reach the account (key, inboxes), without the profile. Mastodon's
    secure mode answers profiles with "only barebones technical information" to those."""
    full = render_actor(account)
    kept = (
        "@context",
        "id",
        "type",
        "preferredUsername",
        "inbox",
        "outbox",
        "publicKey",
        "endpoints",
        "url",
        "manuallyApprovesFollowers",
    )
    return {key: full[key] for key in kept if key in full}
