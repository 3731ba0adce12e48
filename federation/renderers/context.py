"""The JSON-LD ``@context`` of every document we send: ActivityStreams, the security
vocabulary, and the extension terms Mastodon defines (so its peers read them as it does)."""

from __future__ import annotations

from typing import Any

from federation.jsonld import ACTIVITY_STREAMS, SECURITY

EXTENSIONS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "memorial": "toot:memorial",
    "suspended": "toot:suspended",
    "votersCount": "toot:votersCount",
    "Emoji": "toot:Emoji",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "blurhash": "toot:blurhash",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "ostatus": "http://ostatus.org#",
    "atomUri": "ostatus:atomUri",
    "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
    "conversation": "ostatus:conversation",
}

CONTEXT: list[Any] = [ACTIVITY_STREAMS, SECURITY, EXTENSIONS]


def with_context(document: dict[str, Any]) -> dict[str, Any]:
    """A top-level document: ``@context`` first, as peers expect to read it."""
    return {"@context": CONTEXT, **document}
