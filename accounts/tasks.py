"""Celery tasks for accounts: thin, idempotent, each calling one service."""

from __future__ import annotations

from celery import shared_task

from accounts.services import expire_mutes


@shared_task(ignore_result=True)
def expire_mutes_task() -> int:
    """Beat: end the timed mutes that are past their end (reads already ignore them)."""
    return expire_mutes()
