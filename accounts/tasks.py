"""Celery tasks for accounts: thin, idempotent, each calling one service."""

from __future__ import annotations

from celery import shared_task

from accounts.services import expire_mutes


@shared_task(ignore_result=True)
def expire_mutes_task() -> int:
    """Beat: end the timed mutes that are past their end (reads already ignore them)."""
    return expire_mutes()


@shared_task(ignore_result=True)
def move_followers_task(origin_id: int, target_id: int) -> int:
    """After a remote account's Move: its local followers follow the new account instead
    (Mastodon's MoveWorker); safe to run twice (a follow that moved is no longer there)."""
    from accounts.models import Account
    from accounts.remote import move_followers

    accounts = {a.id: a for a in Account.objects.filter(id__in=[origin_id, target_id])}
    if origin_id not in accounts or target_id not in accounts:
        return 0
    return move_followers(accounts[origin_id], accounts[target_id])
