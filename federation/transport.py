"""The httpcore network backend and httpx transport under ``federation.http``'s client: every
connection resolves its host here, refuses addresses that are not public (unless
``settings.ALLOWED_PRIVATE_NETWORKS`` allows them) and connects to the address it checked; every
socket operation honours the call's total deadline. Imported only when a process first makes
an outbound request."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from django.conf import settings

from federation.http import BlockedAddressError, _deadline, is_address_allowed

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=15.0)


def _clamp(timeout: float | None, error: type[httpcore.TimeoutException]) -> float | None:
    """The timeout for one socket operation: the configured one, cut short by the call's
    deadline so a server dripping bytes cannot hold a worker past TOTAL_TIMEOUT."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("total time limit exceeded")
    return remaining if timeout is None else min(timeout, remaining)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # server_hostname is the URL's host (httpcore passes it), not the IP we connected to,
        # so SNI and certificate verification are unchanged by connecting to a checked IP.
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, then connects to a checked address, never the name.

    Connecting by name would resolve a second time, and a rebinding DNS server could answer
    with a private address then. Any refused address refuses the host: a name that mixes
    public and private addresses is a probe, not a misconfiguration worth serving.
    """

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        allowed = settings.ALLOWED_PRIVATE_NETWORKS
        addresses: list[str] = []
        for *_, sockaddr in infos:
            address = str(sockaddr[0])
            if not is_address_allowed(ipaddress.ip_address(address), allowed):
                raise BlockedAddressError(f"{host} resolves to a refused address ({address})")
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    _clamp(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return DeadlineStream(stream)
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddressError("unix sockets are never used for federation")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (its exception mapping and streaming), over a pool whose every
    connection is opened by ``GuardedBackend``.

    httpx 0.28 has no parameter for the network backend (encode/httpx#3749 proposes one), so
    the pool it built is replaced by the same pool with ``network_backend=``; ``handle_request``
    only uses ``self._pool``. httpx is pinned in pyproject.toml, and the tests fail loudly if
    this stops holding (a refused address would then be reached).
    """

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(),
        )
