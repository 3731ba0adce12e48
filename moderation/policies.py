"""What the server's moderation decided, asked by federation and the API."""

from __future__ import annotations

from moderation.models import DomainBlock


def _candidates(domain: str) -> list[str]:
    """``a.b.example.com:8001`` → itself and each parent domain (``b.example.com``...), port
    included on the first only: a block of a domain covers its subdomains, as Mastodon's."""
    domain = domain.lower().strip(".")
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    parts = host.split(".")
    found = [domain, host] + [".".join(parts[i:]) for i in range(1, len(parts) - 1)]
    return list(dict.fromkeys(found))


def domain_block(domain: str) -> DomainBlock | None:
    if not domain:
        return None
    return (
        DomainBlock.objects.filter(domain__in=_candidates(domain))
        .order_by("-severity")  # suspend first (it sorts after silence and noop)
        .first()
    )


def is_domain_blocked(domain: str) -> bool:
    """Whether ``domain`` (or a parent) is suspended: nothing is accepted from or sent to it."""
    block = domain_block(domain)
    return block is not None and block.severity == DomainBlock.Severity.SUSPEND
