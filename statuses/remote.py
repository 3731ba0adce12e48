"""Writes on statuses that other servers own: a remote status created, edited or deleted, a
remote boost, a remote vote on one of our polls, a remote account gone (Mastodon's
ActivityPub::Activity::Create/Announce, ProcessStatusUpdateService and DeleteAccountService).

The inbox handlers call these with what ``federation.notes`` parsed and checked (origins,
attribution, sizes, sanitised HTML); the rules that hold for every status (counters, mentions,
notifications, fan-out) are the posting service's, reused from ``statuses.services``. A status
from another server keeps its own time: its id is made from its ``published`` date, so
timelines stay in the order things were written.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import Account, Follow, FollowRequest
from federation.jsonld import PUBLIC
from federation.uris import account_uri, domain_of, is_local_uri, local_path
from fedisocial.db import advisory_lock, prepared_cursor
from fedisocial.ids import generate_id
from statuses.models import (
    Conversation,
    Favourite,
    Mention,
    Poll,
    PollVote,
    Status,
    StatusEdit,
    StatusTag,
    Tag,
    Visibility,
)
from statuses.policies import can_view
from statuses.services import (
    _as_loaded,
    _count_new_status,
    _insert,
    _insert_unless_key_taken,
    _notify_boosters_of_update,
    _notify_mentioned,
    _recount_poll,
    _reply_account_id,
    _save_tags,
    _snapshot,
    _snapshot_values,
    _update_mentions,
    discard_status,
    publish_poll_tallies,
)
from timelines.models import Notification
from timelines.notifications import notify
from timelines.tasks import fan_out_after_commit

if TYPE_CHECKING:
    from federation.notes import ParsedNote, ParsedPoll

logger = logging.getLogger(__name__)

# Mastodon's Status::REAL_TIME_WINDOW: a status older than this when it reaches us (a fetched
# parent, a late delivery) is stored but not pushed into feeds, nor notified.
REALTIME_WINDOW = timedelta(hours=6)
# How long a Delete (or Undo) that came before its object is remembered (Mastodon's
# delete_upon_arrival keys).
DELETED_FIRST_TTL = 6 * 3600
MAX_RESOLVED_MENTIONS = 50
ACCOUNT_DELETION_BATCH = 200
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

_LOCAL_CONVERSATION_RE = re.compile(r"^tag:([^,]+),[^:]*:objectId=(\d+):objectType=Conversation$")


class BoostRefusedError(Exception):
    """The boost may not be made: the original is not public, nor the booster's own."""


# --- Finding statuses by URI (Mastodon's TagManager#uri_to_resource) ------------------------------


def local_status_for_uri(uri: str) -> Status | None:
    """Our status named by one of our URIs, ``/users/NAME/statuses/ID`` or ``/@NAME/ID``
    (NAME must be its author: an id alone names nothing)."""
    path = local_path(uri.split("#", 1)[0])
    if path is None:
        return None
    parts = path.strip("/").split("/")
    if len(parts) == 4 and parts[0] == "users" and parts[2] == "statuses":
        username, raw_id = parts[1], parts[3]
    elif len(parts) == 2 and parts[0].startswith("@"):
        username, raw_id = parts[0][1:], parts[1]
    else:
        return None
    if not (raw_id.isascii() and raw_id.isdigit()) or int(raw_id) >= 2**63:
        return None
    return (
        Status.objects.select_related("account")
        .filter(
            id=int(raw_id),
            local=True,
            account__username__iexact=username,
            account__domain__isnull=True,
        )
        .first()
    )


def status_for_uri(uri: str) -> Status | None:
    """The status a URI names, ours or a stored remote one (deleted ones included: callers
    decide what a deleted status means to them)."""
    if not uri:
        return None
    if is_local_uri(uri):
        return local_status_for_uri(uri)
    found = Status.objects.select_related("account").filter(uri=uri).order_by("id").first()
    if found is None and "#" in uri:
        found = (
            Status.objects.select_related("account")
            .filter(uri=uri.split("#", 1)[0])
            .order_by("id")
            .first()
        )
    return found


# --- Deletes that arrive first ------------------------------------------------------------------


def _deleted_key(account: Account, uri: str) -> str:
    digest = hashlib.sha256(uri.encode("utf-8")).hexdigest()
    return f"federation:deleted-first:{account.id}:{digest}"


def remember_deleted(account: Account, uri: str) -> None:
    """A Delete or Undo of something of ``account``'s we do not have (yet): remembered for six
    hours, so that the Create or Announce arriving after it is dropped, as Mastodon does."""
    cache.set(_deleted_key(account, uri), 1, DELETED_FIRST_TTL)


def deleted_first(account: Account, uri: str) -> bool:
    return bool(cache.get(_deleted_key(account, uri)))


# --- Audience ---------------------------------------------------------------------------------


def visibility_from_audience(
    to: Iterable[str], cc: Iterable[str], *, followers_url: str
) -> Visibility:
    """Mastodon's StatusParser#visibility: Public in ``to`` is public, in ``cc`` unlisted; the
    author's followers collection (any URL: compared with the actor's ``followers``)
    addressed makes it followers-only; anything else is direct."""
    to, cc = list(to), list(cc)
    if PUBLIC in to:
        return Visibility.PUBLIC
    if PUBLIC in cc:
        return Visibility.UNLISTED
    if followers_url and (followers_url in to or followers_url in cc):
        return Visibility.PRIVATE
    return Visibility.DIRECT


def _account_for_uri(uri: str, *, fetch: bool) -> Account | None:
    """The account an id (or a profile URL, as some servers put in ``href``) names."""
    from federation.actors import local_account_for_uri, resolve_actor

    if is_local_uri(uri):
        path = local_path(uri.split("#", 1)[0]) or ""
        if path.startswith("/@") and "/" not in path[2:]:
            return Account.objects.filter(
                username__iexact=path[2:], domain__isnull=True, suspended_at__isnull=True
            ).first()
        return local_account_for_uri(uri)
    known = Account.objects.filter(uri=uri).first() or (
        # A profile URL counts only on the account's own domain: anyone may claim any url.
        Account.objects.filter(url=uri, domain__iexact=domain_of(uri)).first()
    )
    if known is not None and not fetch:
        return known
    return resolve_actor(uri, fetch=fetch) or known


def _resolve_mentions(hrefs: Iterable[str]) -> list[Account]:
    """The accounts Mention tags name, fetched when unknown (the first few only: a note
    mentioning hundreds of unknown accounts must not hold the inbox). One that cannot be had
    is skipped; it never blocks the note."""
    accounts: dict[int, Account] = {}
    for index, href in enumerate(hrefs):
        try:
            account = _account_for_uri(href, fetch=index < MAX_RESOLVED_MENTIONS)
        except Exception:  # a broken peer must not cost the whole note
            logger.info("could not resolve mention %s", href, exc_info=True)
            continue
        if account is not None and account.suspended_at is None:
            accounts.setdefault(account.id, account)
    return list(accounts.values())


def _audience_accounts(note: ParsedNote, author: Account) -> list[Account]:
    """Known accounts addressed in to/cc (never fetched: Mastodon's silent mentions only
    serve access control here), looked up together; the author's followers collection, in
    almost every note, is no account."""
    from federation.actors import local_account_for_uri

    collections = {PUBLIC, author.followers_url}
    uris = [u for u in dict.fromkeys([*note.to, *note.cc]) if u not in collections]
    found: dict[int, Account] = {}
    for uri in (u for u in uris if is_local_uri(u)):
        account = local_account_for_uri(uri)
        if account is not None:
            found.setdefault(account.id, account)
    remote = [u for u in uris if not is_local_uri(u)]
    if remote:
        for account in Account.objects.filter(uri__in=remote, domain__isnull=False):
            found.setdefault(account.id, account)
    return [a for a in found.values() if a.suspended_at is None]


def addresses_local_accounts(note: ParsedNote) -> bool:
    """Whether the note is addressed to (or mentions) one of our accounts."""
    for uri in dict.fromkeys([*note.to, *note.cc, *note.mentions]):
        if is_local_uri(uri):
            account = _account_for_uri(uri, fetch=False)
            if account is not None and account.local and account.suspended_at is None:
                return True
    return False


def _addressed(note: ParsedNote, account: Account) -> bool:
    uri = account_uri(account)
    return uri in note.to or uri in note.cc


# --- Ids and times ------------------------------------------------------------------------------


def _created_at(published: datetime | None) -> datetime:
    """``published``, but never in the future nor before 2000 (then: now)."""
    now = timezone.now()
    if published is None or published < EARLIEST:
        return now
    return min(published, now)


def _id_at(created_at: datetime) -> int:
    """A status id for ``created_at``: time-sortable like every id (``fedisocial.ids``). A
    recent time takes the ordinary generator; an older one its millisecond with random low
    bits (one chance in 65,536 of meeting a status of the same millisecond: the insert then
    tries another)."""
    if timezone.now() - created_at < timedelta(seconds=1):
        return generate_id()
    ms = int(created_at.timestamp() * 1000)
    return (ms << 16) | secrets.randbelow(0x10000)


def _insert_with_id(status: Status) -> None:
    for attempt in range(4):
        status.id = _id_at(status.created_at) if attempt < 3 else generate_id()
        if _insert_unless_key_taken(status):
            return
    raise IntegrityError(f"no free status id near {status.created_at}")


def _in_realtime_window(status: Status) -> bool:
    return timezone.now() - status.created_at <= REALTIME_WINDOW


# --- Creating ----------------------------------------------------------------------------------


def uri_taken_by_other(uri: str, account: Account) -> bool:
    """Whether another account's status has this uri (a Note may not claim it)."""
    with prepared_cursor() as cursor:
        # The NOT lets the generic plan use the partial index on non-empty uris: without it,
        # PostgreSQL judged ``uri = $1`` by the empty uri of every local status and scanned.
        cursor.execute(
            "SELECT 1 FROM statuses_status WHERE uri = %s AND NOT (uri = '')"
            " AND account_id <> %s LIMIT 1",
            [uri, account.id],
        )
        return cursor.fetchone() is not None


def has_local_followers(account_id: int) -> bool:
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM accounts_follow f JOIN accounts_account a ON a.id = f.account_id"
            " WHERE f.target_account_id = %s AND a.domain IS NULL LIMIT 1",
            [account_id],
        )
        return cursor.fetchone() is not None


def _existing_status(account: Account, uri: str) -> Status | None:
    """The author's status stored under this uri: a prepared lookup, since the answer is
    nearly always none (compiling the ORM's query cost more than running it)."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT id FROM statuses_status WHERE uri = %s AND NOT (uri = '')"
            " AND account_id = %s AND NOT local ORDER BY id LIMIT 1",
            [uri, account.id],
        )
        row = cursor.fetchone()
    return None if row is None else Status.objects.get(id=row[0])


def _conversation_by_uri(uri: str) -> Conversation | None:
    """The conversation stored under a Note's ``conversation``/``context`` uri, as a row with
    only its id and uri loaded."""
    with prepared_cursor() as cursor:
        # The NOT lets the generic plan use the partial index on non-empty uris.
        cursor.execute(
            "SELECT id FROM statuses_conversation WHERE uri = %s AND NOT (uri = '')"
            " ORDER BY id LIMIT 1",
            [uri],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Conversation.from_db(connection.alias, ["id", "uri"], [row[0], uri])


def _conversation(thread: Status | None, uri: str | None) -> Conversation:
    """The parent's conversation; else ours named by an OStatus tag of our domain; else the one
    stored under the Note's ``conversation``/``context``; else a new one (with that uri)."""
    if thread is not None and thread.conversation_id is not None:
        return thread.conversation  # type: ignore[return-value]
    conversation = None
    if uri:
        from django.conf import settings

        match = _LOCAL_CONVERSATION_RE.match(uri)
        if match and match[1].lower() == settings.LOCAL_DOMAIN.lower():
            local_id = int(match[2])
            if local_id < 2**63:
                conversation = Conversation.objects.filter(id=local_id).first()
        else:
            conversation = _conversation_by_uri(uri)
            if conversation is None:
                conversation = Conversation(uri=uri)
                _insert(conversation)
    if conversation is None:
        conversation = Conversation()
        _insert(conversation)
    if thread is not None:
        Status.objects.filter(id=thread.id, conversation__isnull=True).update(
            conversation=conversation
        )
        thread.conversation = conversation
    return conversation


def _tags(names: Iterable[str]) -> list[Tag]:
    """Tag rows for normalised names, created on first use."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return []
    found = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    for name in wanted:
        if name not in found:
            found[name], _ = Tag.objects.get_or_create(name=name, defaults={"display_name": name})
    return [found[n] for n in wanted]


def _poll_values(parsed: ParsedPoll) -> dict[str, object]:
    return {
        "options": list(parsed.options),
        "cached_tallies": list(parsed.tallies),
        "multiple": parsed.multiple,
        "votes_count": sum(parsed.tallies),
        "voters_count": parsed.voters_count,
        "expires_at": parsed.expires_at,
    }


def _create_poll(status: Status, parsed: ParsedPoll) -> Poll:
    values = _poll_values(parsed)
    expired = parsed.expires_at is not None and parsed.expires_at <= timezone.now()
    return Poll.objects.create(
        status=status, account_id=status.account_id, closed_notified=expired, **values
    )


def _add_silent_mention(status: Status, account: Account | None) -> None:
    """Mastodon's postprocess_audience_and_deliver: the local account whose inbox received the
    status may see it, even when it was not addressed by name (a BCC)."""
    if account is None or Mention.objects.filter(status=status, account=account).exists():
        return
    Mention.objects.create(status=status, account=account, silent=True)


def create_remote_status(
    account: Account, note: ParsedNote, *, delivered_to: Account | None = None
) -> Status:
    """Store a status another server created (Mastodon's Create#process_status), as the
    posting service stores ours: mentions, hashtags, poll, counters, then the fan-out (which
    applies the visibility rules: followers-only reaches the author's local followers, direct
    only the mentioned local accounts). Idempotent: a Note stored already is returned."""
    mentioned = _resolve_mentions(note.mentions)
    addressed = _audience_accounts(note, account)
    thread = _thread_for(note.in_reply_to)
    created_at = _created_at(note.published)
    updated = note.updated if note.updated and note.updated > created_at else None

    with transaction.atomic():
        # One store of a given Note at a time, so the same Note delivered twice at once is
        # stored once; other Notes of the same author are not held up (the author's row is
        # only locked by the counter update, last).
        advisory_lock(f"status:{note.uri}")
        existing = _existing_status(account, note.uri)
        if existing is not None:
            _add_silent_mention(existing, delivered_to)
            return existing
        status = Status(
            account=account,
            local=False,
            uri=note.uri,
            url=note.url,
            text="",
            content=note.content,
            spoiler_text=note.spoiler_text,
            sensitive=note.sensitive,
            visibility=visibility_from_audience(
                note.to, note.cc, followers_url=account.followers_url
            ),
            language=note.language,
            in_reply_to=thread,
            in_reply_to_account_id=_reply_account_id(account, thread),
            conversation=_conversation(thread, note.conversation),
            created_at=created_at,
            edited_at=min(updated, timezone.now()) if updated else None,
        )
        _insert_with_id(status)
        poll = _create_poll(status, note.poll) if note.poll is not None else None
        mention_ids = {a.id for a in mentioned}
        silent = [
            a for a in [*addressed, delivered_to] if a is not None and a.id not in mention_ids
        ]
        mentions = [Mention(status=status, account=a) for a in mentioned] + [
            Mention(status=status, account=a, silent=True) for a in _unique(silent)
        ]
        tags = [StatusTag(status=status, tag=t) for t in _tags(note.hashtags)]
        if mentions:
            Mention.objects.bulk_create(mentions)
        if tags:
            StatusTag.objects.bulk_create(tags)
        if _in_realtime_window(status):
            # Mastodon notifies the mentioned accounts that are also addressed (tagging
            # someone without addressing them is no message to them).
            _notify_mentioned(status, [a for a in mentioned if _addressed(note, a)])
            _as_loaded(status, mentions=mentions, status_tags=tags, poll=poll)
            fan_out_after_commit(status.id, loaded=status)
        _count_new_status(status, thread)
    return status


def _unique(accounts: Iterable[Account]) -> list[Account]:
    return list({a.id: a for a in accounts}.values())


def _thread_for(uri: str | None) -> Status | None:
    """The status replied to, if we have it (a boost stands for its original); a deleted one
    is no thread."""
    if not uri:
        return None
    thread = status_for_uri(uri)
    if thread is not None and thread.reblog_id is not None:
        thread = thread.reblog
    if thread is None or thread.deleted_at is not None:
        return None
    return thread


# --- Votes on our polls ------------------------------------------------------------------------


def vote_on_local_poll(account: Account, status: Status, *, choice: str, uri: str) -> bool:
    """A remote account's vote on one of our polls, sent as a Note named after the option
    (Mastodon's Create#poll_vote?). False when ``status`` has no poll with that option (then
    it is no vote); True when it is one, counted or not: an ended poll, the author's own
    poll, a second answer to a single-choice poll or the same option twice are ignored, as
    VoteValidator refuses them."""
    if not status.local:
        return False
    poll = Poll.objects.filter(status_id=status.id).first()
    if poll is None or choice not in poll.options:
        return False
    index = poll.options.index(choice)
    with transaction.atomic():
        poll = Poll.objects.select_for_update().get(id=poll.id)
        if (
            poll.expired
            or poll.account_id == account.id
            or status.deleted_at is not None
            or not can_view(status, account)
        ):
            return True
        votes = PollVote.objects.filter(poll=poll, account=account)
        if votes.filter(choice=index).exists() or (not poll.multiple and votes.exists()):
            return True
        PollVote.objects.create(poll=poll, account=account, choice=index, uri=uri[:2048])
        _recount_poll(poll)
        publish_poll_tallies(poll)
    return True


# --- Updating ----------------------------------------------------------------------------------


def _update_poll(status: Status, parsed: ParsedPoll | None) -> bool:
    """Mastodon's update_poll!: whether the poll changed significantly (options, multiple
    choice, added or removed). Changed options void the votes cast on the old ones."""
    previous = Poll.objects.filter(status_id=status.id).first()
    if parsed is None:
        if previous is None:
            return False
        previous.delete()
        return True
    if previous is None:
        _create_poll(status, parsed)
        return True
    significant = list(parsed.options) != previous.options or parsed.multiple != previous.multiple
    if significant:
        PollVote.objects.filter(poll=previous).delete()
    for name, value in _poll_values(parsed).items():
        setattr(previous, name, value)
    if parsed.expires_at is None or parsed.expires_at > timezone.now():
        previous.closed_notified = False
    previous.save()
    return significant


def apply_remote_poll_tallies(status: Status, parsed: ParsedPoll) -> bool:
    """An Update(Question) that is no edit (no newer ``updated``): new tallies, voter count and
    end only, never new options (Mastodon's handle_implicit_update!). Whether it applied."""
    poll = Poll.objects.filter(status_id=status.id).first()
    if poll is None or list(parsed.options) != poll.options or parsed.multiple != poll.multiple:
        return False
    poll.cached_tallies = list(parsed.tallies)
    poll.votes_count = sum(parsed.tallies)
    poll.voters_count = parsed.voters_count
    poll.expires_at = parsed.expires_at
    poll.save(
        update_fields=["cached_tallies", "votes_count", "voters_count", "expires_at", "updated_at"]
    )
    # The tallies are part of the status's cached entity, keyed by the status's version.
    Status.objects.filter(id=status.id).update(updated_at=poll.updated_at)
    return True


def update_remote_status(status: Status, note: ParsedNote) -> Status:
    """Mastodon's ProcessStatusUpdateService. A newer ``updated`` is an edit: content, warning,
    sensitivity, language, poll, mentions and hashtags replaced, the history recorded (the
    original first), local boosters told. Without one only the poll's tallies move. An older
    edit than the one stored is ignored (deliveries cross)."""
    if status.local or status.uri != note.uri:
        raise ValueError("only a remote status is updated from its own Note")
    mentioned = _resolve_mentions(note.mentions)
    with transaction.atomic():
        status = Status.objects.select_for_update().select_related("account").get(id=status.id)
        if status.deleted_at is not None:
            return status
        updated, edited = note.updated, status.edited_at
        if updated is None or (edited is not None and updated <= edited):
            # No edit: the poll's tallies may still move, unless this is an older state.
            stale = updated is not None and edited is not None and updated < edited
            if note.poll is not None and not stale:
                apply_remote_poll_tallies(status, note.poll)
            return status
        had_edits = StatusEdit.objects.filter(status=status).exists()
        original = None if had_edits else _snapshot_values(status)
        poll_changed = _update_poll(status, note.poll)
        changed = (
            poll_changed
            or status.content != note.content
            or status.spoiler_text != note.spoiler_text
        )
        status.content = note.content
        status.spoiler_text = note.spoiler_text
        status.sensitive = note.sensitive
        status.language = note.language
        if changed:
            status.edited_at = min(updated, timezone.now())
        status.save(
            update_fields=[
                "content", "spoiler_text", "sensitive", "language", "edited_at", "updated_at",
            ]
        )  # fmt: skip
        newly_mentioned = _update_mentions(status, mentioned)
        _save_tags(status, _tags(note.hashtags))
        if changed:
            if original is not None:
                StatusEdit.objects.create(status=status, **original)
            _snapshot(status, account_id=status.account_id, at=status.edited_at or timezone.now())
            _notify_mentioned(status, [a for a in newly_mentioned if _addressed(note, a)])
            _notify_boosters_of_update(status)
    return status


# --- Boosts -------------------------------------------------------------------------------------


def may_boost(account: Account, original: Status) -> bool:
    """Mastodon's Announce#announceable?: public and unlisted statuses by anyone, a
    followers-only one by its author only; never a direct one, nor a boost."""
    if original.reblog_id is not None or original.deleted_at is not None:
        return False
    if original.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    return original.visibility == Visibility.PRIVATE and original.account_id == account.id


def create_remote_boost(
    account: Account,
    original: Status,
    *,
    announce_uri: str,
    published: datetime | None,
    visibility: int,
) -> Status:
    """Store a remote account's boost (Mastodon's Announce#perform) under the Announce's id,
    which its Undo names; counted and notified as ``statuses.services.reblog_status`` does,
    then fanned out. A status boosted twice returns the first boost."""
    if not may_boost(account, original):
        raise BoostRefusedError(f"{account.uri} may not boost {original.id}")
    with transaction.atomic():
        Status.objects.select_for_update().filter(id=original.id).first()
        existing = (
            Status.objects.filter(account_id=account.id, deleted_at__isnull=True)
            .filter(uri=announce_uri)
            .first()
            or Status.objects.filter(
                account_id=account.id, reblog_id=original.id, deleted_at__isnull=True
            ).first()
        )
        if existing is not None:
            return existing
        boost = Status(
            account=account,
            local=False,
            uri=announce_uri,
            reblog=original,
            text="",
            content="",
            # Never wider than the original: a boost of a followers-only post stays so.
            visibility=max(int(visibility), int(original.visibility)),
            created_at=_created_at(published),
        )
        _insert_with_id(boost)
        _count_new_status(boost, None)
        notify(original.account, Notification.Type.REBLOG, from_account=account, status=original)
        if _in_realtime_window(boost):
            fan_out_after_commit(boost.id)
    return boost


def undo_remote_boost(account: Account, announce_uri: str) -> None:
    """Undo(Announce): the boost stored under that Announce id goes (Mastodon's
    Undo#undo_announce); one we never had is remembered, so a late Announce is dropped."""
    boost = (
        Status.objects.select_related("account")
        .filter(account_id=account.id, uri=announce_uri, reblog__isnull=False)
        .first()
    )
    if boost is None:
        remember_deleted(account, announce_uri)
        return
    discard_status(boost)


# --- Accounts gone --------------------------------------------------------------------------------


def delete_remote_account(account: Account) -> None:
    """A remote actor deleted itself (Mastodon's DeleteAccountService with reserve_username
    false): it is suspended at once, which hides everything it wrote from every read; its
    relationships and favourites go (the counters they moved come back); its statuses are
    discarded in batches, which takes them and the boosts of them out of feeds and
    notifications; then the account row itself goes, as Mastodon destroys it, so its profile
    answers 404 like its statuses (what still hangs on it, reports included, goes with it)."""
    if account.local:
        raise ValueError("a local account is deleted by accounts.deletion")
    with transaction.atomic():
        begin_remote_account_deletion(account)
    finish_remote_account_deletion(account)


def begin_remote_account_deletion(account: Account) -> None:
    """The part of a remote account's deletion done at once (in the inbox's transaction): it is
    suspended, which hides everything it wrote from every read, and its relationships and
    favourites go. The rest (``finish_remote_account_deletion``) runs in a task."""
    Account.objects.filter(id=account.id, suspended_at__isnull=True).update(
        suspended_at=timezone.now()
    )
    _drop_relationships(account)
    _drop_favourites(account)


def finish_remote_account_deletion(account: Account) -> None:
    """Discard its statuses a batch at a time (each batch its own transaction), then the row."""
    while discard_account_statuses(account, limit=ACCOUNT_DELETION_BATCH):
        pass
    Account.objects.filter(id=account.id).delete()


def discard_account_statuses(account: Account, *, limit: int) -> int:
    """Discard up to ``limit`` of the account's live statuses (boosts first: they hold nothing
    up); the number discarded, 0 once none is left."""
    statuses = list(
        Status.objects.select_related("account")
        .filter(account_id=account.id, deleted_at__isnull=True)
        .order_by(F("reblog_id").desc(nulls_last=True), "-id")[:limit]
    )
    for status in statuses:
        discard_status(status)
    return len(statuses)


def _drop_relationships(account: Account) -> None:
    followed = list(
        Follow.objects.filter(account_id=account.id).values_list("id", "target_account_id")
    )
    followers = list(
        Follow.objects.filter(target_account_id=account.id).values_list("id", "account_id")
    )
    for _, target_id in followed:
        Account.objects.filter(id=target_id).update(
            followers_count=Greatest(F("followers_count") - 1, 0)
        )
    for _, follower_id in followers:
        Account.objects.filter(id=follower_id).update(
            following_count=Greatest(F("following_count") - 1, 0)
        )
    Follow.objects.filter(id__in=[f[0] for f in followed + followers]).delete()
    FollowRequest.objects.filter(account_id=account.id).delete()
    FollowRequest.objects.filter(target_account_id=account.id).delete()
    Notification.objects.filter(from_account_id=account.id).delete()
    Account.objects.filter(id=account.id).update(followers_count=0, following_count=0)


def _drop_favourites(account: Account) -> None:
    favourites = list(
        Favourite.objects.filter(account_id=account.id).values_list("id", "status_id")
    )
    for _, status_id in favourites:
        Status.objects.filter(id=status_id).update(
            favourites_count=Greatest(F("favourites_count") - 1, 0)
        )
    Favourite.objects.filter(id__in=[f[0] for f in favourites]).delete()
