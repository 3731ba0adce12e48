"""``manage.py seed_bench`` at a tiny scale: the same code as the full data set, checked for
what a benchmark (or a person signed in as one of its accounts) would notice."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Account, Follow, User
from fedisocial.bench.seed import SeedError, SeedReport, SeedSizes, seed_bench
from statuses import formatting
from statuses.models import Mention, Status, StatusTag, Visibility
from timelines.models import HOME_FEED, FeedEntry, Notification

HOME = "/api/v1/timelines/home"
FEED_LIMIT = 300
TINY = SeedSizes(
    accounts=60,
    statuses=4000,
    days=10,
    v500_follows=20,
    v20_follows=5,
    quiet_followers=5,
    deep_position=100,
    v500_min_feed=FEED_LIMIT,
)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the data set is loaded with PostgreSQL's COPY"
)


def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def scalar(sql: str, params: list[Any] | None = None) -> Any:
    return rows(sql, params)[0][0]


@pytest.fixture
def seeded(db: None, settings: Any) -> SeedReport:
    settings.FEED_MAX_ITEMS = FEED_LIMIT
    return seed_bench(sizes=TINY)


def followee_ids(account_id: int) -> set[int]:
    return set(
        Follow.objects.filter(account_id=account_id).values_list("target_account_id", flat=True)
    )


# --- Refusals ------------------------------------------------------------------------------------


def test_refuses_a_database_other_than_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_bench", stdout=StringIO())


def test_force_is_refused_unless_the_database_is_named_for_the_benchmark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connection, "vendor", "postgresql")
    monkeypatch.setitem(connection.settings_dict, "NAME", "fedisocial")
    with pytest.raises(CommandError, match="bench"):
        call_command("seed_bench", "--force", stdout=StringIO())


# --- What a viewer sees --------------------------------------------------------------------------


@needs_postgres
def test_v500_home_timeline_is_followed_accounts_newest_first(
    seeded: SeedReport, client_for: Any
) -> None:
    v500 = seeded.accounts["v500"]
    allowed = followee_ids(v500) | {v500}
    client = client_for(User.objects.get(account_id=v500))

    seen: list[int] = []
    max_id = None
    for _ in range(4):
        page = client.get(HOME, {"limit": 40, **({"max_id": max_id} if max_id else {})})
        assert page.status_code == 200
        statuses = page.json()
        assert len(statuses) == 40
        for status in statuses:
            assert int(status["account"]["id"]) in allowed
            if status["reblog"] is not None:
                assert status["reblog"]["visibility"] == "public"
            elif status["in_reply_to_account_id"] is not None:
                replied_to = int(status["in_reply_to_account_id"])
                assert replied_to in allowed or replied_to == int(status["account"]["id"])
        seen += [int(s["id"]) for s in statuses]
        max_id = statuses[-1]["id"]

    assert seen == sorted(seen, reverse=True)
    assert len(set(seen)) == len(seen)
    newest = FeedEntry.objects.filter(account_id=v500, list_id=HOME_FEED).order_by("-status_id")
    assert seen[0] == newest.first().status_id

    deep = client.get(HOME, {"limit": 40, "max_id": str(seeded.deep_max_id)}).json()
    assert len(deep) == 40
    assert all(int(s["id"]) < seeded.deep_max_id for s in deep)


@needs_postgres
def test_tokens_sign_in_as_the_special_accounts(seeded: SeedReport) -> None:
    for key, token in seeded.tokens.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.get("/api/v1/accounts/verify_credentials")
        assert response.status_code == 200
        assert response.json()["username"] == f"bench_{key}"
        assert response.json()["id"] == str(seeded.accounts[key])
    home = APIClient()
    home.credentials(HTTP_AUTHORIZATION=f"Bearer {seeded.tokens['sparse']}")
    sparse = home.get(HOME, {"limit": 40}).json()
    assert len(sparse) == seeded.feed_sizes["sparse"] < 20


# --- The shape of the data set -------------------------------------------------------------------


@needs_postgres
def test_accounts_follows_and_feeds(seeded: SeedReport) -> None:
    ids = seeded.accounts
    ordinary = Account.objects.filter(username__regex=r"^u\d{5}$", domain=None)
    assert ordinary.count() == TINY.accounts
    assert User.objects.filter(account__in=ordinary, confirmed_at__isnull=False).count() == 60

    assert len(followee_ids(ids["v500"])) == TINY.v500_follows
    assert len(followee_ids(ids["v20"])) == TINY.v20_follows
    sparse_followees = followee_ids(ids["sparse"])
    assert len(sparse_followees) == 3
    assert all(Status.objects.filter(account_id=a).count() <= 5 for a in sparse_followees)
    assert Follow.objects.filter(target_account_id=ids["popular"]).count() == TINY.accounts
    assert Follow.objects.filter(target_account_id=ids["quiet"]).count() == TINY.quiet_followers
    assert (
        Notification.objects.filter(account_id=ids["popular"], type="follow").count()
        == TINY.accounts
    )

    assert seeded.feed_sizes["v500"] == FEED_LIMIT
    assert seeded.statuses == TINY.statuses
    for key, account_id in ids.items():
        entries = FeedEntry.objects.filter(account_id=account_id, list_id=HOME_FEED)
        assert entries.count() == seeded.feed_sizes[key]
        allowed = followee_ids(account_id) | {account_id}
        originals = []
        for entry in entries.order_by("-status_id")[:FEED_LIMIT]:
            status = Status.objects.get(id=entry.status_id)
            assert entry.author_id == status.account_id in allowed
            assert entry.reblog_of_id == status.reblog_id
            assert status.visibility != Visibility.DIRECT or status.account_id == account_id
            originals.append(status.reblog_id or status.id)
        assert len(set(originals)) == len(originals)
    position = TINY.deep_position - 1
    deep = FeedEntry.objects.filter(account_id=ids["v500"]).order_by("-status_id")[position]
    assert seeded.deep_max_id == deep.status_id


@needs_postgres
def test_counters_match_rows(seeded: SeedReport) -> None:
    assert not rows(
        """SELECT a.id FROM accounts_account a
           WHERE statuses_count <> (SELECT count(*) FROM statuses_status s
                                    WHERE s.account_id = a.id AND s.visibility <> 3)
              OR last_status_at IS DISTINCT FROM (SELECT max(created_at) FROM statuses_status s
                                                  WHERE s.account_id = a.id AND s.visibility <> 3)
              OR followers_count <> (SELECT count(*) FROM accounts_follow f
                                     WHERE f.target_account_id = a.id)
              OR following_count <> (SELECT count(*) FROM accounts_follow f
                                     WHERE f.account_id = a.id)"""
    )
    assert not rows(
        """SELECT p.id FROM statuses_status p
           WHERE replies_count <> (SELECT count(*) FROM statuses_status s
                                   WHERE s.in_reply_to_id = p.id AND s.visibility IN (0, 1))
              OR reblogs_count <> (SELECT count(*) FROM statuses_status s
                                   WHERE s.reblog_id = p.id)"""
    )
    assert scalar("SELECT max(replies_count) FROM statuses_status") > 0
    assert scalar("SELECT max(reblogs_count) FROM statuses_status") > 0


@needs_postgres
def test_every_reference_holds(seeded: SeedReport) -> None:
    """The load skips the foreign-key triggers, so each reference is checked here."""
    references = [
        ("statuses_status", "account_id", "accounts_account"),
        ("statuses_status", "in_reply_to_id", "statuses_status"),
        ("statuses_status", "in_reply_to_account_id", "accounts_account"),
        ("statuses_status", "reblog_id", "statuses_status"),
        ("statuses_status", "conversation_id", "statuses_conversation"),
        ("statuses_mention", "status_id", "statuses_status"),
        ("statuses_mention", "account_id", "accounts_account"),
        ("statuses_statustag", "status_id", "statuses_status"),
        ("statuses_statustag", "tag_id", "statuses_tag"),
        ("statuses_poll", "status_id", "statuses_status"),
        ("accounts_user", "account_id", "accounts_account"),
        ("accounts_follow", "account_id", "accounts_account"),
        ("accounts_follow", "target_account_id", "accounts_account"),
        ("timelines_notification", "from_account_id", "accounts_account"),
    ]
    for table, column, target in references:
        orphans = scalar(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column})"
        )
        assert orphans == 0, f"{table}.{column}"


@needs_postgres
def test_statuses_look_as_the_app_writes_them(seeded: SeedReport) -> None:
    kinds = rows(
        """SELECT count(*) FILTER (WHERE reblog_id IS NOT NULL),
                  count(*) FILTER (WHERE in_reply_to_id IS NOT NULL),
                  count(DISTINCT visibility),
                  count(*) FILTER (WHERE (id >> 16) <> (extract(epoch FROM created_at) * 1000)),
                  count(*) FILTER (WHERE NOT local OR language IS DISTINCT FROM
                                   CASE WHEN reblog_id IS NULL THEN 'en' END)
           FROM statuses_status"""
    )[0]
    boosts, replies, visibilities, off_time, not_local = kinds
    assert 0.05 * TINY.statuses < boosts < 0.11 * TINY.statuses
    assert 0.07 * TINY.statuses < replies < 0.13 * TINY.statuses
    assert visibilities == 4
    assert off_time == 0  # ids follow created_at
    assert not_local == 0

    # A reply: to an older status, in its conversation, to whom Mastodon says it answers.
    assert not rows(
        """SELECT s.id FROM statuses_status s JOIN statuses_status p ON p.id = s.in_reply_to_id
           WHERE p.id >= s.id OR p.reblog_id IS NOT NULL
              OR s.conversation_id IS DISTINCT FROM p.conversation_id
              OR s.in_reply_to_account_id <> CASE
                   WHEN p.account_id = s.account_id AND p.in_reply_to_id IS NOT NULL
                   THEN p.in_reply_to_account_id ELSE p.account_id END"""
    )
    # A boost: of an older public original, once per account, with no text of its own.
    assert not rows(
        """SELECT s.id FROM statuses_status s JOIN statuses_status p ON p.id = s.reblog_id
           WHERE p.id >= s.id OR p.reblog_id IS NOT NULL OR p.visibility <> 0
              OR s.text <> '' OR s.content <> '' OR s.conversation_id IS NOT NULL
              OR p.account_id = s.account_id"""
    )
    assert not rows(
        "SELECT account_id, reblog_id FROM statuses_status WHERE reblog_id IS NOT NULL "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    )
    # One conversation per thread, started by its root.
    assert scalar("SELECT count(*) FROM statuses_conversation") == scalar(
        "SELECT count(*) FROM statuses_status WHERE in_reply_to_id IS NULL AND reblog_id IS NULL"
    )
    assert not rows(
        "SELECT conversation_id FROM statuses_status WHERE in_reply_to_id IS NULL "
        "AND reblog_id IS NULL GROUP BY 1 HAVING count(*) > 1"
    )
    assert scalar("SELECT count(*) FROM statuses_poll") > 0


@needs_postgres
def test_content_is_what_the_formatter_renders(seeded: SeedReport) -> None:
    mentioned = Mention.objects.values_list("status_id", flat=True)[:30]
    tagged = StatusTag.objects.values_list("status_id", flat=True)[:30]
    plain = Status.objects.filter(reblog__isnull=True).values_list("id", flat=True)[:10]
    sample = Status.objects.filter(id__in=[*mentioned, *tagged, *plain])
    assert sample.count() >= 50
    for status in sample:
        accounts = formatting.resolve_mentions(status.text)
        assert status.content == formatting.format_text(status.text, accounts=accounts)
        assert {m.account_id for m in status.mentions.all()} == {a.id for a in accounts.values()}
        assert sorted(st.tag.name for st in status.status_tags.select_related("tag")) == sorted(
            formatting.normalize_hashtag(n) for n in formatting.extract_hashtags(status.text)
        )


# --- Reuse and rebuild ---------------------------------------------------------------------------


@needs_postgres
def test_a_second_run_reuses_the_data_set_and_its_tokens(
    seeded: SeedReport, tmp_path: Path
) -> None:
    output = tmp_path / "seed.json"
    out = StringIO()
    call_command(
        "seed_bench", "--output", str(output), "--statuses", str(TINY.statuses), stdout=out
    )

    written = json.loads(output.read_text())
    assert written["tokens"] == seeded.tokens
    assert written["accounts"] == {k: str(v) for k, v in seeded.accounts.items()}
    assert written["statuses"] == TINY.statuses
    assert written["reused"] is True
    assert set(written) >= {"tokens", "accounts", "deep_max_id", "statuses", "seconds"}
    assert "reused" in out.getvalue()
    assert Status.objects.count() == TINY.statuses


@needs_postgres
def test_another_data_set_is_only_replaced_with_force(
    seeded: SeedReport, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bigger = SeedSizes(**{**TINY.__dict__, "statuses": 5000})
    with pytest.raises(SeedError, match="--force"):
        seed_bench(sizes=bigger)

    monkeypatch.setitem(connection.settings_dict, "NAME", "test_fedisocial_bench")
    rebuilt = seed_bench(sizes=bigger, force=True)

    assert rebuilt.reused is False
    assert rebuilt.statuses == Status.objects.count() == 5000
    assert rebuilt.tokens["v500"] != seeded.tokens["v500"]
    assert Account.objects.filter(username="bench_v500").count() == 1
