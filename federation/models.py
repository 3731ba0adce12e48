"""Federation state that must survive a restart: what remote servers sent us and has not been
processed yet (``InboxItem``), what we owe them (``Activity`` and one ``Delivery`` per inbox),
and which of them have stopped answering (``DomainFailure``).

Nothing here is held in a worker's memory: a killed worker loses no activity, and long retry
delays are rows with a time, swept by beat (see docs/architecture.md, "Federation").
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from accounts.models import Account
from fedisocial.ids import generate_id


class InboxItem(models.Model):
    """One activity POSTed to an inbox, stored once its signature checked out (the durable
    inbox): the request answered 202, a worker processes it later, exactly once per
    activity id."""

    class State(models.IntegerChoices):
        PENDING = 0, "pending"
        PROCESSING = 1, "processing"
        DONE = 2, "done"
        FAILED = 3, "failed"

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    # The activity's own id; unique among non-empty ones so a redelivery is processed once.
    activity_id = models.CharField(max_length=2048, blank=True, default="")
    activity_type = models.CharField(max_length=64, blank=True, default="")
    # Who signed the request (the verified key's owner): handlers trust nothing else.
    signer = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The local account whose inbox it was POSTed to (None: the shared inbox).
    recipient = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(help_text="The activity as received (JSON, at most 1 MB)")
    state = models.SmallIntegerField(choices=State.choices, default=State.PENDING)
    attempts = models.SmallIntegerField(default=0)
    # A worker that claims an item leases it until then; a dead worker's items come back.
    lease_until = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity_id"],
                condition=~models.Q(activity_id=""),
                name="inbox_item_activity_uniq",
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="inbox_item_pending_idx",
                condition=models.Q(state__in=[0, 1]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity_type} {self.activity_id}"


class Activity(models.Model):
    """An activity we send, rendered once (``body`` is the exact JSON every inbox gets) and
    signed per request by ``actor``'s key."""

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    actor = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    activity_type = models.CharField(max_length=64)
    uri = models.CharField(max_length=2048, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.activity_type} {self.uri}"


class Delivery(models.Model):
    """One activity owed to one inbox (a shared inbox counts once per activity). A row is due
    when ``next_attempt_at`` has passed; a worker that claims it pushes ``next_attempt_at``
    ahead by a lease first, so a killed worker's deliveries become due again on their own."""

    class State(models.IntegerChoices):
        PENDING = 0, "pending"
        DELIVERED = 1, "delivered"
        FAILED = 2, "failed"  # a final refusal (4xx) or given up after the retry period

    id = models.BigAutoField(primary_key=True)
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="deliveries")
    inbox_url = models.CharField(max_length=2048)
    domain = models.CharField(max_length=255)
    state = models.SmallIntegerField(choices=State.choices, default=State.PENDING)
    attempts = models.SmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "inbox_url"], name="delivery_uniq")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(state=0),
            ),
            models.Index(fields=["domain", "state"], name="delivery_domain_idx"),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.activity_id} → {self.inbox_url}"


class DomainFailure(models.Model):
    """A remote domain whose deliveries fail (Mastodon's DeliveryFailureTracker). After
    failures on FEDERATION_UNAVAILABLE_AFTER_DAYS distinct days it is ``unavailable``: nothing
    more is queued for it until it answers a probe or sends us a signed request, which deletes
    the row (as any successful delivery does)."""

    domain = models.CharField(max_length=255, primary_key=True)
    failure_days = models.IntegerField(default=0)
    last_failure_day = models.BigIntegerField(default=0, help_text="federation.delivery.day()")
    unavailable = models.BooleanField(default=False)
    first_failure_at = models.DateTimeField(default=timezone.now)
    last_failure_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.domain
