"""What the statuses API views share: the domain errors' HTTP answers and parameter parsing."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions
from rest_framework.response import Response

from fedisocial.api.errors import Forbidden, UnprocessableEntity
from fedisocial.api.params import to_bool, to_int, to_str_list
from fedisocial.api.views import MastodonView
from statuses.models import Status
from statuses.selectors import load_statuses
from statuses.services import (
    PollParams,
    ReplyTargetNotFoundError,
    StatusNotPermittedError,
    StatusValidationError,
)


class NotFoundWithMessage(exceptions.APIException):
    """A 404 that says more than "Record not found" (Mastodon's in_reply_not_found)."""

    status_code = 404


class StatusesView(MastodonView):
    """Maps the services' domain errors to Mastodon's answers."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, StatusValidationError):
            exc = UnprocessableEntity(f"Validation failed: {exc}")
        elif isinstance(exc, StatusNotPermittedError):
            exc = Forbidden()
        elif isinstance(exc, ReplyTargetNotFoundError):
            exc = NotFoundWithMessage(ReplyTargetNotFoundError.message)
        return super().handle_exception(exc)


def to_text(value: Any) -> str | None:
    """A scalar string parameter (the last one if repeated)."""
    if value is None:
        return None
    if isinstance(value, list):
        return to_text(value[-1]) if value else None
    if isinstance(value, dict):
        return None
    return str(value)


def to_ids(value: Any) -> list[int]:
    """``id[]``-style lists of ids; what is not a number is no id."""
    ids: list[int] = []
    for raw in to_str_list(value):
        number = to_int(raw)
        if number is not None and number not in ids:
            ids.append(number)
    return ids


def poll_from(params: dict[str, Any]) -> PollParams | None:
    poll = params.get("poll")
    if not isinstance(poll, dict):
        return None
    options = to_str_list(poll.get("options"))
    expires_in = to_int(to_text(poll.get("expires_in")))
    if not options and expires_in is None:
        return None
    return PollParams(
        options=options,
        expires_in=expires_in,
        multiple=bool(to_bool(poll.get("multiple"), False)),
        hide_totals=bool(to_bool(poll.get("hide_totals"), False)),
    )


def datetime_from(value: Any, *, field: str = "Scheduled at") -> datetime | None:
    """An ISO 8601 datetime (or a bare date, as midnight UTC); naive values are UTC."""
    raw = to_text(value)
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    try:
        parsed = parse_datetime(raw)
        if parsed is None:
            day = parse_date(raw)
            parsed = datetime.combine(day, time.min) if day is not None else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise UnprocessableEntity(f"Validation failed: {field} is invalid")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def reloaded(status: Status) -> Status:
    """A status fresh from the database in the rendering shape (counters just moved)."""
    found = load_statuses([status.id])
    if not found:
        raise Status.DoesNotExist
    return found[0]
