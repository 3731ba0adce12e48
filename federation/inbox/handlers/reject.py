"""Reject: a remote account refused a Follow of ours, or removed our account from its
followers (Mastodon's ActivityPub::Activity::Reject)."""

from __future__ import annotations

from accounts.remote import follow_rejected, our_follow, our_follow_request
from federation.inbox.dispatch import Handler, HandlerError, handles
from federation.inbox.handlers.accept import follow_parties


@handles("Reject")
class RejectHandler(Handler):
    def handle(self) -> None:
        follow_id, requester = follow_parties(self)
        found = our_follow_request(self.signer, uri=follow_id, requester=requester) or our_follow(
            self.signer, uri=follow_id, requester=requester
        )
        if found is None:
            raise HandlerError(f"no follow of ours matches {follow_id!r}")
        follow_rejected(self.signer, found.account)
