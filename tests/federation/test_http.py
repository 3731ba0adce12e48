"""The outbound HTTP client against a real HTTP(S) server on the loopback interface.

No network mocks: refusals are proven by the server never seeing a connection, limits by a
server that misbehaves for real (slow, dripping, huge, compressed bombs).
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from federation import http as outbound
from federation.http import (
    AP_ACCEPT,
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    InvalidURLError,
    ResponseTooLargeError,
    fetch,
    get_client,
    is_address_allowed,
    post,
)

LOOPBACK = ["127.0.0.0/8", "::1/128"]


# --- A real server ---------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, tls: ssl.SSLContext | None) -> None:
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.sni: list[str | None] = []
        self.open_sockets: list[socket.socket] = []
        self.tls = tls
        super().__init__((host, 0), _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the handler thread, on first read, not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.connections += 1
            self.open_sockets.append(request)
        return True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (caps, timeouts, bad certificates) are expected."""

    def close_all(self) -> None:
        self.shutdown()
        self.server_close()
        for sock in self.open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse can be observed
    timeout = 10
    disable_nagle_algorithm = True  # else headers then body cost a 40 ms delayed ACK
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _serve(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        if self.server.tls is not None:
            assert isinstance(self.connection, ssl.SSLSocket)
            self.server.sni.append(getattr(self.connection, "sni", None))
        received = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        segments = parts.path.strip("/").split("/")
        try:
            self._route(segments, query, received)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _route(self, segments: list[str], query: dict[str, list[str]], received: bytes) -> None:
        match segments:
            case ["json"]:
                self._send(200, json.dumps({"id": "x", "type": "Note"}).encode())
            case ["array"]:
                self._send(200, b"[1, 2, 3]")
            case ["text"]:
                self._send(200, b"not json", "text/plain")
            case ["redirect", n] if int(n) > 0:
                self._send(302, b"", Location=f"/redirect/{int(n) - 1}")
            case ["redirect", "0"]:
                self._send(200, b'{"landed": true}')
            case ["redirect-to"]:
                self._send(302, b"", Location=query["url"][0])
            case ["status", code]:
                self._send(int(code), b"status body", "text/plain")
            case ["echo"]:
                echo = {
                    "method": self.command,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": received.decode(),
                }
                self._send(200, json.dumps(echo).encode())
            case ["gzip"]:
                self._send(200, gzip.compress(b'{"zipped": true}'), Content_Encoding="gzip")
            case ["gzip-bomb"]:
                bomb = gzip.compress(b"\0" * 8 * 1024 * 1024)
                self._send(200, bomb, Content_Encoding="gzip")
            case ["big-chunked"]:
                self._stream_chunked(chunk=b"x" * 65536, count=256, pause=0.01)
            case ["big-length"]:
                self.send_response(200)
                self.send_header("Content-Length", "2000000")
                self.end_headers()
                time.sleep(3)  # the client must refuse on the header, not wait for the body
                self.close_connection = True
            case ["slow"]:
                time.sleep(1.5)
                self._send(200, b"{}")
            case ["drip"]:
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b" ")
                    time.sleep(0.05)
            case ["inbox"]:
                self._send(202, b"accepted", "text/plain")
            case ["big-reply"]:
                self._send(200, b"y" * 200_000, "text/plain")
            case _:
                self._send(404, b"no route", "text/plain")

    def _stream_chunked(self, *, chunk: bytes, count: int, pause: float) -> None:
        """No Content-Length: only counting what arrives can enforce the cap."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(count):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            time.sleep(pause)
        self.wfile.write(b"0\r\n\r\n")


@dataclass
class Running:
    server: _Server
    scheme: str

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str, host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.server.server_address[0]}:{self.port}{path}"


@pytest.fixture
def start_server() -> Iterator[Callable[..., Running]]:
    started: list[_Server] = []

    def _start(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Running:
        server = _Server(host, tls)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return Running(server, "https" if tls else "http")

    yield _start
    for server in started:
        server.close_all()


@pytest.fixture
def server(start_server: Callable[..., Running]) -> Running:
    return start_server()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = LOOPBACK


# --- Address policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fec0::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "64:ff9b:1::1",
        "2002:a00:1::1",
        "2002:808:808::1",  # 6to4 is deprecated (RFC 7526) and never a server's address
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_address_allowed(ipaddress.ip_address(address), [])


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "2001:4860:4860::8888",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 to a public address: how an IPv6-only host reaches IPv4
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_address_allowed(ipaddress.ip_address(address), [])


@pytest.mark.parametrize(
    ("address", "networks", "allowed"),
    [
        ("127.0.0.1", ["127.0.0.0/8"], True),
        ("::ffff:127.0.0.1", ["127.0.0.0/8"], True),
        ("::1", ["127.0.0.0/8"], False),
        ("10.0.0.1", ["127.0.0.0/8"], False),
        ("10.1.2.3", ["10.1.0.0/16"], True),
        ("fd00::5", ["fd00::/8"], True),
        ("192.168.1.1", [ipaddress.ip_network("192.168.0.0/16")], True),
    ],
)
def test_allowed_private_networks_are_honoured(
    address: str, networks: list[Any], allowed: bool
) -> None:
    assert is_address_allowed(ipaddress.ip_address(address), networks) is allowed


# --- Refusals: nothing reaches the server ---------------------------------------------------


def test_loopback_ip_is_refused_without_a_connection(settings: Any, server: Running) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = []

    with pytest.raises(BlockedAddressError):
        fetch(server.url("/json"))
    with pytest.raises(BlockedAddressError):
        post(server.url("/inbox"), body=b"{}", headers={})

    assert server.server.connections == 0
    assert server.server.requests == 0


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "017700000001",
        "0.0.0.0",  # noqa: S104 - a spelling under test, not a bind
        "[::1]",
        "[::ffff:127.0.0.1]",
    ],
)
def test_other_spellings_of_loopback_are_refused(settings: Any, server: Running, host: str) -> None:
    """Names and odd IPv4 notations are judged by what they resolve to, not by how they look."""
    settings.ALLOWED_PRIVATE_NETWORKS = []

    with pytest.raises(BlockedAddressError):
        fetch(server.url("/json", host=host))

    assert server.server.connections == 0


def test_redirect_to_a_refused_address_is_not_followed(
    settings: Any, start_server: Callable[..., Running]
) -> None:
    allowed = start_server("127.0.0.1")
    try:
        target = start_server("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    blocked_url = target.url("/json")

    with pytest.raises(BlockedAddressError):
        fetch(allowed.url(f"/redirect-to?url={blocked_url}"))

    assert allowed.server.requests == 1
    assert target.server.connections == 0


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "gopher://127.0.0.1/", "not a url", "http:///x"],
)
def test_non_http_urls_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(InvalidURLError):
        fetch(url)


def test_urls_with_credentials_are_refused() -> None:
    with pytest.raises(InvalidURLError):
        fetch("http://user:secret@127.0.0.1/")


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://x/"])
def test_redirect_to_a_non_http_scheme_is_refused(server: Running, location: str) -> None:
    with pytest.raises(InvalidURLError):
        fetch(server.url(f"/redirect-to?url={location}"))

    assert server.server.requests == 1


# --- Fetching --------------------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_fetch_returns_a_json_object(server: Running) -> None:
    result = fetch(server.url("/json"))

    assert result.status == 200
    assert result.url == server.url("/json")
    assert result.json() == {"id": "x", "type": "Note"}


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("path", ["/array", "/text"])
def test_json_must_be_an_object(server: Running, path: str) -> None:
    with pytest.raises(FetchError):
        fetch(server.url(path)).json()


@pytest.mark.usefixtures("allow_loopback")
def test_redirects_are_followed_and_the_final_url_returned(server: Running) -> None:
    result = fetch(server.url("/redirect/3"))

    assert result.url == server.url("/redirect/0")
    assert result.json() == {"landed": True}
    assert server.server.requests == 4


@pytest.mark.usefixtures("allow_loopback")
def test_final_url_reports_a_cross_origin_redirect(server: Running) -> None:
    elsewhere = server.url("/json", host="localhost")

    result = fetch(server.url(f"/redirect-to?url={elsewhere}"))

    assert result.url == elsewhere


@pytest.mark.usefixtures("allow_loopback")
def test_more_than_three_redirects_fail(server: Running) -> None:
    with pytest.raises(FetchError, match="redirects"):
        fetch(server.url("/redirect/4"))

    assert server.server.requests == 4


@pytest.mark.usefixtures("allow_loopback")
@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_error_statuses_raise_with_the_status(server: Running, status: int) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        fetch(server.url(f"/status/{status}"))

    assert caught.value.status == status


@pytest.mark.usefixtures("allow_loopback")
def test_each_hop_is_signed_and_headers_are_sent(server: Running) -> None:
    calls: list[tuple[str, str, dict[str, str]]] = []

    def sign(method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        calls.append((method, url, headers))
        return {"Signature": f"signed {url}", "Date": "Mon, 01 Jan 2024 00:00:00 GMT"}

    result = fetch(server.url("/redirect-to?url=/echo"), sign=sign)

    echo = result.json()
    assert [(m, u) for m, u, _ in calls] == [
        ("GET", server.url("/redirect-to?url=/echo")),
        ("GET", server.url("/echo")),
    ]
    assert calls[0][2]["Accept"] == AP_ACCEPT
    assert echo["headers"]["signature"] == f"signed {server.url('/echo')}"
    assert echo["headers"]["accept"] == AP_ACCEPT
    assert echo["headers"]["user-agent"] == outbound.user_agent()
    assert outbound.user_agent().startswith("Fedisocial/")


@pytest.mark.usefixtures("allow_loopback")
def test_gzip_bodies_are_decoded(server: Running) -> None:
    assert fetch(server.url("/gzip")).json() == {"zipped": True}


# --- Limits ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_streamed_body_over_the_cap_is_cut_as_soon_as_it_passes(server: Running) -> None:
    started = time.monotonic()

    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/big-chunked"))

    # The server would take 2.5 s or more to send its 16 MiB; the cap falls after ~17 chunks.
    assert time.monotonic() - started < 2.0


@pytest.mark.usefixtures("allow_loopback")
def test_max_bytes_can_be_chosen(server: Running) -> None:
    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/big-chunked"), max_bytes=100_000)
    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/json"), max_bytes=10)


@pytest.mark.usefixtures("allow_loopback")
def test_content_length_over_the_cap_is_refused_before_the_body(server: Running) -> None:
    started = time.monotonic()

    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/big-length"))

    assert time.monotonic() - started < 1.0


@pytest.mark.usefixtures("allow_loopback")
def test_gzip_bomb_is_capped_after_decompression(server: Running) -> None:
    with pytest.raises(ResponseTooLargeError):
        fetch(server.url("/gzip-bomb"))


@pytest.mark.usefixtures("allow_loopback")
def test_slow_answer_times_out(server: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.2)

    with pytest.raises(FetchTimeoutError):
        fetch(server.url("/slow"))


@pytest.mark.usefixtures("allow_loopback")
def test_total_deadline_cuts_a_read_short(server: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.3)
    started = time.monotonic()

    with pytest.raises(FetchTimeoutError):
        fetch(server.url("/slow"))

    assert time.monotonic() - started < 1.0


@pytest.mark.usefixtures("allow_loopback")
def test_total_deadline_covers_a_dripping_body(
    server: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.5)
    started = time.monotonic()

    with pytest.raises(FetchTimeoutError):
        fetch(server.url("/drip"))

    # Each byte comes well within the read timeout; only the deadline stops it (5 s in all).
    assert time.monotonic() - started < 1.5


# --- Posting ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_post_delivers_and_reports_the_status(server: Running) -> None:
    result = post(
        server.url("/echo"),
        body=b'{"type": "Follow"}',
        headers={"Content-Type": "application/activity+json", "Signature": "sig"},
    )

    echo = json.loads(result.text)
    assert result.ok
    assert echo["method"] == "POST"
    assert echo["body"] == '{"type": "Follow"}'
    assert echo["headers"]["signature"] == "sig"
    assert post(server.url("/inbox"), body=b"{}", headers={}).status == 202


@pytest.mark.usefixtures("allow_loopback")
def test_post_never_follows_a_redirect(server: Running) -> None:
    result = post(server.url("/redirect-to?url=/inbox"), body=b"{}", headers={})

    assert result.status == 302
    assert server.server.requests == 1


@pytest.mark.usefixtures("allow_loopback")
def test_post_keeps_only_the_start_of_a_long_answer(server: Running) -> None:
    result = post(server.url("/big-reply"), body=b"{}", headers={})

    assert result.status == 200
    assert len(result.text) == outbound.POST_RESPONSE_BYTES


# --- One client per process ------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_client_and_tls_context_are_reused(server: Running) -> None:
    client = get_client()
    contexts = outbound.tls_contexts_created()

    for _ in range(20):
        fetch(server.url("/json"))

    assert get_client() is client
    assert outbound.tls_contexts_created() == contexts
    # Keep-alive: the twenty requests shared one connection.
    assert server.server.connections == 1


def test_a_forked_child_gets_its_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = get_client()
    contexts = outbound.tls_contexts_created()
    # What a child sees after fork: a client built under another pid.
    monkeypatch.setattr(outbound, "_current", outbound._ProcessClient(pid=-1, client=parent))

    child = get_client()

    assert child is not parent
    assert get_client() is child
    assert outbound.tls_contexts_created() == contexts + 1
    child.close()


# --- TLS -------------------------------------------------------------------------------------


def _certificate_pair(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A throwaway CA and a certificate for DNS:localhost only (no IP), as a test network's."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = directory / "server.pem"
    cert_file.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file)

    def remember_sni(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: Any) -> None:
        sock.sni = name  # type: ignore[union-attr]

    server_context.sni_callback = remember_sni
    return ca_file, server_context


@pytest.fixture
def fresh_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A client built for this test (it reads SSL_CERT_FILE), the process's one put back after."""
    monkeypatch.setattr(outbound, "_current", None)
    yield
    if outbound._current is not None:
        outbound._current.client.close()


def test_tls_trusts_ssl_cert_file_and_verifies_the_hostname(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    start_server: Callable[..., Running],
    fresh_client: None,
) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = LOOPBACK
    ca_file, server_context = _certificate_pair(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    tls = start_server(tls=server_context)
    plain = start_server()

    result = fetch(tls.url("/json", host="localhost"))

    assert result.json() == {"id": "x", "type": "Note"}
    # Connected to a checked IP, yet SNI and verification used the URL's hostname.
    assert tls.server.sni == ["localhost"]
    with pytest.raises(FetchError):  # the certificate does not name 127.0.0.1
        fetch(tls.url("/json"))
    with pytest.raises(InvalidURLError):  # https must not be downgraded by a redirect
        fetch(tls.url(f"/redirect-to?url={plain.url('/json')}", host="localhost"))
    assert plain.server.connections == 0
    assert outbound.tls_contexts_created() >= 1
    assert isinstance(get_client(), httpx.Client)
