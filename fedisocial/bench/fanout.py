"""The fan-out experiment: ``popular`` (10,000 local followers) posts a public status through the
API, and the database is polled until the status is in every follower's home feed and the
author's own. Done POSTS times with an idle queue before each; the Celery tasks the posts caused
are counted from the worker's per-task totals (beat's periodic tasks left out)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg

from fedisocial.bench import load
from fedisocial.bench.celery_control import beat_sends
from fedisocial.bench.context import BenchContext
from fedisocial.bench.postgres import connect

POSTS = 3
POLL_INTERVAL_S = 0.01
VISIBLE_TIMEOUT_S = 120.0

# The followers fan_out reaches: local, not suspended (timelines.fanout._local_followers).
LOCAL_FOLLOWERS_SQL = """
    SELECT count(*) FROM accounts_follow f
    JOIN accounts_account a ON a.id = f.account_id
    WHERE f.target_account_id = %s AND f.account_id <> %s
      AND a.domain IS NULL AND a.suspended_at IS NULL
"""
HOME_ENTRIES_SQL = "SELECT count(*) FROM timelines_feedentry WHERE status_id = %s AND list_id = 0"


class FanoutError(RuntimeError):
    pass


@dataclass(frozen=True)
class FanoutResult:
    followers: int
    visible_s: list[float]
    tasks: Counter[str]  # tasks run because of the posts, by name

    @property
    def median_visible_s(self) -> float:
        return statistics.median(self.visible_s)

    @property
    def inserts_per_s(self) -> float:
        return self.followers * len(self.visible_s) / sum(self.visible_s)

    @property
    def tasks_per_post(self) -> float:
        return sum(self.tasks.values()) / len(self.visible_s)


def measure_fanout(ctx: BenchContext, posts: int = POSTS) -> FanoutResult:
    author = ctx.data.account_id("popular")
    post = load.Target(
        "fanout_post",
        "/api/v1/statuses",
        ctx.data.token("popular"),
        method="POST",
        form_body="status=A+benchmark+post+to+ten+thousand+followers&visibility=public",
    )
    with connect() as conn:
        row = conn.execute(LOCAL_FOLLOWERS_SQL, [author, author]).fetchone()
        followers = int(row[0]) if row else 0
        if followers == 0:
            raise FanoutError("popular has no local followers: is the data set seeded?")
        expected = followers + 1  # the author's own home too
        ctx.celery.wait_until_idle()
        before = ctx.celery.task_totals()
        beat_before = beat_sends(ctx.env.log_dir / "beat.log")
        visible: list[float] = []
        for _ in range(posts):
            ctx.celery.wait_until_idle()
            visible.append(_post_and_wait(ctx, post, conn, expected))
        ctx.celery.wait_until_idle()
        after = ctx.celery.task_totals()
        beat_after = beat_sends(ctx.env.log_dir / "beat.log")
    # What beat sent meanwhile was not caused by the posts; the same task woken by a post was.
    caused = (after - before) - (beat_after - beat_before)
    result = FanoutResult(followers=followers, visible_s=visible, tasks=caused)
    ctx.note(
        f"fan-out to {followers} followers (+ the author): "
        + ", ".join(f"{s:.3f} s" for s in visible)
        + f"; tasks over {posts} posts: {dict(sorted(caused.items()))}"
    )
    return result


def _post_and_wait(
    ctx: BenchContext, post: load.Target, conn: psycopg.Connection[Any], expected: int
) -> float:
    started = time.monotonic()
    status, body = ctx.request(post)
    if not 200 <= status < 300 or not isinstance(body, dict) or "id" not in body:
        raise FanoutError(f"posting as popular answered {status}: {body!r}")
    status_id = int(body["id"])
    count = 0
    while True:
        row = conn.execute(HOME_ENTRIES_SQL, [status_id]).fetchone()
        count = int(row[0]) if row else 0
        if count >= expected:
            return time.monotonic() - started
        if time.monotonic() - started > VISIBLE_TIMEOUT_S:
            raise FanoutError(
                f"status {status_id} reached {count} of {expected} home feeds "
                f"in {VISIBLE_TIMEOUT_S:.0f} s"
            )
        ctx.processes.check_alive()
        time.sleep(POLL_INTERVAL_S)
