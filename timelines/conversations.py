"""Direct-message conversations, as each local participant sees them (/api/v1/conversations).

Mastodon's AccountConversation: for every direct status, the author and each mentioned local
account get a row for the thread, pointing at its newest status, unread for everyone but the
author. Here one row per (account, thread): its participants are everyone who took part in the
thread's direct statuses, the account itself excluded.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Block, Mute
from statuses.models import Conversation, Mention, Status, Visibility
from timelines.models import AccountConversation, Notification


def _thread_id(status: Status) -> int:
    if status.conversation_id is None:
        conversation = Conversation.objects.create()
        Status.objects.filter(id=status.id, conversation__isnull=True).update(
            conversation=conversation
        )
        status.conversation_id = Status.objects.values_list("conversation_id", flat=True).get(
            id=status.id
        )
    assert status.conversation_id is not None
    return status.conversation_id


@transaction.atomic
def update_conversations_for(status: Status) -> None:
    """Record a direct status in the conversations of its local participants (skipping those
    who block or mute its author, as their home feeds do, and those whose notification policy
    filtered the mention)."""
    if status.visibility != Visibility.DIRECT or status.reblog_id is not None:
        return
    mentions = list(
        Mention.objects.filter(status_id=status.id).values_list("account_id", "account__domain")
    )
    participants = {status.account_id} | {account_id for account_id, _ in mentions}
    local = {account_id for account_id, domain in mentions if domain is None}
    if status.account.local:
        local.add(status.account_id)
    local -= set(
        Block.objects.filter(account_id__in=local, target_account_id=status.account_id)
        .values_list("account_id", flat=True)
        .union(
            Mute.objects.filter(
                account_id__in=local, target_account_id=status.account_id
            ).values_list("account_id", flat=True)
        )
    ) - {status.account_id}
    # A mention the recipient's notification policy filtered waits in their notification
    # requests; the conversation appears once they accept it (as Mastodon keeps it out).
    local -= set(
        Notification.objects.filter(
            status_id=status.id, account_id__in=local, type=Notification.Type.MENTION, filtered=True
        ).values_list("account_id", flat=True)
    )
    if not local:
        return
    thread_id = _thread_id(status)
    now = timezone.now()
    existing = {
        ac.account_id: ac
        for ac in AccountConversation.objects.select_for_update().filter(
            conversation_id=thread_id, account_id__in=local
        )
    }
    to_update: list[AccountConversation] = []
    to_create: list[AccountConversation] = []
    for account_id in sorted(local):
        others = participants - {account_id}
        ac = existing.get(account_id)
        if ac is None:
            to_create.append(
                AccountConversation(
                    account_id=account_id,
                    conversation_id=thread_id,
                    participant_account_ids=sorted(others),
                    last_status_id=status.id,
                    unread=account_id != status.account_id,
                    updated_at=now,
                )
            )
            continue
        ac.participant_account_ids = sorted(set(ac.participant_account_ids) | others)
        if ac.last_status_id is None or ac.last_status_id <= status.id:
            ac.last_status_id = status.id
            ac.unread = account_id != status.account_id
        ac.updated_at = now
        to_update.append(ac)
    AccountConversation.objects.bulk_create(to_create, ignore_conflicts=True)
    AccountConversation.objects.bulk_update(
        to_update, ["participant_account_ids", "last_status", "unread", "updated_at"]
    )


def remove_status_from_conversations(status_id: int) -> None:
    """A deleted direct status: conversations it ended fall back to the previous direct status
    of the thread the account took part in, or disappear when there is none."""
    for ac in AccountConversation.objects.filter(last_status_id=status_id):
        previous = (
            Status.objects.filter(
                conversation_id=ac.conversation_id,
                visibility=Visibility.DIRECT,
                deleted_at__isnull=True,
                reblog__isnull=True,
            )
            .exclude(id=status_id)
            .filter(Q(account_id=ac.account_id) | Q(mentions__account_id=ac.account_id))
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        if previous is None:
            ac.delete()
        else:
            AccountConversation.objects.filter(id=ac.id).update(last_status_id=previous)


def mark_conversation_read(conversation: AccountConversation) -> AccountConversation:
    conversation.unread = False
    conversation.save(update_fields=["unread"])
    return conversation


def remove_conversation(conversation: AccountConversation) -> None:
    """Hide a conversation from the list; a new direct status in the thread brings it back."""
    conversation.delete()
