"""Update: an edited status or poll of the signer's (Mastodon's ProcessStatusUpdateService),
or the signer's own actor document (ProcessAccountService)."""

from __future__ import annotations

from typing import Any

from federation import actors, jsonld
from federation.inbox.dispatch import Handler, HandlerError, handles
from federation.notes import NATIVE_TYPES, parse_note
from statuses import remote
from statuses.models import Status


@handles("Update")
class UpdateHandler(Handler):
    def handle(self) -> None:
        obj = self.object
        if isinstance(obj, str):
            if obj == self.signer.uri:
                actors.resolve_actor(obj, refresh=True)  # "I changed": fetched again
            return
        if jsonld.has_type(obj, actors.ACTOR_TYPES):
            self._update_actor(obj)
        elif jsonld.has_type(obj, NATIVE_TYPES):
            self._update_status(obj)
        # Anything else (an Article, a collection...) is not something we edit.

    def _update_actor(self, obj: dict[str, Any]) -> None:
        """The document came signed by the actor it describes: taken as if fetched."""
        if self.object_id != self.signer.uri:
            raise HandlerError(f"{self.signer.uri} may only update itself")
        try:
            actors.upsert_actor(obj, fetched_from=self.signer.uri)
        except actors.ActorError as exc:
            raise HandlerError(str(exc)) from exc

    def _update_status(self, obj: dict[str, Any]) -> None:
        uri = self.require_same_origin(self.object_id)
        status = (
            Status.objects.select_related("account")
            .filter(uri=uri, local=False, reblog__isnull=True)
            .order_by("id")
            .first()
        )
        if status is None:
            return  # an edit of something we never had: nothing to change
        if status.account_id != self.signer.id:
            raise HandlerError(f"{uri} is not {self.signer.uri}'s")
        note = parse_note(obj, actor=self.signer, activity=self.activity)
        remote.update_remote_status(status, note)
