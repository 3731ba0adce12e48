"""Writes on statuses: posting, editing, deleting, and every interaction with a status.

Each public function is one use case, named after its Mastodon service (PostStatusService →
``post_status``). They take the acting ``Account`` first and keyword arguments after it, so the
REST API, the web UI and the ActivityPub inbox share them. They raise:

- ``StatusValidationError``: the request cannot be honoured as sent (the API answers 422 with
  ``Validation failed: <message>``, Mastodon's wording);
- ``StatusNotPermittedError``: the actor may see the status but not do this to it (403);
- ``ReplyTargetNotFoundError``: replying to a status that is gone or hidden from the author
  (404);
- ``Status.DoesNotExist`` / ``Poll.DoesNotExist``: a status the actor may not see (404).

Work for after the commit (feeds, the subscribers' notifications) is queued with
``.delay_on_commit``; counters move with ``F()`` so that concurrent writes add up.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Count, F, Field, Model
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import Account, Application, User
from federation import outbox as federation
from fedisocial.db import prepared_cursor, set_prefetched
from statuses import formatting
from statuses.counting import grapheme_length, over_limit
from statuses.models import (
    Bookmark,
    Conversation,
    ConversationMute,
    Favourite,
    Mention,
    Poll,
    PollVote,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusPin,
    StatusTag,
    Tag,
    TagFollow,
    Visibility,
)
from statuses.policies import can_favourite, can_reblog, can_view
from statuses.selectors import with_related
from timelines import fanout_queue
from timelines.models import Notification
from timelines.notifications import notify
from timelines.tasks import unfan_status_task

logger = logging.getLogger(__name__)

MIN_SCHEDULE_OFFSET = timedelta(minutes=5)
SCHEDULED_TOTAL_LIMIT = 300
SCHEDULED_DAILY_LIMIT = 25
POLL_MIN_EXPIRATION = 5 * 60
POLL_MAX_EXPIRATION = 2_629_746  # one month, as Mastodon's PollValidator
MAX_PINNED = 5
IDEMPOTENCY_TTL = 3600
DISTRIBUTABLE = (Visibility.PUBLIC, Visibility.UNLISTED)
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$", re.IGNORECASE)


class StatusValidationError(Exception):
    """The request cannot be honoured as sent; the message is shown to the user (422)."""


class StatusNotPermittedError(Exception):
    """The actor may see the status but not do this to it (403)."""


class ReplyTargetNotFoundError(Exception):
    """The status replied to is gone, or the author may not see it (404)."""

    message = "The post you are trying to reply to does not appear to exist."


@dataclass(frozen=True)
class PollParams:
    """``poll[options][]``, ``poll[expires_in]``, ``poll[multiple]``, ``poll[hide_totals]``."""

    options: list[str]
    expires_in: int | None
    multiple: bool = False
    hide_totals: bool = False

    def as_params(self) -> dict[str, Any]:
        return {
            "options": list(self.options),
            "expires_in": self.expires_in,
            "multiple": self.multiple,
            "hide_totals": self.hide_totals,
        }

    @classmethod
    def from_params(cls, data: dict[str, Any] | None) -> PollParams | None:
        if not data:
            return None
        return cls(
            options=[str(o) for o in data.get("options") or []],
            expires_in=data.get("expires_in"),
            multiple=bool(data.get("multiple")),
            hide_totals=bool(data.get("hide_totals")),
        )


@dataclass(frozen=True)
class _Draft:
    """A status's attributes once Mastodon's preprocessing has filled in the defaults."""

    text: str
    spoiler_text: str
    sensitive: bool
    visibility: int
    language: str
    poll: PollParams | None


# --- Posting -------------------------------------------------------------------------------


def post_status(
    account: Account,
    *,
    text: str | None,
    spoiler_text: str | None = "",
    sensitive: bool | None = None,
    visibility: str | None = None,
    in_reply_to: Status | None = None,
    language: str | None = None,
    poll: PollParams | None = None,
    media_ids: list[str] | None = None,
    scheduled_at: datetime | None = None,
    application: Application | None = None,
    idempotency_key: str | None = None,
) -> Status | ScheduledStatus:
    """Mastodon's PostStatusService. ``sensitive`` and ``visibility`` left as None take the
    user's defaults; ``scheduled_at`` five minutes ahead or more gives a ScheduledStatus. A
    Status comes back in the rendering shape (``statuses.selectors.with_related``)."""
    duplicate = _idempotent_duplicate(account, idempotency_key)
    if duplicate is not None:
        return duplicate

    _validate_media(media_ids)
    draft = _preprocess(
        account,
        text=text,
        spoiler_text=spoiler_text,
        sensitive=sensitive,
        visibility=visibility,
        language=language,
        poll=poll,
    )
    thread = _reply_target(account, in_reply_to)
    _validate_draft(draft)
    if scheduled_at is not None and scheduled_at <= timezone.now():
        scheduled_at = None  # a date in the past means now, as Mastodon does

    result: Status | ScheduledStatus
    if scheduled_at is not None:
        result = _schedule_status(
            account,
            scheduled_at=scheduled_at,
            params={
                "text": text,
                "spoiler_text": spoiler_text or None,
                "sensitive": sensitive,
                "visibility": visibility,
                "language": language,
                "poll": poll.as_params() if poll is not None else None,
                "in_reply_to_id": thread.id if thread is not None else None,
                "application_id": application.id if application is not None else None,
            },
            application=application,
        )
    else:
        result = _create_status(account, draft, thread=thread, application=application)
    _remember_idempotency(account, idempotency_key, result)
    return result


def _idempotency_cache_key(account: Account, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return f"idempotency:status:{account.id}:{digest}"


def _idempotent_duplicate(account: Account, key: str | None) -> Status | ScheduledStatus | None:
    """What the same Idempotency-Key from the same account created in the last hour."""
    if not key:
        return None
    remembered = cache.get(_idempotency_cache_key(account, key))
    if not remembered:
        return None
    kind, _, raw_id = str(remembered).partition(":")
    if kind == "scheduled":
        return ScheduledStatus.objects.filter(id=int(raw_id), account_id=account.id).first()
    return with_related(
        Status.objects.filter(id=int(raw_id), account_id=account.id, deleted_at__isnull=True)
    ).first()


def _remember_idempotency(
    account: Account, key: str | None, result: Status | ScheduledStatus
) -> None:
    if not key:
        return
    kind = "scheduled" if isinstance(result, ScheduledStatus) else "status"
    value = f"{kind}:{result.id}"
    cache_key = _idempotency_cache_key(account, key)
    transaction.on_commit(lambda: cache.set(cache_key, value, IDEMPOTENCY_TTL))


def _validate_media(media_ids: list[str] | None) -> None:
    if media_ids:
        raise StatusValidationError("Media attachments are not supported on this server yet")


def _user_of(account: Account) -> User | None:
    try:
        return account.user
    except ObjectDoesNotExist:
        return None


def _valid_language(code: str | None) -> str | None:
    if code and _LANGUAGE_RE.match(code.strip()):
        head, _, region = code.strip().partition("-")
        return f"{head.lower()}-{region}" if region else head.lower()
    return None


def _language(requested: str | None, account: Account, *fallbacks: str | None) -> str:
    """Mastodon's valid_locale_cascade: the requested language, else the author's."""
    user = _user_of(account)
    candidates = [requested, *fallbacks]
    if user is not None:
        candidates += [user.default_language, user.locale]
    for candidate in candidates:
        valid = _valid_language(candidate)
        if valid:
            return valid
    return settings.LANGUAGE_CODE


def _visibility(name: str | None, account: Account) -> int:
    user = _user_of(account)
    name = name or (user.default_privacy if user is not None else "public")
    visibility = Visibility.from_name(str(name))
    if visibility is None:
        raise StatusValidationError("Visibility is not included in the list")
    if visibility == Visibility.PUBLIC and account.silenced_at is not None:
        return Visibility.UNLISTED
    return visibility


def _preprocess(
    account: Account,
    *,
    text: str | None,
    spoiler_text: str | None,
    sensitive: bool | None,
    visibility: str | None,
    language: str | None,
    poll: PollParams | None,
) -> _Draft:
    """Mastodon's preprocess_attributes!: a content warning makes a status sensitive, and a
    status with only a content warning posts the warning as its text."""
    text = (text or "").strip()
    spoiler = (spoiler_text or "").strip()
    if sensitive is None:
        user = _user_of(account)
        sensitive = user.default_sensitive if user is not None else False
    sensitive = bool(sensitive) or bool(spoiler)
    if not text and spoiler:
        text, spoiler = spoiler, ""
    return _Draft(
        text=text,
        spoiler_text=spoiler,
        sensitive=sensitive,
        visibility=_visibility(visibility, account),
        language=_language(language, account),
        poll=poll,
    )


def _validate_draft(draft: _Draft) -> None:
    if not draft.text:
        raise StatusValidationError("Text can't be blank")
    if over_limit(draft.text, draft.spoiler_text):
        raise StatusValidationError(f"Text character limit of {settings.MAX_STATUS_CHARS} exceeded")
    if draft.poll is not None:
        _validate_poll(draft.poll)


def _validate_poll(poll: PollParams) -> None:
    """Mastodon's PollValidator, with its messages."""
    errors = []
    options = poll.options
    if len(options) < 2:
        errors.append("Poll options must have more than one item")
    if len(options) > settings.MAX_POLL_OPTIONS:
        errors.append(f"Poll options can't contain more than {settings.MAX_POLL_OPTIONS} items")
    if any(not option.strip() for option in options):
        errors.append("Poll options can't be blank")
    if any(grapheme_length(option) > settings.MAX_POLL_OPTION_CHARS for option in options):
        errors.append(
            f"Poll options cannot be longer than {settings.MAX_POLL_OPTION_CHARS} characters each"
        )
    if len(set(options)) != len(options):
        errors.append("Poll options contain duplicate items")
    if poll.expires_in is None:
        errors.append("Poll expires in can't be blank")
    elif poll.expires_in > POLL_MAX_EXPIRATION:
        errors.append("Poll expires at is too far into the future")
    elif poll.expires_in < POLL_MIN_EXPIRATION:
        errors.append("Poll expires at is too soon")
    if errors:
        raise StatusValidationError(", ".join(errors))


def _reply_target(account: Account, in_reply_to: Status | None) -> Status | None:
    """The status replied to: a boost's original; 404 when the author may not see it."""
    if in_reply_to is None:
        return None
    thread = in_reply_to.reblog if in_reply_to.reblog_id else in_reply_to
    if thread is None or not can_view(thread, account):
        raise ReplyTargetNotFoundError(ReplyTargetNotFoundError.message)
    return thread


def _reply_account_id(account: Account, thread: Status | None) -> int | None:
    """Mastodon carries a self-thread's reply target over: answering your own reply keeps
    replying to whom that reply answered."""
    if thread is None:
        return None
    if thread.account_id == account.id and thread.in_reply_to_id is not None:
        return thread.in_reply_to_account_id
    return thread.account_id


def _conversation_for(thread: Status | None) -> Conversation:
    """A reply joins its parent's conversation; anything else starts one."""
    if thread is not None and thread.conversation_id is not None:
        return thread.conversation  # type: ignore[return-value]
    conversation = Conversation()
    _insert(conversation)
    if thread is not None:
        Status.objects.filter(id=thread.id, conversation__isnull=True).update(
            conversation=conversation
        )
        thread.conversation = conversation
    return conversation


def _conversation_id_for(thread: Status | None) -> int:
    """``_conversation_for`` without loading the parent's Conversation row: a new status only
    needs its id."""
    if thread is not None and thread.conversation_id is not None:
        return thread.conversation_id
    return _conversation_for(thread).id


def _create_status(
    account: Account, draft: _Draft, *, thread: Status | None, application: Application | None
) -> Status:
    """Insert the status and what hangs on it, and leave it in the rendering shape (see
    ``_as_loaded``): the API answers with it without reading it back."""
    mentions = formatting.resolve_mentions(draft.text)
    status = Status(
        account=account,
        local=True,
        text=draft.text,
        content=formatting.format_text(draft.text, accounts=mentions),
        spoiler_text=draft.spoiler_text,
        sensitive=draft.sensitive,
        visibility=draft.visibility,
        language=draft.language,
        in_reply_to=thread,
        in_reply_to_account_id=_reply_account_id(account, thread),
        application=application,
    )
    if _is_plain(status, draft, thread, mentions):
        _insert_plain(status)
        fanout_queue.enqueue_on_commit(status.id)  # committed already: queued now
        _as_loaded(status, mentions=[], status_tags=[], poll=None)
        return status
    with transaction.atomic():
        tags = _tags_for(draft.text)
        if thread is None:
            _insert_in_new_conversation(status)
        else:
            status.conversation_id = _conversation_id_for(thread)
            _insert(status)
        poll = _create_poll(status, draft.poll) if draft.poll is not None else None
        mention_rows = Mention.objects.bulk_create(
            [Mention(status=status, account=a) for a in mentions.values()]
        )
        tag_rows = StatusTag.objects.bulk_create([StatusTag(status=status, tag=t) for t in tags])
        _notify_mentioned(status, [m.account for m in mention_rows])
        # Last: the author's row stays locked from this update to the commit, and concurrent
        # posts by the same author wait for it.
        _count_new_status(status, thread)
        fanout_queue.enqueue_on_commit(status.id)
    _as_loaded(status, mentions=mention_rows, status_tags=tag_rows, poll=poll)
    return status


def _as_loaded(
    status: Status, *, mentions: list[Mention], status_tags: list[StatusTag], poll: Poll | None
) -> None:
    """Give a status just created the relations ``statuses.selectors.with_related`` would load
    (the rows were just written, so these are what a read would find); what it has no row for
    (a poll, a boost) is known to be absent, so rendering it reads nothing."""
    set_prefetched(status, "mentions", mentions)
    set_prefetched(status, "status_tags", status_tags)
    if poll is None:
        Status.poll.related.set_cached_value(status, None)  # type: ignore[attr-defined]


@functools.cache
def _insert_statement(
    model: type[Model],
) -> tuple[str, list[Field[Any, Any]], Field[Any, Any] | None]:
    """The INSERT of a row of ``model`` with its columns, written once per process from the
    model's fields (so it follows migrations); an auto-increment key comes back."""
    meta = model._meta
    generated = meta.pk if meta.pk is not None and meta.pk.db_returning else None
    fields = [f for f in meta.concrete_fields if f is not generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Only names from the model's metadata are interpolated; the values are parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if generated is not None:
        sql += f" RETURNING {quote(generated.column)}"
    return sql, fields, generated


def _insert(obj: Model) -> None:
    """``obj.save(force_insert=True)`` as a prepared statement: compiling the ORM's INSERT cost
    more than PostgreSQL spent running it, twice per post. Defaults and ``auto_now`` apply as in
    a save; no ``pre_save``/``post_save`` signal is sent (none is connected for the models
    this writes: Status, Conversation)."""
    sql, fields, generated = _insert_statement(type(obj))
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        if generated is not None:
            setattr(obj, generated.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = connection.alias


@functools.cache
def _insert_in_new_conversation_statement() -> tuple[str, list[Field[Any, Any]]]:
    """One statement inserting a Conversation and a Status in it (PostgreSQL): the status's
    fields but ``conversation_id``, which the conversation's insert returns."""
    conversation_sql, conversation_fields, _ = _insert_statement(Conversation)
    status_sql, status_fields, _ = _insert_statement(Status)
    head, _, _ = status_sql.partition(" VALUES ")
    values = ", ".join(
        "(SELECT id FROM c)" if f.attname == "conversation_id" else "%s" for f in status_fields
    )
    fields = [*conversation_fields, *(f for f in status_fields if f.attname != "conversation_id")]
    return (
        f"WITH c AS ({conversation_sql}) {head} VALUES ({values}) RETURNING conversation_id",
        fields,
    )


def _new_conversation_values(status: Status, fields: list[Field[Any, Any]]) -> list[Any]:
    """The parameters of a new conversation's and its first status's columns, for the
    statements that insert both."""
    conversation = Conversation()
    return [
        f.get_db_prep_save(
            f.pre_save(conversation if f.model is Conversation else status, True), connection
        )
        for f in fields
    ]


def _insert_in_new_conversation(status: Status) -> None:
    """``_insert`` of a status that starts its own conversation: on PostgreSQL the
    conversation's insert and the status's are one statement (one round trip fewer per post)."""
    if connection.vendor != "postgresql":
        status.conversation_id = _conversation_for(None).id
        _insert(status)
        return
    sql, fields = _insert_in_new_conversation_statement()
    values = _new_conversation_values(status, fields)
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        status.conversation_id = cursor.fetchone()[0]
    status._state.adding = False
    status._state.db = connection.alias


def _is_plain(
    status: Status, draft: _Draft, thread: Status | None, mentions: dict[str, Account]
) -> bool:
    """A post with nothing hanging on it (no thread, mention, hashtag or poll, counted on its
    author): one statement writes all of it, on PostgreSQL."""
    return (
        connection.vendor == "postgresql"
        and thread is None
        and not mentions
        and draft.poll is None
        and status.visibility != Visibility.DIRECT
        and not formatting.extract_hashtags(draft.text)
    )


@functools.cache
def _plain_post_statement() -> tuple[str, list[Field[Any, Any]]]:
    """``_insert_in_new_conversation_statement`` and the author's counters
    (``_count_new_status``) as one statement, whose row is the conversation id and the
    author's counters after the update."""
    insert, fields = _insert_in_new_conversation_statement()
    head, _, status_insert = insert.partition(") INSERT INTO ")
    bump = _BUMP_STATUSES_COUNT_SQL.strip()
    sql = (
        f"{head}), s AS (INSERT INTO {status_insert}), u AS ({bump})"  # noqa: S608
        " SELECT s.conversation_id, u.statuses_count, u.followers_count, u.following_count"
        " FROM s LEFT JOIN u ON TRUE"
    )
    return sql, fields


def _insert_plain(status: Status) -> None:
    """A plain post (``_is_plain``) in one statement, in autocommit: the author's row is locked
    only while it runs, and no BEGIN or COMMIT round trip is needed."""
    sql, fields = _plain_post_statement()
    values = _new_conversation_values(status, fields)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*values, status.created_at, status.account_id])
        conversation_id, *counters = cursor.fetchone()
    status.conversation_id = conversation_id
    status._state.adding = False
    status._state.db = connection.alias
    if counters[0] is not None:
        author = status.account
        author.statuses_count, author.followers_count, author.following_count = counters
        author.last_status_at = status.created_at


def _insert_unless_key_taken(obj: Model) -> bool:
    """``_insert`` for a row whose key the caller chose: False, and nothing written, when a
    row has that key already (no savepoint needed to survive it, as a failed INSERT would)."""
    sql, fields, generated = _insert_statement(type(obj))
    if generated is not None:
        raise ValueError(f"{type(obj).__name__} gets its key from the database")
    key = connection.ops.quote_name(type(obj)._meta.pk.column)  # type: ignore[union-attr]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with prepared_cursor() as cursor:
        cursor.execute(f"{sql} ON CONFLICT ({key}) DO NOTHING RETURNING {key}", values)
        if cursor.fetchone() is None:
            return False
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


def _create_poll(status: Status, params: PollParams) -> Poll:
    assert params.expires_in is not None
    return Poll.objects.create(
        status=status,
        account_id=status.account_id,
        options=list(params.options),
        cached_tallies=[0] * len(params.options),
        multiple=params.multiple,
        hide_totals=params.hide_totals,
        votes_count=0,
        voters_count=0,
        expires_at=timezone.now() + timedelta(seconds=params.expires_in),
    )


def _tags_for(text: str) -> list[Tag]:
    """The Tag rows for a text's hashtags, created on first use (name normalised)."""
    wanted: dict[str, str] = {}
    for name in formatting.extract_hashtags(text):
        normalized = formatting.normalize_hashtag(name)
        if normalized and len(normalized) <= 255:
            wanted.setdefault(normalized, name)
    if not wanted:
        return []
    found = {t.name: t for t in Tag.objects.filter(name__in=list(wanted))}
    for normalized, shown in wanted.items():
        if normalized not in found:
            found[normalized], _ = Tag.objects.get_or_create(
                name=normalized, defaults={"display_name": shown[:255]}
            )
    return [found[n] for n in wanted]


def _save_tags(status: Status, tags: list[Tag]) -> None:
    wanted = {t.id for t in tags}
    StatusTag.objects.filter(status=status).exclude(tag_id__in=wanted).delete()
    have = set(StatusTag.objects.filter(status=status).values_list("tag_id", flat=True))
    StatusTag.objects.bulk_create(
        [StatusTag(status=status, tag_id=tid) for tid in wanted if tid not in have]
    )


_BUMP_STATUSES_COUNT_SQL = """
    UPDATE accounts_account SET statuses_count = statuses_count + 1, last_status_at = %s
    WHERE id = %s RETURNING statuses_count, followers_count, following_count
"""


def _count_new_status(status: Status, thread: Status | None) -> None:
    """Mastodon's increment_counter_caches: direct statuses count nowhere; a reply counts on its
    parent only when it is public or unlisted. The author's counters come back with the update,
    so ``status.account`` renders them as they now are."""
    if status.visibility != Visibility.DIRECT:
        with prepared_cursor() as cursor:
            cursor.execute(_BUMP_STATUSES_COUNT_SQL, [status.created_at, status.account_id])
            row = cursor.fetchone()
        if row is not None:
            author = status.account
            author.statuses_count, author.followers_count, author.following_count = row
            author.last_status_at = status.created_at
    if status.reblog_id is not None:
        Status.objects.filter(id=status.reblog_id).update(reblogs_count=F("reblogs_count") + 1)
    if thread is not None and status.visibility in DISTRIBUTABLE:
        Status.objects.filter(id=thread.id).update(replies_count=F("replies_count") + 1)


def _notify_mentioned(status: Status, accounts: list[Account]) -> None:
    for account in accounts:
        notify(account, Notification.Type.MENTION, from_account=status.account, status=status)


# --- Scheduling ----------------------------------------------------------------------------


def _check_schedule(account: Account, scheduled_at: datetime) -> None:
    """Mastodon's ScheduledStatusValidator."""
    if scheduled_at <= timezone.now() + MIN_SCHEDULE_OFFSET:
        raise StatusValidationError("Scheduled at The scheduled date must be in the future")
    pending = ScheduledStatus.objects.filter(account_id=account.id)
    if pending.count() >= SCHEDULED_TOTAL_LIMIT:
        raise StatusValidationError(
            f"You have exceeded the limit of {SCHEDULED_TOTAL_LIMIT} scheduled posts"
        )
    day = scheduled_at.astimezone(UTC).date()
    same_day = pending.filter(scheduled_at__date=day)
    if same_day.count() >= SCHEDULED_DAILY_LIMIT:
        raise StatusValidationError(
            f"You have exceeded the limit of {SCHEDULED_DAILY_LIMIT} scheduled posts for today"
        )


def _schedule_status(
    account: Account,
    *,
    scheduled_at: datetime,
    params: dict[str, Any],
    application: Application | None,
) -> ScheduledStatus:
    _check_schedule(account, scheduled_at)
    stored = {
        **params,
        "media_ids": None,
        "scheduled_at": None,
        "idempotency": None,
        "with_rate_limit": False,
        "quoted_status_id": None,
        "quote_approval_policy": "nobody",
    }
    return ScheduledStatus.objects.create(
        account=account, scheduled_at=scheduled_at, params=stored, application=application
    )


def update_scheduled_status(
    account: Account, scheduled: ScheduledStatus, *, scheduled_at: datetime
) -> ScheduledStatus:
    if scheduled.account_id != account.id:
        raise ScheduledStatus.DoesNotExist
    with transaction.atomic():
        _check_schedule(account, scheduled_at)
        scheduled.scheduled_at = scheduled_at
        scheduled.save(update_fields=["scheduled_at"])
    return scheduled


def cancel_scheduled_status(account: Account, scheduled: ScheduledStatus) -> None:
    if scheduled.account_id != account.id:
        raise ScheduledStatus.DoesNotExist
    ScheduledStatus.objects.filter(id=scheduled.id).delete()


def publish_scheduled_status(scheduled: ScheduledStatus) -> Status | None:
    """Post a due scheduled status (Mastodon's PublishScheduledStatusWorker). Safe to run twice:
    whoever deletes the row publishes it. One that can no longer be posted (its reply target
    is gone, or it no longer validates) is dropped, as Mastodon drops it."""
    params = scheduled.params or {}
    try:
        with transaction.atomic():
            deleted, _ = ScheduledStatus.objects.filter(id=scheduled.id).delete()
            if not deleted:
                return None
            thread = None
            if params.get("in_reply_to_id"):
                thread = (
                    Status.objects.select_related("account", "reblog", "reblog__account")
                    .filter(id=int(params["in_reply_to_id"]), deleted_at__isnull=True)
                    .first()
                )
                if thread is None:
                    raise ReplyTargetNotFoundError(ReplyTargetNotFoundError.message)
            application = None
            if params.get("application_id"):
                application = Application.objects.filter(id=params["application_id"]).first()
            result = post_status(
                scheduled.account,
                text=params.get("text"),
                spoiler_text=params.get("spoiler_text"),
                sensitive=params.get("sensitive"),
                visibility=params.get("visibility"),
                language=params.get("language"),
                poll=PollParams.from_params(params.get("poll")),
                in_reply_to=thread,
                application=application,
            )
    except (StatusValidationError, ReplyTargetNotFoundError) as exc:
        logger.info("Dropping scheduled status %s: %s", scheduled.id, exc)
        ScheduledStatus.objects.filter(id=scheduled.id).delete()
        return None
    assert isinstance(result, Status)
    return result


# --- Editing -------------------------------------------------------------------------------


def _snapshot(status: Status, *, account_id: int, at: datetime) -> StatusEdit:
    poll = _poll_of(status)
    return StatusEdit.objects.create(
        status=status,
        account_id=account_id,
        text=status.text,
        content=status.content,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        poll_options=list(poll.options) if poll is not None else None,
        created_at=at,
    )


def _poll_of(status: Status) -> Poll | None:
    return Poll.objects.filter(status_id=status.id).first()


def update_status(
    account: Account,
    status: Status,
    *,
    text: str | None,
    spoiler_text: str | None = "",
    sensitive: bool | None = None,
    language: str | None = None,
    poll: PollParams | None = None,
    media_ids: list[str] | None = None,
) -> Status:
    """Mastodon's UpdateStatusService. Like Mastodon's PUT, the request is the whole new state:
    no ``poll`` removes the poll. The first edit records the original; changing a poll's
    options (or whether it is multiple-choice) resets its votes."""
    if status.account_id != account.id or status.reblog_id is not None:
        raise Status.DoesNotExist
    _validate_media(media_ids)
    spoiler = (spoiler_text or "").strip()
    new_text = (text or "").strip() or spoiler
    if not (text or "").strip():
        spoiler = ""
    draft = _Draft(
        text=new_text,
        spoiler_text=spoiler,
        sensitive=bool(sensitive) or bool((spoiler_text or "").strip()),
        visibility=status.visibility,
        language=_language(language, account, status.language),
        poll=poll,
    )
    _validate_draft(draft)
    mentions = formatting.resolve_mentions(draft.text)

    with transaction.atomic():
        status = Status.objects.select_for_update().select_related("account").get(id=status.id)
        if status.deleted_at is not None:
            raise Status.DoesNotExist
        had_edits = StatusEdit.objects.filter(status=status).exists()
        previous = _Draft(
            text=status.text,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            visibility=status.visibility,
            language=status.language or "",
            poll=None,
        )
        original_snapshot = None if had_edits else _snapshot_values(status)
        poll_changed = _update_poll(status, poll)
        changed = poll_changed or (
            previous.text,
            previous.spoiler_text,
            previous.sensitive,
            previous.language,
        ) != (draft.text, draft.spoiler_text, draft.sensitive, draft.language)
        if not changed:
            return status
        now = timezone.now()
        if original_snapshot is not None:
            StatusEdit.objects.create(status=status, **original_snapshot)
        status.text = draft.text
        status.content = formatting.format_text(draft.text, accounts=mentions)
        status.spoiler_text = draft.spoiler_text
        status.sensitive = draft.sensitive
        status.language = draft.language
        status.edited_at = now
        status.save(
            update_fields=[
                "text", "content", "spoiler_text", "sensitive", "language", "edited_at",
                "updated_at",
            ]
        )  # fmt: skip
        newly_mentioned = _update_mentions(status, list(mentions.values()))
        _save_tags(status, _tags_for(draft.text))
        _snapshot(status, account_id=account.id, at=now)
        _notify_mentioned(status, newly_mentioned)
        _notify_boosters_of_update(status)
        if status.local:
            federation.notify("status.updated", status_id=status.id)
    return status


def _snapshot_values(status: Status) -> dict[str, Any]:
    """The original state, recorded by the first edit at the status's creation time."""
    poll = _poll_of(status)
    return {
        "account_id": status.account_id,
        "text": status.text,
        "content": status.content,
        "spoiler_text": status.spoiler_text,
        "sensitive": status.sensitive,
        "poll_options": list(poll.options) if poll is not None else None,
        "created_at": status.created_at,
    }


def _update_poll(status: Status, params: PollParams | None) -> bool:
    """Mastodon's update_poll!: whether the poll changed (a new expiry counts)."""
    previous = _poll_of(status)
    if params is None:
        if previous is None:
            return False
        previous.delete()
        return True
    if previous is None:
        _create_poll(status, params)
        return True
    reset = params.options != previous.options or params.multiple != previous.multiple
    previous.options = list(params.options)
    previous.multiple = params.multiple
    previous.hide_totals = params.hide_totals
    assert params.expires_in is not None
    previous.expires_at = timezone.now() + timedelta(seconds=params.expires_in)
    previous.closed_notified = False
    if reset:
        PollVote.objects.filter(poll=previous).delete()
        previous.cached_tallies = [0] * len(params.options)
        previous.votes_count = 0
        previous.voters_count = 0
    previous.save()
    return True


def _update_mentions(status: Status, accounts: list[Account]) -> list[Account]:
    """New mentions are added (and notified); ones no longer in the text turn silent, since
    taking access away from someone already notified would confuse more than it protects."""
    current = {a.id for a in accounts}
    existing = {m.account_id: m for m in Mention.objects.filter(status=status)}
    Mention.objects.filter(status=status, silent=False).exclude(account_id__in=current).update(
        silent=True
    )
    Mention.objects.filter(status=status, silent=True, account_id__in=current).update(silent=False)
    new = [a for a in accounts if a.id not in existing]
    Mention.objects.bulk_create([Mention(status=status, account=a) for a in new])
    return new


def _notify_boosters_of_update(status: Status) -> None:
    """``update`` notifications to the local accounts that boosted the status."""
    boosters = Account.objects.filter(
        domain__isnull=True,
        id__in=Status.objects.filter(reblog_id=status.id, deleted_at__isnull=True).values(
            "account_id"
        ),
    )
    for booster in boosters:
        notify(booster, Notification.Type.UPDATE, from_account=status.account, status=status)


# --- Deleting ------------------------------------------------------------------------------


def remove_status(account: Account, status: Status) -> Status:
    """Delete one's own status (DELETE /api/v1/statuses/:id); boosts of it go with it."""
    if status.account_id != account.id:
        raise Status.DoesNotExist
    discard_status(status)
    return status


@transaction.atomic
def discard_status(status: Status, *, federate: bool = True) -> None:
    """Soft-delete a status and the boosts of it, and undo what posting them counted. Also for
    moderation and for a remote Delete, which do not act as the author. ``federate=False``
    when remote servers learn of it otherwise (the account's own deletion)."""
    now = timezone.now()
    if not Status.objects.filter(id=status.id, deleted_at__isnull=True).update(deleted_at=now):
        return
    status.deleted_at = now
    boosts = list(
        Status.objects.filter(reblog_id=status.id, deleted_at__isnull=True).values_list(
            "id", "account_id", "visibility"
        )
    )
    boost_ids = [b[0] for b in boosts]
    if boost_ids:
        Status.objects.filter(id__in=boost_ids).update(deleted_at=now)
    removed = [(status.id, status.account_id, status.visibility), *boosts]
    counted = Counter(
        account_id for _, account_id, visibility in removed if visibility != Visibility.DIRECT
    )
    for account_id, n in counted.items():
        Account.objects.filter(id=account_id).update(
            statuses_count=Greatest(F("statuses_count") - n, 0)
        )
    if status.reblog_id is not None:
        Status.objects.filter(id=status.reblog_id).update(
            reblogs_count=Greatest(F("reblogs_count") - 1, 0)
        )
        Notification.objects.filter(
            type=Notification.Type.REBLOG,
            from_account_id=status.account_id,
            status_id=status.reblog_id,
        ).delete()
    if status.in_reply_to_id is not None and status.visibility in DISTRIBUTABLE:
        Status.objects.filter(id=status.in_reply_to_id).update(
            replies_count=Greatest(F("replies_count") - 1, 0)
        )
    StatusPin.objects.filter(status_id=status.id).delete()
    Notification.objects.filter(status_id__in=[status.id, *boost_ids]).delete()
    unfan_status_task.delay_on_commit(status.id)
    if status.local and federate:
        federation.notify("status.deleted", status_id=status.id)


# --- Interactions --------------------------------------------------------------------------


def _require_visible(status: Status, account: Account) -> None:
    if status.deleted_at is not None or not can_view(status, account):
        raise Status.DoesNotExist


def _original(status: Status) -> Status:
    return status.reblog if status.reblog_id and status.reblog is not None else status


def reblog_status(account: Account, status: Status, *, visibility: str | None = None) -> Status:
    """Mastodon's ReblogService: the boost is a Status of its own, fanned out like a post.
    Boosting twice returns the first boost. A private status keeps its visibility."""
    original = _original(status)
    _require_visible(original, account)
    if not can_reblog(original, account):
        raise StatusNotPermittedError
    with transaction.atomic():
        # Serialise concurrent boosts of one status by one account.
        Status.objects.select_for_update().filter(id=original.id).first()
        existing = Status.objects.filter(
            account_id=account.id, reblog_id=original.id, deleted_at__isnull=True
        ).first()
        if existing is not None:
            return existing
        if original.visibility in (Visibility.PRIVATE, Visibility.DIRECT):
            chosen = original.visibility
        else:
            chosen = _visibility(visibility, account)
            if chosen == Visibility.DIRECT:
                raise StatusValidationError("Visibility is not included in the list")
        boost = Status(
            account=account,
            local=True,
            reblog=original,
            visibility=chosen,
            text="",
            content="",
        )
        boost.save(force_insert=True)
        _count_new_status(boost, None)
        notify(original.account, Notification.Type.REBLOG, from_account=account, status=original)
        fanout_queue.enqueue_on_commit(boost.id)
    return boost


def unreblog_status(account: Account, status: Status) -> Status:
    """Undo one's boost of a status (given the original or the boost); returns the original."""
    original = _original(status)
    _require_visible(original, account)
    boosts = Status.objects.filter(
        account_id=account.id, reblog_id=original.id, deleted_at__isnull=True
    )
    for boost in boosts:
        discard_status(boost)
    return original


@transaction.atomic
def favourite_status(account: Account, status: Status) -> Favourite:
    """Mastodon's FavouriteService: idempotent, notifies the author, counts once."""
    original = _original(status)
    _require_visible(original, account)
    if not can_favourite(original, account):
        raise StatusNotPermittedError
    favourite, created = Favourite.objects.get_or_create(account=account, status=original)
    if created:
        Status.objects.filter(id=original.id).update(favourites_count=F("favourites_count") + 1)
        notify(original.account, Notification.Type.FAVOURITE, from_account=account, status=original)
        if account.local and not original.account.local:
            federation.notify("favourite.created", favourite_id=favourite.id)
    return favourite


@transaction.atomic
def unfavourite_status(account: Account, status: Status) -> Status:
    original = _original(status)
    favourite = Favourite.objects.filter(account=account, status=original).first()
    if favourite is not None:
        favourite.delete()
        if account.local and not original.account.local:
            federation.notify(
                "favourite.deleted",
                account_id=account.id,
                status_id=original.id,
                favourite_id=favourite.id,
                uri=favourite.uri,
            )
        Status.objects.filter(id=original.id).update(
            favourites_count=Greatest(F("favourites_count") - 1, 0)
        )
        Notification.objects.filter(
            type=Notification.Type.FAVOURITE, from_account_id=account.id, status_id=original.id
        ).delete()
    return original


def bookmark_status(account: Account, status: Status) -> Bookmark:
    original = _original(status)
    _require_visible(original, account)
    bookmark, _ = Bookmark.objects.get_or_create(account=account, status=original)
    return bookmark


def unbookmark_status(account: Account, status: Status) -> Status:
    original = _original(status)
    Bookmark.objects.filter(account=account, status=original).delete()
    return original


@transaction.atomic
def pin_status(account: Account, status: Status) -> StatusPin:
    """Mastodon's StatusPinValidator: one's own status, not a boost, not direct, five at most."""
    _require_visible(status, account)
    if status.reblog_id is not None:
        raise StatusValidationError("A boost cannot be pinned")
    if status.account_id != account.id:
        raise StatusValidationError("Someone else's post cannot be pinned")
    if status.visibility == Visibility.DIRECT:
        raise StatusValidationError(
            "Posts that are only visible to mentioned users cannot be pinned"
        )
    Account.objects.select_for_update().filter(id=account.id).first()
    existing = StatusPin.objects.filter(account=account, status=status).first()
    if existing is not None:
        return existing
    if StatusPin.objects.filter(account=account).count() >= MAX_PINNED:
        raise StatusValidationError("You have already pinned the maximum number of posts")
    pin = StatusPin.objects.create(account=account, status=status)
    if account.local:
        federation.notify("status.pinned", status_id=status.id)
    return pin


@transaction.atomic
def unpin_status(account: Account, status: Status) -> Status:
    deleted, _ = StatusPin.objects.filter(account=account, status=status).delete()
    if deleted and account.local:
        federation.notify("status.unpinned", status_id=status.id)
    return status


def mute_conversation(account: Account, status: Status) -> Status:
    """No more notifications from this thread (Mastodon's mute_conversation!)."""
    _require_visible(status, account)
    with transaction.atomic():
        conversation_id = status.conversation_id
        if conversation_id is None:
            status.conversation = _conversation_for(None)
            Status.objects.filter(id=status.id).update(conversation=status.conversation)
            conversation_id = status.conversation.id
        ConversationMute.objects.get_or_create(account=account, conversation_id=conversation_id)
    return status


def unmute_conversation(account: Account, status: Status) -> Status:
    if status.conversation_id is not None:
        ConversationMute.objects.filter(
            account=account, conversation_id=status.conversation_id
        ).delete()
    return status


# --- Polls ---------------------------------------------------------------------------------


def vote(account: Account, poll: Poll, *, choices: list[int]) -> Poll:
    """Mastodon's VoteService with its VoteValidator's messages. Tallies are recounted from the
    votes under a row lock, so concurrent voters add up."""
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(id=poll.id)
        status = Status.objects.select_related("account").get(id=poll.status_id)
        if status.deleted_at is not None or not can_view(status, account):
            raise Poll.DoesNotExist
        if poll.expired:
            raise StatusValidationError("The poll has already ended")
        unique_choices = list(dict.fromkeys(choices))
        if not unique_choices or any(c < 0 or c >= len(poll.options) for c in unique_choices):
            raise StatusValidationError("The chosen vote option does not exist")
        if poll.account_id == account.id:
            raise StatusValidationError("You cannot vote in your own polls")
        already = PollVote.objects.filter(poll=poll, account=account).exists()
        if already or (len(unique_choices) > 1 and not poll.multiple):
            raise StatusValidationError("You have already voted on this poll")
        votes = PollVote.objects.bulk_create(
            [PollVote(poll=poll, account=account, choice=c) for c in unique_choices]
        )
        _recount_poll(poll)
        if account.local and not status.account.local:
            federation.notify("poll.voted", vote_ids=[v.id for v in votes])
        if status.local:
            publish_poll_tallies(poll)
    return poll


def publish_poll_tallies(poll: Poll) -> None:
    """Other servers showing one of our polls get its tallies again, at most every three
    minutes however many votes come in (Mastodon's DistributePollUpdateWorker)."""
    federation.notify_debounced(
        "poll.tallied", key=f"poll:{poll.id}", delay=180, status_id=poll.status_id
    )


def _recount_poll(poll: Poll) -> None:
    tallies = [0] * len(poll.options)
    votes = PollVote.objects.filter(poll=poll)
    for row in votes.values("choice").annotate(n=Count("id")):
        if 0 <= row["choice"] < len(tallies):
            tallies[row["choice"]] = row["n"]
    poll.cached_tallies = tallies
    poll.votes_count = sum(tallies)
    poll.voters_count = votes.values("account_id").distinct().count()
    poll.save(update_fields=["cached_tallies", "votes_count", "voters_count", "updated_at"])
    # The poll's tallies are part of its status's cached entity, which is keyed by the
    # status's version (statuses.api.status_cache).
    Status.objects.filter(id=poll.status_id).update(updated_at=poll.updated_at)


def close_poll(poll: Poll) -> bool:
    """A poll has ended: one ``poll`` notification to its local author and to each local voter
    (Mastodon's PollExpirationNotifyWorker). Runs once per poll, however often it is called."""
    with transaction.atomic():
        if not Poll.objects.filter(id=poll.id, closed_notified=False).update(closed_notified=True):
            return False
        status = (
            Status.objects.select_related("account")
            .filter(id=poll.status_id, deleted_at__isnull=True)
            .first()
        )
        if status is None:
            return True
        author = status.account
        recipients = list(
            Account.objects.filter(
                domain__isnull=True,
                id__in=PollVote.objects.filter(poll_id=poll.id).values("account_id"),
            ).exclude(id=author.id)
        )
        if author.domain is None:
            recipients.insert(0, author)
        for recipient in recipients:
            notify(recipient, Notification.Type.POLL, from_account=author, status=status)
    return True


# --- Hashtags ------------------------------------------------------------------------------


def find_or_build_tag(name: str) -> Tag:
    """The Tag named ``name`` (normalised), or an unsaved one; 404 for what is no hashtag."""
    if not formatting.is_valid_hashtag(name):
        raise Tag.DoesNotExist
    normalized = formatting.normalize_hashtag(name)
    if not normalized or len(normalized) > 255:
        raise Tag.DoesNotExist
    return Tag.objects.filter(name=normalized).first() or Tag(
        name=normalized, display_name=name[:255]
    )


def follow_tag(account: Account, *, name: str) -> Tag:
    """Follow a hashtag: its posts reach the home feed. Idempotent, as since Mastodon 4.1."""
    tag = find_or_build_tag(name)
    with transaction.atomic():
        if tag.pk is None:
            tag, _ = Tag.objects.get_or_create(
                name=tag.name, defaults={"display_name": tag.display_name}
            )
        TagFollow.objects.get_or_create(account=account, tag=tag)
    return tag


def unfollow_tag(account: Account, *, name: str) -> Tag:
    tag = find_or_build_tag(name)
    if tag.pk is not None:
        TagFollow.objects.filter(account=account, tag=tag).delete()
    return tag
