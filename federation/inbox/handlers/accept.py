"""Accept: a remote account accepted a Follow one of our accounts sent it (Mastodon's
ActivityPub::Activity::Accept)."""

from __future__ import annotations

from accounts.models import Account
from accounts.remote import follow_request_accepted, our_follow, our_follow_request
from federation import jsonld
from federation.actors import local_account_for_uri
from federation.inbox.dispatch import Handler, HandlerError, handles


def follow_parties(handler: Handler) -> tuple[str | None, Account | None]:
    """The answered Follow's id and, when it is embedded, the local account that sent it.

    Only the account that was asked may answer: an embedded Follow whose object is someone
    else is refused (a server answering for another's user)."""
    inner = handler.object
    follow_id = jsonld.id_of(inner)
    if not isinstance(inner, dict):
        return follow_id, None
    if not jsonld.has_type(inner, "Follow"):
        raise HandlerError(f"{handler.activity_type} of {jsonld.types(inner)}: not a Follow")
    asked = jsonld.id_of(inner.get("object"))
    if asked and asked != handler.signer.uri:
        raise HandlerError(f"{handler.signer.uri} answers a Follow of {asked}")
    actor_uri = jsonld.id_of(inner.get("actor"))
    requester = local_account_for_uri(actor_uri) if actor_uri else None
    return follow_id, requester


@handles("Accept")
class AcceptHandler(Handler):
    def handle(self) -> None:
        follow_id, requester = follow_parties(self)
        request = our_follow_request(self.signer, uri=follow_id, requester=requester)
        if request is not None:
            follow_request_accepted(self.signer, request)
            return
        if our_follow(self.signer, uri=follow_id, requester=requester) is not None:
            return  # accepted already (a repeated Accept)
        raise HandlerError(f"no follow request of ours matches {follow_id!r}")
