"""The bench instance's identity: its work directory, port, database, Redis namespace and the
environment every process of the run gets (the harness's own included), so that nothing it
starts can reach the development or test data."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
WORK_DIR = BASE_DIR / ".bench"
RESULTS_PATH = BASE_DIR / "bench-results.json"

DATABASE_NAME = "fedisocial_bench"
POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
REDIS_PORT = 6379
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
REDIS_NAMESPACE = "fedisocial_bench"
PREFERRED_PORT = 8400
# The data set's identity stays the same whatever port the run gets.
LOCAL_DOMAIN = f"localhost:{PREFERRED_PORT}"
# Only for signing this throwaway instance's sessions; never a production secret.
SECRET_KEY = "fedisocial-bench-not-a-secret-" + "0" * 32
API_WORKERS = 2
# Recognises the harness's own PostgreSQL connections, left out of the CPU readings.
HARNESS_APPLICATION_NAME = "fedisocial-bench-harness"

# Everything settings.py reads: none of it is inherited from the caller's shell.
SETTINGS_VARIABLES = (
    "ALLOWED_HOSTS",
    "ALLOWED_PRIVATE_NETWORKS",
    "AUTHORIZED_FETCH",
    "BENCH_ANCHORS",
    "CELERY_TASK_ALWAYS_EAGER",
    "DATABASE_URL",
    "DATA_DIR",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "FAST_PASSWORD_HASHER",
    "FEDERATION_DELIVERY_CONCURRENCY",
    "FEDERATION_FAILURE_DAY_SECONDS",
    "FEDERATION_RETRY_BASE_SECONDS",
    "FEDERATION_RETRY_SECONDS",
    "FEDERATION_UNAVAILABLE_AFTER_DAYS",
    "FEED_MAX_ITEMS",
    "FORWARDED_ALLOW_IPS",
    "HOST",
    "LOCAL_DOMAIN",
    "LOCAL_HTTPS",
    "LOG_LEVEL",
    "MAX_POLL_OPTIONS",
    "MAX_POLL_OPTION_CHARS",
    "MAX_STATUS_CHARS",
    "PORT",
    "RATE_LIMIT_PERIOD",
    "RATE_LIMIT_REQUESTS",
    "REDIS_NAMESPACE",
    "REDIS_URL",
    "REGISTRATIONS_MODE",
    "SECRET_KEY",
    "SITE_CONTACT_EMAIL",
    "SITE_DESCRIPTION",
    "SITE_TITLE",
    "SMTP_ENABLE_STARTTLS",
    "SMTP_FROM_ADDRESS",
    "SMTP_LOGIN",
    "SMTP_PASSWORD",
    "SMTP_PORT",
    "SMTP_SERVER",
    "SOURCE_URL",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "CELERY_CONCURRENCY",
)


def database_url(name: str = DATABASE_NAME) -> str:
    return f"postgres://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def port_is_free(port: int) -> bool:
    """Nothing listens on it. SO_REUSEADDR, as gunicorn binds: the previous run's connections
    left in TIME_WAIT must not make the port look taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_port(preferred: int = PREFERRED_PORT) -> int:
    """The preferred port when nothing listens on it, else any free one."""
    if port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class BenchEnvironment:
    port: int
    work_dir: Path = WORK_DIR

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    @property
    def log_dir(self) -> Path:
        return self.work_dir

    @property
    def seed_path(self) -> Path:
        return self.work_dir / "seed.json"

    @property
    def script_dir(self) -> Path:
        return self.work_dir / "wrk"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return database_url()

    def variables(self) -> dict[str, str]:
        """The settings every process of the run gets."""
        return {
            "DJANGO_SETTINGS_MODULE": "fedisocial.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": REDIS_NAMESPACE,
            "DATA_DIR": str(self.data_dir),
            "LOCAL_DOMAIN": LOCAL_DOMAIN,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "BENCH_ANCHORS": "1",
            # Mastodon's 300 requests per 5 minutes would throttle a load generator at once.
            "RATE_LIMIT_REQUESTS": "0",
            "WEB_CONCURRENCY": str(API_WORKERS),
            "SECRET_KEY": SECRET_KEY,
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        }

    def process_environment(self) -> dict[str, str]:
        """The caller's environment without any setting of its own, plus the bench's."""
        inherited = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
        return {**inherited, **self.variables()}

    def apply_to_this_process(self) -> None:
        """Make the harness itself (its Django setup, its Celery client) the bench instance."""
        for name in SETTINGS_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(self.variables())
