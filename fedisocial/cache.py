"""Django's Redis cache backend, minus two per-call costs that showed up on every API request.

Django builds a new ``redis.Redis`` client for every cache operation, and redis-py's constructor
fills a table of ~170 response callbacks each time (about 0.3 ms); a client is a thin,
thread-safe wrapper over the connection pool, so one per pool is kept. Django also validates
every key against memcached's rules, which Redis does not have; keys here are ours.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class JSONSerializer:
    """For caches of plain data (rendered entities): orjson decodes a status entity several
    times faster than pickle. Integers stay raw, as Django stores them, so ``incr`` works, and
    bytes (entities already encoded as JSON) come back as they were stored."""

    def __init__(self, protocol: Any = None) -> None:
        pass

    def dumps(self, obj: Any) -> bytes | int:
        if type(obj) is int:
            return obj
        if type(obj) is bytes:
            return _RAW + obj
        return orjson.dumps(obj)

    def loads(self, data: bytes) -> Any:
        first = data[:1]
        if first == _RAW:
            return data[1:]
        # JSON values start with "{" or "[": trying int() on them first and catching the
        # error cost more than decoding them.
        if first in _INTEGER_STARTS:
            try:
                return int(data)
            except ValueError:
                pass
        return orjson.loads(data)


_RAW = b"\x00"  # never the first byte of JSON or of an integer
_INTEGER_STARTS = frozenset(b"-0123456789"[i : i + 1] for i in range(11))


class _ReusingClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write)
            )
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _ReusingClient

    def validate_key(self, key: str) -> None:
        """Redis takes any key: nothing to warn about."""
