"""The harness's own PostgreSQL connections (named, so the CPU readings leave them out), the run
lock, and the CPU of the bench database's backends.

A backend's CPU is its process's utime + stime in /proc. The backends serving
``fedisocial_bench`` are listed from ``pg_stat_activity``; a sampler re-reads the list and the
times every SAMPLE_INTERVAL_S during a run, so a backend that appears mid-run counts from 0 and
one that exits (a recycled gunicorn worker closes its connections) loses at most one interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

from fedisocial.bench import proc
from fedisocial.bench.environment import (
    DATABASE_NAME,
    HARNESS_APPLICATION_NAME,
    database_url,
)

SAMPLE_INTERVAL_S = 0.25
# Parallel workers run parts of a client backend's query, so their CPU is the query's too.
COUNTED_BACKEND_TYPES = ("client backend", "parallel worker")
AUTOVACUUM_WAIT_S = 60.0
RUN_LOCK_KEY = 7_140_829_105  # any fixed number: one `make bench` per PostgreSQL cluster

BACKENDS_SQL = """
    SELECT pid FROM pg_stat_activity
    WHERE datname = %s AND backend_type = ANY(%s)
      AND coalesce(application_name, '') <> %s
"""


AUTOVACUUM_SQL = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = %s AND backend_type = 'autovacuum worker'
"""


class BenchLockedError(RuntimeError):
    """Another run holds the lock."""


def connect(name: str = DATABASE_NAME) -> psycopg.Connection[Any]:
    return psycopg.connect(
        database_url(name), autocommit=True, application_name=HARNESS_APPLICATION_NAME
    )


def connect_maintenance() -> psycopg.Connection[Any]:
    return connect("postgres")


@contextmanager
def run_lock() -> Iterator[None]:
    """A session advisory lock on the maintenance database, held for the whole run, so two
    `make bench` (from any checkout) never share the bench database and Redis namespace."""
    with connect_maintenance() as conn:
        locked = conn.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK_KEY]).fetchone()
        if not locked or not locked[0]:
            raise BenchLockedError(
                "another `make bench` is running against this PostgreSQL (advisory lock held)"
            )
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])


def backend_pids(conn: psycopg.Connection[Any]) -> list[int]:
    rows = conn.execute(
        BACKENDS_SQL, [DATABASE_NAME, list(COUNTED_BACKEND_TYPES), HARNESS_APPLICATION_NAME]
    ).fetchall()
    return [int(row[0]) for row in rows]


def wait_for_autovacuum(timeout: float = AUTOVACUUM_WAIT_S) -> float:
    """Wait while autovacuum works on the bench database (after a seed or the posting runs it
    can take a core for a while); returns the seconds waited, giving up after ``timeout``."""
    started = time.monotonic()
    with connect() as conn:
        while time.monotonic() - started < timeout:
            row = conn.execute(AUTOVACUUM_SQL, [DATABASE_NAME]).fetchone()
            if not row or not row[0]:
                break
            time.sleep(0.5)
    return time.monotonic() - started


def postmaster_pid(conn: psycopg.Connection[Any]) -> int:
    """The postmaster: the parent of the harness's own backend."""
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    stat = proc.read_stat(int(row[0]))
    if stat is None:
        raise RuntimeError("cannot read the harness's own backend in /proc (is PostgreSQL local?)")
    return stat.ppid


@dataclass
class BackendCpu:
    """Accumulated CPU of the bench database's backends between ``start()`` and ``stop()``."""

    baseline: dict[int, int] = field(default_factory=dict)  # ticks when first seen
    latest: dict[int, int] = field(default_factory=dict)  # ticks when last seen

    def observe(self, pids: list[int], *, first: bool = False) -> None:
        for pid in pids:
            ticks = proc.cpu_ticks(pid)
            if ticks is None:
                continue
            if pid not in self.baseline:
                # Present at the start: count from there; appeared later: count from 0.
                self.baseline[pid] = ticks if first else 0
            self.latest[pid] = ticks

    @property
    def ticks(self) -> int:
        return sum(self.latest[pid] - self.baseline[pid] for pid in self.latest)

    @property
    def seconds(self) -> float:
        return proc.ticks_to_seconds(self.ticks)


class BackendCpuSampler:
    """Samples the backends' CPU in a thread while a run is under way (its own connection)."""

    def __init__(self) -> None:
        self.cpu = BackendCpu()
        self._conn = connect()
        self._postmaster = postmaster_pid(self._conn)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pg-cpu-sampler", daemon=True)
        self._reaped_at_start = 0
        self.reaped_ticks = 0  # CPU of postmaster children that exited meanwhile (not counted)

    def _reaped(self) -> int:
        stat = proc.read_stat(self._postmaster)
        return stat.reaped_children_ticks if stat else 0

    def start(self) -> None:
        self.cpu.observe(backend_pids(self._conn), first=True)
        self._reaped_at_start = self._reaped()
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self.cpu.observe(backend_pids(self._conn))

    def stop(self) -> BackendCpu:
        self._stop.set()
        self._thread.join()
        self.cpu.observe(backend_pids(self._conn))
        self.reaped_ticks = self._reaped() - self._reaped_at_start
        self._conn.close()
        return self.cpu

    def close(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
        if not self._conn.closed:
            self._conn.close()
