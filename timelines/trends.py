"""Reads for /api/v1/trends: hashtags and statuses that are being used and shared right now.

Mastodon keeps trend scores in Redis and shows only what a moderator approved. These are
computed from the database at request time, with no review step; each ranking below says what
it counts. Only public statuses ever count, so nothing private or direct leaks into a trend.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, F, QuerySet
from django.utils import timezone

from accounts.models import Account
from statuses.models import Status, Tag, Visibility
from statuses.policies import hidden_by_viewer_q, visible_to
from statuses.selectors import HISTORY_DAYS, with_related

# How far back a status may have been posted and still trend.
TRENDING_STATUSES_WINDOW = timedelta(days=2)


def _history_start() -> datetime:
    """Midnight UTC on the oldest day of a Tag's ``history`` (``tag_histories``'s seven days):
    a trending tag always shows its uses in that history."""
    today = timezone.now().astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=HISTORY_DAYS - 1), time.min, tzinfo=UTC)


def trending_tags(*, offset: int = 0, limit: int = 10) -> list[Tag]:
    """Hashtags ranked by how many accounts used them in public statuses over the seven days of
    ``history``, then by how many statuses did; in one query.

    Like Mastodon's tag trends: public statuses only (not unlisted, private or direct), from
    here and elsewhere, and not from suspended or limited accounts."""
    used = {
        "status_tags__status__created_at__gte": _history_start(),
        "status_tags__status__visibility": Visibility.PUBLIC,
        "status_tags__status__deleted_at__isnull": True,
        "status_tags__status__account__suspended_at__isnull": True,
        "status_tags__status__account__silenced_at__isnull": True,
    }
    qs = (
        Tag.objects.filter(**used)
        .annotate(
            accounts=Count("status_tags__status__account_id", distinct=True),
            uses=Count("status_tags__status_id", distinct=True),
        )
        .order_by("-accounts", "-uses", "name")
    )
    return list(qs[offset : offset + limit])


def trending_statuses_queryset(viewer: Account | None) -> QuerySet[Status]:
    """Statuses that may trend, scored by boosts plus favourites.

    Mastodon's rules for a trending status: a public original posted here, not a reply, without
    a content warning or sensitive mark, by an account that opted into discovery
    (``discoverable``) and is not limited; posted within ``TRENDING_STATUSES_WINDOW`` and
    boosted or favourited at least once. Then what the viewer may see (``visible_to``) and does
    not filter out (blocks, mutes, domain blocks)."""
    qs = Status.objects.filter(
        local=True,
        visibility=Visibility.PUBLIC,
        reblog__isnull=True,
        in_reply_to_id__isnull=True,
        in_reply_to_account_id__isnull=True,
        sensitive=False,
        spoiler_text="",
        created_at__gte=timezone.now() - TRENDING_STATUSES_WINDOW,
        account__discoverable=True,
        account__silenced_at__isnull=True,
    )
    qs = visible_to(qs, viewer)
    if viewer is not None:
        qs = qs.exclude(hidden_by_viewer_q(viewer))
    return qs.annotate(score=F("reblogs_count") + F("favourites_count")).filter(score__gt=0)


def trending_statuses(viewer: Account | None, *, offset: int = 0, limit: int = 20) -> list[Status]:
    """The highest scores first (the newest first among equals), loaded for rendering: the same
    queries for one status or forty."""
    qs = trending_statuses_queryset(viewer).order_by("-score", "-id")
    return list(with_related(qs)[offset : offset + limit])
