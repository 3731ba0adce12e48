"""Celery tasks for feeds: they take ids, load, call one function in timelines.feeds/fanout,
and return quietly when the rows are gone."""

from __future__ import annotations

from celery import current_task, shared_task
from django.db import transaction

from accounts.models import Account
from statuses.models import Status
from timelines import conversations, fanout, feeds
from timelines.models import List


@shared_task(ignore_result=True)
def fan_out_status_task(status_id: int) -> None:
    """Push a new status into the home and list feeds of everyone who should see it; a local
    one then goes to other servers too (its Create or Announce), in the same task."""
    status = fanout.load_for_fan_out(status_id)
    if status is not None:
        fan_out(status)


@shared_task(ignore_result=True)
def drain_fan_out_queue_task() -> None:
    """Fan out the local posts queued by ``fanout_queue`` (woken by a post; beat runs it
    too, for ids left behind by a lost wake)."""
    from timelines import fanout_queue

    fanout_queue.drain()


def fan_out(status: Status) -> None:
    """The task's work on a status loaded as ``fanout.load_for_fan_out`` loads it."""
    followers = fanout.fan_out_on_write(status)
    if status.local:
        from federation.outbox import distribute_status

        distribute_status(status, remote_followers=followers.remote if followers else None)


@shared_task(ignore_result=True)
def fan_out_followers_task(
    status_id: int, first_account_id: int | None, last_account_id: int | None
) -> None:
    """One batch of a large fan-out: the followers with ids in [first, last] (None: open)."""
    status = fanout.load_for_batch(status_id)
    if status is not None:
        fanout.deliver_to_followers_range(status, first_account_id, last_account_id)


@shared_task(ignore_result=True)
def unfan_status_task(status_id: int) -> None:
    """Remove a deleted status (and boosts of it) from every feed."""
    feeds.remove_status_from_feeds(status_id)
    conversations.remove_status_from_conversations(status_id)


@shared_task(ignore_result=True)
def merge_into_home_task(account_id: int, target_account_id: int) -> None:
    """After a follow: merge the followee's recent statuses into the follower's home feed."""
    account = Account.objects.filter(id=account_id, domain__isnull=True).first()
    if account is not None:
        feeds.merge_into_home(account, target_account_id)


@shared_task(ignore_result=True)
def unmerge_from_home_task(account_id: int, target_account_id: int) -> None:
    """After unfollow/block/mute: take the target's statuses out of the account's feeds."""
    feeds.remove_author_from_feeds(account_id, target_account_id)


@shared_task(ignore_result=True)
def merge_into_list_task(list_id: int, target_account_id: int) -> None:
    """After an account is added to a list: merge its recent statuses into the list feed."""
    lst = List.objects.select_related("account").filter(id=list_id).first()
    if lst is not None:
        feeds.merge_into_list(lst, target_account_id)


def fan_out_after_commit(status_id: int, *, loaded: Status | None = None) -> None:
    """Fan a status out once the current transaction commits: in this same worker when the
    caller is already a Celery task (the inbox's, storing what another server sent: a second
    task per activity would cost more than the fan-out itself), else in a new task. ``loaded``:
    the status as just created, with its author, mentions and tags set as
    ``fanout.load_for_fan_out`` would load them, which spares the worker reading them back."""
    if current_task and current_task.request.id is not None:
        if loaded is not None:
            transaction.on_commit(lambda: fan_out(loaded))
        else:
            transaction.on_commit(lambda: fan_out_status_task(status_id))
    else:
        fan_out_status_task.delay_on_commit(status_id)
