"""Notes from other servers: reading a Note, Question, Article or Page into a ``ParsedNote``,
and fetching the ones we are pointed at but do not have (Mastodon's
ActivityPub::Parser::StatusParser, PollParser and FetchRemoteStatusService).

Everything here is hostile input. Every field is type-checked and bounded before anything
else sees it; HTML is sanitised here, once, so that ``statuses.remote`` only ever stores what
the allow-list kept. An object must live on its author's origin and name its author, else
anyone could put words in anyone's mouth.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import nh3

from accounts.models import Account
from federation import actors, http, jsonld
from federation.inbox.dispatch import HandlerError
from federation.uris import domain_of, is_local_uri, origin
from moderation.policies import is_domain_blocked
from statuses import remote
from statuses.formatting import is_valid_hashtag, normalize_hashtag, sanitize_html
from statuses.models import Status
from statuses.services import _valid_language

logger = logging.getLogger(__name__)

NATIVE_TYPES = frozenset({"Note", "Question"})
# Mastodon's CONVERTED_TYPES: shown as a status made of their title, text and a link.
CONVERTED_TYPES = frozenset({"Article", "Page", "Image", "Audio", "Video", "Event"})
STATUS_TYPES = NATIVE_TYPES | CONVERTED_TYPES

MAX_CONTENT = 100_000
MAX_SUMMARY = 10_000
MAX_NAME = 1_000
MAX_URI = 2_048
MAX_AUDIENCE = 500
MAX_TAGS = 100
MAX_ATTACHMENTS = 16
MAX_POLL_OPTIONS = 100
MAX_THREAD_DEPTH = 5


@dataclass(frozen=True)
class ParsedPoll:
    """A Question's poll (Mastodon's PollParser): ``anyOf`` is multiple-choice; the end is
    ``closed`` (a date, or ``true``: now) else ``endTime``; tallies are ``replies.totalItems``."""

    options: tuple[str, ...]
    tallies: tuple[int, ...]
    multiple: bool
    expires_at: datetime | None
    voters_count: int | None


@dataclass(frozen=True)
class ParsedAttachment:
    """A media attachment as announced (kept for the media work; not stored yet)."""

    url: str
    media_type: str
    description: str


@dataclass(frozen=True)
class ParsedNote:
    """What ``statuses.remote`` needs of a remote status, every value checked and bounded.

    ``content`` is sanitised HTML (for converted types: title, text and link); ``spoiler_text``
    is plain text; ``to``/``cc`` are ids with the public collection spelled as its full IRI;
    ``mentions`` are the ``href`` of Mention tags; ``hashtags`` are normalised names; ``name``
    is the raw title (a poll answer's chosen option)."""

    uri: str
    type: str
    attributed_to: str
    url: str
    content: str
    spoiler_text: str
    sensitive: bool
    language: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    in_reply_to: str | None
    conversation: str | None
    published: datetime | None
    updated: datetime | None
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]
    poll: ParsedPoll | None
    name: str
    attachments: tuple[ParsedAttachment, ...]

    @property
    def is_poll_answer(self) -> bool:
        """Shaped as a vote is sent by Mastodon, Pleroma, Misskey and GoToSocial: a Note
        with a ``name`` (the option chosen) replying to the poll."""
        return self.type == "Note" and bool(self.name) and bool(self.in_reply_to)


# --- Reading fields -------------------------------------------------------------------------------


def _http_uri(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_URI:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return value


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _language_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _text_or_map(obj: dict[str, Any], key: str, limit: int) -> str:
    """``content`` / ``summary`` / ``name``, else the first value of its ``*Map``
    (Mastodon's text_from_content)."""
    text = _text(obj.get(key), limit)
    if text:
        return text
    values = list(_language_map(obj.get(f"{key}Map")).values())
    return values[0][:limit] if values else ""


def _language(obj: dict[str, Any]) -> str | None:
    """The first key of contentMap, else nameMap, else summaryMap (StatusParser#language)."""
    for key in ("contentMap", "nameMap", "summaryMap"):
        keys = list(_language_map(obj.get(key)))
        if keys:
            return _valid_language(keys[0][:16])
    return None


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date (``Z`` or an offset; a naive one is UTC); None when it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def plain_text(value: str) -> str:
    """HTML reduced to its text (a content warning is shown as text by every client)."""
    return html.unescape(nh3.clean(value, tags=set())).strip()


def _audience(obj: dict[str, Any], activity: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """The object's ``to``/``cc``, each falling back to the activity's (StatusParser)."""
    to, cc = jsonld.audience(obj)
    if activity is not None:
        outer_to, outer_cc = jsonld.audience(activity)
        if obj.get("to") is None:
            to = outer_to
        if obj.get("cc") is None:
            cc = outer_cc
    return _bounded_ids(to), _bounded_ids(cc)


def _bounded_ids(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if len(i) <= MAX_URI))[:MAX_AUDIENCE]


def _tags(obj: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Mention hrefs and hashtag names (normalised, valid ones only)."""
    mentions: list[str] = []
    hashtags: list[str] = []
    for tag in jsonld.as_list(obj.get("tag"))[: MAX_TAGS * 4]:
        if jsonld.has_type(tag, "Mention"):
            href = _http_uri(tag.get("href"))
            if href and href not in mentions and len(mentions) < MAX_TAGS:
                mentions.append(href)
        elif jsonld.has_type(tag, "Hashtag"):
            name = _text(tag.get("name"), 256).strip().lstrip("#\uff03")
            normalized = normalize_hashtag(name) if is_valid_hashtag(name) else ""
            fits = len(normalized) <= 255 and len(hashtags) < MAX_TAGS
            if normalized and fits and normalized not in hashtags:
                hashtags.append(normalized)
    return mentions, hashtags


def _url(value: Any, uri: str) -> str:
    """The page to open (``url``: a string, a Link or a list of them, text/html preferred);
    only one on the object's own host is kept, so a status cannot link its "original" to
    somewhere else."""
    candidates: list[tuple[str, str]] = []
    for item in jsonld.as_list(value)[:16]:
        if isinstance(item, str):
            candidates.append((item, ""))
        elif isinstance(item, dict):
            href = item.get("href") or item.get("url")
            if isinstance(href, str):
                candidates.append((href, str(item.get("mediaType") or "")))
    candidates.sort(key=lambda c: c[1] != "text/html")
    for href, _ in candidates:
        if _http_uri(href) and domain_of(href) == domain_of(uri):
            return href
    return ""


def _poll(obj: dict[str, Any]) -> ParsedPoll | None:
    if not jsonld.has_type(obj, "Question"):
        return None
    multiple = isinstance(obj.get("anyOf"), list)
    items = obj.get("anyOf") if multiple else obj.get("oneOf")
    if not isinstance(items, list):
        return None
    options: list[str] = []
    tallies: list[int] = []
    for item in items[:MAX_POLL_OPTIONS]:
        if not isinstance(item, dict):
            continue
        title = _text(item.get("name"), MAX_NAME) or plain_text(
            _text(item.get("content"), MAX_NAME)
        )
        if not title:
            continue
        replies = item.get("replies")
        options.append(title)
        tallies.append(_count(replies.get("totalItems") if isinstance(replies, dict) else None))
    if not options:
        return None
    closed = obj.get("closed")
    if isinstance(closed, str):
        expires_at = parse_datetime(closed)
    elif closed is not None and closed is not False:
        expires_at = datetime.now(UTC)
    else:
        expires_at = parse_datetime(obj.get("endTime"))
    voters = obj.get("votersCount")
    return ParsedPoll(
        options=tuple(options),
        tallies=tuple(tallies),
        multiple=multiple,
        expires_at=expires_at,
        voters_count=_count(voters) if voters is not None else None,
    )


def _count(value: Any) -> int:
    """A remote counter as a stored integer: anything else than a whole number counts 0."""
    if not isinstance(value, int) or isinstance(value, bool):
        return 0
    return max(0, min(value, 2**31 - 1))


def _attachments(obj: dict[str, Any]) -> list[ParsedAttachment]:
    found = []
    for item in jsonld.as_list(obj.get("attachment"))[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict):
            continue
        url = item.get("url") if not jsonld.has_type(item, "Link") else item.get("href")
        if isinstance(url, list):
            url = url[0] if url else None
        if isinstance(url, dict):
            url = url.get("href") or url.get("url")
        href = _http_uri(url)
        if href:
            found.append(
                ParsedAttachment(
                    url=href,
                    media_type=_text(item.get("mediaType"), 255),
                    description=_text(item.get("name") or item.get("summary"), 1500),
                )
            )
    return found


def _attributed_to(obj: dict[str, Any]) -> list[str]:
    """Every actor id in ``attributedTo`` (a reference, an object or a list: PeerTube names
    the account and its channel)."""
    return [i for i in jsonld.ids_of(obj.get("attributedTo"))[:8] if len(i) <= MAX_URI]


def _converted_content(obj: dict[str, Any], *, title: str, url: str, uri: str) -> str:
    """An Article, Page... as Mastodon shows one: its title as a heading, its text (or its
    summary when it has no text), then a link to it."""
    body = _text_or_map(obj, "content", MAX_CONTENT) or _text_or_map(obj, "summary", MAX_SUMMARY)
    link = url or uri
    escaped_link = html.escape(link, quote=True)
    parts = []
    if title:
        parts.append(f"<h2>{html.escape(title)}</h2>")
    if body:
        parts.append(body)
    parts.append(f'<p><a href="{escaped_link}">{escaped_link}</a></p>')
    return "".join(parts)


# --- Parsing ------------------------------------------------------------------------------------


def parse_note(obj: Any, *, actor: Account, activity: dict[str, Any] | None = None) -> ParsedNote:
    """Read a status object created by ``actor``. Refused (HandlerError) unless its id is on
    the actor's origin and ``attributedTo`` names the actor: the signature vouches for the
    actor, and the actor may only speak for objects of its own server and in its own name.
    ``activity`` (the Create) supplies ``to``/``cc`` when the object has none."""
    if not isinstance(obj, dict):
        raise HandlerError("the object is not embedded")
    uri = _http_uri(jsonld.id_of(obj))
    if uri is None:
        raise HandlerError("the object has no usable id")
    if origin(uri) != origin(actor.uri):
        raise HandlerError(f"{uri} is not on the origin of {actor.uri}")
    if actor.uri not in _attributed_to(obj):
        raise HandlerError(f"{uri} is not attributed to {actor.uri}")
    kind = next((t for t in jsonld.types(obj) if t in STATUS_TYPES), None)
    if kind is None:
        raise HandlerError(f"{jsonld.types(obj)} is not a status type")

    url = _url(obj.get("url"), uri)
    name = _text_or_map(obj, "name", MAX_NAME).strip()
    if kind in CONVERTED_TYPES:
        raw_content = _converted_content(obj, title=plain_text(name), url=url, uri=uri)
        spoiler = ""
    else:
        raw_content = _text_or_map(obj, "content", MAX_CONTENT)
        spoiler = plain_text(_text_or_map(obj, "summary", MAX_SUMMARY))
    to, cc = _audience(obj, activity)
    mentions, hashtags = _tags(obj)
    conversation = _text(obj.get("conversation"), MAX_URI) or _text(obj.get("context"), MAX_URI)
    in_reply_to = jsonld.id_of(obj.get("inReplyTo"))
    return ParsedNote(
        uri=uri,
        type=kind,
        attributed_to=actor.uri,
        url=url,
        content=sanitize_html(raw_content),
        spoiler_text=spoiler,
        sensitive=obj.get("sensitive") is True,
        language=_language(obj),
        to=tuple(to),
        cc=tuple(cc),
        in_reply_to=in_reply_to if in_reply_to and len(in_reply_to) <= MAX_URI else None,
        conversation=conversation or None,
        published=parse_datetime(obj.get("published")),
        updated=parse_datetime(obj.get("updated")),
        mentions=tuple(mentions),
        hashtags=tuple(hashtags),
        poll=_poll(obj),
        name=name,
        attachments=tuple(_attachments(obj)),
    )


# --- Storing and fetching -------------------------------------------------------------------------


def store_note(
    note: ParsedNote, *, account: Account, delivered_to: Account | None = None, depth: int = 0
) -> Status:
    """Store a parsed note, its missing parent fetched first (Mastodon's ThreadResolveWorker,
    done at once): up the thread at most MAX_THREAD_DEPTH statuses, never further."""
    parent = note.in_reply_to
    if parent and depth < MAX_THREAD_DEPTH and remote.status_for_uri(parent) is None:
        fetch_note(parent, depth=depth + 1)
    return remote.create_remote_status(account, note, delivered_to=delivered_to)


def fetch_note(uri: str, *, depth: int = 0) -> Status | None:
    """The status ``uri`` names: ours or a stored one, else fetched from its server with a
    signed GET and stored (Mastodon's FetchRemoteStatusService). None when it cannot be had
    or is refused; never raises for what a remote server did."""
    found = remote.status_for_uri(uri)
    if found is not None:
        return found if found.deleted_at is None else None
    if is_local_uri(uri) or _http_uri(uri) is None or is_domain_blocked(domain_of(uri)):
        return None
    try:
        document = actors.fetch_document(uri)
    except (http.FetchError, actors.ActorError) as exc:
        logger.info("could not fetch %s: %s", uri, exc)
        return None
    return store_fetched_note(document, depth=depth)


def store_fetched_note(document: dict[str, Any], *, depth: int = 0) -> Status | None:
    """Store a status document fetched from its own origin (``actors.fetch_document`` checked
    that). Its author must live on the object's origin too (Mastodon's
    trustworthy_attribution?), be known or fetchable, and not be suspended."""
    if not jsonld.has_type(document, STATUS_TYPES):
        return None
    object_id = _http_uri(jsonld.id_of(document))
    if object_id is None:
        return None
    found = remote.status_for_uri(object_id)
    if found is not None:
        return found if found.deleted_at is None else None
    authors = [a for a in _attributed_to(document) if origin(a) == origin(object_id)]
    if not authors or is_domain_blocked(domain_of(object_id)):
        return None
    account = actors.resolve_actor(authors[0])
    if account is None or account.local or account.suspended_at is not None:
        return None
    try:
        note = parse_note(document, actor=account)
    except HandlerError as exc:
        logger.info("refused fetched %s: %s", object_id, exc)
        return None
    if note.is_poll_answer:
        return None
    return store_note(note, account=account, depth=depth)
