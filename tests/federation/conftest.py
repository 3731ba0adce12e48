"""Fixtures for federation tests: remote actors whose keys the test holds, signed requests, and a
real HTTP server on loopback standing in for another server (no network mocks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from accounts.models import Account
from federation.signatures import sign_request
from tests.factories.accounts import RemoteAccountFactory


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    public_pem: str


@pytest.fixture(scope="session")
def remote_key() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(key, pem)


@pytest.fixture(scope="session")
def other_key() -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(key, pem)


@pytest.fixture
def make_remote(remote_key: KeyPair, db: None) -> Callable[..., Account]:
    """``make_remote("bob", domain="remote.example")``: a stored remote actor (fresh, so it
    is never fetched) whose key is ``remote_key``."""

    def _make(username: str = "bob", *, domain: str = "remote.example", **fields: Any) -> Account:
        uri = f"https://{domain}/users/{username}"
        values: dict[str, Any] = {
            "username": username,
            "domain": domain,
            "uri": uri,
            "url": f"https://{domain}/@{username}",
            "inbox_url": f"{uri}/inbox",
            "shared_inbox_url": f"https://{domain}/inbox",
            "followers_url": f"{uri}/followers",
            "key_id": f"{uri}#main-key",
            "public_key": remote_key.public_pem,
            "fetched_at": timezone.now(),
        }
        values.update(fields)
        return RemoteAccountFactory(**values)

    return _make


def signed_post(
    body: dict[str, Any] | bytes,
    *,
    key: rsa.RSAPrivateKey,
    key_id: str,
    url: str = "http://testserver/inbox",
    now: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and the headers a remote server would send with it (Django test-client style
    ``HTTP_*`` names are made by the caller)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = sign_request(
        method="POST",
        url=url,
        body=raw,
        key_id=key_id,
        private_key=key,
        headers={"Content-Type": "application/activity+json"},
        now=now,
    )
    headers["Content-Type"] = "application/activity+json"
    return raw, headers


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Headers as Django test-client keyword arguments."""
    meta = {}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            meta["content_type"] = value
        elif key == "HOST":
            meta["HTTP_HOST"] = value
        else:
            meta[f"HTTP_{key}"] = value
    return meta


# --- A real server on loopback ----------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeRemote:
    """A threaded HTTP server: serves ``documents`` by path (JSON), answers POSTs with
    ``post_status`` (a fixed code, or a list consumed in order) and records every request."""

    base_url: str = ""
    documents: dict[str, Any] = field(default_factory=dict)
    post_status: int | list[int] = 202
    received: list[Received] = field(default_factory=list)

    def posts(self, path: str | None = None) -> list[Received]:
        return [r for r in self.received if r.method == "POST" and (path is None or r.path == path)]


@pytest.fixture
def fake_remote(settings: Any) -> Iterator[FakeRemote]:
    remote = FakeRemote()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _record(self, body: bytes) -> None:
            with lock:
                remote.received.append(
                    Received(self.command, self.path, dict(self.headers.items()), body)
                )

        def do_GET(self) -> None:
            self._record(b"")
            document = remote.documents.get(self.path.split("?", 1)[0])
            if document is None:
                self._send(404, b"{}")
            else:
                self._send(200, json.dumps(document).encode(), "application/activity+json")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            self._record(body)
            with lock:
                status = remote.post_status
                if isinstance(status, list):
                    status = status.pop(0) if len(status) > 1 else status[0]
            self._send(status, b"")

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    remote.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield remote
    finally:
        server.shutdown()
        server.server_close()
