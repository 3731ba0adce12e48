"""A local inbox sink for the federation keys of ``make bench``: a small ASGI app (uvicorn with
httptools and uvloop, one process) on 127.0.0.1 that answers every POST with 202 and counts it
by path, so the harness can tell how many deliveries arrived and where.

It has to be fast enough never to be what a delivery run measures: it does no more than read
the body and count. Signatures are checked on a sample only (the first ``VERIFY_FIRST`` signed
POSTs, then one in ``VERIFY_EVERY``), against the keys the harness registers: a delivery whose
signature a real server would refuse must not be counted as a success, but verifying every
one would slow the sink down for the signed run only and bias the ratio to the plain one.

    python -m fedisocial.bench.sink --port 8410

``GET /_sink/stats`` answers the counters as JSON (``?paths=1`` adds the count per path),
``POST /_sink/keys`` registers ``{"<keyId>": "<public key PEM>"}``. The harness starts it in
its own process group and stops it at the end of each experiment that uses it
(``SinkProcess``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fedisocial.bench.environment import BenchEnvironment, choose_port
from fedisocial.bench.processes import ManagedProcess

STATS_PATH = "/_sink/stats"
KEYS_PATH = "/_sink/keys"
VERIFY_FIRST = 50
VERIFY_EVERY = 100
START_TIMEOUT_S = 30.0
PREFERRED_PORT = 8410

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class SinkStats:
    """What the sink has received since it started."""

    posts: Counter[str] = field(default_factory=Counter)  # by path
    body_bytes: int = 0
    signed: int = 0  # POSTs with a Signature header
    verified: int = 0  # of the sample checked, signatures that verify
    invalid: list[str] = field(default_factory=list)  # why the others did not (at most 20)

    def as_json(self, *, paths: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "posts": sum(self.posts.values()),
            "paths": len(self.posts),
            "body_bytes": self.body_bytes,
            "signed": self.signed,
            "verified": self.verified,
            "invalid": len(self.invalid),
            "invalid_reasons": self.invalid[:5],
        }
        if paths:
            data["by_path"] = dict(self.posts)
        return data


class SinkApp:
    """The ASGI application: POST anything -> 202, plus the two ``/_sink/`` endpoints."""

    def __init__(self) -> None:
        self.stats = SinkStats()
        self.keys: dict[str, Any] = {}  # keyId -> parsed public key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await _read_body(receive)
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == KEYS_PATH:
            await _answer(send, 200, self.register_keys(body))
        elif method == "POST":
            self.count(scope, path, body)
            await _answer(send, 202, b"")
        elif method == "GET" and path == STATS_PATH:
            paths = b"paths=1" in scope.get("query_string", b"")
            await _answer(send, 200, json.dumps(self.stats.as_json(paths=paths)).encode())
        else:
            await _answer(send, 404, b"")

    def register_keys(self, body: bytes) -> bytes:
        from federation.signatures import load_public_key

        for key_id, pem in json.loads(body).items():
            self.keys[key_id] = load_public_key(pem)
        return json.dumps({"keys": len(self.keys)}).encode()

    def count(self, scope: Scope, path: str, body: bytes) -> None:
        stats = self.stats
        stats.posts[path] += 1
        stats.body_bytes += len(body)
        headers = scope["headers"]
        if not any(name == b"signature" for name, _ in headers):
            return
        stats.signed += 1
        if stats.signed <= VERIFY_FIRST or stats.signed % VERIFY_EVERY == 0:
            reason = self.verify(scope, body)
            if reason is None:
                stats.verified += 1
            elif len(stats.invalid) < 20:
                stats.invalid.append(reason)

    def verify(self, scope: Scope, body: bytes) -> str | None:
        """None when the request's signature (and digest) is one a receiving server accepts,
        else why not."""
        from federation import signatures

        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        target = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        try:
            parsed = signatures.parse_signature(
                method=scope["method"],
                target=target,
                headers=signatures.header_map(headers),
                scheme="http",
            )
            signatures.check_freshness(parsed)
            signatures.check_digest(signatures.header_map(headers), body, parsed=parsed)
        except signatures.SignatureError as exc:
            return exc.reason
        key = self.keys.get(parsed.key_id)
        if key is None:
            return f"unknown key {parsed.key_id}"
        return None if parsed.verify(key) else "signature does not verify"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# --- The harness's side ----------------------------------------------------------------------


class SinkError(RuntimeError):
    pass


@dataclass
class SinkClient:
    """Talks to a running sink (stdlib only: the harness's own HTTP)."""

    base_url: str

    def stats(self, *, paths: bool = False) -> dict[str, Any]:
        url = f"{self.base_url}{STATS_PATH}" + ("?paths=1" if paths else "")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            data: dict[str, Any] = json.loads(response.read())
        return data

    def register_keys(self, keys: dict[str, str]) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{self.base_url}{KEYS_PATH}", data=json.dumps(keys).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def wait_until_up(self, check_alive: Callable[[], None], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            check_alive()
            try:
                self.stats()
                return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SinkError(f"the sink did not answer {self.base_url} within {timeout:.0f} s")
            time.sleep(0.1)


@contextmanager
def running_sink(env: BenchEnvironment) -> Iterator[SinkClient]:
    """A sink on a free port (PREFERRED_PORT when it is free) for the ``with`` block; stopped
    (its whole process group) when the block ends, however it ends."""
    port = choose_port(PREFERRED_PORT)
    process = ManagedProcess(
        "inbox sink",
        [sys.executable, "-m", "fedisocial.bench.sink", "--port", str(port)],
        env.log_dir / "sink.log",
    )
    try:
        process.start(env.process_environment())
        client = SinkClient(f"http://127.0.0.1:{port}")
        client.wait_until_up(process.check_alive, START_TIMEOUT_S)
        yield client
    finally:
        process.stop()


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The benchmark's inbox sink.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    uvicorn.run(
        SinkApp(),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        workers=1,  # not WEB_CONCURRENCY from the bench environment (that is gunicorn's)
        access_log=False,
        log_level="warning",
        # The worker's pool keeps connections for 15 s between runs; never close them first.
        timeout_keep_alive=60,
    )


if __name__ == "__main__":
    main()
