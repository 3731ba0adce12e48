"""The embedded server as `make run` starts it, and the deployment files.

A real ``manage.py serve`` runs in a subprocess (see tests/e2e/conftest.py): it answers HTTP,
its in-process Celery worker runs tasks queued by other processes (also while it was down), it
takes concurrent writes beside a management command, and it stops cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ServerProcess, report_log_on_failure, start_server

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    live = start_server(tmp_path_factory.mktemp("setup-server"))
    failed_before = request.session.testsfailed
    try:
        yield live
    finally:
        report_log_on_failure(request, live, failed_before)
        live.cleanup()


def queue_diagnostic(server: ServerProcess, name: str) -> None:
    code = f"from fedisocial.tasks import diagnostic_touch; diagnostic_touch.delay({name!r})"
    server.manage("shell", "-c", code)


def diagnostic(server: ServerProcess, name: str) -> dict[str, Any] | None:
    path = server.data_dir / "diagnostics" / name
    if not path.exists():
        return None
    return json.loads(path.read_text())


# --- The live server ---------------------------------------------------------------------------


def test_health_answers_ok(server: ServerProcess) -> None:
    response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    assert response.text == "OK"


def test_instance_describes_the_live_server(server: ServerProcess) -> None:
    v1 = httpx.get(f"{server.url}/api/v1/instance").json()
    assert v1["uri"] == f"localhost:{server.port}"
    assert v1["urls"]["streaming_api"] == f"ws://localhost:{server.port}"
    v2 = httpx.get(f"{server.url}/api/v2/instance").json()
    assert v2["domain"] == f"localhost:{server.port}"
    assert "Fedisocial" in v2["version"]


def test_front_page_and_nodeinfo(server: ServerProcess) -> None:
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert httpx.head(f"{server.url}/").status_code == 200
    links = httpx.get(f"{server.url}/.well-known/nodeinfo").json()["links"]
    doc = httpx.get(links[-1]["href"]).json()
    assert doc["software"]["name"] == "fedisocial"


def test_task_queued_by_another_process_runs_in_the_server(server: ServerProcess) -> None:
    queue_diagnostic(server, "from-shell")
    record = wait_for(lambda: diagnostic(server, "from-shell"))
    assert server.process is not None
    assert record["pid"] == server.process.pid  # the server's own process ran it
    assert record["thread"] != "MainThread"  # in a worker thread


def test_concurrent_writes_from_server_and_a_command(server: ServerProcess) -> None:
    """The server (admin pages, each add a transaction plus session writes) and a management
    command write at the same time; on SQLite that is WAL with a busy timeout."""
    server.manage(
        "shell",
        "-c",
        "from accounts.services import create_local_account\n"
        "_, user = create_local_account(username='root', email='root@example.com', "
        "password='admin password', role='owner')\n"
        "user.is_superuser = True\nuser.save()",
    )
    command_rules, admin_rules = 40, 15
    writer = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from moderation.models import Rule\n"
            f"for i in range({command_rules}):\n"
            "    Rule.objects.create(text=f'from the command {i}')",
        ],
        cwd=BASE_DIR,
        env=server.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    token = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    errors: list[str] = []

    def through_admin() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            page = client.get("/admin/login/")
            response = client.post(
                "/admin/login/?next=/admin/",
                data={
                    "username": "root@example.com",
                    "password": "admin password",
                    "csrfmiddlewaretoken": token.search(page.text).group(1),
                    "next": "/admin/",
                },
            )
            if response.status_code != 302:
                errors.append(f"login: {response.status_code}")
                return
            for i in range(admin_rules):
                form = client.get("/admin/moderation/rule/add/")
                response = client.post(
                    "/admin/moderation/rule/add/",
                    data={
                        "text": f"from the admin {i}",
                        "hint": "",
                        "priority": "0",
                        "csrfmiddlewaretoken": token.search(form.text).group(1),
                        "_save": "Save",
                    },
                )
                if response.status_code != 302:
                    errors.append(f"add {i}: {response.status_code}")

    def run_admin() -> None:
        try:
            through_admin()
        except Exception as exc:
            errors.append(repr(exc))

    admin_thread = threading.Thread(target=run_admin)
    admin_thread.start()
    admin_thread.join(120)
    _stdout, stderr = writer.communicate(timeout=120)
    assert writer.returncode == 0, stderr
    assert not errors, errors
    rules = httpx.get(f"{server.url}/api/v1/instance/rules").json()
    assert len(rules) == command_rules + admin_rules


def test_stops_cleanly_and_runs_tasks_queued_while_down(server: ServerProcess) -> None:
    assert server.stop(signum=signal.SIGINT) == 0  # Ctrl-C
    assert "Stopped" in server.log_tail(20)
    queue_diagnostic(server, "while-down")
    time.sleep(1)
    assert diagnostic(server, "while-down") is None
    server.start()
    record = wait_for(lambda: diagnostic(server, "while-down"))
    assert server.process is not None
    assert record["pid"] == server.process.pid
    assert server.stop() == 0  # SIGTERM
    assert "Stopped" in server.log_tail(20)


# --- Deployment files --------------------------------------------------------------------------


def settings_variables() -> set[str]:
    source = (BASE_DIR / "fedisocial" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:_bool)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_env_sample_documents_every_setting() -> None:
    sample = (BASE_DIR / ".env.production.sample").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", sample, flags=re.MULTILINE))
    variables = settings_variables()
    assert {"LOCAL_DOMAIN", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= variables
    assert variables - documented == set()


def test_compose_file_is_valid_yaml_with_every_process() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "streaming", "worker", "beat"} <= set(services)
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "uvicorn" in " ".join(services["streaming"]["command"])


def test_gunicorn_config_loads() -> None:
    namespace: dict[str, Any] = {}
    exec((BASE_DIR / "gunicorn.conf.py").read_text(), namespace)
    assert namespace["worker_class"] == "fedisocial.web_worker.BalancedThreadWorker"
    assert namespace["preload_app"] is True
