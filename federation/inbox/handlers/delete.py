"""Delete: a status of the signer's, or the signer itself (Mastodon's
ActivityPub::Activity::Delete). Nothing of another origin or another actor can be deleted."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account
from federation.inbox.dispatch import Handler, HandlerError, handles
from statuses import remote
from statuses.models import Status
from statuses.services import discard_status
from statuses.tasks import finish_remote_account_deletion_task


@handles("Delete")
class DeleteHandler(Handler):
    def handle(self) -> None:
        uri = self.object_id
        if not uri:
            raise HandlerError("Delete of nothing")
        if uri == self.signer.uri:
            with transaction.atomic():
                remote.begin_remote_account_deletion(self.signer)
                finish_remote_account_deletion_task.delay_on_commit(self.signer.id)
            return
        self.require_same_origin(uri)
        if Account.objects.filter(uri=uri).exists():
            raise HandlerError(f"{self.signer.uri} cannot delete the actor {uri}")
        status = self._status(uri)
        if status is None:
            # Not here (yet): a Create arriving later is dropped.
            remote.remember_deleted(self.signer, uri)
            return
        if status.account_id != self.signer.id:
            raise HandlerError(f"{uri} is not {self.signer.uri}'s")
        discard_status(status)

    def _status(self, uri: str) -> Status | None:
        found = remote.status_for_uri(uri)
        atom_uri = self.object.get("atomUri") if isinstance(self.object, dict) else None
        if found is None and isinstance(atom_uri, str) and atom_uri != uri:
            self.require_same_origin(atom_uri)
            found = remote.status_for_uri(atom_uri)
        return found
