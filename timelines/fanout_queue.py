"""The queue of local posts waiting for their fan-out: a Redis list drained by Celery tasks.

A Celery task per post cost more than the fan-out of a quiet author's post itself: publishing
one took 0.7 ms of the request's CPU and running one about as much again in the worker, around
1.35 ms of work. Here a post's commit pushes its id on a list, and wakes a drain task at most
once a second (as the inbox does, ``federation.inbox.processing``); a task drains everything
queued, so a burst of posts costs a few tasks. Popular authors' followers still spread over
batch tasks (``fanout.deliver_to_followers``). Beat drains every 30 s too, for ids pushed while
a wake was lost.

Up to ``DRAINERS`` tasks drain at once, each holding a slot that expires (a killed task's slot
comes back). A task moves the ids it takes (``BATCH`` at a time) to a list of its slot, in one
step, and empties it once they are fanned out: if it is killed, the next task to take that slot
fans them out again (home feeds take a status once; a subscriber may be notified twice).
Without Redis (the embedded server) there is no list: each post queues its own task.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

if TYPE_CHECKING:
    from statuses.models import Status

logger = logging.getLogger(__name__)

LIST_KEY = "timelines:fanout:pending"
WAKE_KEY = "timelines:fanout:wake"
HELP_KEY = "timelines:fanout:help"
SLOT_KEY = "timelines:fanout:slot:{}"
# The ids a drainer holding slot N has popped and not finished: a drainer killed midway leaves
# them there, and the next one to take slot N fans them out first.
HELD_KEY = "timelines:fanout:held:{}"
DRAINERS = 2
SLOT_TTL = 90  # longer than a drain's time budget plus one fan-out
BATCH = 10  # ids a drainer takes at a time


def enqueue_on_commit(status_id: int) -> None:
    """Fan ``status_id`` out once the current transaction commits."""
    transaction.on_commit(lambda: enqueue(status_id))


def enqueue(status_id: int) -> None:
    client = _client()
    if client is None:
        from timelines.tasks import fan_out_status_task

        fan_out_status_task.delay(status_id)
        return
    # One round trip: the push, and the wake's claim (whoever sets the key queues the task).
    pipe = client.pipeline(transaction=False)
    pipe.rpush(_key(LIST_KEY), status_id)
    pipe.set(_key(WAKE_KEY), 1, nx=True, ex=1)
    _, woken = pipe.execute()
    if woken:
        _queue_drain()


def pending() -> int:
    client = _client()
    return int(client.llen(_key(LIST_KEY))) if client is not None else 0


def drain(*, time_budget: float = 25.0) -> int:
    """Fan out queued posts until none is left or ``time_budget`` seconds have passed; 0 at
    once when ``DRAINERS`` tasks are at it already. Returns how many ids were taken."""
    client = _client()
    if client is None:
        return 0
    index = _take_slot(client)
    if index is None:
        return 0
    slot, held = _key(SLOT_KEY.format(index)), _key(HELD_KEY.format(index))
    deadline = time.monotonic() + time_budget
    taken = 0
    try:
        # What a killed drainer of this slot left, then what is queued, moved to ``held`` in
        # one step so that no id is ever in neither list.
        ids = client.lrange(held, 0, -1)
        while ids or time.monotonic() < deadline:
            if not ids:
                ids = _hold(client, _key(LIST_KEY), held, BATCH)
                if not ids:
                    break
                if len(ids) == BATCH:
                    _wake(client, HELP_KEY)
            taken += len(ids)
            _fan_out_all([int(raw) for raw in ids])
            client.delete(held)
            ids = []
    finally:
        client.delete(slot)
    # Ids pushed from here on wake a new task (the key is gone); those pushed since the last
    # pop woke nobody (the key was there): wake for them.
    client.delete(_key(WAKE_KEY))
    if pending():
        _wake(client, WAKE_KEY)
    return taken


def _fan_out_all(status_ids: list[int]) -> None:
    """These posts' fan-outs, loaded together; a failure is logged and the drain goes on with
    the next post (and with each post loaded alone, when loading them together failed)."""
    from timelines import fanout

    try:
        loaded = fanout.load_many_for_fan_out(status_ids)
    except Exception:
        logger.exception("loading statuses %s for their fan-out failed", status_ids)
        for status_id in status_ids:
            _fan_out_one(status_id)
        return
    for status_id in status_ids:
        status = loaded.get(status_id)
        if status is not None:
            _fan_out_one(status_id, status)


def _fan_out_one(status_id: int, status: Status | None = None) -> None:
    """One post's fan-out (loading it unless given); a failure is logged and the drain goes
    on with the next."""
    from timelines import fanout, tasks

    try:
        if status is None:
            status = fanout.load_for_fan_out(status_id)
        if status is not None:
            tasks.fan_out(status)
    except Exception:
        logger.exception("fan-out of status %s failed", status_id)


def _wake(client: Any, key: str) -> None:
    """Queue a drain task unless one was queued under ``key`` in the last second."""
    if client.set(_key(key), 1, nx=True, ex=1):
        _queue_drain()


def _queue_drain() -> None:
    from timelines.tasks import drain_fan_out_queue_task

    drain_fan_out_queue_task.delay()


def _take_slot(client: Any) -> int | None:
    for i in range(DRAINERS):
        if client.set(_key(SLOT_KEY.format(i)), 1, nx=True, ex=SLOT_TTL):
            return i
    return None


_HOLD_SCRIPT = """
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #ids > 0 then
  redis.call('LTRIM', KEYS[1], #ids, -1)
  redis.call('RPUSH', KEYS[2], unpack(ids))
end
return ids
"""


def _hold(client: Any, source: str, target: str, count: int) -> list[bytes]:
    """Move up to ``count`` ids from the head of ``source`` to ``target``, atomically."""
    return client.eval(_HOLD_SCRIPT, 2, source, target, count)


def _key(name: str) -> str:
    return f"{settings.REDIS_NAMESPACE}:{name}"


def _client() -> Any | None:
    """The Redis client of the default cache, or None when the cache is not Redis."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)
