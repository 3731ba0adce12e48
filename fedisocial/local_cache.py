"""A small in-process cache in front of a shared one, for values that never change under their
key (rendered entities, whose keys carry row versions).

A timeline page asks Redis for 40-80 entities; most are the same recent statuses on every page
of every reader. Keeping the last few thousand in the worker's memory saves that round trip and
the decoding, and since a key's value never changes, a copy here cannot be stale. Values are
shared between requests and threads: callers must not mutate them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

_MISSING = object()


class LocalCache:
    """A bounded dict: the oldest entries go first once it holds ``size`` (first in, first
    out; a hit does not reorder, which would cost a write per read)."""

    def __init__(self) -> None:
        self._entries: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        entries = self._entries
        found = {}
        for key in keys:
            value = entries.get(key, _MISSING)  # another thread may evict it meanwhile
            if value is not _MISSING:
                found[key] = value
        return found

    def set_many(self, values: Mapping[str, Any], size: int) -> None:
        if size <= 0:
            return
        with self._lock:
            entries = self._entries
            entries.update(values)
            excess = len(entries) - size
            if excess > 0:
                for key in list(islice(entries, excess)):
                    del entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
