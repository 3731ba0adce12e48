"""A remote Create's lookups stay index lookups on a server whose statuses are mostly local.

Local statuses and conversations store no uri. The statements the inbox prepares keep one
generic plan per connection (``plan_cache_mode``), and a plan that judged ``uri = $1`` by the
empty uri of most rows scanned the whole table: on a million statuses the inbox fell to ten
activities a second. The plans are checked here the way PostgreSQL keeps them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.db import connection

from statuses.models import Conversation, Status
from statuses.services import post_status
from tests.federation.handlers.status_support import BOB, bob, follow, handle, payload, stored

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="generic plans of prepared statements"
    ),
]

LOCAL_ROWS = 5000
BIG_TABLES = (Status._meta.db_table, Conversation._meta.db_table)


def _copies(model: type[Any], row_id: int, count: int) -> None:
    """``count`` copies of one row under older ids, then fresh statistics."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields]
    chosen = ", ".join("id - g" if c == "id" else f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({", ".join(f'"{c}"' for c in columns)})'  # noqa: S608
            f' SELECT {chosen} FROM "{table}", generate_series(1, %s) g WHERE id = %s',
            [count, row_id],
        )
        cursor.execute(f'ANALYZE "{table}"')


def _prepared(run: Callable[[], None]) -> list[tuple[str, list[Any]]]:
    """The statements ``run`` sent through ``fedisocial.db.prepared_cursor`` (bound server
    side, so prepared); Django's own cursors bind client side."""
    seen: list[tuple[str, list[Any]]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not isinstance(context["cursor"].cursor, psycopg.ClientCursor):
            seen.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        run()
    return seen


def _generic_plan(sql: str, params: list[Any]) -> str:
    parts = sql.replace("%%", "%").split("%s")
    text = "".join(
        part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts)
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE plan_check AS {text}")
        try:
            marks = ", ".join(["%s"] * len(params))
            cursor.execute(f"EXPLAIN EXECUTE plan_check({marks})", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE plan_check")


def test_remote_create_plans_use_indexes_when_most_statuses_are_local(carol):
    local = post_status(carol.account, text="a local status, stored without a uri")
    _copies(Status, local.id, LOCAL_ROWS)
    _copies(Conversation, local.conversation_id, LOCAL_ROWS)
    author = bob()
    follow(carol.account, author)

    statements = _prepared(lambda: handle(payload("mastodon/create_note_public.json"), author))

    assert stored(f"{BOB}/statuses/113520000000000001") is not None
    looked_up = [(sql, p) for sql, p in statements if re.search(r"\buri\b", sql)]
    assert looked_up, "the Create looked nothing up by uri through a prepared statement"
    for sql, params in statements:
        plan = _generic_plan(sql, params)
        for table in BIG_TABLES:
            assert not re.search(rf"Seq Scan on {table}\b", plan), f"{sql}\n{plan}"
