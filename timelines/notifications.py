"""Creating and dismissing notifications: ``notify`` is the one function every service that
notifies calls; reading them is in ``timelines.selectors``."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Account, AccountDomainBlock, Block, Mute
from statuses.models import ConversationMute, Status
from timelines.models import Notification


def _suppressed(recipient: Account, from_account: Account, status: Status | None) -> bool:
    if from_account.id == recipient.id:
        return False
    blocked = Block.objects.filter(
        Q(account_id=recipient.id, target_account_id=from_account.id)
        | Q(account_id=from_account.id, target_account_id=recipient.id)
    ).exists()
    if blocked:
        return True
    if Mute.objects.filter(
        account_id=recipient.id, target_account_id=from_account.id, hide_notifications=True
    ).exists():
        return True
    if (
        from_account.domain
        and AccountDomainBlock.objects.filter(
            account_id=recipient.id, domain=from_account.domain
        ).exists()
    ):
        return True
    return bool(
        status is not None
        and status.conversation_id
        and ConversationMute.objects.filter(
            account_id=recipient.id, conversation_id=status.conversation_id
        ).exists()
    )


def notify(
    recipient: Account,
    type: str,  # Mastodon's name for it
    *,
    from_account: Account,
    status: Status | None = None,
) -> Notification | None:
    """Notify a local account, unless it blocks or mutes the sender (Mastodon's filters).

    Only ``poll`` may notify an account of its own action (its own poll ended)."""
    if recipient.domain is not None:
        return None
    if from_account.id == recipient.id and type != Notification.Type.POLL:
        return None
    if _suppressed(recipient, from_account, status):
        return None
    if status is not None and type in ONCE_PER_STATUS:
        # Several paths may report the same event (a fan-out retried, a post and its
        # delivery both noticing a mention): the recipient hears of it once.
        existing = Notification.objects.filter(
            account_id=recipient.id, from_account_id=from_account.id, type=type, status=status
        ).first()
        if existing is not None:
            return existing
    return Notification.objects.create(
        account=recipient, from_account=from_account, type=type, status=status
    )


ONCE_PER_STATUS = frozenset(
    {
        Notification.Type.MENTION,
        Notification.Type.STATUS,
        Notification.Type.REBLOG,
        Notification.Type.FAVOURITE,
        Notification.Type.POLL,
    }
)


def dismiss_notification(notification: Notification) -> None:
    notification.delete()


def clear_notifications(account: Account) -> None:
    Notification.objects.filter(account_id=account.id).delete()
