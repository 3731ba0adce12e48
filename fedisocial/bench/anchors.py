"""The two anchors every benchmark figure is divided by, served by the same gunicorn workers as
the API so that a ratio cancels out the machine: ``plain`` (a fixed small JSON body) and ``db40``
(40 rows of one indexed query as JSON, no ORM objects). Mounted only when BENCH_ANCHORS is on."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

PLAIN_BODY = {"ok": True, "name": "plain"}

# The newest 40 statuses below an id: a backward scan of the primary key.
DB40_SQL = """
    SELECT id, account_id, visibility, created_at, text
    FROM statuses_status
    WHERE id < %s
    ORDER BY id DESC
    LIMIT 40
"""
NO_UPPER_BOUND = 2**63 - 1


def plain(request: HttpRequest) -> JsonResponse:
    return JsonResponse(PLAIN_BODY)


def db40(request: HttpRequest) -> JsonResponse:
    try:
        below = int(request.GET.get("max_id") or NO_UPPER_BOUND)
    except ValueError:
        below = NO_UPPER_BOUND
    with connection.cursor() as cursor:
        cursor.execute(DB40_SQL, [below])
        rows = cursor.fetchall()
    return JsonResponse(
        {
            "rows": [
                {
                    "id": str(row[0]),
                    "account_id": str(row[1]),
                    "visibility": row[2],
                    "created_at": row[3].isoformat(),
                    "text": row[4],
                }
                for row in rows
            ]
        }
    )


urlpatterns = [
    path("_bench/plain", plain),
    path("_bench/db40", db40),
]
