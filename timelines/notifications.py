"""Creating and dismissing notifications: ``notify`` is the one function every service that
notifies calls; reading them is in ``timelines.selectors``.

The recipient's NotificationPolicy (Mastodon 4.3) decides, after blocks and mutes, whether a
notification of a filterable type is accepted, filtered (kept aside under a NotificationRequest
for its sender) or dropped; ``accept_notification_request`` and ``dismiss_notification_request``
settle a request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, Mute, User
from statuses.models import ConversationMute, Mention, Status, Visibility
from statuses.selectors import ANCESTOR_CHAIN
from timelines.conversations import update_conversations_for
from timelines.models import (
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)

ACCEPT = NotificationPolicy.Action.ACCEPT
FILTER = NotificationPolicy.Action.FILTER
DROP = NotificationPolicy.Action.DROP


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
    """Notify a local account, unless it blocks or mutes the sender (Mastodon's filters) or its
    notification policy drops the notification; a filtered one is created aside (``filtered``)
    and, for a mention, recorded in the sender's request.

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
    verdict = policy_verdict(recipient, type, from_account=from_account, status=status)
    if verdict == DROP:
        return None
    notification = Notification.objects.create(
        account=recipient,
        from_account=from_account,
        type=type,
        status=status,
        filtered=verdict == FILTER,
    )
    if notification.filtered and type == Notification.Type.MENTION:
        _record_request(recipient, from_account, status)
    return notification


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


# --- The notification policy ---------------------------------------------------------------------

# Mastodon's Notification::PROPERTIES[type][:filterable]: what a stranger can cause. Posts of
# accounts one asked to hear from, edits of boosted posts and ended polls always pass.
FILTERABLE_TYPES = frozenset(
    {
        Notification.Type.MENTION,
        Notification.Type.REBLOG,
        Notification.Type.FOLLOW,
        Notification.Type.FOLLOW_REQUEST,
        Notification.Type.FAVOURITE,
    }
)
NEW_ACCOUNT_AGE = timedelta(days=30)
NEW_FOLLOWER_AGE = timedelta(days=3)
# How far up a thread a private mention is checked for answering one of the recipient's.
THREAD_DEPTH = 100
STAFF_RANK = {User.Role.MODERATOR: 1, User.Role.ADMIN: 2, User.Role.OWNER: 3}


@dataclass(frozen=True)
class _Relationship:
    following: bool  # the recipient follows the sender
    followed_at: datetime | None  # since when the sender follows the recipient
    permitted: bool  # the recipient accepted a request from the sender
    from_staff: bool  # a local moderator or admin above the recipient's role


def _relationship(recipient: Account, sender: Account) -> _Relationship:
    """Everything the policy asks about the pair, in one query."""
    row = (
        Account.objects.filter(id=sender.id)
        .annotate(
            following=Exists(
                Follow.objects.filter(account_id=recipient.id, target_account_id=OuterRef("id"))
            ),
            followed_at=Subquery(
                Follow.objects.filter(
                    account_id=OuterRef("id"), target_account_id=recipient.id
                ).values("created_at")[:1]
            ),
            permitted=Exists(
                NotificationPermission.objects.filter(
                    account_id=recipient.id, from_account_id=OuterRef("id")
                )
            ),
            sender_role=Subquery(User.objects.filter(account_id=OuterRef("id")).values("role")),
            recipient_role=Subquery(User.objects.filter(account_id=recipient.id).values("role")),
        )
        .values("following", "followed_at", "permitted", "sender_role", "recipient_role")
        .first()
    )
    if row is None:
        return _Relationship(False, None, False, False)
    sender_rank = STAFF_RANK.get(row["sender_role"], 0) if sender.local else 0
    return _Relationship(
        following=bool(row["following"]),
        followed_at=row["followed_at"],
        permitted=bool(row["permitted"]),
        from_staff=sender_rank > STAFF_RANK.get(row["recipient_role"], 0),
    )


def _answers_recipient(recipient: Account, sender: Account, status: Status) -> bool:
    """Whether a private mention replies, within THREAD_DEPTH statuses up its thread, to a
    direct status of the recipient's that mentioned the sender (a conversation the recipient
    started, which the policy never filters)."""
    if status.in_reply_to_id is None:
        return False
    statuses, mentions = Status._meta.db_table, Mention._meta.db_table
    sql = f"""
        {ANCESTOR_CHAIN}
        SELECT 1 FROM chain
        JOIN {statuses} s ON s.id = chain.id
        JOIN {mentions} m ON m.status_id = s.id
        WHERE s.account_id = %s AND s.visibility = %s AND s.deleted_at IS NULL
          AND m.account_id = %s AND m.silent = %s
        LIMIT 1
    """  # noqa: S608 - only table names are interpolated
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                status.in_reply_to_id,
                THREAD_DEPTH,
                recipient.id,
                int(Visibility.DIRECT),
                sender.id,
                False,
            ],
        )
        return cursor.fetchone() is not None


def policy_for(account: Account) -> NotificationPolicy:
    """The account's policy; an unsaved one with Mastodon's defaults when it never set one."""
    policy = NotificationPolicy.objects.filter(account_id=account.id).first()
    return policy if policy is not None else NotificationPolicy(account=account)


def policy_verdict(
    recipient: Account, type: str, *, from_account: Account, status: Status | None
) -> str:
    """``accept``, ``filter`` or ``drop`` for one notification, as Mastodon's NotifyService
    decides (DropCondition, then FilterCondition): a sender the recipient accepted, and a
    mention from staff, always pass; otherwise the strictest action among the cases that
    apply. One query for the policy, one for the relationship when a case may apply, one for
    the thread of a private mention when that case still matters."""
    if type not in FILTERABLE_TYPES:
        return ACCEPT
    policy = policy_for(recipient)
    now = timezone.now()
    private = (
        type == Notification.Type.MENTION
        and status is not None
        and status.visibility == Visibility.DIRECT
    )
    # The cases that can apply before asking the database, with the policy's action for each.
    cases = {
        "for_not_following": True,
        "for_not_followers": True,
        "for_new_accounts": from_account.created_at > now - NEW_ACCOUNT_AGE,
        "for_private_mentions": private,
        "for_limited_accounts": from_account.silenced_at is not None,
    }
    actions = {case: getattr(policy, case) for case, possible in cases.items() if possible}
    actions = {case: action for case, action in actions.items() if action != ACCEPT}
    if not actions:
        return ACCEPT
    rel = _relationship(recipient, from_account)
    if rel.permitted or (type == Notification.Type.MENTION and rel.from_staff):
        return ACCEPT
    follower = rel.followed_at is not None and rel.followed_at <= now - NEW_FOLLOWER_AGE
    applies = {
        "for_not_following": not rel.following,
        "for_not_followers": not follower,
        "for_new_accounts": not rel.following,
        "for_limited_accounts": not rel.following,
    }
    found = {action for case, action in actions.items() if applies.get(case)}
    verdict = DROP if DROP in found else FILTER if FILTER in found else ACCEPT
    private_action = actions.get("for_private_mentions")
    if (
        verdict != DROP
        and private_action is not None
        and private_action != verdict
        and not rel.following
    ):
        # The thread is read only when its answer could change the verdict.
        assert status is not None
        if not _answers_recipient(recipient, from_account, status):
            verdict = private_action
    return verdict


def _record_request(recipient: Account, sender: Account, status: Status | None) -> None:
    """Upsert the sender's request with this (filtered) mention."""
    now = timezone.now()
    status_id = status.id if status is not None else None
    requests = NotificationRequest.objects.filter(
        account_id=recipient.id, from_account_id=sender.id
    )
    changes = {
        "last_status_id": status_id,
        "notifications_count": F("notifications_count") + 1,
        "updated_at": now,
    }
    if requests.update(**changes):
        return
    _, created = NotificationRequest.objects.get_or_create(
        account_id=recipient.id,
        from_account_id=sender.id,
        defaults={"last_status_id": status_id, "notifications_count": 1, "updated_at": now},
    )
    if not created:  # made by a concurrent notification since the update above
        requests.update(**changes)


class PolicyError(ValueError):
    """A policy value that is not accept, filter or drop."""


@transaction.atomic
def update_notification_policy(account: Account, **changes: str) -> NotificationPolicy:
    """Set some of the policy's cases (``for_not_following="filter"``...)."""
    allowed = set(NotificationPolicy.Action.values)
    for case, action in changes.items():
        if case not in NotificationPolicy.FIELDS:
            raise PolicyError(f"{case} is not a notification policy setting")
        if action not in allowed:
            raise PolicyError(f"{case} must be one of accept, filter or drop")
    policy, _ = NotificationPolicy.objects.select_for_update().get_or_create(account=account)
    if changes:
        for case, action in changes.items():
            setattr(policy, case, action)
        policy.updated_at = timezone.now()
        policy.save(update_fields=[*changes, "updated_at"])
    return policy


# --- Notification requests -----------------------------------------------------------------------


@transaction.atomic
def accept_notification_requests(account: Account, requests: Iterable[NotificationRequest]) -> None:
    """Mastodon's AcceptNotificationRequestService: the senders' filtered notifications join
    the others, the senders are never filtered again, and the requests go. Done at once
    (Mastodon queues the merge and reports it through ``requests/merged``)."""
    senders = list({r.from_account_id for r in requests if r.account_id == account.id})
    if not senders:
        return
    NotificationPermission.objects.bulk_create(
        [NotificationPermission(account_id=account.id, from_account_id=s) for s in senders],
        ignore_conflicts=True,
    )
    filtered = Notification.objects.filter(
        account_id=account.id, from_account_id__in=senders, filtered=True
    )
    held_direct_ids = list(
        filtered.filter(type=Notification.Type.MENTION, status__visibility=Visibility.DIRECT)
        .order_by("status_id")
        .values_list("status_id", flat=True)
    )
    filtered.update(filtered=False)
    NotificationRequest.objects.filter(account_id=account.id, from_account_id__in=senders).delete()
    # The direct messages held back now join the account's conversations.
    for status in Status.objects.filter(id__in=held_direct_ids, deleted_at__isnull=True).order_by(
        "id"
    ):
        update_conversations_for(status)


@transaction.atomic
def dismiss_notification_requests(
    account: Account, requests: Iterable[NotificationRequest]
) -> None:
    """Mastodon's DismissNotificationRequestService: the requests and the senders' filtered
    notifications go; later ones from the same senders are filtered again."""
    senders = list({r.from_account_id for r in requests if r.account_id == account.id})
    if not senders:
        return
    Notification.objects.filter(
        account_id=account.id, from_account_id__in=senders, filtered=True
    ).delete()
    NotificationRequest.objects.filter(account_id=account.id, from_account_id__in=senders).delete()
