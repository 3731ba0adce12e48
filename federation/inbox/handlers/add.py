"""Add: a remote account pins a status or features a hashtag on its profile (Mastodon's
ActivityPub::Activity::Add). Only additions to the signer's own ``featured`` collection count;
anything else is ignored."""

from __future__ import annotations

from typing import Any

from accounts.models import Account
from accounts.remote import add_featured_status, add_featured_tag
from federation import jsonld
from federation.inbox.dispatch import Handler, handles
from statuses.models import Status


def featured_target(handler: Handler) -> str | None:
    """What an Add or Remove is about, from the signer's own collections: ``"statuses"``
    (its ``featured`` collection) or ``"tags"`` (a Hashtag, sent by Mastodon to ``featured``
    too, or to ``featuredTags``); None for any other collection."""
    target = jsonld.id_of(handler.activity.get("target"))
    account: Account = handler.signer
    if not target:
        return None
    hashtag = jsonld.has_type(handler.object, "Hashtag")
    if account.featured_url and target == account.featured_url:
        return "tags" if hashtag else "statuses"
    if hashtag and target == f"{account.uri}/collections/tags":
        return "tags"
    return None


def hashtag_name(value: Any) -> str:
    name = value.get("name") if isinstance(value, dict) else None
    return name.strip().removeprefix("#") if isinstance(name, str) else ""


def own_status(handler: Handler) -> Status | None:
    """The signer's status the object names, when stored here (unknown ones are skipped:
    the featured collection is read again when the profile is refreshed)."""
    uri = handler.object_id
    if not uri:
        return None
    return Status.objects.filter(uri=uri, account_id=handler.signer.id).first()


@handles("Add")
class AddHandler(Handler):
    def handle(self) -> None:
        kind = featured_target(self)
        if kind == "tags":
            name = hashtag_name(self.object)
            if name:
                add_featured_tag(self.signer, name=name)
        elif kind == "statuses":
            status = own_status(self)
            if status is not None:
                add_featured_status(self.signer, status)
