"""Who may see a status: Mastodon's visibility rules, in one place, for every path.

public/unlisted: anyone the author does not block; private: the author, their followers and the
accounts it mentions; direct: the author and the accounts it mentions. A boost is visible only if
the boosted status is too. Every endpoint that returns statuses goes through these functions.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Account, Block, Follow
from statuses.models import Mention, Status, Visibility


def _is_blocked_by(author_id: int, viewer: Account | None) -> bool:
    if viewer is None or author_id == viewer.id:
        return False
    return Block.objects.filter(account_id=author_id, target_account_id=viewer.id).exists()


def can_view(status: Status, viewer: Account | None) -> bool:
    if status.deleted_at is not None or status.account.suspended_at is not None:
        return False
    if status.reblog_id is not None:
        if status.reblog is None or not can_view(status.reblog, viewer):
            return False
    if viewer is not None and status.account_id == viewer.id:
        return True
    if _is_blocked_by(status.account_id, viewer):
        return False
    visibility = status.visibility
    if visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if viewer is None:
        return False
    mentioned = Mention.objects.filter(status_id=status.id, account_id=viewer.id).exists()
    if visibility == Visibility.DIRECT:
        return mentioned
    return mentioned or Follow.objects.filter(
        account_id=viewer.id, target_account_id=status.account_id
    ).exists()


def visible_q(viewer: Account | None) -> Q:
    """A filter on Status rows matching ``can_view`` (boosts are checked on their own row:
    combine with ``visible_reblogs_q`` where boosts can appear)."""
    public = Q(visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
    if viewer is None:
        return public
    following = Follow.objects.filter(account_id=viewer.id).values("target_account_id")
    mentioned = Mention.objects.filter(account_id=viewer.id).values("status_id")
    blocked_by = Block.objects.filter(target_account_id=viewer.id).values("account_id")
    return (
        Q(account_id=viewer.id)
        | (
            (
                public
                | Q(visibility=Visibility.PRIVATE, account_id__in=following)
                | Q(id__in=mentioned)
            )
            & ~Q(account_id__in=blocked_by)
        )
    )


def visible_to(qs: QuerySet[Status], viewer: Account | None) -> QuerySet[Status]:
    """Statuses of ``qs`` the viewer may see, boosts included only when their original is."""
    qs = qs.filter(deleted_at__isnull=True, account__suspended_at__isnull=True)
    qs = qs.filter(visible_q(viewer))
    reblog_ok = Q(reblog__isnull=True) | Q(
        reblog__in=Status.objects.filter(deleted_at__isnull=True).filter(visible_q(viewer))
    )
    return qs.filter(reblog_ok)
