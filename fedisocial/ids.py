"""Time-sortable 64-bit ids, as Mastodon's: milliseconds since the epoch in the high 48 bits.

Ordering by id is chronological, so timelines page by id alone. The low 16 bits are a per-process
random start plus a counter, so ids made in one millisecond by several processes rarely collide.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

_lock = threading.Lock()
_state = {"ms": 0, "seq": 0}


def generate_id() -> int:
    with _lock:
        ms = int(time.time() * 1000)
        if ms <= _state["ms"]:
            ms = _state["ms"]
            _state["seq"] += 1
            if _state["seq"] > 0xFFFF:
                ms += 1
                _state["seq"] = secrets.randbelow(0x8000)
        else:
            _state["seq"] = secrets.randbelow(0x8000)
        _state["ms"] = ms
        return (ms << 16) | _state["seq"]


def id_at(when: datetime, *, upper: bool = False) -> int:
    """The smallest (or largest) id that could have been generated at ``when``."""
    ms = int(when.timestamp() * 1000)
    return (ms << 16) | (0xFFFF if upper else 0)


def timestamp_of(snowflake: int) -> float:
    return (snowflake >> 16) / 1000
