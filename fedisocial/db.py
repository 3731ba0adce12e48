"""Hand-built statements for the few queries every request runs.

Django compiles a queryset on every execution; for a three-join lookup that runs on every API
request (the access token with its user, account and application) compiling cost several times
what PostgreSQL spent running it. ``JoinedLoader`` writes the statement once per process from the
models' own field lists, so it follows migrations, and builds the same model instances
``select_related`` would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def id_set(
    placeholder: str, ids: Iterable[int], *, using: str = DEFAULT_DB_ALIAS
) -> tuple[str, str]:
    """The right-hand side of a membership test on integer ids, and its ONE parameter: an array
    on PostgreSQL (``= ANY(CAST(... AS bigint[]))``), JSON elsewhere (``IN (SELECT value FROM
    json_each(...))``). The statement's text is the same however many ids there are, so it can
    be prepared, and no placeholder is spent per id."""
    values = sorted({int(i) for i in ids})
    if connections[using].vendor == "postgresql":
        literal = "{" + ",".join(map(str, values)) + "}"
        return f"= ANY(CAST({placeholder} AS bigint[]))", literal
    # Only the placeholder is interpolated; the ids are the parameter.
    return f"IN (SELECT value FROM json_each({placeholder}))", json.dumps(values)  # noqa: S608


@contextmanager
def prepared_cursor() -> Iterator[Any]:
    """A cursor for the statements every request runs. On PostgreSQL its parameters are bound
    server-side, so psycopg prepares a statement it has run a few times on a connection
    (``prepare_threshold``) and PostgreSQL stops planning it again: for the page query of a
    timeline, planning cost twice what running it did. Django's own cursors bind client-side
    (nothing is prepared); this one still goes through Django's wrapper, so query logging and
    counting see it. Statements must then have a fixed text: pass lists as arrays
    (``= ANY(%s)``), not as IN lists, on PostgreSQL."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    try:
        yield connection._prepare_cursor(raw)
    finally:
        raw.close()
    # A statement just went through on this connection: the health check Django runs before
    # a request's first ORM query (CONN_HEALTH_CHECKS, a SELECT 1) would only say so again.
    connection.health_check_done = True


@dataclass(frozen=True)
class _Join:
    name: str  # attribute set on the parent instance
    model: type[models.Model]
    parent: int  # index of the parent in the loader's models (0 is the base)
    column: str  # the parent's column holding the key
    target: str  # the joined table's column it matches


class JoinedLoader:
    """``model.objects.select_related(...).filter(<where>=value).first()`` as one prepared
    statement. ``joins``: (name, model, "[parent_name.]column", target_column); a parent name
    refers to an earlier join. Joins are LEFT joins: a null key leaves the relation None."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        where: str,
        joins: list[tuple[str, type[models.Model], str, str]],
    ) -> None:
        self.models: list[type[models.Model]] = [model]
        self.joins: list[_Join] = []
        names = {"": 0}
        for name, joined, column, target in joins:
            parent_name, _, parent_column = column.rpartition(".")
            self.joins.append(_Join(name, joined, names[parent_name], parent_column, target))
            names[name] = len(self.models)
            self.models.append(joined)
        self.fields = [
            [f.attname for f in m._meta.concrete_fields]  # type: ignore[attr-defined]
            for m in self.models
        ]
        # What the ORM applies to each column it reads (JSON decoding, SQLite's booleans and
        # dates...), so instances come out as a queryset would give them.
        self.converters: list[tuple[int, list[Any], Any]] = []
        position = 0
        for m in self.models:
            for f in m._meta.concrete_fields:  # type: ignore[attr-defined]
                col = f.get_col(m._meta.db_table)
                found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
                if found:
                    self.converters.append((position, found, col))
                position += 1
        quote = connection.ops.quote_name
        columns = ", ".join(
            f"t{i}.{quote(f.column)}"
            for i, m in enumerate(self.models)
            for f in m._meta.concrete_fields  # type: ignore[attr-defined]
        )
        tables = [f"{quote(model._meta.db_table)} t0"]
        for i, join in enumerate(self.joins, start=1):
            tables.append(
                f"LEFT JOIN {quote(join.model._meta.db_table)} t{i} "
                f"ON t{i}.{quote(join.target)} = t{join.parent}.{quote(join.column)}"
            )
        where_column = model._meta.get_field(where).column
        # Only names from the models' metadata are interpolated; the value is a parameter.
        self.select = f"SELECT {columns} FROM {' '.join(tables)} WHERE t0.{quote(where_column)}"  # noqa: S608
        self.sql = f"{self.select} = %s LIMIT 1"

    def get(self, value: Any) -> models.Model | None:
        with prepared_cursor() as cursor:
            cursor.execute(self.sql, [value])
            row = cursor.fetchone()
        return None if row is None else self._build(row)

    def get_many(self, values: Iterable[int]) -> list[models.Model]:
        """The rows for these integer keys, in no particular order, in one statement."""
        test, value = id_set("%s", values)
        with prepared_cursor() as cursor:
            cursor.execute(f"{self.select} {test}", [value])
            rows = cursor.fetchall()
        return [self._build(row) for row in rows]

    def _build(self, fetched: Sequence[Any]) -> models.Model:
        row = list(fetched)
        for position, converters, col in self.converters:
            value = row[position]
            for convert in converters:
                value = convert(value, col, connection)
            row[position] = value
        instances: list[models.Model | None] = []
        start = 0
        for model, names in zip(self.models, self.fields, strict=True):
            values = row[start : start + len(names)]
            start += len(names)
            pk = values[names.index(model._meta.pk.attname)]  # type: ignore[union-attr]
            instances.append(None if pk is None else model.from_db(connection.alias, names, values))
        base = instances[0]
        for i, join in enumerate(self.joins, start=1):
            parent = instances[join.parent]
            child = instances[i]
            if parent is None:
                continue
            parent._state.fields_cache[join.name] = child
            field = type(parent)._meta.get_field(join.name)
            if child is not None and field.one_to_one:
                # the reverse side too (account.user), as select_related sets it
                child._state.fields_cache[field.remote_field.cache_name] = parent
        assert base is not None  # the base row's key is the one looked up
        return base


def set_prefetched(instance: models.Model, name: str, rows: list[Any]) -> None:
    """What ``prefetch_related(name)`` leaves on an instance (Django's prefetch_one_level),
    for rows loaded otherwise (just written, or read by a hand-written query)."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    instance._prefetched_objects_cache[name] = queryset  # type: ignore[attr-defined]


def advisory_lock(name: str) -> None:
    """Hold a lock named ``name`` until the current transaction ends (PostgreSQL's
    transaction-level advisory locks); elsewhere (SQLite) writers are serialised anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
