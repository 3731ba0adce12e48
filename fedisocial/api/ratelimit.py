"""Mastodon's API rate limit: N requests per period per account (or per IP without a token),
reported in X-RateLimit-* headers and answered with 429 past the limit.

A fixed window counter costs one or two cache operations per request (an atomic INCR on Redis).
RATE_LIMIT_REQUESTS=0 turns it off.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request

from fedisocial.api.dates import iso


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_at: float

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Reset": iso(datetime.fromtimestamp(self.reset_at, UTC)) or "",
        }

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


def _identity(request: Request) -> str:
    user = request.user
    if user is not None:
        return f"a{user.account_id}"
    return "ip" + str(request.META.get("REMOTE_ADDR", ""))


def hit(request: Request) -> RateLimitState | None:
    limit = settings.RATE_LIMIT_REQUESTS
    if limit <= 0:
        return None
    period = settings.RATE_LIMIT_PERIOD
    window = int(time.time() // period)
    key = f"ratelimit:{_identity(request)}:{window}"
    if cache.add(key, 1, timeout=period + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 5)
            count = 1
    return RateLimitState(limit=limit, remaining=limit - count, reset_at=(window + 1) * period)
