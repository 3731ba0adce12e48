"""What the server's moderation decided, asked by federation and the API.

Instance domain blocks are asked about on every inbox request and every fetch of our objects;
they change rarely. The whole (small) table is cached with the version it was read at, and
every change bumps the version (after commit), so a block takes effect at once without a query
per request; each process also keeps the rows of the version it last read."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from moderation.models import DomainBlock

_VERSION_KEY = "moderation:domain_blocks:version"
_ROWS_KEY = "moderation:domain_blocks:rows"


def _candidates(domain: str) -> list[str]:
    """``a.b.example.com:8001`` → itself and each parent domain (``b.example.com``...), port
    included on the first only: a block of a domain covers its subdomains, as Mastodon's."""
    domain = domain.lower().strip(".")
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    parts = host.split(".")
    found = [domain, host] + [".".join(parts[i:]) for i in range(1, len(parts) - 1)]
    return list(dict.fromkeys(found))


# This process's copy of the rows, with the version it was read at: while the shared version
# has not moved, the copy is current, and a request reads one small key instead of the table.
_local: tuple[Any, dict[str, int]] | None = None


def _blocks() -> dict[str, int]:
    """Every blocked domain and the id of its block, from the cache when it is current.
    Callers must not mutate it."""
    global _local
    version = cache.get(_VERSION_KEY) or 0
    local = _local
    # No version (never bumped, or evicted) says nothing of what changed: not trusted here.
    if local is not None and version and local[0] == version:
        return local[1]
    entry = cache.get(_ROWS_KEY)
    if entry is not None and entry[0] == version:
        rows = dict(entry[1])
    else:
        rows = dict(DomainBlock.objects.values_list("domain", "id"))
        cache.set(_ROWS_KEY, [version, rows], timeout=3600)
    _local = (version, rows)
    return rows


def domain_block(domain: str) -> DomainBlock | None:
    if not domain:
        return None
    blocks = _blocks()
    ids = [blocks[d] for d in _candidates(domain) if d in blocks]
    if not ids:
        return None
    # The most severe applies: suspend sorts after silence and noop.
    return DomainBlock.objects.filter(id__in=ids).order_by("-severity").first()


def is_domain_blocked(domain: str) -> bool:
    """Whether ``domain`` (or a parent) is suspended: nothing is accepted from or sent to it."""
    if not domain:
        return False
    blocks = _blocks()
    if not any(d in blocks for d in _candidates(domain)):
        return False
    block = domain_block(domain)
    return block is not None and block.severity == DomainBlock.Severity.SUSPEND


@receiver([post_save, post_delete], sender=DomainBlock)
def _domain_blocks_changed(**kwargs: Any) -> None:
    def bump() -> None:
        try:
            cache.incr(_VERSION_KEY)
        except ValueError:  # no version yet (or evicted): any new value will do
            cache.set(_VERSION_KEY, time.time_ns(), timeout=None)

    transaction.on_commit(bump)
