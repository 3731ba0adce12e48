"""The benchmark data set behind ``manage.py seed_bench``, written with COPY, not the ORM.

What it holds (full size): 10,000 ordinary local accounts ``u00001``… and five special ones,
``bench_v500`` (follows 500 active accounts), ``bench_v20`` (20 active accounts),
``bench_sparse`` (3 near-silent accounts), ``bench_popular`` (followed by every ordinary account)
and ``bench_quiet`` (about 5 followers); 1,000,000 statuses over the past 90 days, posted with a
skewed spread (a few accounts post thousands, many a handful), with replies, boosts, mentions,
hashtags, content warnings and a few polls; and the special accounts' home feeds, as the fan-out
would have written them.

Every row is what the app itself would have stored (``statuses.services.post_status`` and
``reblog_status``, ``accounts.services.follow_account``): content rendered as
``statuses.formatting`` renders it, ids that follow ``created_at`` as ``fedisocial.ids`` makes
them, one conversation per thread, counters (statuses, followers, following, replies, boosts,
last status) that match the rows. What the app would also have made and this does not:
notifications other than the special accounts' follow notifications, ``AccountConversation``
rows for direct statuses, feeds of ordinary accounts, and the accounts' key pairs
(``accounts.keys`` makes them on first use).
The special accounts only post public originals and are never mentioned, replied to or boosted,
so nothing is missing from what a benchmark reads as them.

The bulk build runs in ONE transaction: an interrupted build leaves nothing behind, and a data
set found in the database is always complete. Statuses are decided in time order, chunk by
chunk (kind, parent, visibility, mentions, and so every counter), and each row is streamed into
COPY as soon as no later status can change it, so Python generates while PostgreSQL ingests;
the PostgreSQL side (a million rows into a table with fourteen indexes) is the bulk of the time.
"""

from __future__ import annotations

import html
import json
import random
import time
from array import array
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from oauth2_provider.models import get_access_token_model
from psycopg.copy import QueuedLibpqWriter

from accounts.api.apps import create_application
from accounts.models import Account, Application, User
from accounts.oauth import OOB_REDIRECT_URI, create_access_token
from federation.uris import account_url
from statuses.formatting import hashtag_url
from statuses.models import Visibility
from timelines.models import HOME_FEED, Notification

APP_NAME = "fedisocial-bench"
BENCH_SCOPES = "read write follow"
SPECIAL_KEYS = ("v500", "v20", "sparse", "popular", "quiet")
ORDINARY_EMAIL_DOMAIN = "bench.invalid"

# The statuses of the special accounts (public originals only, see the module docstring).
SPECIAL_STATUSES = {"v500": 10, "v20": 10, "sparse": 2, "popular": 50, "quiet": 5}
# How each status is made: boosts, then replies, of the statuses that are not boosts.
BOOST_SHARE = 0.08
REPLY_SHARE = 0.10
SELF_REPLY_SHARE = 0.3
VISIBILITY_SHARES = (  # for statuses that are not boosts
    (0.80, Visibility.PUBLIC),
    (0.90, Visibility.UNLISTED),
    (0.97, Visibility.PRIVATE),
    (1.00, Visibility.DIRECT),
)
MENTION_SHARE = 0.05  # originals naming someone
TAG_SHARE = 0.15
SPOILER_SHARE = 0.03
POLL_SHARE = 0.002  # of public originals
# Parents of replies and boosts are mostly recent: an exponential look-back over the candidates.
RECENT_LOOKBACK = 4000
ANYWHERE_SHARE = 0.1
ACTIVE_SHARE = 0.15  # the most prolific share of accounts that bench_v500 picks followees from
SILENT_STATUSES = (3, 4, 5)  # statuses of bench_sparse's three followees
TAG_COUNT = 300
BODY_COUNT = 20_000  # distinct status bodies
COPY_BATCH = 5000

_WORD_LIST = (
    "the a of and to in is it you that he was for on are with as his they at be this have from "
    "or one had by word but not what all were we when your can said there use an each which she "
    "do how their if will up other about out many then them these so some her would make like "
    "him into time has look two more write go see number no way could people my than first "
    "water been call who oil its now find long down day did get come made may part over new "
    "sound take only little work know place year live me back give most very after thing our "
    "just name good sentence man think say great where help through much before line right too "
    "mean old any same tell boy follow came want show also around form three small set put end "
    "does another well large must big even such because turn here why ask went men read need "
    "land different home us move try kind hand picture again change off play spell air away "
    "animal house point page letter mother answer found study still learn should world high "
    "coffee garden bicycle server timeline federation music photo river mountain evening"
)
WORDS = _WORD_LIST.split()
_TAG_LIST = (
    "fediverse mastodon photography caturday art music books gardening cycling python linux "
    "opensource science climate coffee cooking travel history dogs birds"
)
# A few well-known hashtags, then a long tail.
TAG_NAMES = _TAG_LIST.split() + [f"topic{n}" for n in range(1, TAG_COUNT - 19)]


class SeedError(Exception):
    """The data set cannot be built here as asked; the message is for the operator."""


@dataclass(frozen=True)
class SeedSizes:
    """How big the data set is; tests build a tiny one with the same code."""

    accounts: int = 10_000
    statuses: int = 1_000_000
    days: int = 90
    v500_follows: int = 500
    v20_follows: int = 20
    quiet_followers: int = 5
    # The feed entry of bench_v500 whose id is ``deep_max_id`` (1 is the newest).
    deep_position: int = 2000
    # The build fails (and rolls back) if bench_v500's home feed ends up shorter than this.
    v500_min_feed: int = 2100


@dataclass(frozen=True)
class SeedReport:
    tokens: dict[str, str]
    accounts: dict[str, int]
    deep_max_id: int | None
    statuses: int
    seconds: float
    reused: bool
    feed_sizes: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "accounts": {key: str(value) for key, value in self.accounts.items()},
            "deep_max_id": str(self.deep_max_id) if self.deep_max_id is not None else None,
            "statuses": self.statuses,
            "seconds": round(self.seconds, 1),
            "reused": self.reused,
            "feed_sizes": self.feed_sizes,
            "local_domain": settings.LOCAL_DOMAIN,
        }


def special_username(key: str) -> str:
    return f"bench_{key}"


def ordinary_username(number: int) -> str:
    return f"u{number:05d}"


def default_output() -> Path:
    return Path(settings.DATA_DIR) / "bench-seed.json"


# --- Entry point ---------------------------------------------------------------------------------


def seed_bench(
    *,
    sizes: SeedSizes | None = None,
    force: bool = False,
    random_seed: int = 2024,
    now: datetime | None = None,
    log: Callable[[str], None] | None = None,
) -> SeedReport:
    """Build the data set unless it is already here (then reuse it), make sure the special
    accounts have their tokens, and answer with what a benchmark needs."""
    sizes = sizes or SeedSizes()
    say = log or (lambda message: None)
    check_database(force=force)
    started = time.monotonic()
    reused = not force and dataset_present(sizes)
    if not reused:
        if not force and bench_rows_present():
            raise SeedError(
                "Part of another bench data set is in this database (bench_v500 or u00001 "
                "exists, but not the full set asked for): rebuild it with --force."
            )
        build_dataset(
            sizes, wipe=force, random_seed=random_seed, now=now or datetime.now(UTC), say=say
        )
    ids = special_account_ids()
    tokens = ensure_tokens(ids)
    feed_sizes = {key: home_feed_size(account_id) for key, account_id in ids.items()}
    return SeedReport(
        tokens=tokens,
        accounts=ids,
        deep_max_id=feed_status_at(ids["v500"], sizes.deep_position),
        statuses=count_statuses(),
        seconds=time.monotonic() - started,
        reused=reused,
        feed_sizes=feed_sizes,
    )


def check_database(*, force: bool) -> None:
    if connection.vendor != "postgresql":
        raise SeedError(
            "seed_bench needs PostgreSQL (set DATABASE_URL): it loads its rows with COPY."
        )
    name = str(connection.settings_dict.get("NAME") or "")
    if force and "bench" not in name:
        raise SeedError(
            f"--force wipes every account and status: refused on database {name!r}, whose "
            "name does not contain 'bench'."
        )


def dataset_present(sizes: SeedSizes) -> bool:
    """bench_v500 exists and there are at least as many statuses as asked for. The build is
    one transaction, so a data set seen here is a complete one."""
    if not Account.objects.filter(username=special_username("v500"), domain=None).exists():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM statuses_status LIMIT %s) AS enough",
            [sizes.statuses],
        )
        return cursor.fetchone()[0] >= sizes.statuses


def bench_rows_present() -> bool:
    names = [special_username(key) for key in SPECIAL_KEYS] + [ordinary_username(1)]
    return Account.objects.filter(username__in=names, domain=None).exists()


def count_statuses() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM statuses_status")
        return int(cursor.fetchone()[0])


def special_account_ids() -> dict[str, int]:
    by_name = dict(
        Account.objects.filter(
            username__in=[special_username(key) for key in SPECIAL_KEYS], domain=None
        ).values_list("username", "id")
    )
    return {key: by_name[special_username(key)] for key in SPECIAL_KEYS}


def home_feed_size(account_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM timelines_feedentry WHERE account_id = %s AND list_id = %s",
            [account_id, HOME_FEED],
        )
        return int(cursor.fetchone()[0])


def feed_status_at(account_id: int, position: int) -> int | None:
    """The status id of the home feed's entry at ``position``, newest first, 1-based."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status_id FROM timelines_feedentry WHERE account_id = %s AND list_id = %s "
            "ORDER BY status_id DESC OFFSET %s LIMIT 1",
            [account_id, HOME_FEED, max(position - 1, 0)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def write_report(report: SeedReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_json(), indent=2) + "\n")


# --- Tokens --------------------------------------------------------------------------------------


def bench_application() -> Application:
    app = Application.objects.filter(name=APP_NAME, user__isnull=True).order_by("id").first()
    if app is None:
        app, _ = create_application(
            name=APP_NAME, redirect_uris=OOB_REDIRECT_URI, scopes=BENCH_SCOPES
        )
    return app


def ensure_tokens(account_ids: dict[str, int]) -> dict[str, str]:
    """One bearer token per special account, reused when it is already there (tokens are
    stored in the clear unless django-oauth-toolkit is told to redact them)."""
    access_token = get_access_token_model()
    app = bench_application()
    users = {u.account_id: u for u in User.objects.filter(account_id__in=account_ids.values())}
    tokens = {}
    for key, account_id in account_ids.items():
        user = users[account_id]
        existing = (
            access_token.objects.filter(user=user, application=app, scope=BENCH_SCOPES)
            .exclude(token="")
            .order_by("id")
            .first()
        )
        if existing is not None:
            tokens[key] = existing.token
        else:
            _, tokens[key] = create_access_token(user, app, BENCH_SCOPES)
    return tokens


# --- Timestamps and ids --------------------------------------------------------------------------

_EPOCH = date(1970, 1, 1)
_days: dict[int, str] = {}


def _timestamp(ms: int) -> str:
    """A UTC timestamp in COPY's text form, without making a datetime."""
    day, rest = divmod(ms, 86_400_000)
    prefix = _days.get(day)
    if prefix is None:
        prefix = _days[day] = (_EPOCH + timedelta(days=day)).isoformat()
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{prefix} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}+00"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def snowflakes(times_ms: Iterable[int], *, salt: int = 0) -> Iterator[int]:
    """Ids for ascending millisecond times, as ``fedisocial.ids.generate_id`` makes them
    (milliseconds in the high 48 bits): within one millisecond the low bits count up from a
    starting point, so id order is time order."""
    previous = -1
    sequence = 0
    for index, ms in enumerate(times_ms):
        if ms == previous:
            sequence += 1
        else:
            sequence = ((index + salt) * 7919) & 0x3FFF
            previous = ms
        yield (ms << 16) | sequence


# --- COPY ----------------------------------------------------------------------------------------

NULL = "\\N"


def _bool(value: bool) -> str:
    return "t" if value else "f"


def _copy(cursor: Any, table: str, columns: str, lines: Iterable[str]) -> None:
    """Stream tab-separated lines (each ending in a newline) into ``table``; the queued writer
    hands them to libpq from a thread, so Python keeps generating while PostgreSQL ingests."""
    with cursor.copy(
        f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)
    ) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= COPY_BATCH:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))


# --- The plan: who exists, who follows whom, and every status's shape ----------------------------

ORIGINAL, REPLY, BOOST = 0, 1, 2
# Replies and boosts pick their parent among the previous WINDOW statuses (about four days at
# full size), so a status's counters are final WINDOW statuses later and rows can be streamed
# to PostgreSQL while later statuses are still being decided.
WINDOW = 50_000
CHUNK = 10_000


@dataclass
class Plan:
    """Everything decided before a row is written. Accounts are indexed: the special accounts
    first (in SPECIAL_KEYS order), then u00001…; statuses are indexed in time order. The
    per-status shape (kind, parent, mentions...) is filled in by ``_Shaper`` as rows stream."""

    usernames: list[str]
    account_ids: list[int]
    account_ms: list[int]
    follows: list[tuple[int, int, int]]  # (follower, followed, created ms)
    silent: list[int]
    # Per status, in time order:
    author: array[int]
    ms: array[int]
    ids: array[int]
    kind: bytearray  # ORIGINAL, REPLY, BOOST
    visibility: bytearray
    parent: array[int]  # the status replied to or boosted, or -1
    reply_account: array[int]  # in_reply_to_account, or -1
    conversation: array[int]  # index of the conversation, or -1 for boosts
    replies: array[int]
    reblogs: array[int]
    mentions: dict[int, list[int]]
    tags: dict[int, list[int]]
    polls: list[int]
    conversations: int
    # Per account:
    statuses_count: list[int]
    last_status_ms: list[int]


def make_plan(sizes: SeedSizes, rng: random.Random, now: datetime) -> Plan:
    """Accounts, follows, and each status's author and time; the rest is decided as the
    statuses stream (``status_lines``)."""
    specials = len(SPECIAL_KEYS)
    ordinary = sizes.accounts
    total_accounts = specials + ordinary
    n = sizes.statuses
    followed = max(sizes.v500_follows, sizes.v20_follows, sizes.quiet_followers)
    if ordinary < followed + len(SILENT_STATUSES):
        raise SeedError(f"At least {followed + len(SILENT_STATUSES)} accounts are needed")
    usernames = [special_username(key) for key in SPECIAL_KEYS] + [
        ordinary_username(number) for number in range(1, ordinary + 1)
    ]
    end_ms = _ms(now) - 60_000
    start_ms = end_ms - sizes.days * 86_400_000
    # Accounts signed up over the 30 days before the first status, one every few minutes.
    signup_step = max(1, 30 * 86_400_000 // total_accounts)
    account_ms = [start_ms - 30 * 86_400_000 + i * signup_step for i in range(total_accounts)]
    account_ids = list(snowflakes(account_ms, salt=1))

    # Statuses per account: special accounts and the near-silent ones fixed, the others drawn
    # from a log-normal spread (the most prolific post thousands, many only a few).
    silent = [specials + i for i in rng.sample(range(ordinary), len(SILENT_STATUSES))]
    fixed: list[int] = []
    for index, key in enumerate(SPECIAL_KEYS):
        fixed += [index] * SPECIAL_STATUSES[key]
    for account, count in zip(silent, SILENT_STATUSES, strict=False):
        fixed += [account] * count
    if len(fixed) > n:
        raise SeedError(f"At least {len(fixed)} statuses are needed")
    silent_set = set(silent)
    posting = [a for a in range(specials, total_accounts) if a not in silent_set]
    weights = [rng.lognormvariate(0, 1.4) for _ in posting]
    authors = array("q", rng.choices(posting, weights=weights, k=n))
    for position, account in zip(rng.sample(range(n), len(fixed)), fixed, strict=True):
        authors[position] = account
    random_ = rng.random
    span = end_ms - start_ms
    times = array("q", sorted([start_ms + int(random_() * span) for _ in range(n)]))

    per_account = [0] * total_accounts
    for a in authors:
        per_account[a] += 1
    by_activity = sorted(posting, key=lambda a: per_account[a], reverse=True)
    active = by_activity[: max(sizes.v500_follows, int(len(posting) * ACTIVE_SHARE))]
    very_active = by_activity[: max(sizes.v20_follows, int(len(posting) * ACTIVE_SHARE / 3))]

    follows_at = start_ms - 86_400_000
    index = {key: i for i, key in enumerate(SPECIAL_KEYS)}
    follows: list[tuple[int, int, int]] = []
    follows += [(index["v500"], a, follows_at) for a in rng.sample(active, sizes.v500_follows)]
    follows += [(index["v20"], a, follows_at) for a in rng.sample(very_active, sizes.v20_follows)]
    follows += [(index["sparse"], a, follows_at) for a in silent]
    follows += [
        (a, index["popular"], account_ms[a] + 3_600_000) for a in range(specials, total_accounts)
    ]
    quiet_followers = rng.sample(range(specials, total_accounts), sizes.quiet_followers)
    follows += [(a, index["quiet"], account_ms[a] + 7_200_000) for a in quiet_followers]

    return Plan(
        usernames=usernames,
        account_ids=account_ids,
        account_ms=account_ms,
        follows=follows,
        silent=silent,
        author=authors,
        ms=times,
        ids=array("q", snowflakes(times)),
        kind=bytearray(n),
        visibility=bytearray(n),
        parent=array("q", [-1]) * n,
        reply_account=array("q", [-1]) * n,
        conversation=array("q", [-1]) * n,
        replies=array("l", [0]) * n,
        reblogs=array("l", [0]) * n,
        mentions={},
        tags={},
        polls=[],
        conversations=0,
        statuses_count=[0] * total_accounts,
        last_status_ms=[0] * total_accounts,
    )


class _Pool:
    """Candidate parents (status indices, ascending), of which only the last WINDOW statuses'
    may be picked: mostly recent ones, sometimes any in the window."""

    def __init__(self, rng: random.Random) -> None:
        self.items: list[int] = []
        self.low = 0
        self.random = rng.random
        self.expovariate = rng.expovariate

    def pick(self, oldest: int) -> int | None:
        items = self.items
        while self.low < len(items) and items[self.low] < oldest:
            self.low += 1
        if self.low >= len(items):
            return None
        if self.random() < ANYWHERE_SHARE:
            return items[self.low + int(self.random() * (len(items) - self.low))]
        back = int(self.expovariate(1 / RECENT_LOOKBACK))
        return items[max(len(items) - 1 - back, self.low)]


class _Shaper:
    """Pass one, in time order: each status's kind, visibility, parent, mentions, tags and
    conversation, and the counters they imply (as ``_count_new_status`` keeps them)."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan = plan
        self.rng = rng
        self.next = 0
        self.specials = len(SPECIAL_KEYS)
        self.ordinary = len(plan.usernames) - self.specials
        self.replyable = _Pool(rng)  # public or unlisted, not boosts, by ordinary accounts
        self.boostable = _Pool(rng)  # public ones
        self.last_own = [-1] * len(plan.usernames)  # each account's newest replyable status
        self.boosted: set[int] = set()
        total = 0.0
        self.tag_cumulative = []
        for rank in range(len(TAG_NAMES)):
            total += 1 / (rank + 3)
            self.tag_cumulative.append(total)

    def _tag(self) -> int:
        cumulative = self.tag_cumulative
        return min(bisect(cumulative, self.rng.random() * cumulative[-1]), len(cumulative) - 1)

    def shape(self, stop: int) -> None:
        plan, rng, specials = self.plan, self.rng, self.specials
        author, kind, visibility = plan.author, plan.kind, plan.visibility
        parent, reply_account, conversation = plan.parent, plan.reply_account, plan.conversation
        replies, reblogs, mentions, tags = plan.replies, plan.reblogs, plan.mentions, plan.tags
        statuses_count, last_status_ms, ms = plan.statuses_count, plan.last_status_ms, plan.ms
        replyable, boostable, last_own, boosted = (
            self.replyable,
            self.boostable,
            self.last_own,
            self.boosted,
        )
        random_ = rng.random
        conversations = plan.conversations
        for i in range(self.next, stop):
            a = author[i]
            special = a < specials
            oldest = i - WINDOW
            shape = ORIGINAL
            target: int | None = None
            roll = random_()
            if special:
                pass
            elif roll < BOOST_SHARE:
                for _ in range(3):
                    target = boostable.pick(oldest)
                    if target is None:
                        break
                    key = a * 4_294_967_296 + target
                    if author[target] != a and key not in boosted:
                        boosted.add(key)
                        shape = BOOST
                        break
            elif roll < BOOST_SHARE + REPLY_SHARE:
                own = last_own[a]
                if own >= 0 and own >= oldest and random_() < SELF_REPLY_SHARE:
                    target = own
                else:
                    target = replyable.pick(oldest)
                if target is not None:
                    shape = REPLY

            kind[i] = shape
            if shape == BOOST:
                assert target is not None
                visibility[i] = Visibility.PUBLIC
                parent[i] = target
                reblogs[target] += 1
                statuses_count[a] += 1
                last_status_ms[a] = ms[i]
                continue

            if special:
                seen = Visibility.PUBLIC
            else:
                roll = random_()
                seen = next(v for share, v in VISIBILITY_SHARES if roll < share)
            visibility[i] = seen
            named: list[int] = []
            if shape == REPLY:
                assert target is not None
                parent[i] = target
                conversation[i] = conversation[target]
                parent_author = author[target]
                if parent_author == a and kind[target] == REPLY:
                    reply_account[i] = reply_account[target]  # a self-thread keeps its target
                else:
                    reply_account[i] = parent_author
                if parent_author != a:
                    named.append(parent_author)
                if seen <= Visibility.UNLISTED:
                    replies[target] += 1
            else:
                conversation[i] = conversations
                conversations += 1
            if (
                not special
                and (seen == Visibility.DIRECT or random_() < MENTION_SHARE)
                and (not named or random_() < 0.2)
            ):
                other = specials + int(random_() * self.ordinary)
                if other != a and other not in named:
                    named.append(other)
            if named:
                mentions[i] = named
            if random_() < TAG_SHARE:
                first = self._tag()
                second = self._tag() if random_() < 0.4 else first
                tags[i] = [first] if second == first else [first, second]
            if not special and seen <= Visibility.UNLISTED:
                replyable.items.append(i)
                last_own[a] = i
                if seen == Visibility.PUBLIC:
                    boostable.items.append(i)
            if seen == Visibility.PUBLIC and shape == ORIGINAL and random_() < POLL_SHARE:
                plan.polls.append(i)
            if seen != Visibility.DIRECT:
                statuses_count[a] += 1
                last_status_ms[a] = ms[i]
        plan.conversations = conversations
        self.next = stop


# --- Rows ----------------------------------------------------------------------------------------


class _Renderer:
    """Text and content of a local status, as ``statuses.formatting.format_text`` renders
    them: mentions as h-cards first, then plain words (nothing to escape), hashtags last."""

    def __init__(self, plan: Plan, rng: random.Random) -> None:
        self.plan = plan
        self.random = rng.random
        # (text as COPY wants it, content without the outer <p>…</p>, content)
        self.bodies: list[tuple[str, str, str]] = []
        for _ in range(min(BODY_COUNT, len(plan.ids))):
            paragraphs = [
                " ".join(rng.choices(WORDS, k=rng.randint(4, 30))).capitalize() + "."
                for _ in range(2 if rng.random() < 0.15 else 1)
            ]
            inner = "</p><p>".join(paragraphs)
            self.bodies.append(("\\n\\n".join(paragraphs), inner, f"<p>{inner}</p>"))
        self.mention_html: dict[int, str] = {}
        self.tag_html = [
            f'<a href="{html.escape(hashtag_url(name))}" class="mention hashtag" rel="tag">'
            f"#<span>{html.escape(name)}</span></a>"
            for name in TAG_NAMES
        ]

    def _mention(self, account: int) -> str:
        rendered = self.mention_html.get(account)
        if rendered is None:
            username = self.plan.usernames[account]
            url = account_url(Account(username=username, domain=None))
            rendered = self.mention_html[account] = (
                f'<span class="h-card" translate="no"><a href="{html.escape(url)}" '
                f'class="u-url mention">@<span>{html.escape(username)}</span></a></span>'
            )
        return rendered

    def render(self, i: int) -> tuple[str, str]:
        """(text escaped for COPY, content)."""
        text, inner, content = self.bodies[int(self.random() * len(self.bodies))]
        named = self.plan.mentions.get(i)
        tagged = self.plan.tags.get(i)
        if not named and not tagged:
            return text, content
        if named:
            usernames = self.plan.usernames
            text = " ".join(["@" + usernames[a] for a in named]) + " " + text
            inner = " ".join([self._mention(a) for a in named]) + " " + inner
        if tagged:
            text += "".join([" #" + TAG_NAMES[t] for t in tagged])
            inner += "".join([" " + self.tag_html[t] for t in tagged])
        return text, f"<p>{inner}</p>"


def status_lines(plan: Plan, rng: random.Random, conversation_base: int) -> Iterator[str]:
    """Decide the statuses chunk by chunk and yield each one's COPY line once no later status
    can change its counters (WINDOW statuses later)."""
    shaper = _Shaper(plan, rng)
    renderer = _Renderer(plan, rng)
    total = len(plan.ids)
    written = 0
    while written < total:
        stop = min(shaper.next + CHUNK, total)
        shaper.shape(stop)
        final = total if stop == total else max(stop - WINDOW, 0)
        yield from _status_rows(plan, renderer, conversation_base, written, final)
        written = final


@cache
def _second_parts() -> list[str]:
    """``SS.mmm+00`` for every millisecond of a minute: a timestamp is its minute's prefix
    plus one of these."""
    return [f"{s:02d}.{m:03d}+00" for s in range(60) for m in range(1000)]


def _status_rows(
    plan: Plan, renderer: _Renderer, conversation_base: int, start: int, stop: int
) -> Iterator[str]:
    seconds_part = _second_parts()
    ids, author_ids = plan.ids, plan.account_ids
    author, kind, visibility, parent = plan.author, plan.kind, plan.visibility, plan.parent
    reply_account, conversation = plan.reply_account, plan.conversation
    replies, reblogs, ms = plan.replies, plan.reblogs, plan.ms
    random_ = renderer.random
    words = WORDS
    minute = -1
    prefix = ""
    for i in range(start, stop):
        at = ms[i]
        if at // 60_000 != minute:
            minute = at // 60_000
            prefix = _timestamp(minute * 60_000)[:17]  # "YYYY-MM-DD HH:MM:"
        created = prefix + seconds_part[at % 60_000]
        if kind[i] == BOOST:
            yield (
                f"{ids[i]}\t\t\tt\t\t\t\tf\t0\t\\N\t{replies[i]}\t{reblogs[i]}\t0\t"
                f"{created}\t\\N\t{created}\t\\N\t{author_ids[author[i]]}\t\\N\t\\N\t\\N\t\\N\t"
                f"{ids[parent[i]]}\n"
            )
            continue
        text, content = renderer.render(i)
        if random_() < SPOILER_SHARE:
            spoiler, sensitive = "cw: " + words[int(random_() * len(words))], "t"
        else:
            spoiler, sensitive = "", "f"
        if kind[i] == REPLY:
            reply = f"{ids[parent[i]]}\t{author_ids[reply_account[i]]}"
        else:
            reply = "\\N\t\\N"
        yield (
            f"{ids[i]}\t\t\tt\t{text}\t{content}\t{spoiler}\t{sensitive}\t{visibility[i]}\t"
            f"en\t{replies[i]}\t{reblogs[i]}\t0\t{created}\t\\N\t{created}\t\\N\t"
            f"{author_ids[author[i]]}\t\\N\t{conversation_base + conversation[i]}\t{reply}\t"
            "\\N\n"
        )


STATUS_COLUMNS = (
    "id, uri, url, local, text, content, spoiler_text, sensitive, visibility, language, "
    "replies_count, reblogs_count, favourites_count, created_at, edited_at, updated_at, "
    "deleted_at, account_id, application_id, conversation_id, in_reply_to_id, "
    "in_reply_to_account_id, reblog_id"
)

ACCOUNT_COLUMNS = (
    "id, username, domain, display_name, note, note_source, fields, locked, bot, "
    '"group", discoverable, indexable, hide_collections, memorial, also_known_as, '
    "avatar_remote_url, header_remote_url, uri, url, inbox_url, shared_inbox_url, outbox_url, "
    "followers_url, following_url, featured_url, actor_type, public_key, private_key, key_id, "
    "fetched_at, statuses_count, followers_count, following_count, last_status_at, "
    "suspended_at, silenced_at, created_at, updated_at, moved_to_id"
)

USER_COLUMNS = (
    "password, last_login, is_superuser, email, role, locale, confirmed_at, confirmation_token, "
    "approved, registration_reason, is_active, created_at, default_privacy, default_sensitive, "
    "default_language, expand_media, expand_spoilers, created_by_application_id, account_id"
)


def _display_name(username: str) -> str:
    if username.startswith("bench_"):
        return "Bench " + username.removeprefix("bench_")
    return "User " + username.removeprefix("u")


def _account_lines(plan: Plan, now_ms: int) -> Iterator[str]:
    followers = [0] * len(plan.usernames)
    following = [0] * len(plan.usernames)
    for follower, followed, _ in plan.follows:
        following[follower] += 1
        followers[followed] += 1
    updated = _timestamp(now_ms)
    for a, username in enumerate(plan.usernames):
        last = plan.last_status_ms[a]
        yield (
            f"{plan.account_ids[a]}\t{username}\t\\N\t{_display_name(username)}\t\t\t[]\tf\tf\t"
            f"f\t\\N\tf\t\\N\tf\t[]\t\t\t\t\t\t\t\t\t\t\tPerson\t\t\t\t\\N\t"
            f"{plan.statuses_count[a]}\t{followers[a]}\t{following[a]}\t"
            f"{_timestamp(last) if last else NULL}\t\\N\t\\N\t{_timestamp(plan.account_ms[a])}\t"
            f"{updated}\t\\N\n"
        )


def _user_lines(plan: Plan, password: str) -> Iterator[str]:
    for a, username in enumerate(plan.usernames):
        created = _timestamp(plan.account_ms[a])
        yield (
            f"{password}\t\\N\tf\t{username}@{ORDINARY_EMAIL_DOMAIN}\tuser\ten\t{created}\t\t"
            f"t\t\tt\t{created}\tpublic\tf\t\\N\tdefault\tf\t\\N\t{plan.account_ids[a]}\n"
        )


def _follow_lines(plan: Plan) -> Iterator[str]:
    ids = plan.account_ids
    for follower, followed, at in plan.follows:
        yield f"t\tf\t\\N\t\t{_timestamp(at)}\t{ids[follower]}\t{ids[followed]}\n"


def _follow_notification_lines(plan: Plan) -> Iterator[str]:
    """The follow notifications of the special accounts (bench_popular's 10,000, bench_quiet's
    few), as ``accounts.services.follow_account`` would have left them."""
    ids = plan.account_ids
    specials = len(SPECIAL_KEYS)
    rows = sorted(
        (at, follower, followed) for follower, followed, at in plan.follows if followed < specials
    )
    for snowflake, (at, follower, followed) in zip(
        snowflakes((row[0] for row in rows), salt=2), rows, strict=True
    ):
        yield (
            f"{snowflake}\t{Notification.Type.FOLLOW.value}\t{_timestamp(at)}\t{ids[followed]}\t"
            f"{ids[follower]}\t\\N\tf\n"
        )


def _conversation_lines(plan: Plan, base: int) -> Iterator[str]:
    conversation, kind, ms = plan.conversation, plan.kind, plan.ms
    for i in range(len(kind)):
        if kind[i] == ORIGINAL:
            yield f"{base + conversation[i]}\t\t{_timestamp(ms[i])}\n"


def _mention_lines(plan: Plan) -> Iterator[str]:
    ids, account_ids = plan.ids, plan.account_ids
    for i, named in plan.mentions.items():
        for a in named:
            yield f"f\t{account_ids[a]}\t{ids[i]}\n"


def _status_tag_lines(plan: Plan, tag_ids: list[int]) -> Iterator[str]:
    for i, tagged in plan.tags.items():
        for t in tagged:
            yield f"{plan.ids[i]}\t{tag_ids[t]}\n"


def _poll_lines(plan: Plan, rng: random.Random, now_ms: int) -> Iterator[str]:
    times = [plan.ms[i] for i in plan.polls]
    for poll_id, i in zip(snowflakes(times, salt=3), plan.polls, strict=True):
        options = rng.sample(WORDS, rng.randint(2, 4))
        expires = plan.ms[i] + 86_400_000
        created = _timestamp(plan.ms[i])
        yield (
            f"{poll_id}\t{json.dumps(options)}\t{json.dumps([0] * len(options))}\tf\tf\t0\t0\t"
            f"{_timestamp(expires)}\t{_bool(expires <= now_ms)}\t\t{created}\t{created}\t"
            f"{plan.account_ids[plan.author[i]]}\t{plan.ids[i]}\n"
        )


# --- Home feeds ----------------------------------------------------------------------------------

# One account's home feed as the fan-out builds it (timelines.fanout, timelines.feeds): its own
# statuses; its followees' public, unlisted and private ones, replies only to themselves, to it
# or to someone it follows; their direct ones that mention it; one entry per original (the
# oldest of a status and its boosts wins, as on write); the newest FEED_MAX_ITEMS of them.
# Only statuses from ``since_id`` on are read: an original older than the feed's window would
# have been trimmed before its boost arrived, so the boost enters the feed, as on write.
FEED_SQL = """
WITH followees AS (
    SELECT target_account_id AS id FROM accounts_follow WHERE account_id = %(viewer)s
), candidates AS (
    SELECT s.id, s.account_id, s.reblog_id
    FROM statuses_status s
    WHERE s.account_id = %(viewer)s AND s.id >= %(since_id)s AND s.deleted_at IS NULL
  UNION ALL
    SELECT s.id, s.account_id, s.reblog_id
    FROM followees f JOIN statuses_status s ON s.account_id = f.id
    WHERE s.id >= %(since_id)s AND s.visibility IN (0, 1, 2) AND s.deleted_at IS NULL AND (
        s.in_reply_to_id IS NULL
        OR s.in_reply_to_account_id = s.account_id
        OR s.in_reply_to_account_id = %(viewer)s
        OR s.in_reply_to_account_id IN (SELECT id FROM followees)
    )
  UNION ALL
    SELECT s.id, s.account_id, s.reblog_id
    FROM statuses_mention m JOIN statuses_status s ON s.id = m.status_id
    WHERE m.account_id = %(viewer)s AND s.id >= %(since_id)s AND s.visibility = 3
      AND s.deleted_at IS NULL AND s.account_id IN (SELECT id FROM followees)
), firsts AS (
    SELECT DISTINCT ON (COALESCE(reblog_id, id)) id, account_id, reblog_id
    FROM candidates
    ORDER BY COALESCE(reblog_id, id), id
)
INSERT INTO timelines_feedentry (account_id, list_id, status_id, author_id, reblog_of_id)
SELECT %(viewer)s, %(home)s, id, account_id, reblog_id
FROM firsts
ORDER BY id DESC
LIMIT %(limit)s
ON CONFLICT DO NOTHING
"""
FEED_FIRST_WINDOW_MS = 86_400_000


def build_home_feed(account_id: int, *, newest_ms: int) -> int:
    """(Re)build one home feed; returns its size. The window of statuses read starts at a day
    and grows fourfold until the feed is full or the window covers every status."""
    window = FEED_FIRST_WINDOW_MS
    with connection.cursor() as cursor:
        while True:
            since_ms = newest_ms - window
            since_id = since_ms << 16 if since_ms > 0 else 0
            cursor.execute(
                "DELETE FROM timelines_feedentry WHERE account_id = %s AND list_id = %s",
                [account_id, HOME_FEED],
            )
            cursor.execute("SELECT 1 FROM statuses_status WHERE id < %s LIMIT 1", [since_id])
            older_exist = cursor.fetchone() is not None
            cursor.execute(
                FEED_SQL,
                {
                    "viewer": account_id,
                    "home": HOME_FEED,
                    "limit": settings.FEED_MAX_ITEMS,
                    "since_id": since_id if older_exist else 0,
                },
            )
            if cursor.rowcount >= settings.FEED_MAX_ITEMS or not older_exist:
                return cursor.rowcount
            window *= 4


# --- The bulk build ------------------------------------------------------------------------------

# What --force empties: every table of these apps, and (CASCADE) whatever refers to them.
WIPED_APPS = ("accounts", "statuses", "timelines", "oauth2_provider")
TOUCHED_TABLES = (
    "accounts_account",
    "accounts_user",
    "accounts_follow",
    "statuses_status",
    "statuses_conversation",
    "statuses_mention",
    "statuses_tag",
    "statuses_statustag",
    "statuses_poll",
    "timelines_feedentry",
    "timelines_notification",
)


def wipe_bench_rows() -> None:
    """TRUNCATE the app tables (the database serves the benchmark only; see check_database)."""
    tables = sorted(
        {
            model._meta.db_table
            for app_label in WIPED_APPS
            for model in apps.get_app_config(app_label).get_models(include_auto_created=True)
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _reserve_ids(cursor: Any, table: str, count: int) -> int:
    """The first of ``count`` consecutive ids taken from ``table``'s identity sequence."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = int(cursor.fetchone()[0])
    if count > 1:
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _tag_ids(cursor: Any, start_ms: int) -> list[int]:
    created = datetime.fromtimestamp(start_ms / 1000, UTC)
    cursor.execute(
        "INSERT INTO statuses_tag (name, display_name, created_at) "
        "SELECT name, name, %s FROM unnest(%s::text[]) AS name ON CONFLICT (name) DO NOTHING",
        [created, list(TAG_NAMES)],
    )
    cursor.execute("SELECT name, id FROM statuses_tag WHERE name = ANY(%s)", [list(TAG_NAMES)])
    by_name = dict(cursor.fetchall())
    return [by_name[name] for name in TAG_NAMES]


def build_dataset(
    sizes: SeedSizes,
    *,
    wipe: bool,
    random_seed: int,
    now: datetime,
    say: Callable[[str], None],
) -> None:
    """The bulk of the data set, in one transaction with the wipe (``wipe``: --force), so an
    interrupted rebuild leaves the previous data set as it was."""
    rng = random.Random(random_seed)  # noqa: S311 - reproducible data, not secrets
    step = time.monotonic()

    def done(what: str) -> None:
        nonlocal step
        say(f"  {what}: {time.monotonic() - step:.1f} s")
        step = time.monotonic()

    plan = make_plan(sizes, rng, now)
    done(f"planned {len(plan.ids):,} statuses")
    now_ms = _ms(now)
    password = make_password(None)  # unusable: the benchmark signs in with tokens
    with transaction.atomic(), connection.cursor() as django_cursor:
        with django_cursor.connection.cursor() as cursor:
            _prepare_session(cursor)
            if wipe:
                wipe_bench_rows()
                done("wiped the previous data set")
            # Statuses first: the conversations and the accounts' counters are known once every
            # status is decided. One conversation id per status is reserved; those of replies
            # and boosts stay unused.
            base = _reserve_ids(cursor, "statuses_conversation", len(plan.ids))
            _copy(cursor, "statuses_status", STATUS_COLUMNS, status_lines(plan, rng, base))
            done(f"{len(plan.ids):,} statuses")
            _copy(
                cursor,
                "statuses_conversation",
                "id, uri, created_at",
                _conversation_lines(plan, base),
            )
            _copy(cursor, "accounts_account", ACCOUNT_COLUMNS, _account_lines(plan, now_ms))
            _copy(cursor, "accounts_user", USER_COLUMNS, _user_lines(plan, password))
            _copy(
                cursor,
                "accounts_follow",
                "show_reblogs, notify, languages, uri, created_at, account_id, target_account_id",
                _follow_lines(plan),
            )
            _copy(
                cursor,
                "timelines_notification",
                "id, type, created_at, account_id, from_account_id, status_id, filtered",
                _follow_notification_lines(plan),
            )
            done(
                f"{plan.conversations:,} conversations, {len(plan.usernames):,} accounts, "
                f"{len(plan.follows):,} follows"
            )
            _copy(cursor, "statuses_mention", "silent, account_id, status_id", _mention_lines(plan))
            tag_ids = _tag_ids(cursor, plan.ms[0] if plan.ms else now_ms)
            _copy(
                cursor, "statuses_statustag", "status_id, tag_id", _status_tag_lines(plan, tag_ids)
            )
            _copy(
                cursor,
                "statuses_poll",
                "id, options, cached_tallies, multiple, hide_totals, votes_count, voters_count, "
                "expires_at, closed_notified, uri, created_at, updated_at, account_id, status_id",
                _poll_lines(plan, rng, now_ms),
            )
            done(
                f"{sum(map(len, plan.mentions.values())):,} mentions, "
                f"{sum(map(len, plan.tags.values())):,} hashtags, {len(plan.polls):,} polls"
            )
            # The feed queries below need statistics on what this transaction wrote.
            cursor.execute(
                "ANALYZE statuses_status, statuses_mention, accounts_follow, accounts_account"
            )
        specials = plan.account_ids[: len(SPECIAL_KEYS)]
        sizes_built = [build_home_feed(account_id, newest_ms=now_ms) for account_id in specials]
        if sizes_built[0] < min(sizes.v500_min_feed, settings.FEED_MAX_ITEMS):
            raise SeedError(
                f"bench_v500's home feed has {sizes_built[0]} entries, fewer than "
                f"{sizes.v500_min_feed}: its followees do not post enough"
            )
        done("home feeds")
    done("commit")
    _vacuum()
    done("vacuum and analyze")


def _prepare_session(cursor: Any) -> None:
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute("SELECT current_setting('is_superuser')")
    if cursor.fetchone()[0] == "on":
        # Foreign keys are checked by a trigger per row and reference, deferred to the commit:
        # millions of lookups. The rows are consistent by construction (tests/bench checks
        # every reference), so where it may, the load skips those triggers.
        cursor.execute("SET LOCAL session_replication_role = replica")


def _vacuum() -> None:
    """Set hint bits and the visibility map now rather than in the first benchmark queries,
    and give the planner fresh statistics. Inside a transaction (tests), ANALYZE only."""
    tables = ", ".join(TOUCHED_TABLES)
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {tables}")
        else:
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
