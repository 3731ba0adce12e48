"""Who may see a status: Mastodon's visibility rules, in one place, for every path.

public/unlisted: anyone the author does not block; private: the author, their followers and the
accounts it mentions; direct: the author and the accounts it mentions. A boost is visible only if
the boosted status is too. Every endpoint that returns statuses goes through these functions.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, Mute
from statuses.models import Mention, Status, Visibility


def _is_blocked_by(author_id: int, viewer: Account | None) -> bool:
    if viewer is None or author_id == viewer.id:
        return False
    return Block.objects.filter(account_id=author_id, target_account_id=viewer.id).exists()


def can_view(status: Status, viewer: Account | None) -> bool:
    if status.deleted_at is not None or status.account.suspended_at is not None:
        return False
    if status.reblog_id is not None and (
        status.reblog is None or not can_view(status.reblog, viewer)
    ):
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
    return (
        mentioned
        or Follow.objects.filter(account_id=viewer.id, target_account_id=status.account_id).exists()
    )


def visible_q(viewer: Account | None) -> Q:
    """A filter on Status rows matching ``can_view`` (boosts are checked on their own row:
    combine with ``visible_reblogs_q`` where boosts can appear)."""
    public = Q(visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED])
    if viewer is None:
        return public
    following = Follow.objects.filter(account_id=viewer.id).values("target_account_id")
    mentioned = Mention.objects.filter(account_id=viewer.id).values("status_id")
    blocked_by = Block.objects.filter(target_account_id=viewer.id).values("account_id")
    return Q(account_id=viewer.id) | (
        (public | Q(visibility=Visibility.PRIVATE, account_id__in=following) | Q(id__in=mentioned))
        & ~Q(account_id__in=blocked_by)
    )


def visible_to(qs: QuerySet[Status], viewer: Account | None) -> QuerySet[Status]:
    """Statuses of ``qs`` the viewer may see, boosts included only when their original is."""
    qs = qs.filter(deleted_at__isnull=True, account__suspended_at__isnull=True)
    qs = qs.filter(visible_q(viewer))
    # A correlated EXISTS looks the original up by primary key; an IN (subquery) inside the OR
    # made PostgreSQL hash-scan every status on each read that included a boost.
    original_visible = Exists(
        Status.objects.filter(pk=OuterRef("reblog_id"), deleted_at__isnull=True).filter(
            visible_q(viewer)
        )
    )
    return qs.filter(Q(reblog__isnull=True) | original_visible)


def blocks_author(status: Status, account: Account) -> bool:
    """Whether ``account`` blocks the author: it may still see the status, but not act on it."""
    if status.account_id == account.id:
        return False
    return Block.objects.filter(account_id=account.id, target_account_id=status.account_id).exists()


def can_favourite(status: Status, account: Account) -> bool:
    """Mastodon's StatusPolicy#favourite?: visible and the author not blocked by the actor."""
    return can_view(status, account) and not blocks_author(status, account)


def can_reblog(status: Status, account: Account) -> bool:
    """Mastodon's StatusPolicy#reblog?: never a direct status, a private one only by its author,
    and not the status of an account the booster blocks. (Visibility is checked first, by
    ``can_view``, so that an invisible status answers 404 rather than 403.)"""
    if status.visibility == Visibility.DIRECT:
        return False
    if status.visibility == Visibility.PRIVATE and status.account_id != account.id:
        return False
    return not blocks_author(status, account)


def hidden_by_viewer_q(viewer: Account, *, prefix: str = "") -> Q:
    """Mastodon's StatusFilter: statuses by accounts the viewer blocks or mutes, or from domains
    it blocks. The viewer's own statuses are never hidden. Use with ``.exclude()``; ``prefix``
    (``"reblog__"``) applies it to a boost's original instead."""
    now = timezone.now()
    blocked = Block.objects.filter(account_id=viewer.id).values("target_account_id")
    muted = (
        Mute.objects.filter(account_id=viewer.id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values("target_account_id")
    )
    domains = AccountDomainBlock.objects.filter(account_id=viewer.id).values("domain")
    return ~Q(**{f"{prefix}account_id": viewer.id}) & (
        Q(**{f"{prefix}account_id__in": blocked})
        | Q(**{f"{prefix}account_id__in": muted})
        | Q(**{f"{prefix}account__domain__in": domains})
    )
