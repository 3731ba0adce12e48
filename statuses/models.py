"""Statuses and everything attached to one: mentions, tags, polls, edits, interactions."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account, Application
from fedisocial.ids import generate_id


class Visibility(models.IntegerChoices):
    """Stored as Mastodon stores it; the API speaks the names."""

    PUBLIC = 0, "public"
    UNLISTED = 1, "unlisted"
    PRIVATE = 2, "private"
    DIRECT = 3, "direct"

    @classmethod
    def from_name(cls, name: str) -> Visibility | None:
        return {v.label: v for v in cls}.get(name)


class Conversation(models.Model):
    """A thread: every reply shares its root's conversation."""

    id = models.BigAutoField(primary_key=True)
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Remote statuses join their thread's conversation by its uri.
        indexes = [
            models.Index(fields=["uri"], name="conversation_uri_idx", condition=~models.Q(uri=""))
        ]


class StatusQuerySet(models.QuerySet["Status"]):
    def live(self) -> StatusQuerySet:
        return self.filter(deleted_at__isnull=True)

    def local(self) -> StatusQuerySet:
        return self.filter(local=True)


class Status(models.Model):
    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    # account, uri, in_reply_to and reblog are indexed by Meta.indexes alone: their own indexes
    # would repeat a composite one's leading column, and each index costs every insert.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="statuses", db_index=False
    )
    uri = models.CharField(max_length=2048, blank=True, default="")
    url = models.CharField(max_length=2048, blank=True, default="")
    local = models.BooleanField(default=True)

    text = models.TextField(blank=True, default="", help_text="The source as typed (local)")
    content = models.TextField(blank=True, default="", help_text="Rendered, sanitised HTML")
    spoiler_text = models.TextField(blank=True, default="")
    sensitive = models.BooleanField(default=False)
    visibility = models.SmallIntegerField(choices=Visibility.choices, default=Visibility.PUBLIC)
    language = models.CharField(max_length=16, null=True, blank=True)

    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,
    )
    in_reply_to_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reblog = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reblogs",
        db_index=False,
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="statuses"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    replies_count = models.IntegerField(default=0)
    reblogs_count = models.IntegerField(default=0)
    favourites_count = models.IntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = StatusQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["account", "-id"], name="status_account_id_idx"),
            models.Index(fields=["reblog", "account"], name="status_reblog_account_idx"),
            models.Index(fields=["in_reply_to"], name="status_in_reply_to_idx"),
            # Remote statuses by uri, equality only (no LIKE twin). Local statuses store no uri:
            # an index over all of them would hold one key for most of the table, and a
            # prepared lookup's generic plan, judging ``uri = $1`` by that key, scanned the
            # table instead. Lookups with a literal uri use it as they are; prepared ones say
            # ``AND NOT (uri = '')``.
            models.Index(fields=["uri"], name="status_remote_uri_idx", condition=~models.Q(uri="")),
            models.Index(
                fields=["-id"],
                name="status_public_local_idx",
                condition=models.Q(
                    visibility=0, local=True, reblog__isnull=True, deleted_at__isnull=True
                ),
            ),
            models.Index(
                fields=["-id"],
                name="status_public_idx",
                condition=models.Q(visibility=0, reblog__isnull=True, deleted_at__isnull=True),
            ),
        ]
        verbose_name_plural = "statuses"

    def __str__(self) -> str:
        return f"{self.account_id}/{self.id}"

    @property
    def visibility_name(self) -> str:
        return Visibility(self.visibility).label


class Mention(models.Model):
    id = models.BigAutoField(primary_key=True)
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mentions")
    silent = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["status", "account"], name="mention_uniq")]
        indexes = [models.Index(fields=["account", "status"])]


class Tag(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=255, unique=True, help_text="Normalised: lower case")
    display_name = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class StatusTag(models.Model):
    id = models.BigAutoField(primary_key=True)
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="status_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="status_tags")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["status", "tag"], name="status_tag_uniq")]
        indexes = [models.Index(fields=["tag", "-status"], name="status_tag_tag_status_idx")]


class TagFollow(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "tag"], name="tag_follow_uniq")]


class Favourite(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="favourites")
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "status"], name="favourite_uniq")]
        indexes = [
            # Undo(Like) names the Like by its id.
            models.Index(fields=["uri"], name="favourite_uri_idx", condition=~models.Q(uri=""))
        ]


class Bookmark(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "status"], name="bookmark_uniq")]


class StatusPin(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "status"], name="status_pin_uniq")
        ]


class ConversationMute(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "conversation"], name="conversation_mute_uniq"
            )
        ]


class StatusEdit(models.Model):
    """One revision in a status's history (/api/v1/statuses/:id/history)."""

    id = models.BigAutoField(primary_key=True)
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="edits")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(blank=True, default="")
    content = models.TextField(blank=True, default="")
    spoiler_text = models.TextField(blank=True, default="")
    sensitive = models.BooleanField(default=False)
    poll_options = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)


class Poll(models.Model):
    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    status = models.OneToOneField(Status, on_delete=models.CASCADE, related_name="poll")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    options = models.JSONField(default=list, help_text="Option titles, in order")
    cached_tallies = models.JSONField(default=list, help_text="Votes per option, in order")
    multiple = models.BooleanField(default=False)
    hide_totals = models.BooleanField(default=False)
    votes_count = models.IntegerField(default=0)
    voters_count = models.IntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_notified = models.BooleanField(default=False)
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class PollVote(models.Model):
    id = models.BigAutoField(primary_key=True)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    choice = models.IntegerField()
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "account", "choice"], name="poll_vote_uniq")
        ]


class ScheduledStatus(models.Model):
    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    scheduled_at = models.DateTimeField(db_index=True)
    params = models.JSONField(default=dict)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


# --- Filters (Mastodon's CustomFilter, CustomFilterKeyword, CustomFilterStatus) ------------------


class FilterContext(models.TextChoices):
    """Where a filter applies; ``home`` covers lists too."""

    HOME = "home"
    NOTIFICATIONS = "notifications"
    PUBLIC = "public"
    THREAD = "thread"
    ACCOUNT = "account"


class FilterAction(models.IntegerChoices):
    """Stored as Mastodon stores it (``blur`` came with 4.4, API version 5)."""

    WARN = 0, "warn"
    HIDE = 1, "hide"
    BLUR = 2, "blur"

    @classmethod
    def from_name(cls, name: str) -> FilterAction | None:
        return {a.label: a for a in cls}.get(name)


class Filter(models.Model):
    """A filter group: keywords and statuses under one title, contexts, action and expiry."""

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    title = models.TextField()
    context = models.JSONField(default=list, help_text="FilterContext values")
    expires_at = models.DateTimeField(null=True, blank=True)
    filter_action = models.SmallIntegerField(
        choices=FilterAction.choices, default=FilterAction.WARN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["account", "id"], name="filter_account_idx")]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.title}"

    @property
    def action_name(self) -> str:
        return FilterAction(self.filter_action).label

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class FilterKeyword(models.Model):
    id = models.BigAutoField(primary_key=True)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.TextField()
    # Mastodon's column default: a keyword sent without whole_word matches whole words.
    whole_word = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)


class FilterStatus(models.Model):
    id = models.BigAutoField(primary_key=True)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    status = models.ForeignKey(Status, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["filter", "status"], name="filter_status_uniq")
        ]
        indexes = [models.Index(fields=["status"], name="filter_status_status_idx")]
