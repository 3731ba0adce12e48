"""The server's one outbound HTTP client for federation: actors, objects, WebFinger, deliveries.

Everything a remote server sends is hostile, and the URLs we are asked to fetch come from remote
servers too, so this module is where SSRF is stopped and remote resources are bounded:

- every TCP connection goes through ``transport.GuardedBackend``, an httpcore network backend
  that resolves the host itself, refuses the connection when any resolved address is not
  public (unless ``settings.ALLOWED_PRIVATE_NETWORKS`` allows it) and connects to the address
  it checked. The check sits below httpx, so it covers redirects, reconnections and DNS
  answers that change between requests (rebinding) alike; TLS still verifies the certificate
  against the hostname.
- timeouts as Mastodon's ``Request``: 5 s to connect, 10 s per read or write, 30 s in all for one
  call, redirects and body included (the total is a deadline that each socket read honours);
- bodies are streamed and capped (1 MiB by default), decompressed by us with a bounded output so a
  gzip bomb costs no more memory than the cap;
- redirects are followed by ``fetch`` only (three at most, http/https only, no https → http), and
  the final URL is returned so the caller can check the origin of the document it got.

One ``httpx.Client`` (with one TLS context) is kept per process: building either costs tens of
milliseconds, and a delivery burst reuses pooled keep-alive connections. httpx itself (and the
transport in ``federation.transport``) is imported on first use: most web processes never make
an outbound request, and every module imported before forking counts in each worker's memory.
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import os
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import certifi
from django.conf import settings

if TYPE_CHECKING:
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# sign(method, url, headers) -> headers to add (Date, Signature...); called once per request sent.
Signer = Callable[[str, str, dict[str, str]], dict[str, str]]

# Mastodon's own value (app/helpers/jsonld_helper.rb, build_request): every implementation
# answers it with ActivityStreams JSON.
AP_ACCEPT = "application/activity+json, application/ld+json"

MAX_RESPONSE_BYTES = 1_048_576
POST_RESPONSE_BYTES = 65_536
MAX_REDIRECTS = 3
# Read at call time, so tests (and callers with other needs) can lower them.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


# --- Errors ---------------------------------------------------------------------------------


class FetchError(Exception):
    """A remote resource could not be had; callers catch this one class."""


class InvalidURLError(FetchError):
    """The URL is malformed, not http(s), or carries credentials."""


class BlockedAddressError(FetchError):
    """The host resolves to an address this server must not reach (loopback, private...)."""


class ResponseTooLargeError(FetchError):
    """The body (after decompression) passed the size cap."""


class FetchTimeoutError(FetchError):
    """Connecting, a read, or the whole call took too long."""


class HTTPStatusError(FetchError):
    """A non-2xx answer to ``fetch``: 404 and 410 mean gone, 5xx and 429 mean try later."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.url = url


# --- Results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # the final URL, after redirects: the origin the content really came from
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; anything else (array, scalar, invalid) is a FetchError
        because every ActivityPub document and JRD is an object."""
        try:
            data = json.loads(self.content)
        except (ValueError, RecursionError) as exc:
            raise FetchError(f"invalid JSON from {self.url}") from exc
        if not isinstance(data, dict):
            raise FetchError(f"JSON from {self.url} is not an object")
        return data


@dataclass(frozen=True, slots=True)
class PostResult:
    url: str
    status: int
    headers: httpx.Headers
    text: str  # at most POST_RESPONSE_BYTES of the body, for logs

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


# --- Address policy -------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _parse_networks(networks: tuple[str | IPNetwork, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def _is_public(ip: IPAddress) -> bool:
    # is_global alone lets multicast (224/4, ff00::/8) and a few reserved ranges through.
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return False
    return not (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address leads to through a transition mechanism (a 6to4 relay,
    a Teredo peer, the deprecated IPv4-compatible form). Python 3.13 already counts these
    prefixes as non-global; checking what they embed keeps the rule if that ever changes."""
    found: list[ipaddress.IPv4Address] = []
    if ip in _IPV4_COMPATIBLE:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def is_address_allowed(ip: IPAddress, allowed_networks: Iterable[str | IPNetwork] = ()) -> bool:
    """Whether this server may open a connection to ``ip``.

    Public unicast addresses are allowed; loopback, private, link-local, CGNAT, unspecified,
    multicast and reserved ones are not, nor IPv6 addresses that embed such an IPv4 address
    (mapped, compatible, NAT64, 6to4, Teredo) — unless the address is inside one of
    ``allowed_networks`` (a test network, or a development server talking to itself).
    """
    nets = _parse_networks(tuple(allowed_networks))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # A dual-stack socket reaches ::ffff:a.b.c.d at a.b.c.d: judge the IPv4 address.
        ip = ip.ipv4_mapped

    def ok(address: IPAddress) -> bool:
        return any(address in net for net in nets) or _is_public(address)

    if any(ip in net for net in nets):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_WELL_KNOWN:
            # Python counts the prefix as reserved (it lies in ::/8), but on an IPv6-only host
            # DNS64 answers it for every IPv4-only server: judge the IPv4 address it carries.
            return ok(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return ok(ip) and all(ok(v4) for v4 in _embedded_ipv4(ip))
    return ok(ip)


# --- Network backend: the address check and the deadline ------------------------------------

# The deadline (time.monotonic()) of the fetch/post running in this thread, if any.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "fedisocial_http_deadline", default=None
)


# --- The per-process client -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ProcessClient:
    pid: int
    client: httpx.Client


_lock = threading.Lock()
_current: _ProcessClient | None = None
_tls_contexts_created = 0


def _reinit_lock_after_fork() -> None:
    # Another thread may have held the lock at fork time; the child would wait for it forever.
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_reinit_lock_after_fork)


def tls_contexts_created() -> int:
    """How many TLS contexts this module has built (once per process when all is well)."""
    return _tls_contexts_created


def _build_ssl_context() -> ssl.SSLContext:
    """Trust SSL_CERT_FILE / SSL_CERT_DIR when set (a test network with its own CA), else
    certifi's bundle, so verification does not depend on the image's CA package."""
    global _tls_contexts_created
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        cafile = certifi.where()
    context = ssl.create_default_context(cafile=cafile, capath=capath)
    _tls_contexts_created += 1
    return context


def user_agent() -> str:
    return (
        f"Fedisocial/{settings.FEDISOCIAL_VERSION} "
        f"(+{settings.LOCAL_SCHEME}://{settings.LOCAL_DOMAIN}/)"
    )


def _build_client() -> httpx.Client:
    import httpx

    from federation.transport import LIMITS, GuardedTransport

    return httpx.Client(
        transport=GuardedTransport(_build_ssl_context(), LIMITS),
        # Only gzip: it is the one encoding _read_body decodes with a bounded output.
        headers={"User-Agent": user_agent(), "Accept-Encoding": "gzip"},
        follow_redirects=False,
        # No proxies or .netrc from the environment: a proxy would connect for us, unchecked.
        trust_env=False,
    )


def get_client() -> httpx.Client:
    """The process's client, created on first use and again in a forked child (a pooled
    connection or TLS state shared with the parent would interleave bytes on one socket)."""
    global _current
    current, pid = _current, os.getpid()
    if current is not None and current.pid == pid:
        return current.client
    with _lock:
        if _current is None or _current.pid != pid:
            _current = _ProcessClient(pid, _build_client())
        return _current.client


# --- Requests -------------------------------------------------------------------------------


def _check_url(url: str | httpx.URL) -> httpx.URL:
    import httpx

    """Refuse before connecting what is not a plain http(s) URL with a host."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise InvalidURLError(f"invalid URL: {url!r}") from exc
    if parsed.scheme not in {"http", "https"}:
        raise InvalidURLError(f"not an http(s) URL: {url!r}")
    if not parsed.host:
        raise InvalidURLError(f"URL has no host: {url!r}")
    if parsed.userinfo:
        raise InvalidURLError(f"URL carries credentials: {url!r}")
    return parsed


def _timeouts(deadline: float) -> httpx.Timeout:
    import httpx

    remaining = max(deadline - time.monotonic(), 0.001)
    return httpx.Timeout(
        connect=min(CONNECT_TIMEOUT, remaining),
        read=READ_TIMEOUT,
        write=READ_TIMEOUT,
        pool=min(CONNECT_TIMEOUT, remaining),
    )


def _check_deadline(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise FetchTimeoutError("total time limit exceeded")


def _read_body(
    response: httpx.Response, max_bytes: int, deadline: float, *, truncate: bool = False
) -> bytes:
    """Up to ``max_bytes`` of the decoded body. Past the cap: ResponseTooLargeError, or the
    first ``max_bytes`` when ``truncate``. Decompressing with ``max_length`` keeps a gzip bomb
    from inflating a whole network read in memory as httpx's decoder would."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in {"gzip", "x-gzip"}:
        decoder = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib framing
    elif encoding in {"", "identity"}:
        decoder = None
    else:
        raise FetchError(f"unsupported content-encoding {encoding!r}")
    body = bytearray()

    def add(data: bytes) -> bool:
        """Append, and say whether the cap was passed."""
        body.extend(data)
        if len(body) <= max_bytes:
            return False
        if truncate:
            del body[max_bytes:]
            return True
        raise ResponseTooLargeError(f"response from {response.url} exceeds {max_bytes} bytes")

    try:
        for raw in response.iter_raw():
            _check_deadline(deadline)
            if decoder is None:
                if add(raw):
                    return bytes(body)
                continue
            data = raw
            while data:
                if add(decoder.decompress(data, max_bytes - len(body) + 1)):
                    return bytes(body)
                data = decoder.unconsumed_tail
        if decoder is not None:
            add(decoder.flush())
    except zlib.error as exc:
        raise FetchError(f"invalid gzip body from {response.url}") from exc
    return bytes(body)


def _too_large_by_length(response: httpx.Response, max_bytes: int) -> bool:
    try:
        return int(response.headers.get("content-length", "0")) > max_bytes
    except ValueError:
        return False


def _transport_error(exc: httpx.HTTPError | httpx.InvalidURL, url: httpx.URL) -> FetchError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeoutError(f"timed out on {url}: {exc}")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return InvalidURLError(f"invalid URL {url}: {exc}")
    return FetchError(f"request to {url} failed: {exc.__class__.__name__}: {exc}")


def fetch(
    url: str,
    *,
    accept: str = AP_ACCEPT,
    sign: Signer | None = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> FetchResult:
    """GET a remote document, following up to MAX_REDIRECTS redirects ourselves.

    Each hop is re-validated and re-signed (a signature names the host and path it was made
    for). The result carries the final URL: ActivityPub trusts a document's ``id`` only when
    it shares the origin it was actually fetched from. Non-2xx answers raise HTTPStatusError.
    """
    import httpx

    deadline = time.monotonic() + TOTAL_TIMEOUT
    token = _deadline.set(deadline)
    try:
        current = _check_url(url)
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"Accept": accept}
            if sign is not None:
                headers.update(sign("GET", str(current), dict(headers)))
            try:
                with get_client().stream(
                    "GET", current, headers=headers, timeout=_timeouts(deadline)
                ) as response:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in _REDIRECT_STATUSES and location:
                        current = _redirect_target(current, location)
                        continue
                    if not 200 <= status < 300:
                        raise HTTPStatusError(status, str(current))
                    if _too_large_by_length(response, max_bytes):
                        raise ResponseTooLargeError(
                            f"response from {current} announces more than {max_bytes} bytes"
                        )
                    content = _read_body(response, max_bytes, deadline)
                    return FetchResult(str(current), status, response.headers, content)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise _transport_error(exc, current) from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")
    finally:
        _deadline.reset(token)


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    import httpx

    try:
        target = current.join(location)
    except httpx.InvalidURL as exc:
        raise InvalidURLError(f"invalid redirect from {current}: {location!r}") from exc
    target = _check_url(target)
    if current.scheme == "https" and target.scheme == "http":
        raise InvalidURLError(f"redirect from {current} downgrades to {target}")
    return target


def post(url: str, *, body: bytes, headers: Mapping[str, str]) -> PostResult:
    """POST (a delivery) once, never following a redirect: the caller signed for this URL and
    classifies the status (2xx delivered, 4xx give up, 5xx/429 retry later)."""
    import httpx

    deadline = time.monotonic() + TOTAL_TIMEOUT
    token = _deadline.set(deadline)
    try:
        target = _check_url(url)
        try:
            with get_client().stream(
                "POST", target, content=body, headers=dict(headers), timeout=_timeouts(deadline)
            ) as response:
                text = _read_body(response, POST_RESPONSE_BYTES, deadline, truncate=True)
                return PostResult(
                    str(target),
                    response.status_code,
                    response.headers,
                    text.decode("utf-8", errors="replace"),
                )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _transport_error(exc, target) from exc
    finally:
        _deadline.reset(token)
