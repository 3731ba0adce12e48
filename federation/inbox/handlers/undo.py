"""Undo: a remote account takes back a Follow, Like, Announce, Block or Accept of its own
(Mastodon's ActivityPub::Activity::Undo).

The undone activity is usually embedded; some servers (Pleroma, Akkoma) only name it by id,
and then it is looked for among what the signer did, as Mastodon does. Nothing is sent back.
An Undo of something we do not have is remembered for a while (``remember_deleted``), so the
activity it undoes is dropped if it arrives late, as Mastodon's ``delete_later!``.
"""

from __future__ import annotations

from accounts.models import Block, Follow, FollowRequest
from accounts.remote import follow_acceptance_revoked
from accounts.services import unblock_account, unfollow_account
from federation import jsonld
from federation.actors import local_account_for_uri
from federation.inbox.dispatch import Handler, HandlerError, handles
from statuses.models import Favourite, Status
from statuses.remote import remember_deleted, status_for_uri, undo_remote_boost
from statuses.services import unfavourite_status


@handles("Undo")
class UndoHandler(Handler):
    def handle(self) -> None:
        inner = self.object
        inner_id = jsonld.id_of(inner)
        if not isinstance(inner, dict):
            self._undo_reference(inner_id)
            return
        actor = jsonld.id_of(inner.get("actor"))
        if actor is not None and actor != self.signer.uri:
            raise HandlerError(f"{self.signer.uri} cannot undo an activity of {actor}")
        kinds = jsonld.types(inner)
        target_uri = jsonld.id_of(inner.get("object"))
        if "Follow" in kinds:
            self._undo_follow(target_uri)
        elif "Like" in kinds:
            self._undo_like(target_uri)
        elif "Announce" in kinds:
            self._undo_announce(inner_id)
        elif "Block" in kinds:
            self._undo_block(target_uri)
        elif "Accept" in kinds:
            self._undo_accept(target_uri)
        # Anything else (EmojiReact...) is not something we stored.

    # An embedded activity: what it was about is named by its object.

    def _forget_later(self) -> None:
        inner_id = jsonld.id_of(self.object)
        if inner_id:
            remember_deleted(self.signer, inner_id)

    def _undo_follow(self, target_uri: str | None) -> None:
        target = local_account_for_uri(target_uri) if target_uri else None
        if target is None:
            return
        signer = self.signer
        if (
            Follow.objects.filter(account_id=signer.id, target_account_id=target.id).exists()
            or FollowRequest.objects.filter(
                account_id=signer.id, target_account_id=target.id
            ).exists()
        ):
            unfollow_account(signer, target)
        else:
            self._forget_later()

    def _undo_like(self, target_uri: str | None) -> None:
        status = status_for_uri(target_uri or "")
        if status is None or not status.local:
            return
        if Favourite.objects.filter(account_id=self.signer.id, status_id=status.id).exists():
            unfavourite_status(self.signer, status)
        else:
            self._forget_later()

    def _undo_announce(self, announce_uri: str | None) -> None:
        if announce_uri:
            undo_remote_boost(self.signer, announce_uri)

    def _undo_block(self, target_uri: str | None) -> None:
        target = local_account_for_uri(target_uri) if target_uri else None
        if target is None:
            return
        if Block.objects.filter(account_id=self.signer.id, target_account_id=target.id).exists():
            unblock_account(self.signer, target)
        else:
            self._forget_later()

    def _undo_accept(self, follow_uri: str | None) -> None:
        """The remote account takes back its Accept of our Follow: pending again."""
        if not follow_uri:
            return
        follow = Follow.objects.filter(target_account_id=self.signer.id, uri=follow_uri).first()
        if follow is not None:
            follow_acceptance_revoked(follow)

    # An activity named by id only: find which of the signer's it was (Mastodon's guesses, plus
    # likes, which we can find by the favourite's stored id).

    def _undo_reference(self, uri: str | None) -> None:
        if not uri:
            raise HandlerError("Undo without an object")
        signer = self.signer
        boost = Status.objects.filter(uri=uri, account_id=signer.id, reblog__isnull=False)
        if boost.exists():
            self._undo_announce(uri)
            return
        follow = (
            Follow.objects.filter(account_id=signer.id, uri=uri)
            .select_related("target_account")
            .first()
            or FollowRequest.objects.filter(account_id=signer.id, uri=uri)
            .select_related("target_account")
            .first()
        )
        if follow is not None:
            unfollow_account(signer, follow.target_account)
            return
        favourite = (
            Favourite.objects.filter(account_id=signer.id, uri=uri).select_related("status").first()
        )
        if favourite is not None:
            unfavourite_status(signer, favourite.status)
            return
        block = (
            Block.objects.filter(account_id=signer.id, uri=uri).select_related("target_account")
        ).first()
        if block is not None:
            unblock_account(signer, block.target_account)
            return
        remember_deleted(signer, uri)
