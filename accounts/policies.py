"""May one account do something to another: pure answers, no writes.

Services ask these before writing (and raise their domain errors); selectors ask them before
showing another account's collections.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Account, AccountDomainBlock, Block


def blocked_either_way(account_id: int, other_id: int) -> bool:
    """Either account blocks the other (Mastodon refuses follows both ways)."""
    return Block.objects.filter(
        Q(account_id=account_id, target_account_id=other_id)
        | Q(account_id=other_id, target_account_id=account_id)
    ).exists()


def blocks(account_id: int, target_id: int) -> bool:
    return Block.objects.filter(account_id=account_id, target_account_id=target_id).exists()


def domain_blocked_by(account: Account, domain: str | None) -> bool:
    """The account hides the whole remote ``domain`` (/api/v1/domain_blocks)."""
    if not domain:
        return False
    return AccountDomainBlock.objects.filter(account_id=account.id, domain=domain.lower()).exists()


def may_follow(account: Account, target: Account) -> bool:
    """Mastodon's FollowService refusals: yourself, a block either way, a domain you block, or an
    account that has moved away."""
    if account.id == target.id or target.moved_to_id is not None:
        return False
    if domain_blocked_by(account, target.domain):
        return False
    return not blocked_either_way(account.id, target.id)


def may_see_collections(owner: Account, viewer: Account | None) -> bool:
    """Whether ``viewer`` may list who ``owner`` follows or is followed by.

    The owner always may; nobody else when the owner hides its collections, and not an account
    the owner blocks (Mastodon's ``hide_results?``)."""
    if viewer is not None and viewer.id == owner.id:
        return True
    if owner.hide_collections:
        return False
    return viewer is None or not blocks(owner.id, viewer.id)
