"""Block: a remote account blocks one of ours (Mastodon's ActivityPub::Activity::Block)."""

from __future__ import annotations

from accounts.remote import receive_block
from federation.inbox.dispatch import Handler, handles


@handles("Block")
class BlockHandler(Handler):
    def handle(self) -> None:
        target = self.local_object_account()
        if self.undone_already():
            return
        receive_block(self.signer, target, uri=self.activity_id)
