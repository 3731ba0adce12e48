"""gunicorn's threaded worker, sharing kept-alive connections out evenly between the workers.

gthread workers all wait on the one listening socket and whichever wakes first accepts. A client
that opens several connections at once and keeps them alive (a proxy's upstream pool, an app on
HTTP/1.1 keep-alive, a load generator) could leave nearly all of them on one worker while the
other idled: 15 of 16 connections measured on one worker, and half the throughput of two cores.

Each worker publishes how many connections it holds in a table shared by all of them (anonymous
shared memory the master maps before forking, one slot per worker). A worker holding more than
the least loaded one stops accepting until that changes, so the others take the next
connections; the least loaded always accepts, so connections never wait for a busy worker.
"""

from __future__ import annotations

import mmap
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64
GONE = -1  # a slot no running worker holds

_table = memoryview(mmap.mmap(-1, SLOTS * 4)).cast("i")  # MAP_SHARED: forked workers share it
for _i in range(SLOTS):
    _table[_i] = GONE
# In the master only: the slots of the workers it has made and not yet seen exit.
_claimed: set[int] = set()


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Runs in the master, before the fork.
        free = [i for i in range(SLOTS) if i not in _claimed]
        self.slot: int | None = free[0] if free else None
        if self.slot is not None:
            _claimed.add(self.slot)
            _table[self.slot] = GONE
        self._connections = 0
        self._running = False  # counted by the others only once it accepts
        super().__init__(*args, **kwargs)

    def run(self) -> None:
        self._running = True
        super().run()

    @property
    def nr_conns(self) -> int:
        return self._connections

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._connections = value
        self._publish()

    def _publish(self) -> None:
        if self.slot is not None:
            _table[self.slot] = self._connections if self._running and self.alive else GONE

    def _least_loaded(self) -> bool:
        if self.slot is None:
            return True
        return self._connections <= min(v for v in _table if v != GONE)

    def set_accept_enabled(self, enabled: bool) -> None:
        # The run loop asks again on each of its turns while accepting is off.
        self._publish()
        super().set_accept_enabled(enabled and self.alive and self._least_loaded())

    def accept(self, listener: Any) -> None:
        if not self._least_loaded():
            self.set_accept_enabled(False)
            return
        super().accept(listener)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the master: free the slot of a worker that exited (killed ones too)."""
    slot = getattr(worker, "slot", None)
    if slot is not None:
        _table[slot] = GONE
        _claimed.discard(slot)
