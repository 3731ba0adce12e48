"""Helpers for the statuses tests: statuses are made through the real service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Account, Follow, User
from statuses.models import Status
from statuses.services import post_status


@pytest.fixture
def post() -> Callable[..., Status]:
    """``post(user_or_account, "text", **post_status kwargs)``: a status, as posting makes one."""

    def _post(author: User | Account, text: str = "Hello", **kwargs: Any) -> Status:
        account = author.account if isinstance(author, User) else author
        status = post_status(account, text=text, **kwargs)
        assert isinstance(status, Status)
        return status

    return _post


@pytest.fixture
def follow() -> Callable[..., Follow]:
    """``follow(follower, followed)``: a Follow row with the counters a follow service keeps."""

    def _follow(follower: User | Account, target: User | Account, **kwargs: Any) -> Follow:
        a = follower.account if isinstance(follower, User) else follower
        b = target.account if isinstance(target, User) else target
        return Follow.objects.create(account=a, target_account=b, **kwargs)

    return _follow


@pytest.fixture
def count_queries() -> Callable[[Callable[[], Any]], int]:
    """``count_queries(fn)``: how many queries ``fn()`` ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def _count(fn: Callable[[], Any]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    return _count


@pytest.fixture(autouse=True)
def _memory_cache(settings: Any) -> None:
    """Idempotency keys live in the cache: a fresh one per test, not the instance's files."""
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
