"""Talking to the bench's Celery worker through the broker: is it up, is the queue idle, and how
many tasks of each name has it run (``inspect().stats()``'s per-task ``total``).

Runs in the harness process after ``BenchEnvironment.apply_to_this_process()``, so the Celery
app reads the bench's broker URL and Redis namespace.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kombu.exceptions import ChannelError

from fedisocial.bench.environment import REDIS_NAMESPACE

INSPECT_TIMEOUT_S = 2.0


class CeleryError(RuntimeError):
    pass


def _app() -> Any:
    import django

    django.setup()
    from fedisocial.celery import app

    return app


BEAT_SEND = re.compile(r"Sending due task \S+ \(([\w.]+)\)")


def beat_sends(log_path: Path) -> Counter[str]:
    """How many times beat has sent each task so far, from its log."""
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return Counter()
    return Counter(BEAT_SEND.findall(text))


class CeleryControl:
    def __init__(self) -> None:
        self.app = _app()
        self.nodes: list[str] = []

    def wait_for_worker(self, pid: int, timeout: float = 90.0) -> None:
        """Until the worker the harness started (``pid``) answers. Any other worker answering
        on the bench's namespace (a leftover of a killed run) would take some of the tasks the
        fan-out counts, so it is an error."""
        deadline = time.monotonic() + timeout
        while True:
            replies = self.app.control.broadcast("stats", reply=True, timeout=INSPECT_TIMEOUT_S)
            pids = {
                node: stats.get("pid") for reply in replies or [] for node, stats in reply.items()
            }
            strangers = [
                stats.get("pid")
                for reply in replies or []
                for stats in reply.values()
                if stats.get("pid") != pid
            ]
            if strangers:
                raise CeleryError(
                    f"other Celery workers (pids {strangers}) consume the bench's queue "
                    f"({REDIS_NAMESPACE}): stop them first"
                )
            if pid in pids.values():
                self.nodes = sorted(pids)
                return
            if time.monotonic() > deadline:
                raise CeleryError(f"the Celery worker did not answer within {timeout:.0f} s")

    def _inspect(self) -> Any:
        return self.app.control.inspect(timeout=INSPECT_TIMEOUT_S, destination=self.nodes)

    def task_totals(self) -> Counter[str]:
        """How many tasks of each name the worker has run since it started."""
        stats = self._inspect().stats() or {}
        if set(stats) != set(self.nodes):
            raise CeleryError(f"workers {self.nodes} did not all answer stats(): {sorted(stats)}")
        totals: Counter[str] = Counter()
        for node_stats in stats.values():
            totals.update(node_stats.get("total", {}))
        return totals

    def queued_messages(self) -> int:
        """Messages waiting in the default queue. On Redis an emptied queue is no key at all,
        which a passive declare reports as "not found": that is 0 too."""
        queue = self.app.conf.task_default_queue
        with self.app.connection_for_read() as conn:
            try:
                return int(conn.default_channel.queue_declare(queue=queue, passive=True)[1])
            except ChannelError:
                return 0

    def busy(self) -> bool:
        if self.queued_messages():
            return True
        inspect = self._inspect()
        active = inspect.active() or {}
        reserved = inspect.reserved() or {}
        return any(active.values()) or any(reserved.values())

    def wait_until_idle(self, timeout: float = 180.0) -> None:
        """Until the queue is empty and no task is running or prefetched, twice in a row."""
        deadline = time.monotonic() + timeout
        quiet_readings = 0
        while quiet_readings < 2:
            if self.busy():
                quiet_readings = 0
                if time.monotonic() > deadline:
                    raise CeleryError(f"the Celery queue was still busy after {timeout:.0f} s")
                time.sleep(0.2)
            else:
                quiet_readings += 1
                time.sleep(0.05)
