"""What a measurement works with: the running app, the data set, and load runs that are done
once and shared (the db40 run at c=16 divides several keys). A run is a 3 s warm-up, then 10 s
of wrk during which the CPU of the gunicorn workers and of the database's backends is read.

Every run starts with fresh gunicorn workers (SIGHUP to the master): gunicorn.conf.py recycles a
worker after 10,000 ± 1,000 requests, and a recycle inside a measured run (the plain anchor
alone serves that many in seconds) would put its restart into that run's latency tail."""

from __future__ import annotations

import json
import resource
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fedisocial.bench import load, proc
from fedisocial.bench.celery_control import CeleryControl
from fedisocial.bench.dataset import DataSet
from fedisocial.bench.environment import BenchEnvironment
from fedisocial.bench.postgres import BackendCpuSampler, wait_for_autovacuum
from fedisocial.bench.processes import AppProcesses, RssSnapshot

THROUGHPUT_CONNECTIONS = 16
LATENCY_CONNECTIONS = 4
HOME_LIMIT = 40
# After the warm-up, the requests it left in flight finish before the CPU is first read (about
# the warm-up's p99, within these bounds); the measured run's own tail is read right away, so
# about half of its last c requests' CPU is counted without them: well under 1% of a run.
MIN_SETTLE_S = 0.3
MAX_SETTLE_S = 5.0


class PreflightError(RuntimeError):
    """A target did not answer a single request with 2xx before its load."""


@dataclass(frozen=True)
class Run:
    """One measured wrk run and the CPU it cost."""

    target: str
    connections: int
    load: load.LoadResult
    web_cpu_s: float
    pg_cpu_s: float
    pg_reaped_s: float  # postmaster children that exited during the run: not counted
    machine_cores: float  # all CPUs' busy time / wall time
    other_cores: float  # of which neither the app, its backends, wrk nor the harness

    @property
    def web_cpu_ms_per_request(self) -> float:
        return self.web_cpu_s * 1000 / self.load.requests

    @property
    def pg_cpu_ms_per_request(self) -> float:
        return self.pg_cpu_s * 1000 / self.load.requests

    def describe(self) -> str:
        r = self.load
        return (
            f"{self.target:<12} c={self.connections:<2}  {r.rps:8.1f} rps  p50 {r.p50_ms:7.2f} ms"
            f"  p99 {r.p99_ms:7.2f} ms  n={r.requests:<6}  web {self.web_cpu_ms_per_request:6.2f}"
            f" ms/req  pg {self.pg_cpu_ms_per_request:6.3f} ms/req  cores busy"
            f" {self.machine_cores:.2f}, others {self.other_cores:.2f}"
            f" (pg exited: {self.pg_reaped_s:.1f} s)"
        )


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU readings around a run: the whole machine, the gunicorn workers, the app's other
    processes, and the harness with its children (wrk), to tell what else used the cores."""

    at: float
    busy_ticks: int
    web_ticks: int
    support_ticks: int
    harness_s: float

    @classmethod
    def take(cls, processes: AppProcesses) -> CpuSnapshot:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            at=time.monotonic(),
            busy_ticks=proc.machine_busy_ticks(),
            web_ticks=processes.web_cpu_ticks(),
            support_ticks=processes.support_cpu_ticks(),
            harness_s=own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
        )

    def busy_cores_since(self, before: CpuSnapshot) -> float:
        return proc.ticks_to_seconds(self.busy_ticks - before.busy_ticks) / (self.at - before.at)

    def other_cores_since(self, before: CpuSnapshot, *, pg_seconds: float) -> float:
        accounted = (
            proc.ticks_to_seconds(
                (self.web_ticks - before.web_ticks) + (self.support_ticks - before.support_ticks)
            )
            + pg_seconds
            + (self.harness_s - before.harness_s)
        )
        busy = proc.ticks_to_seconds(self.busy_ticks - before.busy_ticks)
        return max(busy - accounted, 0.0) / (self.at - before.at)


def build_targets(data: DataSet) -> dict[str, load.Target]:
    home = f"/api/v1/timelines/home?limit={HOME_LIMIT}"
    return {
        "plain": load.Target("plain", "/_bench/plain"),
        "db40": load.Target("db40", "/_bench/db40"),
        "home_500": load.Target("home_500", home, data.token("v500")),
        "home_20": load.Target("home_20", home, data.token("v20")),
        "home_sparse": load.Target("home_sparse", home, data.token("sparse")),
        "home_deep": load.Target(
            "home_deep", f"{home}&max_id={data.deep_max_id}", data.token("v500")
        ),
        "post_status": load.Target(
            "post_status",
            "/api/v1/statuses",
            data.token("quiet"),
            method="POST",
            form_body="status=A+benchmark+post+from+the+quiet+author",
        ),
    }


@dataclass
class BenchContext:
    env: BenchEnvironment
    processes: AppProcesses
    data: DataSet
    celery: CeleryControl
    targets: dict[str, load.Target] = field(init=False)
    runs: dict[tuple[str, int], Run] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # raw figures printed for the record
    rss: list[RssSnapshot] = field(default_factory=list)  # after each run, and at the end
    _memo: dict[str, Any] = field(default_factory=dict)
    _checked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.targets = build_targets(self.data)

    def note(self, line: str) -> None:
        print(f"    {line}", flush=True)
        self.notes.append(line)

    def once(self, name: str, compute: Callable[[], Any]) -> Any:
        """A shared experiment (the fan-out posts, the query count), done on first use."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    # --- requests ---------------------------------------------------------------------------

    def request(self, target: load.Target) -> tuple[int, Any]:
        """One request as wrk would send it; returns the status and the decoded JSON body."""
        body = target.form_body.encode() if target.form_body is not None else None
        req = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.env.base_url}{target.path}",
            data=body,
            method=target.method,
            headers=target.all_headers(),
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            raise PreflightError(
                f"{target.name}: {target.method} {target.path} -> {exc.code}: {detail}"
            ) from exc

    def preflight(self, name: str) -> None:
        """One request before the load: a 401 or an empty page shows here, with its body."""
        if name in self._checked:
            return
        target = self.targets[name]
        status, body = self.request(target)
        if not 200 <= status < 300:
            raise PreflightError(f"{name}: {target.method} {target.path} -> {status}")
        if isinstance(body, list):
            self.note(f"{name}: a page of {len(body)} statuses")
            if not body and name.startswith("home"):
                self.note(f"WARNING: {name} returned an empty page; its figures mean little")
        elif isinstance(body, dict) and "rows" in body:
            self.note(f"{name}: {len(body['rows'])} rows")
        self._checked.add(name)

    # --- load runs --------------------------------------------------------------------------

    def run(self, name: str, connections: int) -> Run:
        key = (name, connections)
        if key not in self.runs:
            self.runs[key] = self._measure_run(name, connections)
        return self.runs[key]

    def _measure_run(self, name: str, connections: int) -> Run:
        target = self.targets[name]
        self.preflight(name)
        self.processes.check_alive()
        waited = wait_for_autovacuum()
        if waited >= 1:
            self.note(f"waited {waited:.0f} s for autovacuum on the bench database")
        wrk = {
            "base_url": self.env.base_url,
            "concurrency": connections,
            "script_dir": self.env.script_dir,
        }
        self.processes.fresh_web_workers()
        warm_up = load.run_wrk(target, seconds=load.WARMUP_S, **wrk)
        time.sleep(min(MAX_SETTLE_S, max(MIN_SETTLE_S, 1.5 * warm_up.p99_ms / 1000)))
        return self.measured(
            name, connections, lambda: load.run_wrk(target, seconds=load.RUN_S, **wrk)
        )

    def measured(self, name: str, connections: int, execute: Callable[[], load.LoadResult]) -> Run:
        """Run ``execute`` (one measured load run) between CPU snapshots of the app's
        processes and of PostgreSQL's backends, and describe it as a Run."""
        workers_before = self.processes.web_workers()
        sampler = BackendCpuSampler()
        try:
            before = CpuSnapshot.take(self.processes)
            sampler.start()
            result = execute()
            after = CpuSnapshot.take(self.processes)
            pg = sampler.stop()
        finally:
            sampler.close()
        self.processes.check_alive()
        self.rss.append(self.processes.rss_snapshot())
        if self.processes.web_workers() != workers_before:
            # Its CPU is still counted (the master's cutime); its connections' at most one sample.
            self.note(f"gunicorn recycled a worker during {name} c={connections} (max_requests)")
        run = Run(
            target=name,
            connections=connections,
            load=result,
            web_cpu_s=proc.ticks_to_seconds(after.web_ticks - before.web_ticks),
            pg_cpu_s=pg.seconds,
            pg_reaped_s=proc.ticks_to_seconds(sampler.reaped_ticks),
            machine_cores=after.busy_cores_since(before),
            other_cores=after.other_cores_since(before, pg_seconds=pg.seconds),
        )
        self.note(run.describe())
        return run
