"""Dates as Mastodon renders them: ISO 8601 with milliseconds and ``Z``."""

from __future__ import annotations

from datetime import UTC, date, datetime


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def iso_date(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%d")
