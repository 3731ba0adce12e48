"""What the run needs before the app starts: PostgreSQL and Redis on 127.0.0.1 (started the way
.ci/run starts them when they are not answering), the database ``fedisocial_bench`` migrated and
seeded, an empty Redis namespace, and wrk."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fedisocial.bench.environment import (
    BASE_DIR,
    DATABASE_NAME,
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_USER,
    REDIS_NAMESPACE,
    REDIS_PORT,
    REDIS_URL,
    BenchEnvironment,
)


class ServiceError(RuntimeError):
    """A service the run depends on could not be had."""


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _succeeds(command: list[str]) -> bool:
    return (
        subprocess.run(command, capture_output=True, check=False).returncode == 0  # noqa: S603
    )


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not come up within {timeout:.0f} seconds")
        time.sleep(0.5)


def _postgres_ready() -> bool:
    return _succeeds(["pg_isready", "-h", POSTGRES_HOST, "-p", str(POSTGRES_PORT), "-q"])


def _redis_ready() -> bool:
    return _succeeds(["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), "ping"])


def ensure_postgres() -> None:
    if _postgres_ready():
        return
    versions = sorted(
        (p.name for p in Path("/etc/postgresql").iterdir()),
        key=lambda v: [int(x) for x in v.split(".") if x.isdigit()],
    )
    if not versions:
        raise ServiceError("PostgreSQL is not answering on 127.0.0.1 and no cluster is installed")
    say(f"starting PostgreSQL cluster {versions[-1]}/main")
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],  # noqa: S607
        check=True,
    )
    _wait_for("PostgreSQL", _postgres_ready)


def ensure_redis() -> None:
    if _redis_ready():
        return
    say("starting Redis on 127.0.0.1")
    for directory in ("/var/lib/redis", "/var/log/redis"):
        Path(directory).mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/bench.log",
        ],
        check=True,
    )
    _wait_for("Redis", _redis_ready)


def ensure_database() -> None:
    """Create ``fedisocial_bench`` (user postgres, trust auth on 127.0.0.1) when missing."""
    from fedisocial.bench.postgres import connect_maintenance

    with connect_maintenance() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if exists is None:
            say(f"creating database {DATABASE_NAME} (owner {POSTGRES_USER})")
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def vacuum_analyze() -> None:
    """VACUUM (ANALYZE) the bench database before the app starts: the state autovacuum keeps a
    production database in. A reused data set otherwise carries the earlier runs' writes (each
    fan-out adds 30,000 feed rows) under statistics from when it was built, and the planner's
    choices drift from run to run (the home feed read once took 40 ms instead of 0.3 ms)."""
    from fedisocial.bench.postgres import connect

    say(f"VACUUM (ANALYZE) {DATABASE_NAME}")
    with connect() as conn:
        conn.execute("VACUUM (ANALYZE)")


def clear_redis_namespace() -> None:
    """Delete the bench namespace's keys: queued tasks of an interrupted run, cached rows."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{REDIS_NAMESPACE}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    say("wrk is not installed: apt-get install -y wrk")
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, check=False).returncode != 0:  # noqa: S603
        say("apt-get update, then apt-get install -y wrk again")
        subprocess.run(["apt-get", "update"], check=True)  # noqa: S607
        subprocess.run(install, check=True)  # noqa: S603
    if not shutil.which("wrk"):
        raise ServiceError("wrk is still not on PATH after apt-get install")


def manage(env: BenchEnvironment, *args: str, log_name: str | None, timeout: float) -> None:
    """Run ``manage.py <args>`` as the bench instance; its output goes to a log file under
    .bench/, or to the terminal when ``log_name`` is None."""
    log_path = env.log_dir / log_name if log_name else None
    log = log_path.open("ab") if log_path else None
    try:
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env.process_environment(),
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            timeout=timeout,
            check=False,
        )
    finally:
        if log:
            log.close()
    if completed.returncode != 0:
        tail = ""
        if log_path:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
            tail = f" (log: {log_path}):\n{tail}"
        raise ServiceError(f"manage.py {' '.join(args)} exited with {completed.returncode}{tail}")


def migrate(env: BenchEnvironment) -> None:
    say(f"manage.py migrate ({DATABASE_NAME})")
    manage(env, "migrate", "--noinput", log_name="migrate.log", timeout=600)


def seed(env: BenchEnvironment) -> None:
    say(f"manage.py seed_bench --output {env.seed_path.relative_to(BASE_DIR)}")
    manage(
        env,
        "seed_bench",
        "--verbosity",
        "2",  # a first build reports its steps
        "--output",
        str(env.seed_path),
        log_name=None,  # its progress is worth seeing: a first seed takes a while
        timeout=3600,
    )
