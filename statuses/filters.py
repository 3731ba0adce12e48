"""Filters (Mastodon's CustomFilter): writing them, and matching a page of statuses against them.

Writes keep Mastodon's rules: Rails' validation messages, ``keywords_attributes`` as Rails nested
attributes (``id`` to change a keyword, ``_destroy`` to drop it), ``expires_in`` in seconds, and
the v1 API's view of a filter as one keyword (``irreversible`` is the ``hide`` action).

Reads load the viewer's unexpired filters for a page in ONE query (keywords and the page's
status filters, joined to their filter) and match in Python, so 40 statuses cost what one does.
A keyword matches the status's searchable text as Mastodon builds it (content warning, plain
text, poll options), case-insensitively; ``whole_word`` adds a word boundary on each side that
starts or ends with a word character. A boost is matched by what it boosts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from html.parser import HTMLParser
from typing import Any

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, BooleanField, CharField, TextField, Value
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import Account
from statuses.models import (
    Filter,
    FilterAction,
    FilterContext,
    FilterKeyword,
    FilterStatus,
    Status,
)
from statuses.policies import can_view

MAX_ID = 2**63 - 1  # ids are signed 64-bit columns; anything larger names nothing

# Mastodon's message (filters.errors.deprecated_api_multiple_keywords).
MULTIPLE_KEYWORDS_MESSAGE = (
    "These parameters cannot be changed from this application because they apply to more "
    "than one filter keyword. Use a more recent application or the web interface."
)


class FilterValidationError(Exception):
    """Rails-style validation errors; ``str()`` is Mastodon's "Validation failed: ..." text."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"Validation failed: {', '.join(self.errors)}")


class Unset(Enum):
    """A parameter that was not sent (as opposed to one sent empty, which clears)."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class KeywordAttributes:
    """One entry of ``keywords_attributes[]``: a new keyword, or ``id`` to change or drop one."""

    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False

    @property
    def blank(self) -> bool:
        """Rails' ``reject_if: :all_blank``: nothing but ``_destroy`` was given."""
        return self.id is None and not (self.keyword or "").strip() and self.whole_word is None


# --- Writes --------------------------------------------------------------------------------------


def _context_errors(context: Sequence[str]) -> list[str]:
    valid = set(FilterContext.values)
    errors = []
    if not context:
        errors.append("Context can't be blank")
    if not context or any(c not in valid for c in context):
        errors.append("Context None or invalid context supplied")
    return errors


def _normalize_context(context: Iterable[str]) -> list[str]:
    """Mastodon strips each entry and drops blank ones; we also drop repeats."""
    return list(dict.fromkeys(c.strip() for c in context if c and c.strip()))


def _expires_at(expires_in: int | None) -> datetime | None:
    return None if expires_in is None else timezone.now() + timedelta(seconds=expires_in)


def _action(name: str, errors: list[str]) -> FilterAction:
    action = FilterAction.from_name(name)
    if action is None:
        errors.append("Action is not included in the list")
        return FilterAction.WARN
    return action


def _keyword_changes(
    filter_: Filter | None, keywords: Sequence[KeywordAttributes], errors: list[str]
) -> tuple[list[FilterKeyword], list[FilterKeyword], list[int]]:
    """(new keywords, changed keywords, ids to delete) for ``keywords_attributes``; an ``id``
    that is not one of this filter's keywords raises FilterKeyword.DoesNotExist (a 404)."""
    existing: dict[int, FilterKeyword] = {}
    wanted = [k.id for k in keywords if k.id is not None]
    if wanted:
        if filter_ is None:
            raise FilterKeyword.DoesNotExist("Record not found")
        existing = {k.id: k for k in FilterKeyword.objects.filter(filter=filter_, id__in=wanted)}
        if any(i not in existing for i in wanted):
            raise FilterKeyword.DoesNotExist("Record not found")
    created: list[FilterKeyword] = []
    changed: dict[int, FilterKeyword] = {}
    destroyed: list[int] = []
    blank = False
    for attrs in keywords:
        if attrs.id is not None:
            keyword = existing[attrs.id]
            if attrs.destroy:
                destroyed.append(keyword.id)
                continue
            if attrs.keyword is not None:
                keyword.keyword = attrs.keyword
            if attrs.whole_word is not None:
                keyword.whole_word = attrs.whole_word
            blank = blank or not keyword.keyword.strip()
            changed[keyword.id] = keyword
        elif not attrs.destroy and not attrs.blank:
            text = attrs.keyword or ""
            blank = blank or not text.strip()
            whole_word = True if attrs.whole_word is None else attrs.whole_word
            created.append(FilterKeyword(keyword=text, whole_word=whole_word))
    if blank:
        errors.append("Keywords keyword can't be blank")
    return created, [k for i, k in changed.items() if i not in destroyed], destroyed


@transaction.atomic
def create_filter(
    account: Account,
    *,
    title: str | None,
    context: Iterable[str],
    filter_action: str | None = None,
    expires_in: int | None = None,
    keywords: Sequence[KeywordAttributes] = (),
) -> Filter:
    """POST /api/v2/filters."""
    errors: list[str] = []
    title = title or ""
    if not title.strip():
        errors.append("Title can't be blank")
    contexts = _normalize_context(context)
    errors += _context_errors(contexts)
    action = _action(filter_action, errors) if filter_action else FilterAction.WARN
    created, _, _ = _keyword_changes(None, keywords, errors)
    if errors:
        raise FilterValidationError(errors)
    filter_ = Filter.objects.create(
        account=account,
        title=title,
        context=contexts,
        filter_action=action,
        expires_at=_expires_at(expires_in),
    )
    for keyword in created:
        keyword.filter = filter_
    FilterKeyword.objects.bulk_create(created)
    filters_changed(account.id)  # bulk_create sends no post_save
    return filter_


@transaction.atomic
def update_filter(
    filter_: Filter,
    *,
    title: str | None = None,
    context: Iterable[str] | None = None,
    filter_action: str | None = None,
    expires_in: int | Unset | None = UNSET,
    keywords: Sequence[KeywordAttributes] = (),
) -> Filter:
    """PUT /api/v2/filters/:id: what is not sent stays as it is; ``expires_in`` sent empty
    makes the filter permanent."""
    errors: list[str] = []
    if title is not None:
        filter_.title = title
        if not title.strip():
            errors.append("Title can't be blank")
    if context is not None:
        filter_.context = _normalize_context(context)
        errors += _context_errors(filter_.context)
    if filter_action is not None:
        filter_.filter_action = _action(filter_action, errors)
    if not isinstance(expires_in, Unset):
        filter_.expires_at = _expires_at(expires_in)
    created, changed, destroyed = _keyword_changes(filter_, keywords, errors)
    if errors:
        raise FilterValidationError(errors)
    filter_.save()
    FilterKeyword.objects.filter(filter=filter_, id__in=destroyed).delete()
    for keyword in changed:
        keyword.save(update_fields=["keyword", "whole_word", "updated_at"])
    for keyword in created:
        keyword.filter = filter_
    FilterKeyword.objects.bulk_create(created)
    filters_changed(filter_.account_id)  # bulk_create sends no post_save
    return filter_


def delete_filter(filter_: Filter) -> None:
    filter_.delete()


def add_keyword(filter_: Filter, *, keyword: str | None, whole_word: bool | None) -> FilterKeyword:
    """POST /api/v2/filters/:filter_id/keywords."""
    if not (keyword or "").strip():
        raise FilterValidationError(["Keyword can't be blank"])
    return FilterKeyword.objects.create(
        filter=filter_, keyword=keyword or "", whole_word=True if whole_word is None else whole_word
    )


def update_keyword(
    keyword: FilterKeyword, *, text: str | None, whole_word: bool | None
) -> FilterKeyword:
    """PUT /api/v2/filters/keywords/:id."""
    if text is not None:
        keyword.keyword = text
    if whole_word is not None:
        keyword.whole_word = whole_word
    if not keyword.keyword.strip():
        raise FilterValidationError(["Keyword can't be blank"])
    keyword.save()
    return keyword


def remove_keyword(keyword: FilterKeyword) -> None:
    keyword.delete()


def add_filter_status(filter_: Filter, *, status_id: int | None) -> FilterStatus:
    """POST /api/v2/filters/:filter_id/statuses: a status the filter's owner may see (one they
    may not is reported like one that does not exist, so ids reveal nothing)."""
    if status_id is None:
        raise FilterValidationError(["Status must exist"])
    status = (
        Status.objects.select_related("account", "reblog", "reblog__account")
        .filter(id=status_id)
        .first()
        if 0 < status_id <= MAX_ID
        else None
    )
    if status is None or not can_view(status, filter_.account):
        raise FilterValidationError(["Status is invalid"])
    if FilterStatus.objects.filter(filter=filter_, status=status).exists():
        raise FilterValidationError(["Status has already been taken"])
    try:
        with transaction.atomic():
            return FilterStatus.objects.create(filter=filter_, status=status)
    except IntegrityError as exc:  # the same status added twice at once
        raise FilterValidationError(["Status has already been taken"]) from exc


def remove_filter_status(filter_status: FilterStatus) -> None:
    filter_status.delete()


# --- The v1 API: one filter, one keyword ---------------------------------------------------------


@transaction.atomic
def create_v1_filter(
    account: Account,
    *,
    phrase: str | None,
    context: Iterable[str],
    irreversible: bool = False,
    whole_word: bool | None = None,
    expires_in: int | None = None,
) -> FilterKeyword:
    """POST /api/v1/filters: a filter titled after its one keyword, as Mastodon maps it."""
    errors: list[str] = []
    phrase = phrase or ""
    if not phrase.strip():
        errors.append("Phrase can't be blank")
    contexts = _normalize_context(context)
    errors += _context_errors(contexts)
    if errors:
        raise FilterValidationError(errors)
    filter_ = Filter.objects.create(
        account=account,
        title=phrase,
        context=contexts,
        filter_action=FilterAction.HIDE if irreversible else FilterAction.WARN,
        expires_at=_expires_at(expires_in),
    )
    keyword = FilterKeyword.objects.create(
        filter=filter_, keyword=phrase, whole_word=True if whole_word is None else whole_word
    )
    return keyword


@transaction.atomic
def update_v1_filter(
    keyword: FilterKeyword,
    *,
    phrase: str | None = None,
    context: Iterable[str] | None = None,
    irreversible: bool | None = None,
    whole_word: bool | None = None,
    expires_in: int | Unset | None = UNSET,
) -> FilterKeyword:
    """PUT /api/v1/filters/:id (a keyword's id). Changing the phrase or whole_word is always
    allowed (the documented promise); changing context, expiry or irreversible is refused when
    the filter holds other keywords too, since it would change them as well."""
    filter_ = keyword.filter
    errors: list[str] = []
    if phrase is not None:
        if not phrase.strip():
            errors.append("Phrase can't be blank")
        keyword.keyword = phrase
    if whole_word is not None:
        keyword.whole_word = whole_word
    before = (filter_.context, filter_.expires_at, filter_.filter_action)
    if context is not None:
        filter_.context = _normalize_context(context)
        errors += _context_errors(filter_.context)
    if irreversible is not None:
        filter_.filter_action = FilterAction.HIDE if irreversible else FilterAction.WARN
    if not isinstance(expires_in, Unset):
        filter_.expires_at = _expires_at(expires_in)
    if errors:
        raise FilterValidationError(errors)
    shared = FilterKeyword.objects.filter(filter=filter_).exclude(id=keyword.id).exists()
    if (filter_.context, filter_.expires_at, filter_.filter_action) != before and shared:
        raise FilterValidationError([MULTIPLE_KEYWORDS_MESSAGE])
    keyword.save()
    if not shared:
        filter_.title = keyword.keyword
    filter_.save()
    return keyword


# --- Reads ---------------------------------------------------------------------------------------


def _pk(value: object) -> int:
    try:
        pk = int(str(value))
    except ValueError:
        pk = 0
    if not 0 < pk <= MAX_ID:
        raise Filter.DoesNotExist("Record not found")
    return pk


def filters_of(account: Account) -> list[Filter]:
    """The account's filters with their keywords and statuses (three queries in all)."""
    return list(
        Filter.objects.filter(account_id=account.id)
        .prefetch_related("keywords", "statuses")
        .order_by("id")
    )


def owned_filter(account: Account, filter_id: object) -> Filter:
    """One of the account's filters; Filter.DoesNotExist (404) for anyone else's."""
    return (
        Filter.objects.filter(account_id=account.id)
        .select_related("account")
        .prefetch_related("keywords", "statuses")
        .get(id=_pk(filter_id))
    )


def owned_keyword(account: Account, keyword_id: object) -> FilterKeyword:
    return FilterKeyword.objects.select_related("filter", "filter__account").get(
        id=_pk(keyword_id), filter__account_id=account.id
    )


def owned_filter_status(account: Account, filter_status_id: object) -> FilterStatus:
    return FilterStatus.objects.select_related("filter").get(
        id=_pk(filter_status_id), filter__account_id=account.id
    )


def v1_filters_of(account: Account) -> list[FilterKeyword]:
    """GET /api/v1/filters: every keyword of every filter, each shown as a v1 filter."""
    return list(
        FilterKeyword.objects.filter(filter__account_id=account.id)
        .select_related("filter")
        .order_by("filter_id", "id")
    )


# --- Matching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterResult:
    """Mastodon's FilterResult: the filter, and what of it matched (None when nothing did)."""

    filter: Filter
    keyword_matches: list[str] | None
    status_matches: list[int] | None


@dataclass
class ActiveFilter:
    filter: Filter
    keywords: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    status_ids: set[int] = field(default_factory=set)


_WORD = re.compile(r"\w")


def keyword_pattern(keyword: str, *, whole_word: bool) -> re.Pattern[str]:
    """Case-insensitive; a whole word has ``\\b`` on a side only where the keyword has a word
    character, so ``#tag`` or ``c++`` still match (Unicode word characters, as Ruby's
    ``[[:word:]]``)."""
    pattern = re.escape(keyword)
    if whole_word and keyword:
        if _WORD.match(keyword[0]):
            pattern = r"\b" + pattern
        if _WORD.match(keyword[-1]):
            pattern += r"\b"
    return re.compile(pattern, re.IGNORECASE)


def active_filters(
    viewer: Account,
    *,
    context: str,
    status_ids: Iterable[int] = (),
    cached: Mapping[str, Any] | None = None,
) -> list[ActiveFilter]:
    """The viewer's unexpired filters applying in ``context``, with their keywords and those of
    their status filters that name ``status_ids``. Filters with neither cannot match and are
    left out. Read from the cache (``_filter_rows``): no query once cached; ``cached`` holds
    the values of ``filter_cache_keys`` when the caller read them with its own."""
    now = timezone.now()
    wanted = set(status_ids)
    found: dict[int, ActiveFilter] = {}
    for row in _filter_rows(viewer.id, cached):
        filter_id, title, contexts, expires_at, action, kind, keyword, whole, status_id = row
        if isinstance(expires_at, str):  # cached rows are JSON
            expires_at = datetime.fromisoformat(expires_at)
        if context not in (contexts or []) or (expires_at is not None and expires_at <= now):
            continue
        if kind == "s" and int(status_id) not in wanted:
            continue
        entry = found.get(filter_id)
        if entry is None:
            filter_ = Filter(
                id=filter_id,
                account_id=viewer.id,
                title=title,
                context=contexts,
                expires_at=expires_at,
                filter_action=action,
            )
            entry = found[filter_id] = ActiveFilter(filter_)
        if kind == "k":
            entry.keywords.append((keyword, keyword_pattern(keyword, whole_word=bool(whole))))
        else:
            entry.status_ids.add(int(status_id))
    return sorted(found.values(), key=lambda f: f.filter.id)


# Filters are read on every timeline page and change rarely: each account's rows are cached
# together with the version they were loaded at, and every change bumps the version (after
# commit). A reader compares the two, both read in the same round trip as the page's entities
# (``filter_cache_keys``); one that raced a change can only store rows under a version that is
# already stale, which the next reader reloads.
FILTER_ROWS_TTL = 3600


def _filters_version_key(account_id: int) -> str:
    return f"filters:version:{account_id}"


def _filter_rows_key(account_id: int) -> str:
    return f"filters:rows:{account_id}"


def filter_cache_keys(account_id: int) -> list[str]:
    """The cache keys ``active_filters`` reads, for a caller that batches its cache reads."""
    return [_filters_version_key(account_id), _filter_rows_key(account_id)]


def _cache() -> Any:
    """The rendering cache (``statuses.api.status_cache``): what timeline pages read."""
    return caches["render"]


def _filter_rows(account_id: int, cached: Mapping[str, Any] | None) -> list[Any]:
    keys = filter_cache_keys(account_id)
    if cached is None:
        cached = _cache().get_many(keys)
    version = cached.get(keys[0]) or 0
    entry = cached.get(keys[1])
    if entry is not None and entry[0] == version:
        return entry[1]
    rows = _load_filter_rows(account_id)
    _cache().set(keys[1], [version, rows], timeout=FILTER_ROWS_TTL)
    return rows


def _load_filter_rows(account_id: int) -> list[tuple[Any, ...]]:
    """Every keyword and status of the account's filters, each with its filter: ONE query (a
    UNION ALL of keyword rows and status rows)."""
    text, number, boolean = TextField(), BigIntegerField(), BooleanField()
    head = (
        "filter_id",
        "filter__title",
        "filter__context",
        "filter__expires_at",
        "filter__filter_action",
    )
    keywords = FilterKeyword.objects.filter(filter__account_id=account_id).values_list(
        *head,
        Value("k", output_field=CharField()),
        "keyword",
        "whole_word",
        Value(None, output_field=number),
    )
    statuses = FilterStatus.objects.filter(filter__account_id=account_id).values_list(
        *head,
        Value("s", output_field=CharField()),
        Value("", output_field=text),
        Value(False, output_field=boolean),
        "status_id",
    )
    return [
        (*row[:3], row[3].isoformat() if row[3] else None, *row[4:])
        for row in keywords.union(statuses, all=True)
    ]


def filters_changed(account_id: int) -> None:
    """Make the next read of the account's filters load them again (once committed)."""

    def bump() -> None:
        cache = _cache()
        key = _filters_version_key(account_id)
        try:
            cache.incr(key)
        except ValueError:  # no version yet (or evicted): any new value will do
            cache.set(key, time.time_ns(), timeout=None)

    transaction.on_commit(bump)


@receiver([post_save, post_delete], sender=Filter)
def _filter_written(sender: type[Filter], instance: Filter, **kwargs: Any) -> None:
    filters_changed(instance.account_id)


@receiver([post_save, post_delete], sender=FilterKeyword)
@receiver([post_save, post_delete], sender=FilterStatus)
def _filter_part_written(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    account_id = Filter.objects.filter(id=instance.filter_id).values_list("account_id", flat=True)
    for found in account_id:
        filters_changed(found)


class _PlainText(HTMLParser):
    """Sanitised status HTML as plain text: a line break after ``<br>`` and ``</p>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(status: Status) -> str:
    """What the author wrote, without markup: a local status's source, else its HTML as text
    (Mastodon's extract_status_plain_text)."""
    if status.local and status.text:
        return status.text
    parser = _PlainText()
    parser.feed(status.content or "")
    parser.close()
    return "".join(parser.parts).rstrip("\n")


def searchable_text(status: Status) -> str:
    """Mastodon's Status#searchable_text: content warning, text and poll options (media
    descriptions would follow; there is no media yet)."""
    parts = [status.spoiler_text, plain_text(status)]
    try:
        poll = status.poll
    except Status.poll.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        poll = None
    if poll is not None:
        parts.append("\n\n".join(str(option) for option in poll.options or []))
    parts.append("")  # media descriptions
    return "\n\n".join(parts)


# Plain slotted, not frozen: a page builds one per status, and a frozen dataclass's __init__
# goes through object.__setattr__ for every field.
@dataclass(slots=True)
class FilterSubject:
    """What filters look at in one status of a page: its id, what it boosts, who wrote what
    it shows, and (lazily) the searchable text of what it shows."""

    id: int
    reblog_id: int | None
    author_id: int
    text: Callable[[], str]


def subject_of(status: Status) -> FilterSubject:
    proper = status.reblog if status.reblog_id is not None and status.reblog else status
    return FilterSubject(
        id=status.id,
        reblog_id=status.reblog_id,
        author_id=proper.account_id,
        text=lambda: searchable_text(proper),
    )


def match_filters(subject: FilterSubject, filters: Sequence[ActiveFilter]) -> list[FilterResult]:
    """The filters that match one status; a boost matches through what it boosts, and a
    status filter on either."""
    text: str | None = None
    results = []
    for active in filters:
        keywords = None
        if active.keywords:
            if text is None:
                text = subject.text()
            keywords = [k for k, pattern in active.keywords if pattern.search(text)] or None
        ids = [i for i in (subject.id, subject.reblog_id) if i is not None]
        matched_ids = [i for i in ids if i in active.status_ids] or None
        if keywords or matched_ids:
            results.append(FilterResult(active.filter, keywords, matched_ids))
    return results


def filter_results(
    statuses: Sequence[Status], viewer: Account | None, context: str
) -> dict[int, list[FilterResult]]:
    return filter_subjects([subject_of(s) for s in statuses], viewer, context)


def filter_subjects(
    subjects: Sequence[FilterSubject],
    viewer: Account | None,
    context: str,
    *,
    cached: Mapping[str, Any] | None = None,
) -> dict[int, list[FilterResult]]:
    """FilterResults by status id for a page (a boost's also under the boosted status's id),
    in ``context``; ONE query whatever the page's length, none without a viewer or statuses.
    The viewer's own statuses (and boosts of them) are never filtered, as Mastodon's web app
    shows them."""
    if viewer is None or not subjects:
        return {}
    ids = {i for s in subjects for i in (s.id, s.reblog_id) if i is not None}
    filters = active_filters(viewer, context=context, status_ids=ids, cached=cached)
    if not filters:
        return {}
    results: dict[int, list[FilterResult]] = {}
    for subject in subjects:
        if subject.author_id == viewer.id:
            continue
        matched = match_filters(subject, filters)
        if matched:
            results[subject.id] = matched
            if subject.reblog_id is not None:
                results.setdefault(subject.reblog_id, matched)
    return results
