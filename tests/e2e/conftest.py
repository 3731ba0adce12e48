"""A real server for end-to-end tests: ``manage.py serve`` (uvicorn + in-process Celery worker and
beat) in a subprocess, on a free port, with its own DATA_DIR and database.

- With DATABASE_URL set (CI), the server gets its own PostgreSQL database
  ``fedisocial_e2e_<port>``, created here and dropped afterwards; otherwise SQLite in its
  DATA_DIR.
- REDIS_URL is passed through; REDIS_NAMESPACE is set per port so the server's queues, cache and
  channel layer stay apart from anything else on that Redis (its keys are deleted at the end).

Fixtures: ``e2e_server`` (the ServerProcess: ``.url``, ``.manage(...)``, ``.data_dir``,
``.log_tail()``), ``live_server_url`` (its base URL) and ``provision`` (runs create_account /
create_app / create_token against it: ``provision.user("alice")`` returns a token).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0

# Variables that describe the test process's own instance, never the live server's.
_NOT_INHERITED = {
    "DATA_DIR",
    "DATABASE_URL",
    "LOCAL_DOMAIN",
    "PORT",
    "HOST",
    "REDIS_NAMESPACE",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_SETTINGS_MODULE",
    "ALLOWED_HOSTS",
    "LOCAL_HTTPS",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: runs against a live server in a subprocess")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connect(database_url: str) -> Any:
    import psycopg

    return psycopg.connect(_with_database(database_url, "postgres"), autocommit=True)


class ServerProcess:
    """One embedded server: ``prepare()`` (database, migrate), ``start()``, ``stop()``, and
    ``cleanup()`` (drop the database, delete its Redis keys; optionally remove its files)."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        database_url: str | None = None,
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://localhost:{self.port}"
        self.root = root
        self.data_dir = root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = root / "server.log"
        self.namespace = f"fedisocial-e2e-{self.port}"
        self.base_database_url = database_url
        self.database_name = f"fedisocial_e2e_{self.port}" if database_url else None
        self.redis_url = redis_url
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        env.update(
            DJANGO_SETTINGS_MODULE="fedisocial.settings",
            DATA_DIR=str(self.data_dir),
            LOCAL_DOMAIN=f"localhost:{self.port}",
            PORT=str(self.port),
            HOST="127.0.0.1",
            REDIS_NAMESPACE=self.namespace,
            FAST_PASSWORD_HASHER="1",
            PYTHONUNBUFFERED="1",
        )
        # Scenarios make hundreds of requests from one address; a test that wants the API's rate
        # limit passes RATE_LIMIT_REQUESTS in extra_env.
        env.setdefault("RATE_LIMIT_REQUESTS", "0")
        if database_url and self.database_name:
            env["DATABASE_URL"] = _with_database(database_url, self.database_name)
        if redis_url:
            env["REDIS_URL"] = redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update(extra_env or {})
        self.env = env

    # --- lifecycle ---------------------------------------------------------------------------

    def prepare(self) -> None:
        if self.base_database_url and self.database_name:
            with _admin_connect(self.base_database_url) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.database_name}"')
        self.manage("migrate", "--noinput", timeout=300)

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        assert self.process is None, "already running"
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                self._close()
                raise RuntimeError(
                    f"the server exited with status {code} while starting:\n{self.log_tail()}"
                )
            try:
                response = httpx.get(f"{self.url}/health", timeout=2.0)
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer /health in time:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self, timeout: float = STOP_TIMEOUT, signum: int = signal.SIGTERM) -> int | None:
        """Signal (SIGTERM) and wait for the clean shutdown; SIGKILL past ``timeout``.
        Returns the exit status."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signum)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self._close()
        return process.returncode

    def _close(self) -> None:
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def cleanup(self, *, remove_files: bool = False) -> None:
        self.stop()
        if self.base_database_url and self.database_name:
            try:
                with _admin_connect(self.base_database_url) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            except Exception as exc:
                print(f"could not drop {self.database_name}: {exc}", file=sys.stderr)
        if self.redis_url:
            try:
                import redis

                client = redis.Redis.from_url(self.redis_url)
                keys = list(client.scan_iter(match=f"{self.namespace}:*", count=1000))
                if keys:
                    client.delete(*keys)
                client.close()
            except Exception as exc:
                print(f"could not clean Redis keys of {self.namespace}: {exc}", file=sys.stderr)
        if remove_files:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- helpers -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def manage(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run ``manage.py <args>`` against this server's environment."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def log_tail(self, lines: int = 200) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


class Provisioner:
    """Accounts, apps and tokens made with the management commands, as an admin would."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def __call__(self, command: str, *args: str) -> str:
        return self.server.manage(command, *args).stdout

    def account(
        self,
        username: str,
        *,
        email: str | None = None,
        password: str = "correct horse battery",
        role: str = "user",
        extra: tuple[str, ...] = (),
    ) -> str:
        """Create a confirmed, approved local account; returns its password."""
        self(
            "create_account",
            username,
            "--email",
            email or f"{username}@example.com",
            "--password",
            password,
            "--role",
            role,
            *extra,
        )
        return password

    def app(self, name: str, *, scopes: str = "read write follow push") -> dict[str, str]:
        """Register an OAuth app; returns its printed fields (client_id, client_secret...)."""
        out = self("create_app", name, "--scopes", scopes)
        fields: dict[str, str] = {}
        for line in out.splitlines():
            key, sep, value = line.partition(": ")
            if sep:
                fields[key.strip()] = value.strip()
        return fields

    def token(self, username: str, *, scopes: str = "read write follow push") -> str:
        """An access token for a local user: the last line create_token prints."""
        out = self("create_token", username, "--scopes", scopes)
        return out.strip().splitlines()[-1].strip()

    def user(self, username: str, *, scopes: str = "read write follow push", **kw: Any) -> str:
        """An account and a token for it; returns the token."""
        self.account(username, **kw)
        return self.token(username, scopes=scopes)


def start_server(root: Path, **kwargs: Any) -> ServerProcess:
    """A prepared and started server using the test run's DATABASE_URL / REDIS_URL."""
    server = ServerProcess(
        root,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        **kwargs,
    )
    try:
        server.prepare()
        server.start()
    except BaseException:
        server.cleanup()
        raise
    return server


def report_log_on_failure(
    request: pytest.FixtureRequest, server: ServerProcess, before: int
) -> None:
    """Print the server's log when tests using it failed."""
    if request.session.testsfailed > before:
        reporter = request.config.pluginmanager.getplugin("terminalreporter")
        text = f"live server log ({server.log_path}):\n{server.log_tail()}"
        if reporter is not None:
            reporter.write_sep("-", f"live server {server.url}")
            reporter.write_line(text)
        else:
            print(text, file=sys.stderr)


# Not named ``live_server``: pytest-django owns that name (and an autouse helper keyed on it).
@pytest.fixture(scope="session")
def e2e_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("live-server"))
    failed_before = request.session.testsfailed
    try:
        yield server
    finally:
        report_log_on_failure(request, server, failed_before)
        server.cleanup()


@pytest.fixture(scope="session")
def live_server_url(e2e_server: ServerProcess) -> str:
    return e2e_server.url


@pytest.fixture(scope="session")
def provision(e2e_server: ServerProcess) -> Provisioner:
    return Provisioner(e2e_server)


# --- Two servers that federate with each other ----------------------------------------------


class Pair:
    """Two live servers on loopback (``a`` and ``b``), each with its own database, federating
    over real signed HTTP; ``provision_a`` / ``provision_b`` make accounts and tokens."""

    def __init__(self, a: ServerProcess, b: ServerProcess) -> None:
        self.a, self.b = a, b
        self.provision_a, self.provision_b = Provisioner(a), Provisioner(b)

    @property
    def domain_a(self) -> str:
        return f"localhost:{self.a.port}"

    @property
    def domain_b(self) -> str:
        return f"localhost:{self.b.port}"


# Retries start after a second instead of a minute, so a test can see one happen.
FEDERATION_TEST_ENV = {"FEDERATION_RETRY_BASE_SECONDS": "1"}


@contextmanager
def running_pair(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    name: str,
    env_a: dict[str, str],
    env_b: dict[str, str],
) -> Iterator[Pair]:
    """Two servers started side by side, their logs shown when a test using them failed, and
    both stopped and cleaned up whatever happens."""
    a = start_server(tmp_path_factory.mktemp(f"{name}-a"), extra_env=env_a)
    try:
        b = start_server(tmp_path_factory.mktemp(f"{name}-b"), extra_env=env_b)
    except BaseException:
        a.cleanup()
        raise
    failed_before = request.session.testsfailed
    try:
        yield Pair(a, b)
    finally:
        report_log_on_failure(request, a, failed_before)
        report_log_on_failure(request, b, failed_before)
        b.cleanup()
        a.cleanup()


@pytest.fixture(scope="session")
def federated_pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    with running_pair(
        request,
        tmp_path_factory,
        name="server",
        env_a=FEDERATION_TEST_ENV,
        env_b=FEDERATION_TEST_ENV,
    ) as pair:
        yield pair
