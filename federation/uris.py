"""Where local objects live: ids (``uri``) and web pages (``url``), as Mastodon's TagManager.

A remote object's uri and url are whatever its server said; a local one's are built here.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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
        return local_actor_uri(account.username)
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


# --- ActivityPub addresses of local objects (Mastodon's paths) ------------------------------

INSTANCE_ACTOR_USERNAME = "instance.actor"
PUBLIC_COLLECTION = "https://www.w3.org/ns/activitystreams#Public"


def shared_inbox_uri() -> str:
    return absolute("/inbox")


def instance_actor_uri() -> str:
    return absolute("/actor")


def local_actor_uri(username: str) -> str:
    """The actor id of a local account by username (the instance actor's is ``/actor``)."""
    if username == INSTANCE_ACTOR_USERNAME:
        return instance_actor_uri()
    return absolute(f"/users/{username}")


def key_id_for(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "#main-key"
    return account.key_id


def inbox_uri(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "/inbox"
    return account.inbox_url


def outbox_uri(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "/outbox"
    return account.outbox_url


def followers_uri(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "/followers"
    return account.followers_url


def following_uri(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "/following"
    return account.following_url


def featured_uri(account: Account) -> str:
    if account.domain is None:
        return local_actor_uri(account.username) + "/collections/featured"
    return account.featured_url


def featured_tags_uri(account: Account) -> str:
    return local_actor_uri(account.username) + "/collections/tags"


def status_activity_uri(status: Status) -> str:
    """The id of the Create (or Announce, for a boost) that published a local status."""
    return status_uri(status) + "/activity"


def origin(uri: str) -> str:
    """``scheme://host[:port]`` of a URI, lower-cased; '' when it has none. Two ids share an
    origin when these are equal (ActivityPub's same-origin rule)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    port = parts.port
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def domain_of(uri: str) -> str:
    """The domain an account or object of ``uri`` belongs to, as handles write it:
    ``host`` or ``host:port`` (a non-default port is part of the domain)."""
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host + (f":{port}" if port and port != default else "")


def is_loopback_host(host: str) -> bool:
    """localhost, *.localhost, 127.x, ::1 (brackets and port already removed or not)."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_uri(uri: str) -> bool:
    return origin(uri) == origin(base_url())


def local_path(uri: str) -> str | None:
    """The path of a URI on this server, None for anyone else's."""
    if not is_local_uri(uri):
        return None
    return urlsplit(uri).path
