"""Celery tasks for statuses: they take ids (or nothing, for beat), load, call one service, and
return quietly when the rows are gone.

Beat runs the two periodic ones; the schedule belongs in settings (CELERY_BEAT_SCHEDULE):

    "publish-scheduled-statuses": {
        "task": "statuses.tasks.publish_due_scheduled_statuses_task", "schedule": 60.0},
    "close-expired-polls": {"task": "statuses.tasks.close_expired_polls_task", "schedule": 60.0},
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from statuses import services
from statuses.models import Poll, ScheduledStatus

BATCH = 500


@shared_task(ignore_result=True)
def publish_scheduled_status_task(scheduled_status_id: int) -> None:
    scheduled = (
        ScheduledStatus.objects.select_related("account").filter(id=scheduled_status_id).first()
    )
    if scheduled is not None:
        services.publish_scheduled_status(scheduled)


@shared_task(ignore_result=True)
def publish_due_scheduled_statuses_task() -> None:
    """Beat: publish every scheduled status whose time has come, oldest first."""
    due = (
        ScheduledStatus.objects.filter(scheduled_at__lte=timezone.now())
        .order_by("scheduled_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )
    for scheduled_id in list(due):
        publish_scheduled_status_task(scheduled_id)


@shared_task(ignore_result=True)
def close_expired_polls_task() -> None:
    """Beat: notify the author and the local voters of each poll that has ended, once."""
    ended = Poll.objects.filter(expires_at__lte=timezone.now(), closed_notified=False).order_by(
        "expires_at", "id"
    )[:BATCH]
    for poll in list(ended):
        services.close_poll(poll)


@shared_task(ignore_result=True)
def finish_remote_account_deletion_task(account_id: int) -> None:
    """After a remote actor's Delete: its statuses and its row, outside the inbox's
    transaction (an account may have written thousands)."""
    from accounts.models import Account
    from statuses.remote import finish_remote_account_deletion

    account = Account.objects.filter(id=account_id, domain__isnull=False).first()
    if account is not None and account.suspended_at is not None:
        finish_remote_account_deletion(account)
