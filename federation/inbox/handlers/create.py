"""Create: a Note, Question, Article or Page becomes a remote status (Mastodon's
ActivityPub::Activity::Create), a Note answering one of our polls becomes a vote."""

from __future__ import annotations

import logging
from typing import Any

from federation import actors, jsonld
from federation.inbox.dispatch import Handler, HandlerError, handles
from federation.notes import STATUS_TYPES, ParsedNote, parse_note, store_note
from federation.uris import is_local_uri
from moderation.policies import is_domain_blocked
from statuses import remote

logger = logging.getLogger(__name__)


@handles("Create")
class CreateHandler(Handler):
    def handle(self) -> None:
        if self.signer.suspended_at is not None or is_domain_blocked(self.signer.domain or ""):
            return
        obj = self._object()
        if not jsonld.has_type(obj, STATUS_TYPES):
            return  # not a status (an EncryptedMessage, a ChatMessage...): dropped
        note = parse_note(obj, actor=self.signer, activity=self.activity)
        if remote.deleted_first(self.signer, note.uri):
            return
        if remote.uri_taken_by_other(note.uri, self.signer):
            raise HandlerError(f"{note.uri} is someone else's")
        if self._vote(note):
            return
        if not self._related_to_local_activity(note):
            logger.info("dropped %s: addressed to nobody here", note.uri)
            return
        store_note(note, account=self.signer, delivered_to=self.recipient)

    def _object(self) -> Any:
        """The embedded object, or the one referenced, fetched from the signer's origin
        (a FetchError means: try again later)."""
        obj = self.object
        if isinstance(obj, str):
            uri = self.require_same_origin(obj)
            try:
                return actors.fetch_document(uri)
            except actors.ActorError as exc:
                raise HandlerError(str(exc)) from exc
        return obj

    def _vote(self, note: ParsedNote) -> bool:
        """A poll answer is a vote on one of our polls, never a status (an answer to a poll
        we do not hold is nothing to show either)."""
        if not note.is_poll_answer:
            return False
        in_reply_to = note.in_reply_to or ""
        poll_status = remote.status_for_uri(in_reply_to) if is_local_uri(in_reply_to) else None
        if poll_status is not None and remote.vote_on_local_poll(
            self.signer, poll_status, choice=note.name, uri=note.uri
        ):
            return True
        return not note.content

    def _related_to_local_activity(self, note: ParsedNote) -> bool:
        """Mastodon's related_to_local_activity?: a status nobody here follows the author of,
        answers, or is addressed by is dropped (it could only be spam in the database)."""
        if self.recipient is not None or remote.addresses_local_accounts(note):
            return True
        if remote.has_local_followers(self.signer.id):
            return True
        parent = remote.status_for_uri(note.in_reply_to) if note.in_reply_to else None
        return parent is not None and (
            parent.local or remote.has_local_followers(parent.account_id)
        )
