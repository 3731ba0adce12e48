"""Celery tasks for feeds: they take ids, load, call one function in timelines.feeds/fanout,
and return quietly when the rows are gone. (Bodies are being filled in by the timelines work.)"""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def fan_out_status_task(status_id: int) -> None:
    """Push a new status into the home and list feeds of everyone who should see it."""


@shared_task(ignore_result=True)
def unfan_status_task(status_id: int) -> None:
    """Remove a deleted status (and boosts of it) from every feed."""


@shared_task(ignore_result=True)
def merge_into_home_task(account_id: int, target_account_id: int) -> None:
    """After a follow: merge the followee's recent statuses into the follower's home feed."""


@shared_task(ignore_result=True)
def unmerge_from_home_task(account_id: int, target_account_id: int) -> None:
    """After unfollow/block/mute: take the target's statuses out of the account's feeds."""
