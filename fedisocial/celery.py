"""The Celery application: fan-out, delivery and scheduled work run in its workers."""

from __future__ import annotations

import gc
import os
from typing import Any

import click
from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedisocial.settings")


def _celery_command() -> str | None:
    """The ``celery`` subcommand this process runs (``worker``, ``beat``...), or None outside
    the ``celery`` program (gunicorn, manage.py, tests). The program loads the app while
    running its top-level command, once it knows the subcommand."""
    context = click.get_current_context(silent=True)
    return None if context is None else context.invoked_subcommand


# `celery -A fedisocial beat` only sends the scheduled tasks, by name, to the broker: it needs the
# CELERY_* settings, not Django. With the Django fix-up it set Django up, ran the system checks
# (importing every view) and imported every task module, twice the memory it needs. A worker
# with an embedded beat (`worker -B`, `manage.py serve`) keeps the whole app.
BEAT_ONLY = _celery_command() == "beat"

app = Celery("fedisocial", fixups=[] if BEAT_ONLY else None)
# Beat reads the settings now, while `celery` still has the working directory on sys.path for
# loading the app (the Django fix-up, which it does without, adds it for good).
app.config_from_object("django.conf:settings", namespace="CELERY", force=BEAT_ONLY)
if not BEAT_ONLY:
    app.autodiscover_tasks()


@signals.worker_ready.connect
def _freeze_loaded_worker(**kwargs: Any) -> None:
    """Once the worker has loaded the app and every task module, set them aside from the garbage
    collector and collect the oldest generation with every middle one: the same policy, and
    the same reasons, as gunicorn.conf.py's pre_fork and post_fork hooks for the web workers."""
    gc.collect()
    gc.freeze()
    gc.collect()
    gc.set_threshold(2000, 10, 0)


@signals.task_prerun.connect
def _reuse_connections(**kwargs: Any) -> None:
    """Treat each task as Django treats a request: keep a persistent database connection (up
    to CONN_MAX_AGE) and check its health before use, rather than Celery's default of closing
    it after every task (a new PostgreSQL connection per fan-out batch cost ~14 ms of server
    CPU). CELERY_DB_REUSE_MAX in settings stops Celery's own closing."""
    task = kwargs.get("task")
    if task is not None and task.request.is_eager:
        return  # run inline by the caller, inside its request or transaction
    from django.db import close_old_connections

    close_old_connections()


def federation_counters(state: Any) -> dict[str, int]:
    """``make bench`` asks the worker (``broadcast("federation_counters", reply=True)``) how
    many PEM keys it has parsed and TLS contexts it has built: both are meant to happen once
    per process, so a warm delivery run must add none. The counters live in this process, which
    only a remote control command can read."""
    from federation import http, signatures

    return {
        "pid": os.getpid(),
        "key_loads": signatures.key_loads(),
        "tls_contexts": http.tls_contexts_created(),
    }


@signals.worker_init.connect
def _register_control_commands(**kwargs: Any) -> None:
    """Registered in worker processes only: the control module costs every other process
    (each gunicorn worker) half a megabyte it would never use."""
    from celery.worker.control import inspect_command

    inspect_command()(federation_counters)
