"""The federation experiments of ``make bench``: the inbox (accepting signed activities, then
processing them into statuses and home feeds) and delivery (signed POSTs from the Celery worker
to a local sink, against plain httpx POSTs to the same sink).

What they need in the bench database is made here, idempotently, by the harness itself
(``ensure_accounts``), not by seed_bench, so the data set's identity stays what it was:

- ``peer@bench-peer.invalid``, a remote actor whose key pair the harness holds (its private
  half in ``.bench/bench-peer-key.pem``); its row carries the public key and key id and a fresh
  ``fetched_at``, so verifying its signatures never fetches anything;
- ``bench_fed_follower``, a local account following the peer (whose home feed the peer's
  statuses are fanned out to);
- ``bench_fed_author``, a local author with a bearer token and ``REMOTE_FOLLOWERS`` remote
  followers on one server (``*@bench-sink.invalid``) who all share one inbox on the sink.

None of them follows, or is followed by, the seed's roles, so no other key reads what these
experiments write. Each run deletes what the previous ones left of their own rows (inbox items,
outgoing activities and deliveries); the peer's statuses stay, as the posting runs' do.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fedisocial.bench import load, proc
from fedisocial.bench.context import THROUGHPUT_CONNECTIONS, BenchContext, Run
from fedisocial.bench.environment import LOCAL_DOMAIN, BenchEnvironment
from fedisocial.bench.postgres import connect, wait_for_autovacuum
from fedisocial.bench.sink import running_sink

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_CONTENT_TYPE = "application/activity+json"
PEER_DOMAIN = "bench-peer.invalid"
PEER_USERNAME = "peer"
PEER_URI = f"https://{PEER_DOMAIN}/users/{PEER_USERNAME}"
PEER_KEY_ID = f"{PEER_URI}#main-key"
PEER_USER_AGENT = f"http.rb/5.2.0 (Mastodon/4.5.0; +https://{PEER_DOMAIN}/)"
FOLLOWER_USERNAME = "bench_fed_follower"
AUTHOR_USERNAME = "bench_fed_author"
ACCOUNT_EMAIL_DOMAIN = "bench.invalid"
REMOTE_FOLLOWERS = 100
REMOTE_FOLLOWERS_DOMAIN = "bench-sink.invalid"
SHARED_INBOX_PATH = "/shared/inbox"
# The inbox everyone on another server POSTs to (Mastodon delivers to sharedInbox when it can).
INBOX_PATH = "/inbox"

# Inbox acceptance: wrk replays pre-signed requests, each used once.
ACCEPT_TARGET = "inbox_accept"
POOL_MARGIN = 1.5  # requests signed for the measured run: the warm-up's rate x this x RUN_S
POOL_EXTRA = 500
# Inbox processing: Create(Note) activities POSTed at once, then polled until in the feed.
BURST = 1000
BURST_CONCURRENCY = 16
POLL_INTERVAL_S = 0.05
PROCESSING_TIMEOUT_S = 120.0
# The burst is given up on when nothing has moved for this long (a missing or failing handler).
STALL_S = 10.0
# Delivery: one activity to this many distinct sink inboxes, after a warm-up of WARM_DELIVERIES.
DELIVERIES = 2000
WARM_DELIVERIES = 200
DELIVERY_ROUNDS = 2  # each: the worker's deliveries, then as many plain POSTs
DELIVERY_TIMEOUT_S = 120.0
DELIVERY_POLL_S = 0.02
SHARED_INBOX_TIMEOUT_S = 60.0


class FederationBenchError(RuntimeError):
    """An experiment could not measure what it was meant to (the harness fails)."""


def run_tag() -> str:
    """Unique per experiment: activity ids and inbox paths of a run never repeat a former
    run's (a repeated activity id is accepted but not stored again, which is cheaper)."""
    return str(time.time_ns() // 1000)


# --- The peer's key --------------------------------------------------------------------------


def peer_key_path(env: BenchEnvironment) -> Path:
    return env.work_dir / "bench-peer-key.pem"


def peer_private_key(env: BenchEnvironment) -> rsa.RSAPrivateKey:
    """The peer's key pair, made once (2048 bits, as Mastodon's) and kept under .bench/."""
    path = peer_key_path(env)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --- Accounts in the bench database ------------------------------------------------------------


@dataclass(frozen=True)
class FederationAccounts:
    peer_id: int
    follower_id: int
    author_id: int
    author_token: str
    author_key_id: str
    author_public_key: str


def ensure_accounts(env: BenchEnvironment) -> FederationAccounts:
    """Make (or refresh) the accounts the experiments need and clear what earlier runs left of
    their rows. Runs in the harness process (Django is set up for the bench database by the
    Celery client); its connection is closed at the end so no harness backend stays open
    during the load runs."""
    from django.db import connections

    try:
        return _ensure_accounts(peer_private_key(env))
    finally:
        connections.close_all()


def _ensure_accounts(key: rsa.RSAPrivateKey) -> FederationAccounts:
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from accounts.keys import ensure_key_pair
    from accounts.models import Account, Follow
    from federation.models import Activity, DomainFailure, InboxItem
    from federation.uris import key_id_for
    from fedisocial.bench.seed import ensure_tokens

    with transaction.atomic():
        peer, _ = Account.objects.update_or_create(
            username=PEER_USERNAME,
            domain=PEER_DOMAIN,
            defaults={
                "uri": PEER_URI,
                "url": f"https://{PEER_DOMAIN}/@{PEER_USERNAME}",
                "display_name": "Benchmark peer",
                "inbox_url": f"{PEER_URI}/inbox",
                "shared_inbox_url": f"https://{PEER_DOMAIN}/inbox",
                "outbox_url": f"{PEER_URI}/outbox",
                "followers_url": f"{PEER_URI}/followers",
                "following_url": f"{PEER_URI}/following",
                "actor_type": "Person",
                "public_key": public_pem(key),
                "key_id": PEER_KEY_ID,
                # Fresh: resolve_actor would otherwise fetch it again (and fail: .invalid).
                "fetched_at": timezone.now(),
                "suspended_at": None,
            },
        )
        follower = _local_account(FOLLOWER_USERNAME)
        author = ensure_key_pair(_local_account(AUTHOR_USERNAME))
        _, created = Follow.objects.get_or_create(account=follower, target_account=peer)
        if created:
            Account.objects.filter(id=follower.id).update(following_count=F("following_count") + 1)
            Account.objects.filter(id=peer.id).update(followers_count=F("followers_count") + 1)
        _ensure_remote_followers(author)
        # What earlier runs left: the peer's inbox items (processed, or still waiting for a
        # retry, which would be processed during this run's measurements), outgoing activities
        # (and their deliveries), a failure record of the sink's address.
        InboxItem.objects.filter(signer=peer).delete()
        Activity.objects.filter(actor=author).delete()
        DomainFailure.objects.filter(domain__startswith="127.0.0.1").delete()
    token = ensure_tokens({"fed_author": author.id})["fed_author"]
    return FederationAccounts(
        peer_id=peer.id,
        follower_id=follower.id,
        author_id=author.id,
        author_token=token,
        author_key_id=key_id_for(author),
        author_public_key=author.public_key,
    )


def _local_account(username: str) -> Any:
    from accounts.models import Account
    from accounts.services import create_local_account

    account = Account.objects.filter(username=username, domain__isnull=True).first()
    if account is None:
        account, _ = create_local_account(
            username=username, email=f"{username}@{ACCOUNT_EMAIL_DOMAIN}"
        )
    return account


def _ensure_remote_followers(author: Any) -> None:
    from accounts.models import Account, Follow

    usernames = [f"f{n:03d}" for n in range(1, REMOTE_FOLLOWERS + 1)]
    known = set(
        Account.objects.filter(domain=REMOTE_FOLLOWERS_DOMAIN, username__in=usernames).values_list(
            "username", flat=True
        )
    )
    base = f"https://{REMOTE_FOLLOWERS_DOMAIN}"
    Account.objects.bulk_create(
        [
            Account(
                username=name,
                domain=REMOTE_FOLLOWERS_DOMAIN,
                uri=f"{base}/users/{name}",
                url=f"{base}/@{name}",
                inbox_url=f"{base}/users/{name}/inbox",
                shared_inbox_url=f"{base}{SHARED_INBOX_PATH}",
                followers_url=f"{base}/users/{name}/followers",
            )
            for name in usernames
            if name not in known
        ]
    )
    followers = list(
        Account.objects.filter(domain=REMOTE_FOLLOWERS_DOMAIN, username__in=usernames).values_list(
            "id", flat=True
        )
    )
    Follow.objects.bulk_create(
        [Follow(account_id=follower, target_account_id=author.id) for follower in followers],
        ignore_conflicts=True,
    )
    count = Follow.objects.filter(target_account_id=author.id).count()
    Account.objects.filter(id=author.id).update(followers_count=count)


def point_followers_at(sink_url: str) -> None:
    """The author's remote followers' inboxes on the running sink: one shared inbox for all
    (the port may change from run to run)."""
    from django.db import connections

    try:
        _point_followers_at(sink_url)
    finally:
        connections.close_all()


def _point_followers_at(sink_url: str) -> None:
    from django.db.models import Value
    from django.db.models.functions import Concat

    from accounts.models import Account

    Account.objects.filter(domain=REMOTE_FOLLOWERS_DOMAIN).update(
        inbox_url=Concat(Value(f"{sink_url}/users/"), "username", Value("/inbox")),
        shared_inbox_url=f"{sink_url}{SHARED_INBOX_PATH}",
    )


def accounts_for(ctx: BenchContext) -> FederationAccounts:
    accounts: FederationAccounts = ctx.once("federation_accounts", lambda: ensure_accounts(ctx.env))
    return accounts


# --- Activities the peer sends ------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def delete_activity(tag: str, number: int) -> dict[str, Any]:
    """A Delete of one of the peer's notes, as Mastodon sends it: the most frequent activity
    an inbox receives, small, and cheap to process (the note was never stored here)."""
    note = f"{PEER_URI}/statuses/{tag}-{number}"
    return {
        "@context": [AS_CONTEXT, {"ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri"}],
        "id": f"{note}#delete",
        "type": "Delete",
        "actor": PEER_URI,
        "to": [PUBLIC],
        "object": {"id": note, "type": "Tombstone", "atomUri": note},
    }


def create_activity(tag: str, number: int, published: str) -> dict[str, Any]:
    """A public Create(Note) as Mastodon sends it (no media, mentions or tags: nothing that
    would be fetched), to the peer's followers."""
    note = f"{PEER_URI}/statuses/{tag}-{number}"
    content = f"<p>Benchmark note {number} of run {tag}: the inbox stores it and fans it out.</p>"
    return {
        "@context": [
            AS_CONTEXT,
            {
                "ostatus": "http://ostatus.org#",
                "atomUri": "ostatus:atomUri",
                "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
                "conversation": "ostatus:conversation",
                "sensitive": "as:sensitive",
                "toot": "http://joinmastodon.org/ns#",
            },
        ],
        "id": f"{note}/activity",
        "type": "Create",
        "actor": PEER_URI,
        "published": published,
        "to": [PUBLIC],
        "cc": [f"{PEER_URI}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": published,
            "url": f"https://{PEER_DOMAIN}/@{PEER_USERNAME}/{tag}-{number}",
            "attributedTo": PEER_URI,
            "to": [PUBLIC],
            "cc": [f"{PEER_URI}/followers"],
            "sensitive": False,
            "atomUri": note,
            "inReplyToAtomUri": None,
            "conversation": f"tag:{PEER_DOMAIN},2026-01-01:objectId={tag}{number}:objectType"
            "=Conversation",
            "content": content,
            "contentMap": {"en": content},
            "attachment": [],
            "tag": [],
            "replies": {
                "id": f"{note}/replies",
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": f"{note}/replies?only_other_accounts=true&page=true",
                    "partOf": f"{note}/replies",
                    "items": [],
                },
            },
        },
    }


@dataclass(frozen=True)
class SignedPost:
    """One inbox POST, signed as Mastodon signs a delivery (draft-cavage, rsa-sha256, over
    ``(request-target) host date digest content-type``)."""

    path: str
    headers: dict[str, str]
    body: bytes

    def raw(self) -> bytes:
        """The request as bytes on the wire (what wrk sends)."""
        lines = [f"POST {self.path} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


def sign_post(
    key: rsa.RSAPrivateKey, activity: dict[str, Any], path: str = INBOX_PATH
) -> SignedPost:
    """Signed for ``LOCAL_DOMAIN`` (the Host a remote server sends), whatever port the API got."""
    from federation.signatures import sign_request

    body = orjson.dumps(activity)
    headers = sign_request(
        method="POST",
        url=f"http://{LOCAL_DOMAIN}{path}",
        body=body,
        key_id=PEER_KEY_ID,
        private_key=key,
        headers={"Content-Type": ACTIVITY_CONTENT_TYPE, "User-Agent": PEER_USER_AGENT},
    )
    return SignedPost(path, headers, body)


# --- Inbox acceptance: wrk replaying pre-signed requests ------------------------------------------

REUSED_MARKER = "BENCH_REUSED "

# Appended to load.wrk_script()'s script (same chunk, so `threads` is in scope): init() loads
# the pool of raw requests (NUL-separated), request() hands out the next one, response()
# counts any answer but 202 as bad, done() also prints how many requests had to reuse the
# pool (the measured run refuses any).
_POOL_LUA = """
local pool = {}
local sent = 0
local base_init = init
local base_done = done

function init(args)
  base_init(args)
  reused = 0
  local file = assert(io.open(%(pool)s, "rb"))
  local data = file:read("*a")
  file:close()
  local start = 1
  while start <= #data do
    local stop = string.find(data, "\\0", start, true) or (#data + 1)
    pool[#pool + 1] = string.sub(data, start, stop - 1)
    start = stop + 1
  end
end

function request()
  sent = sent + 1
  if sent > #pool then
    reused = reused + 1
  end
  return pool[((sent - 1) %% #pool) + 1]
end

function response(status, headers, body)
  if status ~= 202 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  base_done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("reused")
  end
  io.write(string.format("%(marker)s%%d\\n", total))
end
"""


def pool_script(pool_path: Path) -> str:
    base = load.wrk_script(load.Target(ACCEPT_TARGET, INBOX_PATH, method="POST"))
    return base + _POOL_LUA % {
        "pool": json.dumps(str(pool_path)),  # a JSON string literal is a Lua one
        "marker": REUSED_MARKER,
    }


def parse_reused(stdout: str) -> int:
    for line in stdout.splitlines():
        if line.startswith(REUSED_MARKER):
            return int(line[len(REUSED_MARKER) :])
    raise load.LoadError(f"wrk printed no {REUSED_MARKER.strip()} line:\n{stdout}")


def write_pool(path: Path, posts: Sequence[SignedPost]) -> None:
    path.write_bytes(b"\0".join(post.raw() for post in posts))


def signed_pool(key: rsa.RSAPrivateKey, tag: str, count: int) -> list[SignedPost]:
    return [sign_post(key, delete_activity(tag, n)) for n in range(count)]


def run_pool(
    env: BenchEnvironment, name: str, posts: Sequence[SignedPost], *, seconds: int, connections: int
) -> tuple[load.LoadResult, int]:
    """wrk for ``seconds`` replaying ``posts``; the result and how many requests reused one."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise load.LoadError("wrk is not installed")
    env.script_dir.mkdir(parents=True, exist_ok=True)
    pool_path = env.script_dir / f"{name}.requests"
    script_path = env.script_dir / f"{name}.lua"
    write_pool(pool_path, posts)
    script_path.write_text(pool_script(pool_path))
    command = [
        wrk,
        "--threads=1",  # one Lua state: each pre-signed request is sent once
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script_path}",
        f"{env.base_url}{INBOX_PATH}",
    ]
    completed = subprocess.run(  # noqa: S603 - fixed arguments, our own script
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise load.LoadError(
            f"wrk exited with {completed.returncode}:\n{completed.stdout}\n{completed.stderr}"
        )
    result = load.parse_wrk_output(completed.stdout)
    if result.errors:
        raise load.LoadError(
            f"{name} c={connections}: {result.errors} of {result.requests} requests failed "
            f"({result.non_2xx} answers other than 202); see .bench/gunicorn.log\n"
            f"{completed.stdout}"
        )
    if result.requests == 0:
        raise load.LoadError(f"{name} c={connections}: no request completed")
    return result, parse_reused(completed.stdout)


def post_once(env: BenchEnvironment, post: SignedPost, client: Any = None) -> int:
    """One signed POST to the API (the preflight, the burst); returns the status."""
    import httpx

    own = client is None
    client = client or httpx.Client(timeout=30)
    try:
        response = client.post(
            f"{env.base_url}{post.path}", content=post.body, headers=post.headers
        )
        return int(response.status_code)
    finally:
        if own:
            client.close()


def measure_inbox_accept(ctx: BenchContext, connections: int = THROUGHPUT_CONNECTIONS) -> Run:
    """Like ``BenchContext.run`` (fresh web workers, 3 s warm-up, 10 s measured, web and
    PostgreSQL CPU), with wrk replaying unique pre-signed Deletes to the shared inbox. The
    Celery worker processes what is accepted meanwhile, as it would in production."""
    env, processes = ctx.env, ctx.processes
    accounts_for(ctx)
    key = peer_private_key(env)
    tag = run_tag()
    status = post_once(env, sign_post(key, delete_activity(tag, -1)))
    if status != 202:
        raise FederationBenchError(
            f"preflight: a signed Delete to {INBOX_PATH} was answered {status}, not 202; "
            "see .bench/gunicorn.log"
        )
    # Enough unique requests for the warm-up at db40's pace (a rate the inbox will not beat).
    anchor = ctx.run("db40", connections).load.rps
    warm_posts = signed_pool(key, f"{tag}w", math.ceil(anchor * load.WARMUP_S) + POOL_EXTRA)
    ctx.celery.wait_until_idle()
    processes.check_alive()
    waited = wait_for_autovacuum()
    if waited >= 1:
        ctx.note(f"waited {waited:.0f} s for autovacuum on the bench database")
    processes.fresh_web_workers()
    warm_up, warm_reused = run_pool(
        env, f"{ACCEPT_TARGET}_warmup", warm_posts, seconds=load.WARMUP_S, connections=connections
    )
    if warm_reused:
        ctx.note(f"{ACCEPT_TARGET} warm-up: {warm_reused} requests replayed an activity id")
    # Signing takes a while: it is done before the measured run, sized from the warm-up.
    run_posts = signed_pool(
        key, f"{tag}r", math.ceil(warm_up.rps * POOL_MARGIN * load.RUN_S) + POOL_EXTRA
    )
    time.sleep(max(0.3, min(5.0, 1.5 * warm_up.p99_ms / 1000)))
    worker_before = proc.cpu_ticks(processes.worker.pid) or 0
    replays: list[int] = []

    def execute() -> load.LoadResult:
        result, reused = run_pool(
            env, ACCEPT_TARGET, run_posts, seconds=load.RUN_S, connections=connections
        )
        replays.append(reused)
        return result

    run = ctx.measured(ACCEPT_TARGET, connections, execute)
    result = run.load
    worker_ticks = (proc.cpu_ticks(processes.worker.pid) or 0) - worker_before
    if replays[0]:
        raise FederationBenchError(
            f"{ACCEPT_TARGET}: {replays[0]} requests replayed an activity id ({len(run_posts)} "
            "were signed for the run): the pool is too small"
        )
    ctx.runs[(ACCEPT_TARGET, connections)] = run
    stored = _count(
        "SELECT count(*) FROM federation_inboxitem WHERE activity_id LIKE %s",
        [f"{PEER_URI}/statuses/{tag}r-%"],
    )
    ctx.note(
        f"{ACCEPT_TARGET}: {result.requests} answered 202, {stored} stored (requests in flight "
        f"at the end count too); Celery worker CPU meanwhile (processing them) "
        f"{proc.ticks_to_seconds(worker_ticks) / result.duration_s:.2f} cores"
    )
    return run


def _count(sql: str, params: Sequence[Any]) -> int:
    with connect() as conn:
        row = conn.execute(sql, list(params)).fetchone()
    return int(row[0]) if row else 0


# --- Inbox processing: a burst of Create(Note) until every note is in the follower's feed ------


@dataclass(frozen=True)
class ProcessingResult:
    activities: int
    posted_s: float  # until every POST was answered
    elapsed_s: float  # until every note was a status in the follower's home feed (or gave up)
    visible: int  # notes in the follower's home feed at the end
    complete: bool

    @property
    def per_s(self) -> float:
        return self.visible / self.elapsed_s


PROGRESS_SQL = """
    SELECT
      (SELECT count(*) FROM statuses_status WHERE account_id = %(peer)s AND uri LIKE %(notes)s),
      (SELECT count(*) FROM timelines_feedentry f JOIN statuses_status s ON s.id = f.status_id
        WHERE f.account_id = %(follower)s AND f.list_id = 0 AND f.author_id = %(peer)s
          AND s.uri LIKE %(notes)s),
      (SELECT count(*) FROM federation_inboxitem
        WHERE activity_id LIKE %(notes)s AND state IN (0, 1))
"""
OUTCOMES_SQL = """
    SELECT state, count(*), max(error) FROM federation_inboxitem
    WHERE activity_id LIKE %s GROUP BY state ORDER BY state
"""


def measure_inbox_processing(ctx: BenchContext, count: int = BURST) -> ProcessingResult:
    """POST ``count`` signed Create(Note) activities from the peer (16 at a time, as fast as
    the inbox answers), then poll until each is a status in the follower's home feed."""
    import httpx

    accounts = accounts_for(ctx)
    key = peer_private_key(ctx.env)
    tag = run_tag()
    published = _now_iso()
    posts = [sign_post(key, create_activity(tag, n, published)) for n in range(count)]
    params = {
        "peer": accounts.peer_id,
        "follower": accounts.follower_id,
        "notes": f"{PEER_URI}/statuses/{tag}-%",
    }
    ctx.celery.wait_until_idle()
    ctx.processes.check_alive()
    with (
        connect() as conn,
        httpx.Client(timeout=30, limits=httpx.Limits(max_connections=BURST_CONCURRENCY)) as client,
        ThreadPoolExecutor(BURST_CONCURRENCY, thread_name_prefix="burst") as pool,
    ):
        started = time.monotonic()
        statuses = list(pool.map(lambda post: post_once(ctx.env, post, client), posts))
        posted_s = time.monotonic() - started
        refused = [s for s in statuses if s != 202]
        if refused:
            raise FederationBenchError(
                f"inbox burst: {len(refused)} of {count} POSTs answered other than 202 "
                f"(first: {refused[0]}); see .bench/gunicorn.log"
            )
        result = _wait_for_feed(ctx, conn, params, count, started, posted_s)
        outcomes = conn.execute(OUTCOMES_SQL, [params["notes"]]).fetchall()
    names = {0: "pending", 1: "processing", 2: "done", 3: "failed"}
    summary = ", ".join(f"{names.get(state, state)} {n}" for state, n, _ in outcomes)
    ctx.note(
        f"inbox burst of {count} Create(Note): POSTed in {posted_s:.2f} s, {result.visible} in "
        f"the follower's home feed after {result.elapsed_s:.2f} s; inbox items: {summary}"
    )
    # Failed for good (3), or waiting for a retry (0 with an error: the handler raised).
    errors = [(names.get(state, state), error) for state, _, error in outcomes if error]
    for state, error in errors[:2]:
        ctx.note(f"inbox burst: a {state} item's error: {error[:300]}")
    if not result.complete:
        ctx.note(
            "WARNING: not every note reached the follower's home feed"
            + (
                " (no status was stored at all: is there a Create handler, "
                "federation/inbox/handlers/create.py?)"
                if result.visible == 0
                else ""
            )
        )
    return result


def _wait_for_feed(
    ctx: BenchContext,
    conn: psycopg.Connection[Any],
    params: dict[str, Any],
    count: int,
    started: float,
    posted_s: float,
) -> ProcessingResult:
    """Poll until every note is in the home feed; give up when nothing has moved (statuses
    stored, feed entries, items pending) for STALL_S, or after PROCESSING_TIMEOUT_S."""
    last: tuple[int, ...] = ()
    moved_at = time.monotonic()
    while True:
        row = conn.execute(PROGRESS_SQL, params).fetchone()
        progress = tuple(int(v) for v in row) if row else (0, 0, count)
        stored, visible, _pending = progress
        now = time.monotonic()
        if visible >= count:
            return ProcessingResult(count, posted_s, now - started, visible, complete=True)
        if progress != last:
            last, moved_at = progress, now
        stalled = now - moved_at > STALL_S
        if stalled or now - started > PROCESSING_TIMEOUT_S:
            if stored > visible:
                ctx.note(f"inbox burst: {stored} statuses stored, {visible} in the home feed")
            # The rate over the time it took to get there, not the wait for more.
            elapsed = (moved_at if stalled else now) - started
            return ProcessingResult(count, posted_s, max(elapsed, posted_s), visible, False)
        ctx.processes.check_alive()
        time.sleep(POLL_INTERVAL_S)


# --- Delivery: the worker's signed POSTs to the sink, against plain httpx ------------------------


@dataclass(frozen=True)
class DeliveryResult:
    deliveries: int
    delivery_s: float  # from queue_activity until every row is delivered
    plain_s: float  # the same number of plain httpx POSTs, 16 threads, one client
    key_loads: int  # PEM parses in the worker during the measured (warm) run
    tls_contexts: int  # TLS contexts built in the worker during it
    body_bytes: int

    @property
    def delivery_per_s(self) -> float:
        return self.deliveries / self.delivery_s

    @property
    def plain_per_s(self) -> float:
        return self.deliveries / self.plain_s

    @property
    def ratio(self) -> float:
        return self.delivery_per_s / self.plain_per_s


def delivery_activity(tag: str) -> dict[str, Any]:
    """What the author sends: a public Create(Note) as our renderer shapes it (about the size
    of a short Mastodon post); the same bytes go to every inbox and to the plain run."""
    author = f"http://{LOCAL_DOMAIN}/users/{AUTHOR_USERNAME}"
    note = f"{author}/statuses/{tag}"
    content = (
        "<p>A benchmark post delivered to many inboxes at once: each delivery is signed with "
        "the author's key and POSTed through the one outbound client.</p>"
    )
    return {
        "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
        "id": f"{note}/activity",
        "type": "Create",
        "actor": author,
        "published": _now_iso(),
        "to": [PUBLIC],
        "cc": [f"{author}/followers"],
        "object": {
            "id": note,
            "type": "Note",
            "summary": None,
            "inReplyTo": None,
            "published": _now_iso(),
            "url": f"http://{LOCAL_DOMAIN}/@{AUTHOR_USERNAME}/{tag}",
            "attributedTo": author,
            "to": [PUBLIC],
            "cc": [f"{author}/followers"],
            "sensitive": False,
            "atomUri": note,
            "content": content,
            "contentMap": {"en": content},
            "attachment": [],
            "tag": [],
            "replies": {
                "id": f"{note}/replies",
                "type": "Collection",
                "first": {"type": "CollectionPage", "partOf": f"{note}/replies", "items": []},
            },
        },
    }


DELIVERY_STATES_SQL = """
    SELECT count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 2),
           count(*) FILTER (WHERE state = 0 AND attempts > 0), max(last_error)
    FROM federation_delivery WHERE activity_id = %s
"""


def queue_and_wait(
    conn: psycopg.Connection[Any], author_id: int, body: dict[str, Any], inboxes: list[str]
) -> float:
    """Queue one activity to ``inboxes`` as the app does (``federation.delivery.queue_activity``:
    the rows, then deliver_activity_task after the commit) and wait until every delivery is
    recorded as delivered; the seconds that took."""
    from django.db import connections

    from accounts.models import Account
    from federation.delivery import queue_activity

    try:
        author = Account.objects.get(id=author_id)
        started = time.monotonic()
        activity = queue_activity(author, body, inboxes)
        if activity is None:
            raise FederationBenchError("queue_activity queued nothing for the sink's inboxes")
        while True:
            row = conn.execute(DELIVERY_STATES_SQL, [activity.id]).fetchone()
            delivered, failed, retried, error = row if row else (0, 0, 0, None)
            if delivered >= len(inboxes):
                return time.monotonic() - started
            if failed or retried:
                raise FederationBenchError(
                    f"{failed} deliveries to the sink failed, {retried} are to be retried: {error}"
                )
            if time.monotonic() - started > DELIVERY_TIMEOUT_S:
                raise FederationBenchError(
                    f"{delivered} of {len(inboxes)} deliveries done in {DELIVERY_TIMEOUT_S:.0f} s"
                )
            time.sleep(DELIVERY_POLL_S)
    finally:
        connections.close_all()


def plain_posts(client: Any, urls: list[str], body: bytes, concurrency: int) -> float:
    """POST ``body`` to every URL with ``concurrency`` threads sharing ``client``; seconds."""
    headers = {"Content-Type": ACTIVITY_CONTENT_TYPE}

    def one(url: str) -> int:
        return int(client.post(url, content=body, headers=headers).status_code)

    with ThreadPoolExecutor(concurrency, thread_name_prefix="plain") as pool:
        started = time.monotonic()
        statuses = list(pool.map(one, urls))
        elapsed = time.monotonic() - started
    refused = [s for s in statuses if s != 202]
    if refused:
        raise FederationBenchError(f"the sink answered {refused[0]} to a plain POST")
    return elapsed


def worker_counters(ctx: BenchContext) -> dict[str, int]:
    """Key parses and TLS contexts of the Celery worker process so far (the custom remote
    control command ``federation_counters`` of fedisocial/celery.py)."""
    replies = ctx.celery.app.control.broadcast(
        "federation_counters", reply=True, timeout=2.0, destination=ctx.celery.nodes
    )
    found = [reply for answer in replies or [] for reply in answer.values()]
    if len(found) != 1 or not isinstance(found[0], dict) or "key_loads" not in found[0]:
        raise FederationBenchError(f"the worker did not answer federation_counters: {replies}")
    if found[0].get("pid") != ctx.processes.worker.pid:
        raise FederationBenchError(f"federation_counters answered by another process: {found}")
    return {name: int(found[0][name]) for name in ("key_loads", "tls_contexts")}


def measure_delivery(
    ctx: BenchContext, count: int = DELIVERIES, warm: int = WARM_DELIVERIES
) -> DeliveryResult:
    """A warm-up, then DELIVERY_ROUNDS rounds of: ``count`` deliveries of one activity to
    distinct sink inboxes, timed from queueing until all are recorded delivered, and as many
    plain POSTs of the same body to the same sink. The worker's key parses and TLS contexts
    are counted over the measured rounds."""
    import httpx
    from django.conf import settings

    from federation.transport import LIMITS

    accounts = accounts_for(ctx)
    concurrency = settings.FEDERATION_DELIVERY_CONCURRENCY
    tag = run_tag()
    body = delivery_activity(tag)
    body_bytes = orjson.dumps(body)
    with running_sink(ctx.env) as sink, connect() as conn, httpx.Client(limits=LIMITS) as client:
        sink.register_keys({accounts.author_key_id: accounts.author_public_key})

        def inboxes(run: str, n: int) -> list[str]:
            return [f"{sink.base_url}/{run}/{tag}/{i}/inbox" for i in range(n)]

        ctx.celery.wait_until_idle()
        queue_and_wait(conn, accounts.author_id, body, inboxes("warm", warm))
        plain_posts(client, inboxes("plain-warm", warm), body_bytes, concurrency)
        ctx.celery.wait_until_idle()
        before = worker_counters(ctx)
        delivery_times, plain_times = [], []
        # Alternated rounds: a burst of other work on the machine weighs on both sides.
        for round_ in range(DELIVERY_ROUNDS):
            delivery_times.append(
                queue_and_wait(conn, accounts.author_id, body, inboxes(f"run{round_}", count))
            )
            plain_times.append(
                plain_posts(client, inboxes(f"plain{round_}", count), body_bytes, concurrency)
            )
        after = worker_counters(ctx)
        stats = sink.stats()
    _check_signatures(stats)
    delivery_s, plain_s = sum(delivery_times), sum(plain_times)
    result = DeliveryResult(
        deliveries=count * DELIVERY_ROUNDS,
        delivery_s=delivery_s,
        plain_s=plain_s,
        key_loads=after["key_loads"] - before["key_loads"],
        tls_contexts=after["tls_contexts"] - before["tls_contexts"],
        body_bytes=len(body_bytes),
    )
    ctx.note(
        f"delivery of one activity ({result.body_bytes} bytes) to {count} sink inboxes, "
        f"{DELIVERY_ROUNDS} times: {result.delivery_per_s:.0f}/s "
        f"({', '.join(f'{t:.2f}' for t in delivery_times)} s from queueing); plain httpx "
        f"({concurrency} threads, one client): {result.plain_per_s:.0f}/s; worker key parses "
        f"{result.key_loads}, TLS contexts {result.tls_contexts} (after {before}); sink: "
        f"{stats['signed']} signed POSTs, {stats['verified']} of a sample verified"
    )
    return result


def _check_signatures(stats: dict[str, Any]) -> None:
    """A delivery a real server would refuse must not count as delivered."""
    if stats.get("invalid"):
        raise FederationBenchError(
            f"the sink refused {stats['invalid']} delivery signatures: {stats['invalid_reasons']}"
        )
    if not stats.get("verified"):
        raise FederationBenchError("the sink verified no delivery signature")


# --- One post to many followers on one server: POSTs to their shared inbox -----------------------


@dataclass(frozen=True)
class SharedInboxResult:
    followers: int
    posts: int  # POSTs the sink received because of the post
    by_path: dict[str, int]


SHARED_DELIVERIES_SQL = """
    SELECT count(*), count(*) FILTER (WHERE d.state <> 0)
    FROM federation_delivery d JOIN federation_activity a ON a.id = d.activity_id
    WHERE a.actor_id = %s AND a.uri = %s
"""


def measure_shared_inbox(ctx: BenchContext) -> SharedInboxResult:
    """The author (REMOTE_FOLLOWERS remote followers, one shared inbox) posts a public status
    through the API; once its deliveries are done and the queue is idle, the POSTs the sink
    received are counted (Mastodon sends one per shared inbox)."""
    accounts = accounts_for(ctx)
    post = load.Target(
        "fed_author_post",
        "/api/v1/statuses",
        accounts.author_token,
        method="POST",
        form_body="status=A+benchmark+post+to+a+hundred+followers+on+one+server&visibility=public",
    )
    with running_sink(ctx.env) as sink, connect() as conn:
        point_followers_at(sink.base_url)
        followers = _count(
            "SELECT count(*) FROM accounts_follow f JOIN accounts_account a ON a.id = f.account_id"
            " WHERE f.target_account_id = %s AND a.domain = %s",
            [accounts.author_id, REMOTE_FOLLOWERS_DOMAIN],
        )
        ctx.celery.wait_until_idle()
        before = sink.stats(paths=True)
        status, body = ctx.request(post)
        if not 200 <= status < 300 or not isinstance(body, dict) or "uri" not in body:
            raise FederationBenchError(f"posting as {AUTHOR_USERNAME} answered {status}: {body!r}")
        _wait_for_deliveries(ctx, conn, accounts.author_id, f"{body['uri']}/activity")
        ctx.celery.wait_until_idle()
        after = sink.stats(paths=True)
    by_path = {
        path: n - before["by_path"].get(path, 0)
        for path, n in after["by_path"].items()
        if n != before["by_path"].get(path, 0)
    }
    result = SharedInboxResult(followers, after["posts"] - before["posts"], by_path)
    ctx.note(
        f"one post by {AUTHOR_USERNAME} to {followers} followers sharing {SHARED_INBOX_PATH}: "
        f"the sink received {result.posts} POSTs {by_path}"
    )
    if result.posts == 0:
        raise FederationBenchError("the post reached no inbox on the sink")
    return result


def _wait_for_deliveries(
    ctx: BenchContext, conn: psycopg.Connection[Any], author_id: int, activity_uri: str
) -> None:
    started = time.monotonic()
    while True:
        row = conn.execute(SHARED_DELIVERIES_SQL, [author_id, activity_uri]).fetchone()
        total, finished = (int(v) for v in row) if row else (0, 0)
        if total and finished == total:
            return
        if time.monotonic() - started > SHARED_INBOX_TIMEOUT_S:
            raise FederationBenchError(
                f"{activity_uri}: {finished} of {total} deliveries finished in "
                f"{SHARED_INBOX_TIMEOUT_S:.0f} s"
            )
        ctx.processes.check_alive()
        time.sleep(DELIVERY_POLL_S)
