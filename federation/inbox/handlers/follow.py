"""Follow: a remote account asks to follow one of ours (Mastodon's
ActivityPub::Activity::Follow)."""

from __future__ import annotations

from accounts.remote import receive_follow
from federation.actors import local_account_for_uri
from federation.inbox.dispatch import Handler, HandlerError, handles
from statuses.remote import deleted_first


@handles("Follow")
class FollowHandler(Handler):
    def handle(self) -> None:
        target_uri = self.object_id
        target = local_account_for_uri(target_uri) if target_uri else None
        if target is None:
            raise HandlerError(f"{target_uri!r} is not an account of ours")
        activity_id = str(self.activity.get("id") or "")[:2048]
        if activity_id and deleted_first(self.signer, activity_id):
            return  # its Undo came first (Mastodon's delete_arrived_first?)
        # The activity's id becomes the follow's (or request's) uri: the Accept we send
        # embeds it, and the Undo that may come later names it.
        receive_follow(self.signer, target, uri=activity_id)
