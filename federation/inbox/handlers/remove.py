"""Remove: a remote account unpins a status or stops featuring a hashtag (Mastodon's
ActivityPub::Activity::Remove)."""

from __future__ import annotations

from accounts.remote import remove_featured_status, remove_featured_tag
from federation.inbox.dispatch import Handler, handles
from federation.inbox.handlers.add import featured_target, hashtag_name, own_status


@handles("Remove")
class RemoveHandler(Handler):
    def handle(self) -> None:
        kind = featured_target(self)
        if kind == "tags":
            name = hashtag_name(self.object)
            if name:
                remove_featured_tag(self.signer, name=name)
        elif kind == "statuses":
            status = own_status(self)
            if status is not None:
                remove_featured_status(self.signer, status)
