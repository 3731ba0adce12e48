"""Processing the durable inbox: workers claim pending items a batch at a time (leased, so a
killed worker's items come back), run their handler, and record the outcome.

A request stores its item and wakes processing (``wake``): at most one task is queued per
second however many activities arrive, and each task drains everything pending, so a burst of
activities costs a few Celery tasks, not one each. Beat runs the same task every 30 s.

A task that claims a full batch calls for help (another task, at most one a second), so a burst
is drained by up to ``parallelism()`` tasks at once, each holding a slot: one task alone would
leave the worker idle whenever it waits for the database (six measured a little faster than
three). Slots expire, so a killed task's slot comes back.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import orjson
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from federation import http
from federation.inbox.dispatch import HandlerError, dispatch
from federation.models import InboxItem
from fedisocial.db import prepared_cursor
from fedisocial.ids import generate_id

logger = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
WAKE_KEY = "federation:inbox:wake"
HELP_KEY = "federation:inbox:help"
SLOT_KEY = "federation:inbox:slot:{}"
# Longer than a task's time budget (federation.tasks.SWEEP_SECONDS) plus one activity's fetches.
SLOT_TTL = 90


def wake() -> None:
    """Make sure a worker will look at the inbox soon (debounced to one task a second)."""
    if cache.add(WAKE_KEY, 1, timeout=1):
        from federation.tasks import process_inbox_task

        process_inbox_task.delay()


def store(
    *, activity_id: str, activity_type: str, signer_id: int, recipient_id: int | None, body: str
) -> int | None:
    """Store an accepted activity as a pending item; its id, or None when an item with the same
    activity id is there already (a redelivery). One prepared statement in autocommit: a
    transaction around the ORM's insert cost two more round trips per POST."""
    table = connection.ops.quote_name(InboxItem._meta.db_table)
    sql = (
        f"INSERT INTO {table} (id, activity_id, activity_type, signer_id, recipient_id, body,"  # noqa: S608
        " state, attempts, lease_until, error, received_at, processed_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 0, NULL, '', %s, NULL)"
        " ON CONFLICT (activity_id) WHERE NOT (activity_id = '') DO NOTHING RETURNING id"
    )
    item_id = generate_id()
    received_at = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [
        item_id,
        activity_id,
        activity_type,
        signer_id,
        recipient_id,
        body,
        InboxItem.State.PENDING.value,
        received_at,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def parallelism() -> int:
    """How many tasks may drain the inbox at once: SQLite takes one writer at a time."""
    return 6 if connection.vendor == "postgresql" else 1


def _take_slot() -> str | None:
    for i in range(parallelism()):
        key = SLOT_KEY.format(i)
        if cache.add(key, 1, timeout=SLOT_TTL):
            return key
    return None


def _call_for_help() -> None:
    if cache.add(HELP_KEY, 1, timeout=1):
        from federation.tasks import process_inbox_task

        process_inbox_task.delay()


def _pending() -> bool:
    return InboxItem.objects.filter(
        state=InboxItem.State.PENDING, lease_until__isnull=True
    ).exists()


def claim(limit: int = BATCH) -> list[InboxItem]:
    now = timezone.now()
    with transaction.atomic():
        due = (
            InboxItem.objects.select_for_update(skip_locked=True)
            .filter(state__in=[InboxItem.State.PENDING, InboxItem.State.PROCESSING])
            .exclude(lease_until__gt=now)
            .order_by("id")
        )
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        InboxItem.objects.filter(id__in=ids).update(
            state=InboxItem.State.PROCESSING, lease_until=now + LEASE, attempts=F("attempts") + 1
        )
    return list(
        InboxItem.objects.select_related("signer", "recipient").filter(id__in=ids).order_by("id")
    )


def process(item: InboxItem) -> None:
    """Run one item's handler and record how it went: done, refused, or to be retried (a
    remote server we needed did not answer) until MAX_ATTEMPTS."""
    if _run(item):
        mark_done([item.id])


def _run(item: InboxItem) -> bool:
    """``process`` but for the record of success: True when the item went through, for the
    caller to mark done (one statement for a batch)."""
    try:
        activity = orjson.loads(item.body)
        # No transaction around the handler: it may fetch from other servers (a parent, an
        # actor) for up to 30 s, and the services it calls are atomic themselves.
        dispatch(activity, signer=item.signer, recipient=item.recipient)
    except (HandlerError, ValueError, KeyError, TypeError) as exc:
        logger.info("inbox item %s refused: %s", item.id, exc)
        InboxItem.objects.filter(id=item.id).update(
            state=InboxItem.State.FAILED, processed_at=timezone.now(), error=str(exc)[:2000]
        )
        return False
    except Exception as exc:  # a remote server we needed, or our database: try again later
        final = item.attempts >= MAX_ATTEMPTS
        if not isinstance(exc, http.FetchError):
            logger.exception("inbox item %s failed", item.id)
        logger.info("inbox item %s: %s%s", item.id, exc, " (giving up)" if final else "")
        InboxItem.objects.filter(id=item.id).update(
            state=InboxItem.State.FAILED if final else InboxItem.State.PENDING,
            lease_until=timezone.now() + timedelta(minutes=2**item.attempts),
            error=str(exc)[:2000],
        )
        return False
    return True


def mark_done(ids: list[int]) -> None:
    if ids:
        InboxItem.objects.filter(id__in=ids).update(
            state=InboxItem.State.DONE, processed_at=timezone.now(), error=""
        )


def process_pending(*, time_budget: float = 25.0) -> int:
    """Process pending items until none is left or ``time_budget`` seconds have passed; 0 at
    once when ``parallelism()`` tasks are at it already."""
    slot = _take_slot()
    if slot is None:
        return 0
    deadline = time.monotonic() + time_budget
    done = 0
    try:
        while time.monotonic() < deadline:
            batch = claim()
            if not batch:
                break
            if len(batch) == BATCH:
                _call_for_help()
            succeeded: list[int] = []
            try:
                for item in batch:
                    if _run(item):
                        succeeded.append(item.id)
                    done += 1
            finally:
                mark_done(succeeded)
    finally:
        cache.delete(slot)
    # Items stored from here on wake a new task (the key is gone), which finds a free slot;
    # those stored since the last claim woke nobody (the key was there): wake for them.
    cache.delete(WAKE_KEY)
    if _pending():
        wake()
    return done
