"""Like: a favourite of one of our statuses (Mastodon's ActivityPub::Activity::Like). A
Misskey reaction is a Like (with ``_misskey_reaction``) and counts as one there too.
Pleroma/Akkoma's EmojiReact is the same gesture; Mastodon drops it, we count it as a
favourite so that our author hears of it (its Undo finds the favourite by the activity id)."""

from __future__ import annotations

from federation import jsonld
from federation.inbox.dispatch import Handler, handles
from statuses import remote
from statuses.models import Favourite, Status
from statuses.services import StatusNotPermittedError, favourite_status


@handles("Like")
class LikeHandler(Handler):
    def handle(self) -> None:
        uri = self.object_id
        status = remote.status_for_uri(uri) if uri else None
        if status is None or not status.local:
            return  # only our statuses are counted here
        like_uri = jsonld.id_of(self.activity) or ""
        if like_uri and remote.deleted_first(self.signer, like_uri):
            return
        try:
            favourite = favourite_status(self.signer, status)
        except (Status.DoesNotExist, StatusNotPermittedError):
            return  # hidden from the signer, or the author blocks it
        if like_uri and not favourite.uri:
            # Its Undo may name the Like by id only.
            Favourite.objects.filter(id=favourite.id, uri="").update(uri=like_uri[:2048])


@handles("EmojiReact")
class EmojiReactHandler(LikeHandler):
    """Pleroma/Akkoma's reaction: a favourite, as Misskey's (a Like) is."""
