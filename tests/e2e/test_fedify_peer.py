"""Federation with an implementation that is not ours: a small peer built on Fedify (npm
``@fedify/fedify``, ``tests/peers/fedify/``), run by Node beside one of our live servers.

The peer checks HTTP Signatures on everything posted to its inbox (Fedify's default) and fetches
our actors and keys to do so; we check its signatures and fetch its actor. Follows go both ways
and posts travel both ways, each observed where a user (or the peer's test endpoint) would see it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.e2e.conftest import (
    BASE_DIR,
    Provisioner,
    ServerProcess,
    free_port,
    report_log_on_failure,
    start_server,
)

pytestmark = pytest.mark.e2e

PEER_DIR = BASE_DIR / "tests" / "peers" / "fedify"
TIMEOUT = 40.0
# Retries start after a second instead of a minute, so a delivery that raced a fetch recovers.
SERVER_ENV = {"FEDERATION_RETRY_BASE_SECONDS": "1"}


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Deliveries are asynchronous on both sides: poll until it has happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.25)


def install_peer() -> None:
    """``npm ci`` once per checkout: npm writes node_modules/.package-lock.json last, so its
    absence means a missing or interrupted install."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the Fedify peer (tests/peers/fedify)")
    if (PEER_DIR / "node_modules" / ".package-lock.json").is_file():
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=PEER_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"npm ci failed in {PEER_DIR}:\n{result.stdout}\n{result.stderr}")


class FedifyPeer:
    """The Node process serving ``peer@localhost:<port>``, and its test-only endpoints."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.handle = f"peer@localhost:{self.port}"
        self.actor = f"{self.url}/users/peer"
        self.log_path = root / "peer.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = {**os.environ, "PORT": str(self.port)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["node", "peer.mjs"], cwd=PEER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Fedify peer exited while starting:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/_test/inbox", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Fedify peer did not answer in time:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_test/inbox", timeout=10.0).json()

    def command(self, name: str, **payload: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/_test/{name}", json=payload, timeout=60.0)
        assert response.status_code == 200, f"peer /_test/{name}: {response.text}"
        return response.json()

    def received(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        """Activities of this type that passed the peer's verification and reached a listener."""
        return [
            entry
            for entry in self.state()["accepted"]
            if entry["type"] == kind and all(entry.get(k) == v for k, v in match.items())
        ]

    def assert_http_signed(self, activity_id: str, actor: str) -> None:
        """The POST that carried the activity was taken (202) on the strength of its HTTP
        Signature, made with the actor's key: it had no LD signature or proof to go by instead."""
        delivery = next((d for d in self.state()["deliveries"] if d["id"] == activity_id), None)
        assert delivery is not None, f"no POST carried {activity_id}"
        assert delivery["status"] == 202, delivery
        assert not delivery["ldSignature"], delivery
        assert not delivery["proof"], delivery
        assert (delivery["keyId"] or "").startswith(actor), delivery

    def log_tail(self, lines: int = 200) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no peer log)"
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    install_peer()
    peer = FedifyPeer(tmp_path_factory.mktemp("fedify-peer"))
    peer.start()
    try:
        server = start_server(tmp_path_factory.mktemp("fedify-ours"), extra_env=SERVER_ENV)
    except BaseException:
        peer.stop()
        raise
    failed_before = request.session.testsfailed
    try:
        token = Provisioner(server).user("alice")
        alice = Mastodon(access_token=token, api_base_url=server.url)
        yield {"peer": peer, "server": server, "alice": alice, "me": alice.me()}
    finally:
        report_log_on_failure(request, server, failed_before)
        if request.session.testsfailed > failed_before:
            print(f"\n--- Fedify peer log ({peer.log_path}):\n{peer.log_tail()}", file=sys.stderr)
        peer.stop()
        server.cleanup()


def alice_uri(server: ServerProcess) -> str:
    finger = httpx.get(
        f"{server.url}/.well-known/webfinger",
        params={"resource": f"acct:alice@localhost:{server.port}"},
    )
    assert finger.status_code == 200, finger.text
    return next(link["href"] for link in finger.json()["links"] if link["rel"] == "self")


def test_the_peer_refuses_unsigned_activities(world: dict[str, Any]) -> None:
    """The peer's verification is really on: the later checks mean something."""
    peer: FedifyPeer = world["peer"]
    response = httpx.post(
        f"{peer.actor}/inbox",
        json={
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "http://localhost:1/forged",
            "type": "Follow",
            "actor": "http://localhost:1/users/mallory",
            "object": peer.actor,
        },
        headers={"Content-Type": "application/activity+json"},
    )
    assert response.status_code == 401
    assert not peer.received("Follow", id="http://localhost:1/forged")


def test_the_peer_follows_alice_and_gets_our_signed_accept(world: dict[str, Any]) -> None:
    peer: FedifyPeer = world["peer"]
    server: ServerProcess = world["server"]
    alice: Mastodon = world["alice"]
    alice_actor = alice_uri(server)

    sent = peer.command("follow", handle=f"alice@localhost:{server.port}")
    assert sent["target"] == alice_actor

    notification = wait_for(
        lambda: alice.notifications(types=["follow"]),
        "alice is told the peer follows her",
    )[0]
    assert notification.account.acct == peer.handle
    follower_ids = [a.acct for a in alice.account_followers(world["me"].id)]
    assert follower_ids == [peer.handle]

    accept = wait_for(
        lambda: peer.received("Accept", actor=alice_actor),
        "our Accept reaches the peer and passes its signature check",
    )[0]
    assert accept["object"] == sent["follow"]
    peer.assert_http_signed(accept["id"], alice_actor)
    assert peer.state()["following"][alice_actor] == "accepted"


def test_alices_public_post_reaches_the_peer(world: dict[str, Any]) -> None:
    peer: FedifyPeer = world["peer"]
    server: ServerProcess = world["server"]
    alice: Mastodon = world["alice"]
    status = alice.status_post("Hello Fedify, from Fedisocial")

    create = wait_for(
        lambda: peer.received("Create", actor=alice_uri(server)),
        "alice's Create reaches the peer, signature verified",
    )[0]
    note = create["json"]["object"]
    assert note["type"] == "Note"
    assert note["id"] == status.uri
    assert "Hello Fedify, from Fedisocial" in note["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" in [
        *create["json"].get("to", []),
        *create["json"].get("cc", []),
    ]
    peer.assert_http_signed(create["id"], alice_uri(server))


def test_alice_follows_the_peer(world: dict[str, Any]) -> None:
    peer: FedifyPeer = world["peer"]
    alice: Mastodon = world["alice"]

    accounts = alice.search_v2(peer.handle, resolve=True, result_type="accounts").accounts
    assert [a.acct for a in accounts] == [peer.handle]
    remote = accounts[0]
    assert remote.display_name == "Fedify peer"

    alice.account_follow(remote.id)
    follow = wait_for(
        lambda: peer.received("Follow", object=peer.actor),
        "alice's Follow reaches the peer, signature verified",
    )[0]
    assert follow["actor"] == alice_uri(world["server"])
    peer.assert_http_signed(follow["id"], follow["actor"])
    wait_for(
        lambda: alice.account_relationships(remote.id)[0].following,
        "the peer's Accept reaches us and alice follows the peer",
    )


def test_the_peers_post_lands_in_alices_home(world: dict[str, Any]) -> None:
    peer: FedifyPeer = world["peer"]
    alice: Mastodon = world["alice"]
    assert alice_uri(world["server"]) in peer.state()["followers"]

    sent = peer.command("post", content="<p>Greetings from a Fedify peer</p>")
    status = wait_for(
        lambda: [s for s in alice.timeline_home(limit=40) if s.uri == sent["note"]],
        "the peer's Note lands in alice's home timeline",
    )[0]
    assert "Greetings from a Fedify peer" in status.content
    assert status.account.acct == peer.handle
    assert status.visibility == "public"
