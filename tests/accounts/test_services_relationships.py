"""The relationship services called directly, as the web UI and the inbox will call them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import AccountPin, Follow, FollowRequest, Mute
from accounts.tasks import expire_mutes_task
from tests.factories.accounts import RemoteAccountFactory


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = []
    for name in ("merge_into_home_task", "unmerge_from_home_task"):
        task = getattr(services, name)
        monkeypatch.setattr(
            task, "delay_on_commit", lambda *args, _n=name: calls.append((_n, args))
        )
    return calls


def test_follow_defaults_show_boosts_without_notifications(alice, bob) -> None:
    follow = services.follow_account(alice.account, bob.account)

    assert isinstance(follow, Follow)
    assert (follow.show_reblogs, follow.notify, follow.languages) == (True, False, None)


def test_follow_request_becomes_a_follow_with_its_options(alice, make_user) -> None:
    locked = make_user("locked", locked=True).account
    request = services.follow_account(alice.account, locked, reblogs=False, languages=["fr"])
    assert isinstance(request, FollowRequest)

    follow = services.authorize_follow_request(locked, alice.account)

    assert (follow.show_reblogs, follow.languages) == (False, ["fr"])
    locked.refresh_from_db()
    assert locked.followers_count == 1


def test_authorizing_without_a_request_raises_not_found(alice, bob) -> None:
    with pytest.raises(FollowRequest.DoesNotExist):
        services.authorize_follow_request(alice.account, bob.account)


def test_follow_refused_for_a_moved_account(alice, make_user) -> None:
    new = make_user("new").account
    old = make_user("old", moved_to=new).account

    with pytest.raises(services.NotPermittedError):
        services.follow_account(alice.account, old)


def test_counters_never_go_negative(alice, bob) -> None:
    Follow.objects.create(account=alice.account, target_account=bob.account)  # counters not kept

    services.unfollow_account(alice.account, bob.account)

    bob.account.refresh_from_db()
    alice.account.refresh_from_db()
    assert (bob.account.followers_count, alice.account.following_count) == (0, 0)


def test_block_unmerges_both_local_feeds_once(alice, bob, queued) -> None:
    services.follow_account(alice.account, bob.account)
    services.follow_account(bob.account, alice.account)
    queued.clear()

    services.block_account(alice.account, bob.account)

    assert queued == [
        ("unmerge_from_home_task", (alice.account.id, bob.account.id)),
        ("unmerge_from_home_task", (bob.account.id, alice.account.id)),
    ]


def test_block_of_a_remote_account_unmerges_only_the_local_feed(alice, queued) -> None:
    remote = RemoteAccountFactory()
    Follow.objects.create(account=remote, target_account=alice.account)

    services.block_account(alice.account, remote)

    assert queued == [("unmerge_from_home_task", (alice.account.id, remote.id))]
    assert not Follow.objects.exists()


def test_mute_unmerges_and_unmute_merges_back_a_followed_account(alice, bob, queued) -> None:
    services.follow_account(alice.account, bob.account)
    queued.clear()

    services.mute_account(alice.account, bob.account)
    services.unmute_account(alice.account, bob.account)

    assert queued == [
        ("unmerge_from_home_task", (alice.account.id, bob.account.id)),
        ("merge_into_home_task", (alice.account.id, bob.account.id)),
    ]


def test_expire_mutes_task_deletes_only_expired_mutes(alice, bob, make_user, queued) -> None:
    carol = make_user("carol").account
    services.follow_account(alice.account, bob.account)
    queued.clear()
    Mute.objects.create(
        account=alice.account,
        target_account=bob.account,
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    Mute.objects.create(
        account=alice.account, target_account=carol, expires_at=timezone.now() + timedelta(days=1)
    )
    Mute.objects.create(account=bob.account, target_account=carol)

    ended = expire_mutes_task.delay().get()

    assert ended == 1
    assert Mute.objects.count() == 2
    assert not Mute.objects.filter(target_account=bob.account).exists()
    assert queued == [("merge_into_home_task", (alice.account.id, bob.account.id))]


def test_endorsement_goes_with_the_follow_on_block(alice, bob) -> None:
    services.follow_account(bob.account, alice.account)
    services.endorse_account(bob.account, alice.account)

    services.block_account(alice.account, bob.account)

    assert not AccountPin.objects.exists()


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("Example.COM", "example.com"),
        (" example.com/ ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("host.example:8443", "host.example:8443"),
    ],
)
def test_normalize_domain(given: str, normalized: str) -> None:
    assert services.normalize_domain(given) == normalized


@pytest.mark.parametrize("bad", ["", "a b", "https://x.example", "-x.example", "x..example"])
def test_normalize_domain_rejects(bad: str) -> None:
    with pytest.raises(services.AccountError):
        services.normalize_domain(bad)


def test_update_profile_renders_the_bio_as_html(alice) -> None:
    account = services.update_profile(alice.account, note="one\ntwo\n\nthree & four")

    assert account.note_source == "one\ntwo\n\nthree & four"
    assert "<p>" in account.note
    assert "&amp;" in account.note
    assert "three" in account.note


def test_update_profile_keeps_unspecified_values(alice) -> None:
    services.update_profile(alice.account, display_name="Alice", locked=True)

    account = services.update_profile(alice.account, bot=True)

    assert (account.display_name, account.locked, account.bot) == ("Alice", True, True)
