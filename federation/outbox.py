"""What local actions owe remote servers (Mastodon's ActivityPub::DistributionWorker, the
*Serializer + DeliveryWorker pairs of FollowService, FavouriteService, BlockService...).

Domain services call ``notify(event, **ids)`` inside their transaction; after the commit a
worker runs the event's publisher, which renders the activity once and queues a delivery per
inbox (``federation.delivery``). Publishers take ids (and, for rows a service deletes, the
values they need), load what is still there, and return quietly otherwise. A new status's
Create (or a boost's Announce) is published by the fan-out task itself, so a post costs one
task, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from accounts.models import Account, Block, Follow, FollowRequest
from federation import delivery
from federation.renderers import activities
from statuses.models import Favourite, Poll, PollVote, Status, Tag, Visibility
from statuses.selectors import with_related

logger = logging.getLogger(__name__)

Publisher = Callable[..., None]
PUBLISHERS: dict[str, Publisher] = {}


def publisher(event: str) -> Callable[[Publisher], Publisher]:
    def register(func: Publisher) -> Publisher:
        PUBLISHERS[event] = func
        return func

    return register


def notify(event: str, **ids: Any) -> None:
    """Queue ``event``'s publisher for after the current transaction commits."""
    from federation.tasks import federate_task

    federate_task.delay_on_commit(event, **ids)


def notify_debounced(event: str, *, key: str, delay: int, **ids: Any) -> None:
    """Queue ``event``'s publisher ``delay`` seconds after the commit, once for every burst of
    calls with the same ``key`` in that time: it then sends the state of that moment."""
    from django.core.cache import cache
    from django.db import transaction

    from federation.tasks import federate_task

    if cache.add(f"federation:debounce:{key}", 1, timeout=delay):
        transaction.on_commit(
            lambda: federate_task.apply_async(args=[event], kwargs=ids, countdown=delay)
        )


def publish(event: str, **ids: Any) -> None:
    func = PUBLISHERS.get(event)
    if func is None:
        logger.error("no publisher for %s", event)
        return
    func(**ids)


# --- Who receives what ---------------------------------------------------------------------------


def inbox_of(account: Account) -> str:
    """Where one remote account receives what is addressed to it."""
    return account.shared_inbox_url or account.inbox_url


def follower_inboxes(account: Account) -> list[str]:
    """The (shared) inboxes of an account's remote followers: each server once."""
    rows = (
        Follow.objects.filter(target_account_id=account.id, account__domain__isnull=False)
        .values_list("account__shared_inbox_url", "account__inbox_url")
        .distinct()
    )
    return list(dict.fromkeys(shared or own for shared, own in rows if shared or own))


def _remote(accounts: Iterable[Account | None]) -> list[Account]:
    return [a for a in accounts if a is not None and a.domain is not None]


def status_inboxes(status: Status, *, with_boosters: bool = False) -> list[str]:
    """Everyone a status reaches on other servers (Mastodon's StatusReachFinder): followers
    unless it is direct, mentioned accounts, the author it replies to (when it may see it),
    and for an edit or a deletion those who boosted it."""
    inboxes: list[str] = []
    if status.visibility != Visibility.DIRECT:
        inboxes += follower_inboxes(status.account)
    mentioned = [m.account for m in status.mentions.all()]
    inboxes += [inbox_of(a) for a in _remote(mentioned)]
    parent = status.in_reply_to
    # The author replied to hears of it, unless the reply is private and leaves them out.
    reaches_parent = status.visibility in (Visibility.PUBLIC, Visibility.UNLISTED) or (
        parent is not None and parent.account in mentioned
    )
    if parent is not None and parent.account.domain is not None and reaches_parent:
        inboxes.append(inbox_of(parent.account))
    if status.reblog is not None and status.reblog.account.domain is not None:
        inboxes.append(inbox_of(status.reblog.account))
    if with_boosters:
        boosters = Account.objects.filter(
            domain__isnull=False, statuses__reblog_id=status.id
        ).distinct()
        inboxes += [inbox_of(a) for a in boosters]
    return inboxes


def _load_status(status_id: int) -> Status | None:
    return (
        with_related(Status.objects.filter(id=status_id, local=True))
        .select_related("in_reply_to__account", "conversation")
        .first()
    )


# --- Statuses -------------------------------------------------------------------------------------


def _may_reach_others(status: Status, remote_followers: bool | None) -> bool:
    """Whether a status just fanned out (``timelines.fanout.load_for_fan_out`` shape: author,
    original and mention ids loaded) can reach another server at all: through remote
    followers (``remote_followers``, when the fan-out found out; else one query), or through
    the accounts it mentions, replies to or boosts."""
    if status.mentions.all() or status.in_reply_to_id is not None:
        return True
    if status.reblog is not None and status.reblog.account.domain is not None:
        return True
    if status.visibility == Visibility.DIRECT:
        return False
    if remote_followers is not None:
        return remote_followers
    return Follow.objects.filter(
        target_account_id=status.account_id, account__domain__isnull=False
    ).exists()


def distribute_status(status: Status, *, remote_followers: bool | None = None) -> None:
    """A new local status (Create) or boost (Announce), from the fan-out task."""
    if (
        not status.local
        or status.deleted_at is not None
        or not _may_reach_others(status, remote_followers)
    ):
        return
    loaded = _load_status(status.id)
    if loaded is None:
        return
    inboxes = status_inboxes(loaded)
    if not inboxes:
        return
    body = (
        activities.render_announce(loaded) if loaded.reblog_id else activities.render_create(loaded)
    )
    delivery.queue_activity(loaded.account, body, inboxes)


@publisher("status.updated")
def status_updated(*, status_id: int) -> None:
    status = _load_status(status_id)
    if status is None or status.deleted_at is not None or status.reblog_id is not None:
        return
    inboxes = status_inboxes(status, with_boosters=True)
    if inboxes:
        delivery.queue_activity(status.account, activities.render_update_note(status), inboxes)


@publisher("status.deleted")
def status_deleted(*, status_id: int) -> None:
    """A deleted status (soft-deleted: its row still says who saw it); a deleted boost is an
    Undo of its Announce."""
    status = _load_status(status_id)
    if status is None:
        return
    inboxes = status_inboxes(status, with_boosters=True)
    if not inboxes:
        return
    if status.reblog_id is not None:
        body = activities.render_undo(status.account, activities.render_announce(status))
    else:
        body = activities.render_delete_note(status)
    delivery.queue_activity(status.account, body, inboxes)


# --- Interactions --------------------------------------------------------------------------------


@publisher("favourite.created")
def favourite_created(*, favourite_id: int) -> None:
    favourite = (
        Favourite.objects.select_related("account", "status__account")
        .filter(id=favourite_id)
        .first()
    )
    if favourite is None or not favourite.account.local or favourite.status.account.local:
        return
    body = activities.render_like(favourite)
    delivery.queue_activity(favourite.account, body, [inbox_of(favourite.status.account)])


@publisher("favourite.deleted")
def favourite_deleted(*, account_id: int, status_id: int, favourite_id: int, uri: str) -> None:
    account = Account.objects.filter(id=account_id, domain__isnull=True).first()
    status = Status.objects.select_related("account").filter(id=status_id).first()
    if account is None or status is None or status.account.local:
        return
    like = activities.render_like(
        Favourite(id=favourite_id, account=account, status=status, uri=uri)
    )
    delivery.queue_activity(
        account, activities.render_undo(account, like), [inbox_of(status.account)]
    )


@publisher("poll.voted")
def poll_voted(*, vote_ids: list[int]) -> None:
    votes = list(
        PollVote.objects.select_related("account", "poll__account", "poll__status")
        .filter(id__in=vote_ids)
        .order_by("id")
    )
    for vote in votes:
        poll: Poll = vote.poll
        if poll.account.local or not vote.account.local:
            continue
        body = activities.render_vote(vote, poll)
        delivery.queue_activity(vote.account, body, [inbox_of(poll.account)])


# --- Relationships --------------------------------------------------------------------------------


def _pair(account_id: int, target_id: int) -> tuple[Account, Account] | None:
    accounts = {a.id: a for a in Account.objects.filter(id__in=[account_id, target_id])}
    if account_id not in accounts or target_id not in accounts:
        return None
    return accounts[account_id], accounts[target_id]


@publisher("follow.requested")
def follow_requested(*, request_id: int) -> None:
    """A local account asks to follow a remote one: Follow to its inbox."""
    request = (
        FollowRequest.objects.select_related("account", "target_account")
        .filter(id=request_id)
        .first()
    )
    if request is None or not request.account.local or request.target_account.local:
        return
    body = activities.render_follow(request)
    if not request.uri:
        FollowRequest.objects.filter(id=request.id).update(uri=body["id"])
    delivery.queue_activity(request.account, body, [request.target_account.inbox_url])


@publisher("follow.undone")
def follow_undone(*, account_id: int, target_id: int, follow_id: int, uri: str) -> None:
    pair = _pair(account_id, target_id)
    if pair is None or not pair[0].local or pair[1].local:
        return
    account, target = pair
    follow = Follow(id=follow_id, account=account, target_account=target, uri=uri)
    body = activities.render_undo(account, activities.render_follow(follow))
    delivery.queue_activity(account, body, [target.inbox_url])


def _answer(kind: str, account_id: int, target_id: int, follow_id: int, uri: str) -> None:
    """Accept or Reject of a remote account's Follow of local ``target``."""
    pair = _pair(account_id, target_id)
    if pair is None or pair[0].local or not pair[1].local:
        return
    requester, target = pair
    follow = Follow(id=follow_id, account=requester, target_account=target, uri=uri)
    render = activities.render_accept if kind == "Accept" else activities.render_reject
    delivery.queue_activity(target, render(follow), [requester.inbox_url])


@publisher("follow.accepted")
def follow_accepted(*, account_id: int, target_id: int, follow_id: int, uri: str) -> None:
    _answer("Accept", account_id, target_id, follow_id, uri)


@publisher("follow.rejected")
def follow_rejected(*, account_id: int, target_id: int, follow_id: int, uri: str) -> None:
    _answer("Reject", account_id, target_id, follow_id, uri)


@publisher("block.created")
def block_created(*, block_id: int) -> None:
    block = Block.objects.select_related("account", "target_account").filter(id=block_id).first()
    if block is None or not block.account.local or block.target_account.local:
        return
    body = activities.render_block(block)
    delivery.queue_activity(block.account, body, [block.target_account.inbox_url])


@publisher("block.deleted")
def block_deleted(*, account_id: int, target_id: int, block_id: int, uri: str) -> None:
    pair = _pair(account_id, target_id)
    if pair is None or not pair[0].local or pair[1].local:
        return
    account, target = pair
    block = Block(id=block_id, account=account, target_account=target, uri=uri)
    body = activities.render_undo(account, activities.render_block(block))
    delivery.queue_activity(account, body, [target.inbox_url])


# --- Profiles ------------------------------------------------------------------------------------


@publisher("account.updated")
def account_updated(*, account_id: int) -> None:
    account = Account.objects.filter(id=account_id, domain__isnull=True).first()
    if account is None:
        return
    inboxes = follower_inboxes(account)
    if inboxes:
        delivery.queue_activity(account, activities.render_update_actor(account), inboxes)


@publisher("account.deleted")
def account_deleted(*, account_id: int) -> None:
    """A local account deleted: every server that followed it or that it followed hears."""
    account = Account.objects.filter(id=account_id, domain__isnull=True).first()
    if account is None:
        return
    following = (
        Follow.objects.filter(account_id=account.id, target_account__domain__isnull=False)
        .values_list("target_account__shared_inbox_url", "target_account__inbox_url")
        .distinct()
    )
    inboxes = follower_inboxes(account) + [shared or own for shared, own in following]
    if inboxes:
        delivery.queue_activity(account, activities.render_delete_actor(account), inboxes)


@publisher("status.pinned")
def status_pinned(*, status_id: int) -> None:
    """A pin is an Add to the author's ``featured`` collection, sent to its followers."""
    status = Status.objects.select_related("account").filter(id=status_id, local=True).first()
    if status is None or status.deleted_at is not None:
        return
    inboxes = follower_inboxes(status.account)
    if inboxes:
        delivery.queue_activity(status.account, activities.render_add_pin(status), inboxes)


@publisher("status.unpinned")
def status_unpinned(*, status_id: int) -> None:
    status = Status.objects.select_related("account").filter(id=status_id, local=True).first()
    if status is None:
        return
    inboxes = follower_inboxes(status.account)
    if inboxes:
        delivery.queue_activity(status.account, activities.render_remove_pin(status), inboxes)


@publisher("account.moved")
def account_moved(*, account_id: int, target_id: int) -> None:
    """A local account moved: a Move to every server with followers of it."""
    pair = _pair(account_id, target_id)
    if pair is None or not pair[0].local:
        return
    account, target = pair
    inboxes = follower_inboxes(account)
    if inboxes:
        delivery.queue_activity(account, activities.render_move(account, target), inboxes)


@publisher("featured_tag.changed")
def featured_tag_changed(*, account_id: int, tag_id: int, add: bool) -> None:
    account = Account.objects.filter(id=account_id, domain__isnull=True).first()
    tag = Tag.objects.filter(id=tag_id).first()
    if account is None or tag is None:
        return
    inboxes = follower_inboxes(account)
    if inboxes:
        body = activities.render_featured_tag_change(account, tag, add=add)
        delivery.queue_activity(account, body, inboxes)


@publisher("poll.tallied")
def poll_tallied(*, status_id: int) -> None:
    """New tallies of a local poll (an Update of its Question): to those the status reached,
    and to the remote accounts that voted."""
    status = _load_status(status_id)
    if status is None or status.deleted_at is not None:
        return
    voters = Account.objects.filter(
        domain__isnull=False,
        id__in=PollVote.objects.filter(poll__status_id=status.id).values("account_id"),
    )
    inboxes = status_inboxes(status, with_boosters=True) + [inbox_of(a) for a in voters]
    if inboxes:
        body = activities.render_update_note(status, at=timezone.now())
        delivery.queue_activity(status.account, body, inboxes)
