"""Announce: a boost (Mastodon's ActivityPub::Activity::Announce). The boosted object is
trusted only as stored here or as fetched from its own origin, never as embedded: anyone can
embed anything."""

from __future__ import annotations

from accounts.models import Follow
from federation import jsonld
from federation.inbox.dispatch import Handler, HandlerError, handles
from federation.notes import STATUS_TYPES, fetch_note, parse_datetime
from federation.uris import is_local_uri
from moderation.policies import is_domain_blocked
from statuses import remote
from statuses.models import Status


@handles("Announce")
class AnnounceHandler(Handler):
    def handle(self) -> None:
        if self.signer.suspended_at is not None or is_domain_blocked(self.signer.domain or ""):
            return
        announce_uri = self.require_same_origin(jsonld.id_of(self.activity))
        object_uri = self._boosted_uri()
        if not object_uri:
            return
        if remote.deleted_first(self.signer, announce_uri):
            return
        original = self._original(object_uri)
        if original is None or not remote.may_boost(self.signer, original):
            return  # unknown, gone, or not to be boosted (followers-only, direct)
        to, cc = jsonld.audience(self.activity)
        try:
            remote.create_remote_boost(
                self.signer,
                original,
                announce_uri=announce_uri,
                published=parse_datetime(self.activity.get("published")),
                visibility=remote.visibility_from_audience(
                    to, cc, followers_url=self.signer.followers_url
                ),
            )
        except remote.BoostRefusedError:
            return

    def _boosted_uri(self) -> str | None:
        """What is boosted: the object, or what an embedded Create created (a Group relaying
        its members' posts, as Lemmy communities do). Other embedded activities (a relayed
        Like, Delete...) are no boost."""
        obj = self.object
        if isinstance(obj, dict) and jsonld.types(obj):
            if jsonld.has_type(obj, "Create"):
                return jsonld.id_of(obj.get("object"))
            if not jsonld.has_type(obj, STATUS_TYPES):
                return None
        if not self.object_id:
            raise HandlerError("Announce of nothing")
        return self.object_id

    def _original(self, uri: str) -> Status | None:
        """The boosted status: stored, else fetched, but only when the boost can matter here
        (Mastodon's related_to_local_activity?: the booster has local followers)."""
        found = remote.status_for_uri(uri)
        if found is not None:
            return found if found.deleted_at is None else None
        if is_local_uri(uri) or not self._followed_here():
            return None
        return fetch_note(uri)

    def _followed_here(self) -> bool:
        return Follow.objects.filter(
            target_account_id=self.signer.id, account__domain__isnull=True
        ).exists()
