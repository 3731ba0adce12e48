"""Feeds (home and lists, built on write), lists, notifications, markers and conversations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account
from fedisocial.ids import generate_id
from statuses.models import Conversation, Status

HOME_FEED = 0  # list_id of an account's home feed


class FeedEntry(models.Model):
    """One status in one feed: ``list_id`` 0 is the home feed, otherwise a List's id.

    Plain integer columns (no foreign keys) keep bulk fan-out inserts cheap; the feed is a cache
    of the newest ``FEED_MAX_ITEMS`` entries, and readers fall back to a query past the trim.
    ``status_id`` is the status shown (a reblog's own id for a boost); ``reblog_of_id`` names the
    boosted original so one original shows once.
    """

    id = models.BigAutoField(primary_key=True)
    account_id = models.BigIntegerField()
    list_id = models.BigIntegerField(default=HOME_FEED)
    status_id = models.BigIntegerField()
    author_id = models.BigIntegerField()
    reblog_of_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_id", "list_id", "status_id"], name="feed_entry_uniq"
            )
        ]
        # Reading a feed walks ``feed_entry_uniq`` backwards: no second index on the same
        # columns to maintain on every fan-out insert.
        #
        # Deleting a status from every feed, and finding the feeds that already hold an
        # original or a boost of it (one boost per original), look entries up by status_id.
        # That index (``feed_status_lookup``) is made by migration 0004, as a HASH index on
        # PostgreSQL: a b-tree on status_id can return ids in order, and the planner then
        # took it to read a home feed (a backward scan past every newer entry of every other
        # feed: 9 ms instead of 0.3 ms once a few thousand posts landed elsewhere). A hash
        # index only answers equality, so it can never be mistaken for a feed read.
        indexes = [
            models.Index(fields=["account_id", "author_id"], name="feed_author_idx"),
            models.Index(
                fields=["reblog_of_id"],
                name="feed_reblog_of_idx",
                condition=models.Q(reblog_of_id__isnull=False),
            ),
        ]


class List(models.Model):
    class RepliesPolicy(models.TextChoices):
        FOLLOWED = "followed"
        LIST = "list"
        NONE = "none"

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="lists")
    title = models.CharField(max_length=255)
    replies_policy = models.CharField(
        max_length=16, choices=RepliesPolicy.choices, default=RepliesPolicy.LIST
    )
    exclusive = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)


class ListAccount(models.Model):
    id = models.BigAutoField(primary_key=True)
    list = models.ForeignKey(List, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["list", "account"], name="list_account_uniq")
        ]


class Notification(models.Model):
    class Type(models.TextChoices):
        MENTION = "mention"
        STATUS = "status"
        REBLOG = "reblog"
        FOLLOW = "follow"
        FOLLOW_REQUEST = "follow_request"
        FAVOURITE = "favourite"
        POLL = "poll"
        UPDATE = "update"

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    from_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32, choices=Type.choices)
    status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Set aside by the recipient's NotificationPolicy: out of the lists and unread counts until
    # its sender's request is accepted (see timelines.notifications).
    filtered = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="notification_account_idx"),
            models.Index(
                fields=["account", "from_account"],
                name="notification_filtered_idx",
                condition=models.Q(filtered=True),
            ),
        ]


class Marker(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    timeline = models.CharField(max_length=32)  # home | notifications
    last_read_id = models.BigIntegerField(default=0)
    version = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "timeline"], name="marker_uniq")]


class AccountConversation(models.Model):
    """A direct-message conversation as one participant sees it (/api/v1/conversations)."""

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    participant_account_ids = models.JSONField(default=list)
    last_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unread = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "conversation"], name="account_conversation_uniq"
            )
        ]


# --- Notification policy (Mastodon 4.3) ----------------------------------------------------------


class NotificationPolicy(models.Model):
    """What becomes of notifications from accounts one may not want to hear from: each case is
    ``accept`` (a normal notification), ``filter`` (kept aside, under a NotificationRequest
    per sender) or ``drop`` (none at all). No row means Mastodon's defaults."""

    class Action(models.TextChoices):
        ACCEPT = "accept"
        FILTER = "filter"
        DROP = "drop"

    id = models.BigAutoField(primary_key=True)
    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="notification_policy"
    )
    # Accounts the recipient does not follow.
    for_not_following = models.CharField(
        max_length=8, choices=Action.choices, default=Action.ACCEPT
    )
    # Accounts that do not follow the recipient, or only since less than three days.
    for_not_followers = models.CharField(
        max_length=8, choices=Action.choices, default=Action.ACCEPT
    )
    # Accounts created less than 30 days ago (and not followed).
    for_new_accounts = models.CharField(max_length=8, choices=Action.choices, default=Action.ACCEPT)
    # Direct mentions from accounts not followed, unless they answer the recipient's own.
    for_private_mentions = models.CharField(
        max_length=8, choices=Action.choices, default=Action.FILTER
    )
    # Accounts a moderator limited (silenced), unless followed.
    for_limited_accounts = models.CharField(
        max_length=8, choices=Action.choices, default=Action.FILTER
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    FIELDS = (
        "for_not_following",
        "for_not_followers",
        "for_new_accounts",
        "for_private_mentions",
        "for_limited_accounts",
    )


class NotificationRequest(models.Model):
    """The filtered mentions from one sender, waiting for the recipient to accept them (they
    join the notifications, and the sender is never filtered again) or dismiss them."""

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    from_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    last_status = models.ForeignKey(
        Status, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Filtered mentions recorded so far; the API counts the ones still there when it renders.
    notifications_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_account"], name="notification_request_uniq"
            )
        ]
        indexes = [models.Index(fields=["account", "-id"], name="notification_request_idx")]


class NotificationPermission(models.Model):
    """A sender whose request the recipient accepted: never filtered again."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    from_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "from_account"], name="notification_permission_uniq"
            )
        ]
