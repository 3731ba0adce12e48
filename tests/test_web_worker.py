"""gunicorn as docker-compose.yml runs the web process (gunicorn.conf.py): kept-alive
connections are shared out between the workers, and a connection is closed after its
KEEPALIVE_REQUESTS-th request so its client reconnects."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import _NOT_INHERITED, free_port

BASE_DIR = Path(__file__).resolve().parent.parent
WORKERS = 2

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """(port, master pid) of gunicorn with the project's configuration, 2 workers, on SQLite."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="fedisocial.settings",
        DATA_DIR=str(tmp_path_factory.mktemp("gunicorn")),
        LOCAL_DOMAIN=f"localhost:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(WORKERS),
        WEB_KEEPALIVE_REQUESTS="5",
    )
    log = (tmp_path_factory.mktemp("gunicorn-log") / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "fedisocial.wsgi"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_workers(process.pid)) < WORKERS or not _answers(port):
            assert process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _established_on(port: int) -> set[str]:
    """Socket inodes of the server side of established connections to ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "01":
            inodes.add(fields[9])
    return inodes


def _held_by(pid: int, inodes: set[str]) -> int:
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def test_kept_alive_connections_are_shared_between_workers(gunicorn: tuple[int, int]) -> None:
    port, master = gunicorn
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(8)]
    for connection in connections:
        connection.connect()
    for connection in connections:
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection", "").lower() != "close"
    time.sleep(0.2)
    inodes = _established_on(port)
    held = sorted(_held_by(pid, inodes) for pid in _workers(master))
    for connection in connections:
        connection.close()
    assert sum(held) == 8
    # Without the balanced accept one worker often took them all (measured 15 of 16).
    assert held[-1] - held[0] <= 2, held


def test_connection_is_closed_after_its_keepalive_requests(gunicorn: tuple[int, int]) -> None:
    port, _ = gunicorn
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    answers = []
    for _ in range(5):
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        answers.append(response.getheader("Connection", "").lower())
    connection.close()
    # The client reconnects then, and the least loaded worker takes the new connection.
    assert answers == ["keep-alive"] * 4 + ["close"]
