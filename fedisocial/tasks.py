"""Server-wide tasks. ``diagnostic_touch`` proves that queued tasks reach a running worker: it
writes DATA_DIR/diagnostics/<name> saying which process and thread ran it."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

from celery import shared_task
from django.conf import settings

from accounts.models import Account

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def diagnostics_dir() -> Path:
    return Path(settings.DATA_DIR) / "diagnostics"


@shared_task(name="fedisocial.diagnostic_touch", ignore_result=True)
def diagnostic_touch(name: str, payload: str = "") -> str:
    if not _SAFE_NAME.match(name) or name.startswith("."):
        raise ValueError(f"unsafe diagnostic file name: {name!r}")
    directory = diagnostics_dir()
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "payload": payload,
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "ran_at": time.time(),
        # A database read from the worker thread, to show it has a working connection.
        "accounts": Account.objects.count(),
    }
    path = directory / name
    tmp = path.with_name(f".{name}.tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(path)
    return str(path)
