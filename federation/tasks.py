"""Celery tasks for federation: they take ids, load, call one function, and return quietly
when the rows are gone. Beat runs the sweeps (settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import time
from typing import Any

from celery import shared_task

from federation import delivery

# A sweep stops taking new batches after this long, so beat's next run finds a free worker.
SWEEP_SECONDS = 25.0


@shared_task(ignore_result=True)
def deliver_activity_task(activity_id: int) -> None:
    """Send an activity to every inbox it is due at (queued after the activity's commit)."""
    while batch := delivery.claim_due(activity_id=activity_id):
        delivery.send(batch)


@shared_task(ignore_result=True)
def deliver_due_task() -> None:
    """Beat: send every delivery whose retry time has come (or whose worker died)."""
    deadline = time.monotonic() + SWEEP_SECONDS
    while time.monotonic() < deadline and (batch := delivery.claim_due()):
        delivery.send(batch)


@shared_task(ignore_result=True)
def probe_unavailable_domains_task() -> None:
    delivery.probe_unavailable_domains()


@shared_task(ignore_result=True)
def prune_deliveries_task() -> None:
    delivery.prune()


@shared_task(ignore_result=True)
def federate_task(event: str, **ids: Any) -> None:
    """Render and queue the activities a local action owes remote servers (``outbox``)."""
    from federation import outbox

    outbox.publish(event, **ids)


@shared_task(ignore_result=True)
def process_inbox_task() -> None:
    """Process what remote servers sent (durable inbox), a batch at a time; also run by beat,
    so items of a killed worker are taken up again."""
    from federation.inbox import processing

    processing.process_pending(time_budget=SWEEP_SECONDS)
