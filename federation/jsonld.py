"""Reading ActivityPub JSON liberally, as Mastodon's JsonLdHelper does: properties that may be
one value or an array, objects that may be embedded or referenced by id, and the public
collection under any of its three spellings. No JSON-LD expansion: peers send compacted
documents with the ActivityStreams context, and that is what is read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

ACTIVITY_STREAMS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"

JSONDict = dict[str, Any]


def as_list(value: Any) -> list[Any]:
    """A property as a list: absent → [], one value → [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def id_of(value: Any) -> str | None:
    """The id of an embedded object or link, or the reference itself."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        found = value.get("id") or value.get("@id")
        if isinstance(found, str) and found:
            return found
        href = value.get("href")
        if value.get("type") == "Link" and isinstance(href, str):
            return href
    return None


def ids_of(value: Any) -> list[str]:
    return [i for i in (id_of(v) for v in as_list(value)) if i]


def types(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return [t for t in as_list(value.get("type")) if isinstance(t, str)]


def has_type(value: Any, wanted: str | Iterable[str]) -> bool:
    names = {wanted} if isinstance(wanted, str) else set(wanted)
    return any(t in names for t in types(value))


def audience(value: JSONDict) -> tuple[list[str], list[str]]:
    """``to`` and ``cc`` as lists of ids, the public collection spelled as its full IRI."""

    def norm(items: Any) -> list[str]:
        return [PUBLIC if i in PUBLIC_ALIASES else i for i in ids_of(items)]

    return norm(value.get("to")), norm(value.get("cc"))


def is_public_address(uri: str) -> bool:
    return uri in PUBLIC_ALIASES
