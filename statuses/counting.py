"""Character counting as Mastodon's StatusLengthValidator counts.

Every URL counts as 23 characters whatever its length, a remote mention counts only its
``@username`` part, and what is counted is user-perceived characters (grapheme clusters), so an
emoji with skin tone or a flag is one character.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings

from statuses.formatting import Entity, extract_mentions, extract_urls, remove_overlapping

URL_PLACEHOLDER_CHARS = 23
URL_PLACEHOLDER = "x" * URL_PLACEHOLDER_CHARS

_ZWJ = "\u200d"


def _extends_previous(ch: str) -> bool:
    """Code points that never start a grapheme cluster of their own."""
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= cp <= 0xE007F  # emoji tag sequences (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
    )


def grapheme_length(text: str) -> int:
    """An approximation of Unicode's extended grapheme clusters (UAX #29) that covers what people
    type: combining marks, ZWJ emoji sequences, modifiers, regional-indicator flags and CRLF."""
    count = 0
    joined = False  # the previous code point was a ZWJ: this one continues the cluster
    regional_open = False  # an odd regional indicator is waiting for its pair
    previous = ""
    for ch in text:
        cp = ord(ch)
        if joined:
            joined = False
            previous = ch
            continue
        if ch == _ZWJ:
            joined = count > 0
            if not joined:
                count += 1
            previous = ch
            continue
        if _extends_previous(ch) and count > 0:
            previous = ch
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:
            if regional_open:
                regional_open = False
                previous = ch
                continue
            regional_open = True
            count += 1
            previous = ch
            continue
        regional_open = False
        if ch == "\n" and previous == "\r":
            previous = ch
            continue
        count += 1
        previous = ch
    return count


def countable_text(text: str) -> str:
    """The text with each URL replaced by 23 characters and each mention by ``@username``."""
    if not text or not text.strip():
        return ""
    entities: list[Entity] = remove_overlapping(extract_urls(text) + extract_mentions(text))
    parts: list[str] = []
    index = 0
    for entity in entities:
        parts.append(text[index : entity.start])
        if entity.kind == "url":
            parts.append(URL_PLACEHOLDER)
        else:
            parts.append("@" + entity.value.split("@", 1)[0])
        index = entity.end
    parts.append(text[index:])
    return "".join(parts)


def status_length(text: str, spoiler_text: str = "") -> int:
    """The length Mastodon checks against its limit: the content warning plus the text."""
    return grapheme_length((spoiler_text or "") + countable_text(text or ""))


def over_limit(text: str, spoiler_text: str = "") -> bool:
    return status_length(text, spoiler_text) > settings.MAX_STATUS_CHARS
