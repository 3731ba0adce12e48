"""One status into many home feeds in one INSERT ... SELECT, the home rules written in SQL.

The rules are those of ``timelines.feeds.HomeFilter`` (Mastodon's ``filter_from_home?``) and
``feeds.exclusive_owners`` (exclusive lists), judged by the database for every receiver inside
the statement that inserts: a fan-out batch costs one statement whatever the number of its
receivers, nothing about them comes to Python, and there is no ORM query to compile (which cost
more than the database did). ``tests/timelines/test_fan_out_batches.py`` checks that both give
the same homes.

Each rule is either a ``NOT IN`` over the few relationship rows that exist (blocks and mutes of
the accounts the status involves) or an index probe per receiver (a domain block, a follow of
the account replied to), so the cost is bounded by the batch, not by the popularity of anyone.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, Mute
from fedisocial.db import id_set, prepared_cursor
from statuses.models import Status, Visibility
from timelines.models import HOME_FEED, FeedEntry, List, ListAccount


@dataclass(frozen=True)
class FollowerRange:
    """The author's local, unsuspended followers whose account ids lie in [first_id, last_id]
    (an open end when None), the author excluded."""

    author_id: int
    first_id: int | None = None
    last_id: int | None = None
    with_author: bool = False  # the author's own home too (a local author's whole fan-out)


Receivers = Collection[int] | FollowerRange


def _table(model: Any) -> str:
    return connections[router.db_for_write(FeedEntry)].ops.quote_name(model._meta.db_table)


class _Statement:
    """SQL text and its parameters, built in order."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.params: list[Any] = []

    def value(self, value: Any) -> str:
        self.params.append(value)
        return "%s"

    def bigint(self, value: int | None) -> str:
        return f"CAST({self.value(value)} AS bigint)"

    def ids(self, ids: Collection[int]) -> str:
        """``IN``-like test on a set of ids (one parameter, see ``fedisocial.db.id_set``)."""
        test, value = id_set("%s", ids, using=self.db)
        self.params.append(value)
        return test

    def receivers(self, receivers: Receivers) -> str:
        """The receivers as a relation ``r`` of one column, ``receiver``."""
        if isinstance(receivers, FollowerRange):
            follow, account = _table(Follow), _table(Account)
            author = self.bigint(receivers.author_id)
            conditions = [
                f"f.target_account_id = {author}",
                "a.domain IS NULL",
                "a.suspended_at IS NULL",
                f"f.account_id <> {self.bigint(receivers.author_id)}",
            ]
            if receivers.first_id is not None:
                conditions.append(f"f.account_id >= {self.bigint(receivers.first_id)}")
            if receivers.last_id is not None:
                conditions.append(f"f.account_id <= {self.bigint(receivers.last_id)}")
            own = (
                f" UNION ALL SELECT {self.bigint(receivers.author_id)}"
                if receivers.with_author
                else ""
            )
            return (
                f"(SELECT f.account_id AS receiver FROM {follow} f"  # noqa: S608
                f" JOIN {account} a ON a.id = f.account_id WHERE {' AND '.join(conditions)}{own}) r"
            )
        ids = sorted({int(i) for i in receivers})
        if connections[self.db].vendor == "postgresql":
            literal = "{" + ",".join(map(str, ids)) + "}"
            return f"unnest(CAST({self.value(literal)} AS bigint[])) AS r(receiver)"
        return f"(SELECT value AS receiver FROM json_each({self.value(json.dumps(ids))})) r"  # noqa: S608


def _involved(status: Status) -> set[int]:
    """The accounts whose block or mute by a receiver keeps the status out (as
    ``feeds._involved_ids``): author, mentions, and for a boost the original's."""
    ids = {status.account_id, *(m.account_id for m in status.mentions.all())}
    if status.reblog is not None:
        ids |= {status.reblog.account_id, *(m.account_id for m in status.reblog.mentions.all())}
    return ids


def _domains(status: Status) -> set[str]:
    domains = {status.account.domain}
    if status.reblog is not None:
        domains.add(status.reblog.account.domain)
    return {d for d in domains if d}


def _reply_target(status: Status) -> int | None:
    """The account a reply answers, when it is someone other than the author."""
    if status.in_reply_to_id is None or status.in_reply_to_account_id == status.account_id:
        return None
    return status.in_reply_to_account_id


def _admitted(q: _Statement, status: Status, *, check_replies: bool) -> list[str]:
    """Conditions a receiver other than the author must meet (``HomeFilter._decide``)."""
    block, mute, domain_block, follow = (
        _table(Block),
        _table(Mute),
        _table(AccountDomainBlock),
        _table(Follow),
    )
    involved = _involved(status)
    now = connections[q.db].ops.adapt_datetimefield_value(timezone.now())
    conditions = [
        f"r.receiver NOT IN (SELECT b.account_id FROM {block} b"  # noqa: S608
        f" WHERE b.target_account_id {q.ids(involved)})",
        f"r.receiver NOT IN (SELECT m.account_id FROM {mute} m"  # noqa: S608
        f" WHERE m.target_account_id {q.ids(involved)}"
        f" AND (m.expires_at IS NULL OR m.expires_at > {q.value(now)}))",
    ]
    for domain in sorted(_domains(status)):
        conditions.append(
            f"NOT EXISTS (SELECT 1 FROM {domain_block} d"  # noqa: S608
            f" WHERE d.account_id = r.receiver AND d.domain = {q.value(domain)})"
        )
    target = _reply_target(status)
    if check_replies and target is not None:
        # Only the account replied to and those who follow it.
        conditions.append(
            f"(r.receiver = {q.bigint(target)} OR EXISTS (SELECT 1 FROM {follow} t"  # noqa: S608
            f" WHERE t.account_id = r.receiver AND t.target_account_id = {q.bigint(target)}))"
        )
        return conditions
    if status.reblog is not None:
        conditions += [
            # Not those hiding the booster's boosts...
            f"NOT EXISTS (SELECT 1 FROM {follow} h WHERE h.account_id = r.receiver"  # noqa: S608
            f" AND h.target_account_id = {q.bigint(status.account_id)}"
            " AND NOT h.show_reblogs)",
            # ...nor those the original's author blocks.
            f"r.receiver NOT IN (SELECT o.target_account_id FROM {block} o"  # noqa: S608
            f" WHERE o.account_id = {q.bigint(status.reblog.account_id)})",
        ]
    return conditions


def _exclusive_list_owners(q: _Statement, status: Status) -> str | None:
    """Owners (following the author) of an exclusive list holding the author that takes the
    status (``feeds.list_accepts``): it goes there instead of home. Never a direct status."""
    if status.visibility == Visibility.DIRECT:
        return None
    lst, member, follow = _table(List), _table(ListAccount), _table(Follow)
    # Parameters are taken in the order the text reads.
    sql = (
        f"r.receiver NOT IN (SELECT l.account_id FROM {lst} l"  # noqa: S608
        f" JOIN {member} la ON la.list_id = l.id"
        f" WHERE la.account_id = {q.bigint(status.account_id)} AND l.exclusive"
        f" AND EXISTS (SELECT 1 FROM {follow} fo WHERE fo.account_id = l.account_id"
        f" AND fo.target_account_id = {q.bigint(status.account_id)})"
    )
    target = _reply_target(status)
    if target is not None:
        sql += (
            f" AND (l.account_id = {q.bigint(target)}"  # noqa: S608
            f" OR l.replies_policy = {q.value(List.RepliesPolicy.FOLLOWED.value)}"
            f" OR (l.replies_policy = {q.value(List.RepliesPolicy.LIST.value)}"
            f" AND EXISTS (SELECT 1 FROM {member} t WHERE t.list_id = l.id"
            f" AND t.account_id = {q.bigint(target)})))"
        )
    return sql + ")"


def insert_statement(
    status: Status, receivers: Receivers, *, check_replies: bool
) -> tuple[str, list[Any]]:
    """The INSERT ... SELECT for these receivers and its parameters."""
    db = router.db_for_write(FeedEntry)
    q = _Statement(db)
    feed = _table(FeedEntry)
    original = status.reblog_id or status.id
    head = (
        f"INSERT INTO {feed} (account_id, list_id, status_id, author_id, reblog_of_id)"
        f" SELECT r.receiver, {q.value(HOME_FEED)}, {q.bigint(status.id)},"
        f" {q.bigint(status.account_id)}, {q.bigint(status.reblog_id)}"
    )
    source = q.receivers(receivers)
    # One entry per original: not where the original or a boost of it already is.
    where = [
        f"r.receiver NOT IN (SELECT e.account_id FROM {feed} e"  # noqa: S608
        f" WHERE e.list_id = {q.value(HOME_FEED)}"
        f" AND (e.status_id = {q.bigint(original)} OR e.reblog_of_id = {q.bigint(original)}))"
    ]
    exclusive = _exclusive_list_owners(q, status)
    if exclusive is not None:
        where.append(exclusive)
    orphan = status.in_reply_to_id is not None and status.in_reply_to_account_id is None
    if orphan:
        # A reply whose parent is gone: nothing to judge it by, only the author takes it.
        where.append(f"r.receiver = {q.bigint(status.account_id)}")
    else:
        author = q.bigint(status.account_id)  # its parameter precedes theirs
        admitted = _admitted(q, status, check_replies=check_replies)
        where.append(f"(r.receiver = {author} OR ({' AND '.join(admitted)}))")
    sql = f"{head} FROM {source} WHERE {' AND '.join(where)}"
    return sql, q.params


def deliver_home(status: Status, receivers: Receivers, *, check_replies: bool = True) -> list[int]:
    """Insert the status into the home feeds of these receivers that the home rules and
    their exclusive lists let it into; returns the accounts whose home it entered.

    ``status`` must be loaded with its author, mentions and boosted original (with its author
    and mentions), as ``timelines.fanout.load_for_batch`` does."""
    sql, params = insert_statement(status, receivers, check_replies=check_replies)
    db = router.db_for_write(FeedEntry)
    connection = connections[db]
    # The status is in none of these feeds (the NOT IN above), so the plain INSERT, a quarter
    # cheaper than ON CONFLICT (no speculative insertion), fails only when another insertion
    # of the same entry commits meanwhile; the statement then runs again, skipping those. In
    # autocommit the failed statement leaves nothing to roll back; inside a transaction it
    # needs a savepoint.
    with prepared_cursor() as cursor:
        try:
            if connection.in_atomic_block:
                with transaction.atomic(using=db):
                    cursor.execute(f"{sql} RETURNING account_id", params)
                    return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"{sql} RETURNING account_id", params)
            return [row[0] for row in cursor.fetchall()]
        except IntegrityError:
            cursor.execute(f"{sql} ON CONFLICT DO NOTHING RETURNING account_id", params)
            return [row[0] for row in cursor.fetchall()]
