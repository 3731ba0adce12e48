"""Text to HTML as Mastodon renders it, and the allow-list every HTML we show goes through.

Local text (a status, a bio) is plain text: we find its entities (URLs, hashtags, mentions) the
way Mastodon's Extractor does, escape everything else, link the entities as its TextFormatter
does, split paragraphs as Rails' ``simple_format`` does, and finally pass the result through the
same allow-list as remote HTML (``sanitize_html``), so nothing we render can carry markup the
allow-list would refuse.

Mentions resolve to accounts we know, and remote ones we do not know yet are looked up over
WebFinger (``resolve_mention``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

import nh3
from django.conf import settings

from accounts.models import Account
from federation.uris import account_url, tag_url

# --- Entities --------------------------------------------------------------------------------

# Account::USERNAME_RE and MENTION_RE, with a port allowed after the domain (our development
# instances federate as localhost:8001).
USERNAME_PAT = r"[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?"
MENTION_RE = re.compile(
    rf"(?<![=/\w])@(?P<acct>(?P<username>{USERNAME_PAT})(?:@(?P<domain>[\w.-]+\w(?::\d+)?))?)",
    re.IGNORECASE,
)

# Tag::HASHTAG_RE: a name is word characters with at least one letter; the separators (middle
# dot, katakana middle dot, zero-width non-joiner) may join words but neither start nor end one.
HASHTAG_SEPARATORS = "_\u00b7\u30fb\u200c"
_ALPHA = r"[^\W\d_]"
HASHTAG_NAME_PAT = (
    rf"\w[\w{HASHTAG_SEPARATORS}]*(?:{_ALPHA}|[{HASHTAG_SEPARATORS}])[\w{HASHTAG_SEPARATORS}]*\w"
    rf"|\w*{_ALPHA}\w*"
)
HASHTAG_RE = re.compile(rf"(?<![=/)\w])[#\uff03](?P<name>{HASHTAG_NAME_PAT})")
HASHTAG_NAME_RE = re.compile(rf"(?:{HASHTAG_NAME_PAT})\Z")

# Links as twitter-text finds them (Mastodon extends the schemes): not glued to a word, @, $ or #.
URL_RE = re.compile(
    "(?<![A-Za-z0-9@$#\uff20\uff03])"
    r"(?:(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://[^\s<>\"`{}|\\^]+"
    r"|(?:xmpp|magnet):[^\s<>\"`{}|\\^]+)",
    re.IGNORECASE,
)
_URL_TRAILING = set(".,:;!?'*")
URL_PREFIX_RE = re.compile(r"\A(?:https?://(?:www\.)?|xmpp:)", re.IGNORECASE)
URL_DISPLAY_CHARS = 30


@dataclass(frozen=True)
class Entity:
    kind: Literal["url", "hashtag", "mention"]
    start: int
    end: int
    value: str  # the URL, the hashtag as typed, or the mention's ``user`` / ``user@domain``


def _trim_url(url: str) -> str:
    """Drop what twitter-text would not end a URL with: punctuation and unbalanced closers."""
    while url:
        last = url[-1]
        unbalanced = (last == ")" and url.count("(") < url.count(")")) or (
            last == "]" and url.count("[") < url.count("]")
        )
        if last not in _URL_TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def extract_urls(text: str) -> list[Entity]:
    found = []
    for match in URL_RE.finditer(text):
        url = _trim_url(match.group(0))
        scheme_end = url.find(":") + 1
        if len(url.rstrip("/")) <= scheme_end or url[scheme_end:].strip("/") == "":
            continue
        found.append(Entity("url", match.start(), match.start() + len(url), url))
    return found


def extract_hashtags_with_indices(text: str) -> list[Entity]:
    found = []
    for match in HASHTAG_RE.finditer(text):
        name = match.group("name")
        end = match.end()
        # "#taghttps://example.com": the tag stops where the URL starts.
        if text[end : end + 3] == "://":
            cut = re.match(r"(.+?)(https?)\Z", name)
            if cut:
                name = cut.group(1)
                end -= len(cut.group(2))
        found.append(Entity("hashtag", match.start(), end, name))
    return found


def extract_mentions(text: str) -> list[Entity]:
    found = []
    for match in MENTION_RE.finditer(text):
        after = text[match.end() :]
        if after.startswith(("@", "\uff20", "://")):
            continue
        found.append(Entity("mention", match.start(), match.end(), match.group("acct")))
    return found


def remove_overlapping(entities: Iterable[Entity]) -> list[Entity]:
    """twitter-text's rule: by position, an entity starting inside an earlier one is dropped."""
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: (e.start, -e.end)):
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept


def extract_entities(text: str) -> list[Entity]:
    return remove_overlapping(
        extract_urls(text) + extract_hashtags_with_indices(text) + extract_mentions(text)
    )


def extract_hashtags(text: str) -> list[str]:
    """The hashtags of a text as typed, in order, outside URLs (one per normalised name)."""
    seen: set[str] = set()
    names = []
    for entity in extract_entities(text):
        if entity.kind != "hashtag":
            continue
        key = normalize_hashtag(entity.value)
        if key and key not in seen:
            seen.add(key)
            names.append(entity.value)
    return names


def normalize_hashtag(name: str) -> str:
    """Mastodon's HashtagNormalizer: full-width folded, lower case, accents folded to ASCII."""
    name = unicodedata.normalize("NFKC", name).lower()
    decomposed = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = unicodedata.normalize("NFC", folded)
    return "".join(ch for ch in folded if ch.isalnum() or ch in HASHTAG_SEPARATORS)


def is_valid_hashtag(name: str) -> bool:
    return bool(HASHTAG_NAME_RE.match(name))


# --- Mentions ----------------------------------------------------------------------------------

MentionKey = tuple[str, str | None]


def split_acct(acct: str) -> MentionKey:
    """``bob`` / ``bob@Example.com:8001`` → ``("bob", None)`` / ``("bob", "example.com:8001")``;
    our own domain counts as local."""
    username, _, domain = acct.partition("@")
    domain = domain.lower() or None
    if domain is not None and domain == settings.LOCAL_DOMAIN.lower():
        domain = None
    return username.lower(), domain


def mention_keys(text: str) -> list[MentionKey]:
    """The distinct accounts a text mentions, as (username, domain), in order."""
    keys: list[MentionKey] = []
    for entity in extract_entities(text):
        if entity.kind == "mention":
            key = split_acct(entity.value)
            if key not in keys:
                keys.append(key)
    return keys


def resolve_mention(username: str, domain: str | None) -> Account | None:
    """The account ``@username@domain`` names: a known one, else a remote one found through
    WebFinger and fetched now (Mastodon's ResolveAccountService, which also runs while the
    status is being posted: the mention must link to the right account). Suspended accounts
    resolve to nothing, as Mastodon does not mention them."""
    qs = Account.objects.filter(username__iexact=username, suspended_at__isnull=True)
    qs = qs.filter(domain__isnull=True) if domain is None else qs.filter(domain__iexact=domain)
    known = qs.first()
    if known is not None or domain is None:
        return known
    from federation.actors import resolve_acct

    found = resolve_acct(username, domain)
    return found if found is not None and found.suspended_at is None else None


def resolve_mentions(text: str) -> dict[MentionKey, Account]:
    resolved: dict[MentionKey, Account] = {}
    for username, domain in mention_keys(text):
        account = resolve_mention(username, domain)
        if account is not None:
            resolved[(username, domain)] = account
    return resolved


# --- HTML ----------------------------------------------------------------------------------------


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def hashtag_url(name: str) -> str:
    return tag_url(quote(name, safe=""))


def _link_url(url: str) -> str:
    prefix_match = URL_PREFIX_RE.match(url)
    prefix = prefix_match.group(0) if prefix_match else ""
    rest = url[len(prefix) :]
    display = rest[:URL_DISPLAY_CHARS]
    suffix = rest[URL_DISPLAY_CHARS:]
    cutoff = "ellipsis" if len(rest) > URL_DISPLAY_CHARS else ""
    return (
        f'<a href="{_h(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{_h(prefix)}</span>'
        f'<span class="{cutoff}">{_h(display)}</span>'
        f'<span class="invisible">{_h(suffix)}</span></a>'
    )


def _link_hashtag(name: str) -> str:
    return (
        f'<a href="{_h(hashtag_url(name))}" class="mention hashtag" rel="tag">'
        f"#<span>{_h(name)}</span></a>"
    )


def _link_mention(acct: str, accounts: Mapping[MentionKey, Account]) -> str:
    key = split_acct(acct)
    account = accounts.get(key)
    if account is None:
        return "@" + _h(acct)
    # Show the domain only when another mentioned account has the same username.
    clash = any(
        other.username.lower() == account.username.lower() and other.id != account.id
        for other in accounts.values()
    )
    shown = account.acct if clash else account.username
    return (
        f'<span class="h-card" translate="no"><a href="{_h(account_url(account))}" '
        f'class="u-url mention">@<span>{_h(shown)}</span></a></span>'
    )


def _simple_format(text: str) -> str:
    """Rails' simple_format: blank lines split paragraphs, single newlines become ``<br />``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = re.split(r"\n\n+", text)
    while paragraphs and paragraphs[-1] == "":
        paragraphs.pop()
    if not paragraphs:
        return "<p></p>"
    out = []
    for paragraph in paragraphs:
        paragraph = re.sub(r"([^\n]\n)(?=[^\n])", r"\1<br />", paragraph)
        out.append(f"<p>{paragraph}</p>")
    return "".join(out).replace("\n", "")


def format_text(
    text: str, *, accounts: Mapping[MentionKey, Account] | None = None, multiline: bool = True
) -> str:
    """Mastodon's TextFormatter for a local text: ``accounts`` are the mentions to link (any
    other ``@name`` stays plain text)."""
    text = (text or "").strip()
    if not text:
        return ""
    accounts = accounts or {}
    parts: list[str] = []
    index = 0
    for entity in extract_entities(text):
        parts.append(_h(text[index : entity.start]))
        if entity.kind == "url":
            parts.append(_link_url(entity.value))
        elif entity.kind == "hashtag":
            parts.append(_link_hashtag(entity.value))
        else:
            parts.append(_link_mention(entity.value, accounts))
        index = entity.end
    parts.append(_h(text[index:]))
    rendered = "".join(parts)
    if multiline:
        rendered = _simple_format(rendered)
    return _LOCAL_CLEANER.clean(rendered).replace("<br>", "<br />")


def format_bio(text: str) -> str:
    """A profile note as Mastodon renders one: the status formatter, mentions resolved against
    the accounts this server knows."""
    return format_text(text, accounts=resolve_mentions(text or ""))


# Mastodon's MASTODON_STRICT allow-list (lib/sanitize_ext/sanitize_config.rb).
ALLOWED_TAGS = {
    "p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i",
    "em", "ul", "ol", "li", "ruby", "rt", "rp",
}  # fmt: skip
LINK_PROTOCOLS = {
    "http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini",
}  # fmt: skip
_ALLOWED_CLASS_RE = re.compile(
    r"^(?:(?:h|p|u|dt|e)-.+|mention|hashtag|ellipsis|invisible|quote-inline)$"
)
_HEADING_OPEN_RE = re.compile(r"<h[1-6](?=[\s>/])[^>]*>", re.IGNORECASE)
_HEADING_CLOSE_RE = re.compile(r"</h[1-6]\s*>", re.IGNORECASE)
# After cleaning, an <a> without href (a relative link, javascript:...) is only its text.
_DEAD_LINK_RE = re.compile(r"<a(?![^>]*\shref=)[^>]*>(.*?)</a>", re.DOTALL)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in re.split(r"[\t\n\f\r ]+", value) if _ALLOWED_CLASS_RE.match(c)]
        return " ".join(kept)
    if attribute == "translate":
        return value if value == "no" else None
    return value


_COMMON_ATTRIBUTES = {
    "*": {"lang"},
    "span": {"class", "translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "p": {"class"},
}

# Our own formatter's output: its rel/target stay as written (hashtags carry rel="tag").
_LOCAL_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes={**_COMMON_ATTRIBUTES, "a": {"href", "rel", "class", "translate", "target"}},
    attribute_filter=_attribute_filter,
    link_rel=None,
    url_schemes=LINK_PROTOCOLS,
)

# Anyone else's HTML: every link opens in a new tab with rel="nofollow noopener", as Mastodon's
# add_attributes does; relative links and unknown schemes lose their target.
_REMOTE_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes={**_COMMON_ATTRIBUTES, "a": {"href", "class", "translate"}},
    attribute_filter=_attribute_filter,
    link_rel="nofollow noopener",
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_schemes=LINK_PROTOCOLS,
    url_relative="deny",
)


def sanitize_html(value: str) -> str:
    """Remote HTML (a Note's content, an actor's summary) reduced to Mastodon's allow-list.

    Headings become bold paragraphs, as Mastodon's UNSUPPORTED_ELEMENTS_TRANSFORMER does.
    """
    if not value:
        return ""
    value = _HEADING_OPEN_RE.sub("<p><strong>", value)
    value = _HEADING_CLOSE_RE.sub("</strong></p>", value)
    return _DEAD_LINK_RE.sub(r"\1", _REMOTE_CLEANER.clean(value))
