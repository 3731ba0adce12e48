"""Helpers for the accounts API tests: statuses straight from the ORM (the posting service is
another module's), and the Link header parsed as a client parses it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import Account
from statuses.models import Status, StatusTag, Tag, Visibility


def link_targets(response: Any) -> dict[str, str]:
    """``{"next": url, "prev": url}`` from a response's Link header."""
    header = response.headers.get("Link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', header)}


@pytest.fixture
def make_status(db: None) -> Callable[..., Status]:
    def _make(
        account: Account,
        text: str = "hello",
        *,
        visibility: int = Visibility.PUBLIC,
        tags: tuple[str, ...] = (),
        **fields: Any,
    ) -> Status:
        status = Status.objects.create(
            account=account, text=text, content=f"<p>{text}</p>", visibility=visibility, **fields
        )
        for name in tags:
            tag, _ = Tag.objects.get_or_create(name=name.lower(), defaults={"display_name": name})
            StatusTag.objects.create(status=status, tag=tag)
        return status

    return _make
