"""Where local objects live: ids (``uri``) and web pages (``url``), as Mastodon's TagManager.

A remote object's uri and url are whatever its server said; a local one's are built here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from accounts.models import Account
    from statuses.models import Status


def base_url() -> str:
    return f"{settings.LOCAL_SCHEME}://{settings.LOCAL_DOMAIN}"


def absolute(path: str) -> str:
    return base_url() + path


def account_uri(account: Account) -> str:
    if account.domain is None:
        return absolute(f"/users/{account.username}")
    return account.uri


def account_url(account: Account) -> str:
    if account.domain is None:
        return absolute(f"/@{account.username}")
    return account.url or account.uri


def status_uri(status: Status) -> str:
    if status.local:
        return absolute(f"/users/{status.account.username}/statuses/{status.id}")
    return status.uri


def status_url(status: Status) -> str:
    if status.local:
        return absolute(f"/@{status.account.username}/{status.id}")
    return status.url or status.uri


def tag_url(name: str) -> str:
    return absolute(f"/tags/{name}")
