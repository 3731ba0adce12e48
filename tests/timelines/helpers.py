"""Statuses made with the ORM and fanned out exactly as the posting service will do it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from accounts.models import Account, Follow, User
from statuses.models import Conversation, Mention, Status, StatusTag, Tag, Visibility
from timelines.tasks import fan_out_status_task, merge_into_home_task


def account(who: User | Account) -> Account:
    return who.account if isinstance(who, User) else who


def post(
    author: User | Account,
    text: str = "hello",
    *,
    visibility: str = "public",
    mentions: Iterable[User | Account] = (),
    tags: Iterable[str] = (),
    in_reply_to: Status | None = None,
    fan_out: bool = True,
    **fields: Any,
) -> Status:
    author = account(author)
    visibility_value = Visibility.from_name(visibility)
    assert visibility_value is not None
    conversation = (
        in_reply_to.conversation if in_reply_to is not None else Conversation.objects.create()
    )
    status = Status.objects.create(
        account=author,
        text=text,
        content=f"<p>{text}</p>",
        visibility=visibility_value,
        local=author.domain is None,
        in_reply_to=in_reply_to,
        in_reply_to_account_id=in_reply_to.account_id if in_reply_to is not None else None,
        conversation=conversation,
        **fields,
    )
    for mentioned in mentions:
        Mention.objects.create(status=status, account=account(mentioned))
    for name in tags:
        tag, _ = Tag.objects.get_or_create(name=name.lower(), defaults={"display_name": name})
        StatusTag.objects.create(status=status, tag=tag)
    if fan_out:
        fan_out_status_task(status.id)
    return status


def boost(booster: User | Account, original: Status, *, fan_out: bool = True) -> Status:
    status = Status.objects.create(
        account=account(booster),
        reblog=original,
        visibility=Visibility.PUBLIC,
        local=account(booster).domain is None,
    )
    if fan_out:
        fan_out_status_task(status.id)
    return status


def follow(
    follower: User | Account, target: User | Account, *, merge: bool = False, **fields: Any
) -> Follow:
    f = Follow.objects.create(account=account(follower), target_account=account(target), **fields)
    if merge:
        merge_into_home_task(f.account_id, f.target_account_id)
    return f


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]
