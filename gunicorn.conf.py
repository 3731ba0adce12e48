"""gunicorn settings for the web process (``gunicorn -c gunicorn.conf.py fedisocial.wsgi``).

Threaded workers suit a Django app that mostly waits on PostgreSQL and Redis; the app is loaded
once before forking so workers share its memory. Sizes come from the environment (see
.env.production.sample).
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = f"{os.environ.get('HOST', '').strip() or '127.0.0.1'}:{_int('PORT', 8000)}"
worker_class = "gthread"
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
