"""The production process model, started by the harness: gunicorn with the unchanged
gunicorn.conf.py, a Celery worker with docker-compose.yml's options, and Celery beat. Each runs
in its own process group (its own session), so stopping one stops everything it forked, and a
Ctrl-C in the terminal reaches only the harness, which then stops them in order."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fedisocial.bench import proc
from fedisocial.bench.environment import BASE_DIR, BenchEnvironment

STARTUP_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
BIN_DIR = Path(sys.executable).parent


class ProcessError(RuntimeError):
    """A process of the app did not start, or died during the run."""


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self.popen is None:
            raise ProcessError(f"{self.name} is not running")
        return self.popen.pid

    def start(self, env: dict[str, str]) -> None:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            self.command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise ProcessError(
                f"{self.name} exited with status {self.popen.returncode}; "
                f"last lines of {self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL to it past STOP_TIMEOUT_S."""
        popen = self.popen
        if popen is not None:
            if popen.poll() is None:
                _signal_group(popen.pid, signal.SIGTERM)
                try:
                    popen.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    _signal_group(popen.pid, signal.SIGKILL)
                    popen.wait(10)
            # Whatever it left in its group (a worker still finishing) goes too.
            _signal_group(popen.pid, signal.SIGKILL)
            self.popen = None
        if self._log is not None:
            self._log.close()
            self._log = None


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


@dataclass(frozen=True)
class RssSnapshot:
    """Resident memory (MiB) of the app tier at one moment, by pid."""

    web: dict[int, float]
    celery: dict[int, float]
    beat: float

    @property
    def web_max(self) -> float:
        return max(self.web.values(), default=0.0)

    @property
    def app_tier(self) -> float:
        return sum(self.web.values()) + sum(self.celery.values()) + self.beat

    def describe(self) -> str:
        web = ", ".join(f"{pid}: {mib:.1f}" for pid, mib in self.web.items())
        celery = ", ".join(f"{pid}: {mib:.1f}" for pid, mib in self.celery.items())
        return f"gunicorn workers {web}; celery worker {celery}; beat {self.beat:.1f}"


def _rss_by_pid(pids: list[int]) -> dict[int, float]:
    readings = {pid: proc.rss_mib(pid) for pid in pids}
    return {pid: mib for pid, mib in readings.items() if mib is not None}


@dataclass
class AppProcesses:
    """gunicorn (the API), the Celery worker and beat, as docker-compose.yml runs them."""

    env: BenchEnvironment
    web: ManagedProcess = field(init=False)
    worker: ManagedProcess = field(init=False)
    beat: ManagedProcess = field(init=False)

    def __post_init__(self) -> None:
        logs = self.env.log_dir
        self.web = ManagedProcess(
            "gunicorn",
            [str(BIN_DIR / "gunicorn"), "-c", "gunicorn.conf.py", "fedisocial.wsgi"],
            logs / "gunicorn.log",
        )
        self.worker = ManagedProcess(
            "celery worker",
            [
                str(BIN_DIR / "celery"),
                "-A",
                "fedisocial",
                "worker",
                "--loglevel",
                "INFO",
                "--pool",
                "threads",
                "--concurrency",
                "8",
            ],
            logs / "worker.log",
        )
        self.beat = ManagedProcess(
            "celery beat",
            [str(BIN_DIR / "celery"), "-A", "fedisocial", "beat", "--loglevel", "INFO"],
            logs / "beat.log",
        )

    @property
    def all(self) -> list[ManagedProcess]:
        return [self.web, self.worker, self.beat]

    def start(self) -> None:
        environment = self.env.process_environment()
        for process in self.all:
            process.start(environment)
        self.wait_for_health()

    def wait_for_health(self) -> None:
        url = f"{self.env.base_url}/health"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            self.check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                    if response.status == 200 and len(self.web_workers()) == self.env_workers:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ProcessError(
                    f"gunicorn did not answer {url} within {STARTUP_TIMEOUT_S:.0f} s:\n"
                    f"{self.web.log_tail()}"
                )
            time.sleep(0.3)

    @property
    def env_workers(self) -> int:
        return int(self.env.variables()["WEB_CONCURRENCY"])

    def check_alive(self) -> None:
        for process in self.all:
            process.check_alive()

    def stop(self) -> None:
        # The web first (no new tasks), then the worker, then beat; each in its own try so one
        # failure cannot leave the others running.
        errors = []
        for process in self.all:
            try:
                process.stop()
            except Exception as exc:  # report it and go on stopping the rest
                errors.append(f"{process.name}: {exc}")
        if errors:
            print("could not stop cleanly: " + "; ".join(errors), file=sys.stderr)

    # --- pids -------------------------------------------------------------------------------

    def web_workers(self) -> list[int]:
        """The gunicorn workers: the master's children."""
        return proc.children_of(self.web.pid)

    def web_cpu_ticks(self) -> int:
        """CPU of the gunicorn workers, live and recycled ones (not the master's own)."""
        return proc.tree_cpu_ticks(self.web.pid)

    def support_cpu_ticks(self) -> int:
        """CPU of the app's other processes: the gunicorn master, the Celery worker (with any
        pool children) and beat."""
        total = 0
        for pid in (self.web.pid, self.worker.pid, self.beat.pid):
            total += proc.cpu_ticks(pid) or 0
        return total + proc.tree_cpu_ticks(self.worker.pid)

    def celery_worker_processes(self) -> list[int]:
        """The processes doing the Celery work: the worker itself with the threads pool, its
        pool children (not the master) with prefork."""
        children = proc.children_of(self.worker.pid)
        return children or [self.worker.pid]

    def rss_snapshot(self) -> RssSnapshot:
        return RssSnapshot(
            web=_rss_by_pid(self.web_workers()),
            celery=_rss_by_pid(self.celery_worker_processes()),
            beat=proc.rss_mib(self.beat.pid) or 0.0,
        )

    def fresh_web_workers(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """SIGHUP to the gunicorn master, as a deploy does: new workers are forked from the
        preloaded app and the old ones finish gracefully. Returns once only new workers are
        left. Each run then starts with every worker's ``max_requests`` budget whole."""
        old = set(self.web_workers())
        os.kill(self.web.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            current = set(self.web_workers())
            if len(current) == self.env_workers and not current & old:
                break
            if time.monotonic() > deadline:
                raise ProcessError(f"gunicorn did not replace its workers within {timeout:.0f} s")
            time.sleep(0.1)
        self.wait_for_health()
