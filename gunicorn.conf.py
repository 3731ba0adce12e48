"""gunicorn settings for the web process (``gunicorn -c gunicorn.conf.py fedisocial.wsgi``).

Threaded workers suit a Django app that mostly waits on PostgreSQL and Redis; the app is loaded
once before forking so workers share its memory. Sizes come from the environment (see
.env.production.sample).
"""

import gc
import os

from fedisocial.web_worker import child_exit  # noqa: F401 - a gunicorn hook


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"{os.environ.get('HOST', '').strip() or '127.0.0.1'}:{_int('PORT', 8000)}"
# gthread, sharing kept-alive connections out evenly between workers (fedisocial/web_worker.py).
worker_class = "fedisocial.web_worker.BalancedThreadWorker"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("WEB_THREADS", 8)
preload_app = True

timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 10_000
max_requests_jitter = 1_000
# Heartbeat files on tmpfs: a container's overlay filesystem can stall them.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs by design

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").strip().lower() or "info"
# The reverse proxy in front sets X-Forwarded-*; only trust it from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").strip()
# No gunicornc control socket: it would be created under $HOME, which the container user cannot
# write to; the process manager (compose) restarts and scales workers instead.
control_socket_disable = True


# --- Garbage collection -------------------------------------------------------------------------
# Django's and DRF's request objects refer to one another (request, view and response; the
# messages storage and the lazy user hold the request), so a request's objects, its page data
# and rendered body included, are freed by the cyclic collector, not when the response is sent.
# Requests in flight on a worker's threads outlive the young collections and reach the oldest
# generation, which CPython (3.13) collects only after it has grown by a quarter of the objects
# already there: the whole preloaded app, ~120,000 objects. Workers carried 20-30 MiB of
# finished requests that way, and each full collection walked the whole app with the GIL held.


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each fork: freeze what it holds (the preloaded app), so a worker's
    collections neither scan it nor count it; the collect after the freeze resets the
    collector's count of long-lived objects to what is left unfrozen, none."""
    gc.collect()
    gc.freeze()
    gc.collect()


def post_fork(server: object, worker: object) -> None:
    """In the worker: collect the oldest generation with every middle-generation collection
    (threshold 0). With the preloaded app frozen that only walks the worker's own objects and
    the finished requests waiting there, so it costs no more than the default thresholds did,
    and a worker stays near its size after its first requests."""
    gc.set_threshold(2000, 10, 0)


# --- Keep-alive -------------------------------------------------------------------------------
# A kept-alive connection stays with the worker that accepted it, however busy that worker gets
# later (a worker restarted after max_requests starts with none). Closing a connection after
# this many requests, as nginx's keepalive_requests does, lets the client reconnect, and the
# balanced accept (fedisocial/web_worker.py) gives the new connection to the least loaded worker.
KEEPALIVE_REQUESTS = _int("WEB_KEEPALIVE_REQUESTS", 100)


def pre_request(worker: object, req: object) -> None:
    """Answer with ``Connection: close`` on a connection's KEEPALIVE_REQUESTS-th request."""
    if getattr(req, "req_number", 1) >= KEEPALIVE_REQUESTS:
        req.must_close = True  # type: ignore[attr-defined]
