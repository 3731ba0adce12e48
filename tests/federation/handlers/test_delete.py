"""Delete: a remote status or a whole remote account disappears for the people here; nothing
of another origin or another actor can be deleted (Mastodon's Delete)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import Account, Follow
from federation.inbox.dispatch import HandlerError
from statuses.models import Favourite, Status
from statuses.remote import delete_remote_account
from statuses.services import favourite_status, reblog_status
from tests.federation.handlers.status_support import (
    BOB,
    FRANK,
    KIM,
    MIKA,
    alice_status,
    bob,
    follow,
    handle,
    home_ids,
    notifications,
    payload,
    remote_actor,
)

pytestmark = pytest.mark.django_db


def _create(name: str, author: Account, replace: dict[str, str] | None = None) -> Status:
    handle(payload(name, replace=replace, published_ago=timedelta(minutes=5)), author)
    return Status.objects.filter(account=author).order_by("-id").first()  # type: ignore[return-value]


def test_deleted_status_leaves_timelines(carol, client_for):
    author = bob()
    follow(carol.account, author)
    status = _create(
        "mastodon/create_note_public.json",
        author,
        replace={"113520000000000001": "113520000000000003"},
    )
    client = client_for(carol)
    assert str(status.id) in home_ids(client)

    handle(payload("mastodon/delete_note_tombstone.json"), author)

    assert str(status.id) not in home_ids(client)
    assert client.get(f"/api/v1/statuses/{status.id}").status_code == 404
    author.refresh_from_db()
    assert author.statuses_count == 0


@pytest.mark.parametrize(
    ("create", "delete", "actor", "old_id", "new_id"),
    [
        (
            "gotosocial/create_note_public.json",
            "gotosocial/delete_note_uri.json",
            FRANK,
            "01JD5Q8V7K3M2N4P6R8T0W2Y4A",
            "01JD5R0C2D3E4F5G6H7J8K9M0N",
        ),
        (
            "pleroma/create_note_public.json",
            "pleroma/delete_note_uri.json",
            KIM,
            "0b3e6a52-8c0f-4f6e-9a47-1d2c3b4a5e6f",
            "1c4f7b63-9d1a-4a7f-8b58-2e3d4c5b6f70",
        ),
        (
            "misskey/create_note_public.json",
            "misskey/delete_note_tombstone.json",
            MIKA,
            "9zq7k1m2n3",
            "9zq7k5p6q7",
        ),
    ],
)
def test_deletes_of_other_servers(carol, client_for, create, delete, actor, old_id, new_id):
    author = remote_actor(actor)
    follow(carol.account, author)
    status = _create(create, author, replace={old_id: new_id})
    handle(payload(delete), author)

    assert client_for(carol).get(f"/api/v1/statuses/{status.id}").status_code == 404


def test_deleting_a_boosted_status_takes_the_local_boost_and_its_notification(carol, client_for):
    author = bob()
    follow(carol.account, author)
    status = _create(
        "mastodon/create_note_public.json",
        author,
        replace={"113520000000000001": "113520000000000003"},
    )
    boost = reblog_status(carol.account, status)
    handle(payload("mastodon/delete_note_tombstone.json"), author)

    boost.refresh_from_db()
    assert boost.deleted_at is not None


def test_deleted_account_disappears_with_everything_it_wrote(carol, alice, client_for):
    erin = remote_actor("https://mastodon.example/users/erin")
    follow(carol.account, erin)
    follow(erin, alice.account)
    Account.objects.filter(id=carol.account.id).update(following_count=1)
    Account.objects.filter(id=alice.account.id).update(followers_count=1)
    status = _create("mastodon/create_note_public.json", erin, replace={"users/bob": "users/erin"})
    ours = alice_status(alice.account)
    favourite_status(erin, ours)
    client = client_for(carol)
    assert str(status.id) in home_ids(client)

    handle(payload("mastodon/delete_actor.json"), erin)

    assert client.get(f"/api/v1/accounts/{erin.id}").status_code == 404
    assert str(status.id) not in home_ids(client)
    assert client.get(f"/api/v1/statuses/{status.id}").status_code == 404
    assert not Status.objects.filter(id=status.id).exists()
    assert not Follow.objects.filter(account_id=erin.id).exists()
    assert not Follow.objects.filter(target_account_id=erin.id).exists()
    assert Account.objects.get(id=carol.account.id).following_count == 0
    assert Account.objects.get(id=alice.account.id).followers_count == 0
    assert not Favourite.objects.filter(account_id=erin.id).exists()
    assert client_for(alice).get(f"/api/v1/statuses/{ours.id}").json()["favourites_count"] == 0
    assert notifications(client_for(alice)) == []


def test_local_boosts_of_a_deleted_accounts_statuses_go_too(carol, client_for, make_user):
    erin = remote_actor("https://mastodon.example/users/erin")
    follow(carol.account, erin)
    status = _create("mastodon/create_note_public.json", erin, replace={"users/bob": "users/erin"})
    dave = make_user("dave")
    follow(dave.account, carol.account)
    boost = reblog_status(carol.account, status)
    assert str(boost.id) in home_ids(client_for(dave))

    handle(payload("mastodon/delete_actor.json"), erin)

    assert str(boost.id) not in home_ids(client_for(dave))
    assert client_for(dave).get(f"/api/v1/statuses/{boost.id}").status_code == 404
    assert Account.objects.get(id=carol.account.id).statuses_count == 0


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("gotosocial/delete_actor.json", "https://gts.example/users/weatherbot"),
        ("misskey/delete_actor.json", "https://misskey.example/users/9dv0000d01"),
    ],
)
def test_account_deletions_of_other_servers(name, actor):
    account = remote_actor(actor)
    handle(payload(name), account)

    assert not Account.objects.filter(uri=actor).exists()


def test_many_statuses_of_a_deleted_account_are_all_discarded(carol):
    author = bob()
    follow(carol.account, author)
    for n in range(5):
        _create(
            "mastodon/create_note_public.json",
            author,
            replace={"113520000000000001": f"11352000000000010{n}"},
        )
    from statuses import remote

    remote.ACCOUNT_DELETION_BATCH, saved = 2, remote.ACCOUNT_DELETION_BATCH
    try:
        delete_remote_account(author)
    finally:
        remote.ACCOUNT_DELETION_BATCH = saved

    assert not Status.objects.filter(account_id=author.id).exists()
    assert not Account.objects.filter(id=author.id).exists()


def test_deleting_someone_elses_status_is_refused(carol, client_for):
    frank = remote_actor(FRANK)
    follow(carol.account, frank)
    status = _create("gotosocial/create_note_public.json", frank)
    with pytest.raises(HandlerError):
        handle(payload("hostile/delete_other_actors_note.json"), bob())

    status.refresh_from_db()
    assert status.deleted_at is None
    assert client_for(carol).get(f"/api/v1/statuses/{status.id}").status_code == 200


def test_deleting_our_status_from_outside_is_refused(alice, client_for):
    ours = alice_status(alice.account)
    data = payload(
        "hostile/delete_our_local_status.json", replace={"100000000000000001": str(ours.id)}
    )
    with pytest.raises(HandlerError):
        handle(data, bob())

    ours.refresh_from_db()
    assert ours.deleted_at is None


def test_deleting_another_actor_of_the_same_server_is_refused(carol):
    victim = remote_actor("https://mastodon.example/users/erin")
    attacker = bob()
    data = payload("mastodon/delete_actor.json")
    data["actor"] = BOB
    with pytest.raises(HandlerError):
        handle(data, attacker)

    victim.refresh_from_db()
    assert victim.suspended_at is None
