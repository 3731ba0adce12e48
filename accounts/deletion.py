"""Deleting a local account (Mastodon's DeleteAccountService, as ``tootctl accounts delete``
runs it): its statuses go, its relationships end, its login is disabled, the username stays
reserved (the row remains, suspended, so nobody can take the handle and the key that signs the
deletion), and every server that knew it receives a Delete of the actor."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from accounts.models import Account, Block, Follow, FollowRequest, Mute, User
from federation import outbox as federation
from statuses.models import Status
from statuses.services import discard_status

BATCH = 500


def delete_local_account(account: Account) -> None:
    """Delete a local account's content and close it. Remote servers are told first (the
    inboxes are read from its followers and followings before those rows go)."""
    if account.domain is not None:
        raise ValueError("only local accounts are deleted this way")
    with transaction.atomic():
        # Queued now, not after commit: the inboxes are read from rows deleted below.
        federation.publish("account.deleted", account_id=account.id)
        Account.objects.filter(id=account.id).update(suspended_at=timezone.now())
        User.objects.filter(account_id=account.id).update(is_active=False)
        get_access_token_model().objects.filter(user__account_id=account.id).delete()
    while True:
        ids = list(
            Status.objects.filter(account_id=account.id, deleted_at__isnull=True).values_list(
                "id", flat=True
            )[:BATCH]
        )
        if not ids:
            break
        for status in Status.objects.filter(id__in=ids).select_related("account"):
            # Remote servers learn of these through the actor's Delete, not one by one.
            discard_status(status, federate=False)
    with transaction.atomic():
        Follow.objects.filter(account_id=account.id).delete()
        Follow.objects.filter(target_account_id=account.id).delete()
        FollowRequest.objects.filter(account_id=account.id).delete()
        FollowRequest.objects.filter(target_account_id=account.id).delete()
        Block.objects.filter(account_id=account.id).delete()
        Mute.objects.filter(account_id=account.id).delete()
        Account.objects.filter(id=account.id).update(
            display_name="",
            note="",
            note_source="",
            fields=[],
            followers_count=0,
            following_count=0,
            statuses_count=0,
        )
