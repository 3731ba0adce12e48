"""Writes on accounts that remote servers ask for through their inboxes: follows of our users,
answers to our follow requests, blocks, account moves and featured collections (what
Mastodon's ActivityPub::Activity::{Follow,Accept,Reject,Undo,Block,Move,Add,Remove} and the
MoveWorker do to accounts).

The inbox handlers parse and check the activity; these functions apply it with the same
relationship rules as the API (``accounts.services``). They send back only what Mastodon sends
back: an Accept or a Reject of a Follow, never an Undo for something the remote side ended.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction

from accounts import policies
from accounts.models import (
    Account,
    AccountNote,
    Block,
    FeaturedTag,
    Follow,
    FollowRequest,
    Mute,
)
from accounts.services import (
    AccountError,
    NotPermittedError,
    _drop_follow,
    _drop_follow_request,
    _federate_relationship,
    authorize_follow_request,
    block_account,
    feature_tag,
    follow_account,
    mute_account,
)
from federation import outbox as federation
from fedisocial.ids import generate_id
from statuses.formatting import normalize_hashtag
from statuses.models import Status, StatusPin, Tag, Visibility
from timelines.models import Notification
from timelines.notifications import notify as notify_account

logger = logging.getLogger(__name__)

# Mastodon ignores a second Move of the same account for a week (move_in_progress:<id>).
MOVE_COOLDOWN = timedelta(days=7)
MOVE_BATCH = 500
# Our own Follow ids: ``<actor uri>#follows/<row id>`` (federation.renderers.activities).
OUR_FOLLOW_ID_RE = re.compile(r"#follows/(\d+)$")


class MoveError(Exception):
    """A Move we refuse: the new account does not claim the old one, or cannot be used."""


# --- Follows of our accounts ----------------------------------------------------------------------


def _reject_follow(account: Account, target: Account, *, uri: str) -> None:
    """Answer a Follow we refuse with a Reject, as Mastodon's Follow handler does, so that the
    remote server does not show its user a request pending for ever. No row stands behind it:
    a fresh number keeps the Reject's id unique (remote inboxes drop repeated ids)."""
    federation.notify(
        "follow.rejected",
        account_id=account.id,
        target_id=target.id,
        follow_id=generate_id(),
        uri=uri,
    )


@transaction.atomic
def receive_follow(account: Account, target: Account, *, uri: str) -> Follow | FollowRequest | None:
    """Remote ``account`` asks to follow local ``target`` with the Follow activity ``uri``.

    As Mastodon: a request already pending only takes the new id; a target that blocks the
    account or its domain, has moved, is suspended or is the instance actor answers with a
    Reject (None is returned); a repeated Follow of an existing follow takes the new id and is
    accepted again (the remote side may have lost our Accept); otherwise ``follow_account``
    applies, so an unlocked target accepts at once and a locked one gets a request. A silenced
    account may only ask, whatever the target's setting."""
    from federation.actors import is_instance_actor

    pending = FollowRequest.objects.filter(account_id=account.id, target_account_id=target.id)
    if pending.exists():
        pending.update(uri=uri)
        return pending.first()
    refused = (
        policies.blocks(target.id, account.id)
        or policies.domain_blocked_by(target, account.domain)
        or target.moved_to_id is not None
        or target.suspended_at is not None
        or is_instance_actor(target)
    )
    if refused:
        _reject_follow(account, target, uri=uri)
        return None
    existing = Follow.objects.filter(account_id=account.id, target_account_id=target.id).first()
    if existing is not None:
        existing.uri = uri
        existing.save(update_fields=["uri"])
        federation.notify(
            "follow.accepted",
            account_id=account.id,
            target_id=target.id,
            follow_id=existing.id,
            uri=uri,
        )
        return existing
    if account.silenced_at is not None and not target.locked:
        request = FollowRequest.objects.create(account=account, target_account=target, uri=uri)
        notify_account(target, Notification.Type.FOLLOW_REQUEST, from_account=account)
        return request
    try:
        return follow_account(account, target, uri=uri)
    except (NotPermittedError, Account.DoesNotExist):
        # A block the other way (the remote account blocks ours): refused all the same.
        _reject_follow(account, target, uri=uri)
        return None


# --- Answers to our follow requests ---------------------------------------------------------------


def _by_our_follow_id[M: (Follow, FollowRequest)](
    model: type[M], target: Account, uri: str
) -> M | None:
    """A row of ours that a Follow id names: by the id we stored, or by the row number in an
    id we minted (``#follows/<id>``) for a row whose uri was never written."""
    found = model.objects.filter(target_account_id=target.id, uri=uri).first()
    if found is not None:
        return found
    match = OUR_FOLLOW_ID_RE.search(uri)
    if match is None:
        return None
    from federation.actors import local_account_for_uri

    requester = local_account_for_uri(uri)
    if requester is None:
        return None
    return model.objects.filter(
        id=int(match.group(1)), account_id=requester.id, target_account_id=target.id, uri=""
    ).first()


def our_follow_request(
    target: Account, *, uri: str | None, requester: Account | None
) -> FollowRequest | None:
    """The pending request of ours to remote ``target`` that an Accept or Reject answers:
    by the Follow's id (Mastodon's ``follow_request_from_object``), else by the pair (local
    ``requester`` → ``target``) for peers that embed our Follow without its id."""
    if uri:
        found = _by_our_follow_id(FollowRequest, target, uri)
        if found is not None:
            return found
    if requester is None or not requester.local:
        return None
    return FollowRequest.objects.filter(
        account_id=requester.id, target_account_id=target.id
    ).first()


def our_follow(target: Account, *, uri: str | None, requester: Account | None) -> Follow | None:
    """An accepted follow of ours of remote ``target``, found as ``our_follow_request``."""
    if uri:
        found = _by_our_follow_id(Follow, target, uri)
        if found is not None:
            return found
    if requester is None or not requester.local:
        return None
    return Follow.objects.filter(account_id=requester.id, target_account_id=target.id).first()


@transaction.atomic
def follow_request_accepted(target: Account, request: FollowRequest) -> Follow:
    """Remote ``target`` accepted our pending ``request``: it becomes a follow and the
    target's recent statuses join the requester's home feed."""
    return authorize_follow_request(target, request.account)


@transaction.atomic
def follow_rejected(target: Account, requester: Account) -> None:
    """Remote ``target`` refused local ``requester``'s request, or removed it from its followers
    (a Reject of an accepted Follow): the request or follow ends here too. Nothing is sent
    back: the remote side already dropped it, so an Undo would only be noise."""
    _drop_follow_request(requester, target)
    _drop_follow(requester, target)


@transaction.atomic
def follow_acceptance_revoked(follow: Follow) -> FollowRequest:
    """An Undo of the Accept the remote target sent: our follow is pending again (Mastodon's
    ``Follow#revoke_request!``), with its options and id kept."""
    request, _ = FollowRequest.objects.get_or_create(
        account_id=follow.account_id,
        target_account_id=follow.target_account_id,
        defaults={
            "show_reblogs": follow.show_reblogs,
            "notify": follow.notify,
            "languages": follow.languages,
            "uri": follow.uri,
        },
    )
    _drop_follow(follow.account, follow.target_account)
    return request


# --- Blocks -------------------------------------------------------------------------------------


@transaction.atomic
def receive_block(account: Account, target: Account, *, uri: str) -> Block | None:
    """Remote ``account`` blocks local ``target``: follows and requests end both ways and each
    leaves the other's feeds (``block_account``; nothing is sent back for a remote blocker).
    The Block's id is kept so that its Undo can name it; a repeated Block only updates it."""
    block = block_account(account, target)
    if block is not None and uri and block.uri != uri:
        block.uri = uri
        block.save(update_fields=["uri"])
    return block


# --- Moves --------------------------------------------------------------------------------------


def _move_key(account: Account) -> str:
    return f"move_in_progress:{account.id}"


@transaction.atomic
def move_account(origin: Account, target: Account | None) -> bool:
    """Remote ``origin`` moved to ``target`` (a Move activity). The new account must name the
    old one in ``alsoKnownAs`` — only its owner can write that — else MoveError. ``origin``
    then shows where it went, and its local followers follow ``target`` instead (the task,
    as Mastodon's MoveWorker). False when the same account moved less than a week ago
    (Mastodon's cooldown against replays)."""
    if target is None or target.id == origin.id or target.suspended_at is not None:
        raise MoveError("the new account cannot be found or used")
    if origin.uri not in (target.also_known_as or []):
        raise MoveError(f"{target.uri} does not list {origin.uri} in alsoKnownAs")
    if not cache.add(_move_key(origin), 1, timeout=int(MOVE_COOLDOWN.total_seconds())):
        return False
    try:
        origin.moved_to = target
        origin.save(update_fields=["moved_to", "updated_at"])
        from accounts.tasks import move_followers_task

        move_followers_task.delay_on_commit(origin.id, target.id)
    except BaseException:
        cache.delete(_move_key(origin))  # not moved after all: a retry must not be skipped
        raise
    return True


MOVED_NOTE = "This user moved from {acct}, here were your previous notes about them:"
MOVED_BLOCK_NOTE = "This user moved from {acct}, which you had blocked."
MOVED_MUTE_NOTE = "This user moved from {acct}, which you had muted."


def _move_one_follower(follow: Follow, origin: Account, target: Account) -> bool:
    """Mastodon's UnfollowFollowWorker: follow the new account with the old follow's options
    (a request, as any follow of a remote account), then drop the old follow (its Undo goes
    to the old server) leaving the old account's statuses in the home feed."""
    follower = follow.account
    try:
        follow_account(
            follower,
            target,
            reblogs=follow.show_reblogs,
            notify=follow.notify,
            languages=follow.languages,
        )
    except (NotPermittedError, Account.DoesNotExist):
        return False
    dropped = _drop_follow(follower, origin, unmerge=False)
    if not origin.local:
        _federate_relationship("follow.undone", dropped, follower.id, origin.id)
    return True


def _note_for(account: Account, target: Account, text: str) -> None:
    if not AccountNote.objects.filter(account_id=account.id, target_account_id=target.id).exists():
        AccountNote.objects.create(account=account, target_account=target, comment=text)


def move_followers(origin: Account, target: Account) -> int:
    """Carry local users' relationships with ``origin`` over to ``target`` (the MoveWorker):
    followers re-follow, notes are copied, blocks and mutes follow the account unless the user
    already follows (or blocks, or mutes) the new one. Returns how many followers moved."""
    moved = 0
    follow_ids = list(
        Follow.objects.filter(target_account_id=origin.id, account__domain__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(follow_ids), MOVE_BATCH):
        batch = Follow.objects.filter(id__in=follow_ids[start : start + MOVE_BATCH])
        for follow in batch.select_related("account").order_by("id"):
            with transaction.atomic():
                moved += _move_one_follower(follow, origin, target)
    acct = origin.acct
    for note in AccountNote.objects.filter(target_account_id=origin.id).select_related("account"):
        if not note.account.local:
            continue
        text = MOVED_NOTE.format(acct=acct)
        existing = AccountNote.objects.filter(
            account_id=note.account_id, target_account_id=target.id
        ).first()
        if existing is None:
            AccountNote.objects.create(
                account=note.account, target_account=target, comment=f"{text}\n{note.comment}"
            )
        else:
            existing.comment = f"{text}\n{note.comment}\n\n\n{existing.comment}"
            existing.save(update_fields=["comment"])
    for block in Block.objects.filter(
        target_account_id=origin.id, account__domain__isnull=True
    ).select_related("account"):
        user = block.account
        if policies.blocks(user.id, target.id) or _follows(user, target):
            continue
        block_account(user, target)
        _note_for(user, target, MOVED_BLOCK_NOTE.format(acct=acct))
    for mute in Mute.objects.filter(
        target_account_id=origin.id, account__domain__isnull=True
    ).select_related("account"):
        user = mute.account
        muting = Mute.objects.filter(account_id=user.id, target_account_id=target.id).exists()
        if muting or _follows(user, target):
            continue
        mute_account(user, target, notifications=mute.hide_notifications)
        _note_for(user, target, MOVED_MUTE_NOTE.format(acct=acct))
    return moved


def _follows(account: Account, target: Account) -> bool:
    return Follow.objects.filter(account_id=account.id, target_account_id=target.id).exists()


# --- Featured collections -----------------------------------------------------------------------


@transaction.atomic
def add_featured_status(account: Account, status: Status) -> StatusPin | None:
    """A remote account pins one of its own statuses (Add to its ``featured`` collection).
    Mastodon's pin rules without the local limit: its own status, not a boost, not direct."""
    if (
        status.account_id != account.id
        or status.reblog_id is not None
        or status.visibility == Visibility.DIRECT
        or status.deleted_at is not None
    ):
        return None
    pin, _ = StatusPin.objects.get_or_create(account=account, status=status)
    return pin


@transaction.atomic
def remove_featured_status(account: Account, status: Status) -> None:
    StatusPin.objects.filter(account_id=account.id, status_id=status.id).delete()


def add_featured_tag(account: Account, *, name: str) -> FeaturedTag | None:
    """A remote account features a hashtag (Add of a Hashtag); None for what is no hashtag or
    past the limit."""
    try:
        return feature_tag(account, name=name)
    except AccountError as exc:
        logger.info("featured tag %r of %s refused: %s", name, account.acct, exc)
        return None


@transaction.atomic
def remove_featured_tag(account: Account, *, name: str) -> None:
    normalized = normalize_hashtag(name.strip().removeprefix("#"))
    tag = Tag.objects.filter(name=normalized).first()
    if tag is not None:
        FeaturedTag.objects.filter(account_id=account.id, tag_id=tag.id).delete()
