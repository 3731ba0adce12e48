"""The pieces of the federation keys of `make bench`, at a small scale: the pre-signed requests
are ones our inbox accepts, the burst's Create is one it turns into a status in the follower's
home feed, the sink counts and checks what it receives, wrk's generated script sends each
request once and says when it had to reuse one, and the accounts the harness adds give one
POST per shared inbox."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Account, Follow
from federation.inbox import processing, views
from federation.models import InboxItem
from federation.outbox import follower_inboxes
from federation.signatures import sign_request
from fedisocial.bench import federation as fed
from fedisocial.bench import load
from fedisocial.bench.measurements import REGISTRY
from fedisocial.bench.sink import SinkApp, SinkClient
from statuses.models import Status
from timelines.models import HOME_FEED, FeedEntry

FEDERATION_KEYS = {
    "inbox_accept_rps_ratio": (">=", 0.4),
    "inbox_processed_per_s": (">=", 150),
    "delivery_per_s_ratio": (">=", 0.5),
    "delivery_posts_per_shared_inbox": ("<=", 1),
    "delivery_key_loads_warm": ("<=", 0),
    "delivery_tls_contexts_warm": ("<=", 0),
}


@pytest.fixture(scope="module")
def peer_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def peer(db: None, peer_key: rsa.RSAPrivateKey) -> Account:
    return Account.objects.create(
        username=fed.PEER_USERNAME,
        domain=fed.PEER_DOMAIN,
        uri=fed.PEER_URI,
        inbox_url=f"{fed.PEER_URI}/inbox",
        followers_url=f"{fed.PEER_URI}/followers",
        key_id=fed.PEER_KEY_ID,
        public_key=fed.public_pem(peer_key),
        fetched_at=timezone.now(),
    )


def deliver_to_inbox(post: fed.SignedPost) -> int:
    """The POST as our inbox view receives it from the network."""
    meta = {
        "HTTP_" + name.upper().replace("-", "_"): value
        for name, value in post.headers.items()
        if name.lower() != "content-type"
    }
    request = RequestFactory().post(
        post.path, data=post.body, content_type=post.headers["Content-Type"], **meta
    )
    return int(views.inbox(request).status_code)


# --- Keys --------------------------------------------------------------------------------------


def test_federation_keys_run_after_the_fan_out_and_before_memory() -> None:
    keys = list(REGISTRY)
    assert keys[-2:] == ["web_worker_rss_mib", "app_tier_rss_mib"]
    assert keys[keys.index("fanout_tasks_per_post_10k") + 1 : -2] == list(FEDERATION_KEYS)
    for key, (op, target) in FEDERATION_KEYS.items():
        assert (REGISTRY[key].op, REGISTRY[key].target) == (op, target)


def test_rates_and_ratios_are_computed_from_what_was_timed() -> None:
    delivery = fed.DeliveryResult(
        deliveries=2000, delivery_s=4.0, plain_s=2.0, key_loads=0, tls_contexts=0, body_bytes=1
    )
    assert (delivery.delivery_per_s, delivery.plain_per_s, delivery.ratio) == (500, 1000, 0.5)
    burst = fed.ProcessingResult(1000, posted_s=2.0, elapsed_s=5.0, visible=1000, complete=True)
    assert burst.per_s == 200


# --- The inbox: pre-signed requests and the burst's activities ------------------------------------


def test_a_pre_signed_delete_is_accepted_by_the_inbox_and_stored(
    peer: Account, peer_key: rsa.RSAPrivateKey
) -> None:
    post = fed.sign_post(peer_key, fed.delete_activity("t1", 7))

    assert deliver_to_inbox(post) == 202

    item = InboxItem.objects.get()
    assert item.activity_id == f"{fed.PEER_URI}/statuses/t1-7#delete"
    assert item.signer_id == peer.id


def test_each_pre_signed_request_is_a_distinct_activity(peer_key: rsa.RSAPrivateKey) -> None:
    posts = fed.signed_pool(peer_key, "t2", 3)

    ids = {json.loads(post.body)["id"] for post in posts}
    assert len(ids) == 3
    raw = posts[0].raw()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /inbox HTTP/1.1\r\n")
    assert f"Content-Length: {len(body)}".encode() in head
    assert b"Signature: keyId=" in head
    assert body == posts[0].body


def test_the_burst_create_becomes_a_status_in_the_followers_home_feed(
    peer: Account, peer_key: rsa.RSAPrivateKey, make_user: Any
) -> None:
    follower = make_user("fan").account
    Follow.objects.create(account=follower, target_account=peer)
    post = fed.sign_post(peer_key, fed.create_activity("t3", 1, fed._now_iso()))
    assert deliver_to_inbox(post) == 202

    processing.process(InboxItem.objects.select_related("signer", "recipient").get())

    status = Status.objects.get(uri=f"{fed.PEER_URI}/statuses/t3-1")
    assert status.account_id == peer.id
    assert FeedEntry.objects.filter(
        account_id=follower.id, list_id=HOME_FEED, status_id=status.id
    ).exists()


# --- The accounts the harness adds -------------------------------------------------------------


def test_the_harness_accounts_are_made_once_and_share_one_inbox(
    db: None, peer_key: rsa.RSAPrivateKey
) -> None:
    first = fed._ensure_accounts(peer_key)
    again = fed._ensure_accounts(peer_key)
    fed._point_followers_at("http://127.0.0.1:9999")

    assert again == first
    author = Account.objects.get(id=first.author_id)
    assert author.followers_count == fed.REMOTE_FOLLOWERS
    assert follower_inboxes(author) == [f"http://127.0.0.1:9999{fed.SHARED_INBOX_PATH}"]
    assert Follow.objects.filter(
        account_id=first.follower_id, target_account_id=first.peer_id
    ).exists()
    peer = Account.objects.get(id=first.peer_id)
    assert (peer.key_id, peer.public_key) == (fed.PEER_KEY_ID, fed.public_pem(peer_key))


# --- The sink --------------------------------------------------------------------------------


def call(
    app: SinkApp, method: str, path: str, body: bytes = b"", **extra: Any
) -> tuple[int, bytes]:
    """One request through the ASGI app, as uvicorn would pass it."""
    headers = extra.get("headers", [])
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": extra.get("query", b""),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return int(sent[0]["status"]), sent[1]["body"]


def signed_to_sink(key: rsa.RSAPrivateKey, key_id: str, path: str) -> tuple[list[Any], bytes]:
    body = b'{"type": "Create"}'
    headers = sign_request(
        method="POST",
        url=f"http://127.0.0.1:8410{path}",
        body=body,
        key_id=key_id,
        private_key=key,
        headers={"Content-Type": fed.ACTIVITY_CONTENT_TYPE},
    )
    return list(headers.items()), body


def test_the_sink_answers_202_and_counts_posts_by_path() -> None:
    app = SinkApp()

    assert call(app, "POST", "/a/inbox", b"x" * 10)[0] == 202
    assert call(app, "POST", "/a/inbox")[0] == 202
    assert call(app, "POST", "/shared/inbox")[0] == 202
    status, body = call(app, "GET", "/_sink/stats", query=b"paths=1")

    assert status == 200
    stats = json.loads(body)
    assert (stats["posts"], stats["body_bytes"], stats["signed"]) == (3, 10, 0)
    assert stats["by_path"] == {"/a/inbox": 2, "/shared/inbox": 1}


def test_the_sink_checks_delivery_signatures_against_registered_keys(
    peer_key: rsa.RSAPrivateKey,
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    app = SinkApp()
    call(app, "POST", "/_sink/keys", json.dumps({"k1": fed.public_pem(peer_key)}).encode())

    good_headers, body = signed_to_sink(peer_key, "k1", "/u/1/inbox")
    forged_headers, _ = signed_to_sink(other, "k1", "/u/2/inbox")
    call(app, "POST", "/u/1/inbox", body, headers=good_headers)
    call(app, "POST", "/u/2/inbox", body, headers=forged_headers)

    stats = json.loads(call(app, "GET", "/_sink/stats")[1])
    assert (stats["signed"], stats["verified"], stats["invalid"]) == (2, 1, 1)
    assert stats["invalid_reasons"] == ["signature does not verify"]
    with pytest.raises(fed.FederationBenchError, match="refused 1"):
        fed._check_signatures(stats)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink_process() -> Iterator[SinkClient]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fedisocial.bench.sink", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = SinkClient(f"http://127.0.0.1:{port}")

    def alive() -> None:
        assert process.poll() is None, "the sink exited"

    try:
        client.wait_until_up(alive, timeout=20)
        yield client
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_sends_each_pre_signed_request_once_and_reports_reuse(
    tmp_path: Path, peer_key: rsa.RSAPrivateKey, sink_process: SinkClient
) -> None:
    posts = [
        fed.SignedPost(f"/pool/{n}/inbox", {"Host": "localhost:8400"}, b"{}") for n in range(20)
    ]
    pool = tmp_path / "pool.requests"
    script = tmp_path / "pool.lua"
    fed.write_pool(pool, posts)
    script.write_text(fed.pool_script(pool))

    completed = subprocess.run(
        [
            str(shutil.which("wrk")),
            "--threads=1",
            "--connections=2",
            "--duration=1s",
            f"--script={script}",
            f"{sink_process.base_url}/inbox",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )

    result = load.parse_wrk_output(completed.stdout)
    reused = fed.parse_reused(completed.stdout)
    by_path = sink_process.stats(paths=True)["by_path"]
    assert result.errors == 0
    assert result.requests > 20
    assert set(by_path) == {f"/pool/{n}/inbox" for n in range(20)}
    # Past the pool's 20 requests, every one reused a request (and was reported as such).
    assert reused >= result.requests - 20 > 0


# --- The worker's counters ----------------------------------------------------------------------


def test_the_worker_reports_its_key_parses_and_tls_contexts() -> None:
    from fedisocial.celery import federation_counters

    counters = federation_counters(state=None)

    assert set(counters) == {"pid", "key_loads", "tls_contexts"}
    assert all(isinstance(value, int) for value in counters.values())
