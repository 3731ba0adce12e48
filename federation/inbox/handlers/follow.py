"""Follow: a remote account asks to follow one of ours (Mastodon's
ActivityPub::Activity::Follow)."""

from __future__ import annotations

from accounts.remote import receive_follow
from federation.inbox.dispatch import Handler, handles


@handles("Follow")
class FollowHandler(Handler):
    def handle(self) -> None:
        target = self.local_object_account()
        if self.undone_already():
            return
        # The activity's id becomes the follow's (or request's) uri: the Accept we send
        # embeds it, and the Undo that may come later names it.
        receive_follow(self.signer, target, uri=self.activity_id)
