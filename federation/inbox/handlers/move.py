"""Move: a remote account moved to another (Mastodon's ActivityPub::Activity::Move)."""

from __future__ import annotations

from accounts.remote import MoveError, move_account
from federation import jsonld
from federation.actors import resolve_actor
from federation.inbox.dispatch import Handler, HandlerError, handles


@handles("Move")
class MoveHandler(Handler):
    def handle(self) -> None:
        origin = self.signer
        # Only an account can move itself: the object is the signer.
        if self.object_id != origin.uri:
            raise HandlerError(f"{origin.uri} cannot move {self.object_id!r}")
        target_uri = jsonld.id_of(self.activity.get("target"))
        if not target_uri:
            raise HandlerError("Move without a target")
        # Fetched afresh: the alias that proves the move was added just before it.
        target = resolve_actor(target_uri, refresh=True)
        try:
            move_account(origin, target)
        except MoveError as exc:
            raise HandlerError(str(exc)) from exc
