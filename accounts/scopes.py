"""Mastodon's OAuth scopes: a parent (``read``) covers its granular children (``read:statuses``)."""

from __future__ import annotations

from collections.abc import Iterable

_CHILDREN = {
    "read": [
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    ],
    "write": [
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    ],
    "admin:read": [
        "accounts",
        "reports",
        "domain_allows",
        "domain_blocks",
        "ip_blocks",
        "email_domain_blocks",
        "canonical_email_blocks",
    ],
    "admin:write": [
        "accounts",
        "reports",
        "domain_allows",
        "domain_blocks",
        "ip_blocks",
        "email_domain_blocks",
        "canonical_email_blocks",
    ],
}

ALL_SCOPES: dict[str, str] = {
    "read": "read all your account's data",
    "write": "modify all your account's data",
    "follow": "modify account relationships",
    "push": "receive your push notifications",
    "profile": "read only your account's information",
    "admin:read": "read all data on the server",
    "admin:write": "modify all data on the server",
}
for _parent, _children in _CHILDREN.items():
    for _child in _children:
        ALL_SCOPES[f"{_parent}:{_child}"] = f"{_parent} {_child.replace('_', ' ')}"

# `follow` is a legacy parent of these granular scopes.
_LEGACY_FOLLOW = {
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
}


def parse_scopes(raw: str | Iterable[str] | None) -> list[str]:
    if raw is None:
        return []
    parts = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


def invalid_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s not in ALL_SCOPES]


def scope_covers(granted: Iterable[str], required: str) -> bool:
    """Whether a token granted ``granted`` may use an endpoint that requires ``required``."""
    granted = set(granted)
    if required in granted:
        return True
    parent = required.rsplit(":", 1)[0] if required.count(":") >= 1 else None
    if parent and parent != required and parent in granted:
        return True
    if required in _LEGACY_FOLLOW and "follow" in granted:
        return True
    # `profile` is the narrow scope for verify_credentials only; `read` and `read:accounts`
    # cover it.
    return required == "profile" and bool({"read", "read:accounts"} & granted)


def scopes_within(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Every requested scope is covered by one the application registered."""
    allowed = list(allowed)
    return all(scope_covers(allowed, scope) for scope in requested)
