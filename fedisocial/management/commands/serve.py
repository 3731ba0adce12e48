"""``manage.py serve``: the whole server in one process.

- uvicorn serves HTTP (and, with the streaming issue, WebSockets) from ``fedisocial.asgi`` in the
  main thread, which also owns the signal handlers;
- a Celery worker (``WorkController`` with a thread pool) consumes the instance's queue in a
  thread, so tasks queued by the web side, by management commands or by another process run here;
- Celery beat runs in a thread too (``EmbeddedService(thread=True)``).

With no REDIS_URL the broker is kombu's filesystem transport under DATA_DIR/broker, so queued
tasks survive a restart. Ctrl-C or SIGTERM stops uvicorn (finishing open requests), then the
worker (finishing running tasks) and beat; a second signal stops at once.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

logger = logging.getLogger("fedisocial.serve")

LOG_FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"
WORKER_STOP_TIMEOUT = 30.0
BEAT_STOP_TIMEOUT = 10.0


def configure_logging(level: str) -> Path:
    """Everything to stdout and to DATA_DIR/logs/fedisocial.log (rotated at 10 MB).

    Called again after the worker is built: Celery's Django fixup runs ``django.setup()`` in
    ``worker_init``, which applies settings.LOGGING afresh.
    """
    log_dir = Path(settings.DATA_DIR) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "fedisocial.log"
    formatter = logging.Formatter(LOG_FORMAT)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler):
            root.removeHandler(handler)
            if isinstance(handler, logging.FileHandler):
                handler.close()
    console = logging.StreamHandler(sys.stdout)
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    for handler in (console, file_handler):
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    # The filesystem broker has no host; kombu warns about it on every connection.
    logging.getLogger("kombu.connection").addFilter(
        lambda record: "No hostname was supplied" not in record.getMessage()
    )
    # uvicorn's loggers propagate to the root: it is started with log_config=None.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return log_file


def describe_broker() -> str:
    if settings.REDIS_URL:
        return f"redis (namespace {settings.REDIS_NAMESPACE})"
    return f"filesystem ({Path(settings.DATA_DIR) / 'broker'})"


def describe_database() -> str:
    db = settings.DATABASES["default"]
    if settings.IS_POSTGRES:
        return f"postgresql ({db.get('HOST') or 'local socket'}/{db.get('NAME')})"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    connection.close()
    return f"sqlite ({db['NAME']}, journal_mode={mode})"


class EmbeddedWorker:
    """A Celery worker consuming in a daemon thread; stopped by the flags Celery's own signal
    handlers set, so no handler is installed outside the main thread."""

    def __init__(self, concurrency: int, loglevel: str, hostname: str) -> None:
        from fedisocial.celery import app

        # One process is the whole cluster: no broadcast remote control, gossip, mingle or
        # heartbeats to exchange with other workers.
        app.conf.worker_enable_remote_control = False
        app.conf.worker_send_task_events = False
        self.ready = threading.Event()
        self.controller = app.WorkController(
            hostname=hostname,
            pool_cls="threads",
            concurrency=concurrency,
            loglevel=loglevel.upper(),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            ready_callback=lambda consumer: self._on_ready(),
        )
        self.thread = threading.Thread(target=self._run, name="CeleryWorker", daemon=True)

    def _on_ready(self) -> None:
        logger.info("Celery worker ready (queue %s)", settings.CELERY_TASK_DEFAULT_QUEUE)
        self.ready.set()

    def _run(self) -> None:
        try:
            self.controller.start()
        except BaseException:
            logger.exception("The embedded Celery worker stopped with an error")

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = WORKER_STOP_TIMEOUT) -> None:
        from celery.worker import state

        if not self.thread.is_alive():
            return
        logger.info("Stopping the Celery worker (waiting for running tasks)")
        state.should_stop = 0  # warm shutdown, as on a worker's first SIGTERM
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.terminate()

    def terminate(self) -> None:
        from celery.worker import state

        if not self.thread.is_alive():
            return
        logger.warning("Terminating the Celery worker")
        state.should_terminate = 0
        self.thread.join(5)


class Command(BaseCommand):
    help = (
        "Run the embedded server: uvicorn (HTTP/WebSocket), a Celery worker and Celery beat in "
        "one process. Ctrl-C or SIGTERM stops it cleanly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "").strip() or "127.0.0.1",
            help="Interface to listen on (env HOST, default 127.0.0.1)",
        )
        parser.add_argument(
            "--port", type=int, default=settings.PORT, help="Port (env PORT, default 8000)"
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=int(os.environ.get("WORKER_CONCURRENCY", "").strip() or 4),
            help="Worker threads (env WORKER_CONCURRENCY, default 4)",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not run a worker")
        parser.add_argument("--no-beat", action="store_true", help="Do not run beat")
        parser.add_argument(
            "--log-level",
            default=os.environ.get("LOG_LEVEL", "").strip() or "INFO",
            help="Log level (env LOG_LEVEL, default INFO)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn
        from celery.beat import EmbeddedService

        from fedisocial.asgi import application
        from fedisocial.celery import app as celery_app

        log_file = configure_logging(options["log_level"])
        self.check_migrations()

        signals_seen: list[int] = []
        worker: EmbeddedWorker | None = None
        beat: Any = None

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # Outside uvicorn's own handling (before it starts, after it stops): the first
            # signal asks for a clean stop, a second one cuts the worker's wait short.
            signals_seen.append(signum)
            if len(signals_seen) > 1 and worker is not None:
                worker.terminate()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

        host, port = options["host"], options["port"]
        logger.info(
            "Fedisocial %s on http://%s:%s (LOCAL_DOMAIN %s)",
            settings.FEDISOCIAL_VERSION,
            host,
            port,
            settings.LOCAL_DOMAIN,
        )
        logger.info("Data directory %s, logs in %s", settings.DATA_DIR, log_file)
        logger.info("Database: %s", describe_database())
        logger.info("Broker: %s", describe_broker())

        try:
            if not options["no_worker"]:
                worker = EmbeddedWorker(
                    concurrency=max(1, options["concurrency"]),
                    loglevel=options["log_level"],
                    hostname=f"fedisocial-{port}@{socket.gethostname()}",
                )
                configure_logging(options["log_level"])
                worker.start()
            if not options["no_beat"]:
                beat = EmbeddedService(celery_app, thread=True)
                beat.start()
            if not signals_seen:
                config = uvicorn.Config(
                    application,
                    host=host,
                    port=port,
                    log_config=None,
                    log_level=options["log_level"].lower(),
                    lifespan="off",
                    server_header=False,
                    timeout_graceful_shutdown=10,
                )
                # Exits with status 1 (SystemExit) when it cannot listen.
                uvicorn.Server(config).run()
        finally:
            logger.info("Shutting down")
            if beat is not None:
                logger.info("Stopping Celery beat")
                beat.service.stop()
                beat.join(BEAT_STOP_TIMEOUT)
            if worker is not None:
                worker.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logger.info("Stopped")
