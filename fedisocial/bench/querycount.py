"""SQL queries per home-timeline request, counted deterministically: in its own process with the
bench environment, Django's test client asks for the home timeline as ``v500`` with limit=1 and
limit=40 (one warm-up request each, then one counted), and prints ``{"limit1": n, "limit40": m}``.

    python -m fedisocial.bench.querycount --token TOKEN   # with the bench environment
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from fedisocial.bench.environment import BASE_DIR, BenchEnvironment

LIMITS = (1, 40)


def count_queries(env: BenchEnvironment, token: str) -> dict[int, int]:
    """Run this module as a subprocess with the bench environment; queries per limit."""
    completed = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "fedisocial.bench.querycount", "--token", token],
        cwd=BASE_DIR,
        env=env.process_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"counting queries failed:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    return {limit: int(data[f"limit{limit}"]) for limit in LIMITS}


def _count(token: str) -> dict[str, int]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=settings.LOCAL_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = {}
    for limit in LIMITS:
        path = f"/api/v1/timelines/home?limit={limit}"
        warm = client.get(path)
        if warm.status_code != 200:
            raise SystemExit(f"GET {path} answered {warm.status_code}: {warm.content[:300]!r}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        counts[f"limit{limit}"] = len(queries.captured_queries)
        counts[f"statuses{limit}"] = len(response.json())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    print(json.dumps(_count(args.token)))


if __name__ == "__main__":
    main()
