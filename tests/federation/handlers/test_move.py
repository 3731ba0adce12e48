"""Move: a remote account moved to another; our users who followed it follow the new one."""

from __future__ import annotations

import pytest

from accounts.models import Account, AccountNote, Block, Follow, FollowRequest, Mute
from tests.federation.handlers.relationship_support import (
    document,
    done,
    fixture,
    go_offline,
    queued,
    receive,
    refused,
    remote_account,
)

# (fixture, old account, new account)
MOVES = [
    ("mastodon/move.json", "https://mastodon.example/users/dave", "https://gts.example/users/dave"),
    (
        "gotosocial/move.json",
        "https://gts.example/users/olddave",
        "https://pleroma.example/users/dave",
    ),
    (
        "misskey/move.json",
        "https://misskey.example/users/9dv0000d01",
        "https://pleroma.example/users/dave",
    ),
]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """The new GoToSocial account is served as GoToSocial serves it (alsoKnownAs the old
    Mastodon one); other fetches fail, so known rows are used."""
    return go_offline(
        monkeypatch,
        {"https://gts.example/users/dave": document("gotosocial/actor_aliased.json")},
    )


def relationship(client, account) -> dict:
    return client.get(f"/api/v1/accounts/relationships?id[]={account.id}").json()[0]


def new_account(uri: str, *, aliases: list[str]) -> Account | None:
    """The new account's row, except for the one that is fetched (served above)."""
    if uri == "https://gts.example/users/dave":
        return None
    return remote_account(uri, also_known_as=aliases)


@pytest.mark.parametrize(("name", "old_uri", "new_uri"), MOVES)
def test_followers_follow_the_new_account(name, old_uri, new_uri, alice, client_for):
    old = remote_account(old_uri)
    new_account(new_uri, aliases=[old_uri])
    Follow.objects.create(account=alice.account, target_account=old, uri=f"{old_uri}#f")
    client = client_for(alice)

    assert done(receive(fixture(name), old))

    new = Account.objects.get(uri=new_uri)
    assert client.get(f"/api/v1/accounts/{old.id}").json()["moved"]["id"] == str(new.id)
    # A remote account is asked, as Mastodon's FollowService does; the old follow ends.
    state = relationship(client, new)
    assert (state["following"], state["requested"]) == (False, True)
    assert relationship(client, old)["following"] is False
    (follow,) = queued("Follow", inbox=new.inbox_url)
    assert follow["object"] == new_uri
    (undo,) = queued("Undo", inbox=old.inbox_url)
    assert undo["object"]["type"] == "Follow"
    assert undo["object"]["object"] == old_uri


def test_the_follow_options_carry_over(alice):
    old = remote_account("https://mastodon.example/users/dave")
    Follow.objects.create(
        account=alice.account, target_account=old, show_reblogs=False, notify=True
    )

    receive(fixture("mastodon/move.json"), old)

    new = Account.objects.get(uri="https://gts.example/users/dave")
    request = FollowRequest.objects.get(account=alice.account, target_account=new)
    assert (request.show_reblogs, request.notify) == (False, True)


def test_blocks_mutes_and_notes_follow_the_account(alice, bob, make_user, client_for):
    carol = make_user("carol")
    old = remote_account("https://gts.example/users/olddave")
    new = remote_account("https://pleroma.example/users/dave", also_known_as=[old.uri])
    Block.objects.create(account=alice.account, target_account=old)
    Mute.objects.create(account=bob.account, target_account=old, hide_notifications=False)
    AccountNote.objects.create(account=carol.account, target_account=old, comment="met at FOSDEM")

    receive(fixture("gotosocial/move.json"), old)

    assert relationship(client_for(alice), new)["blocking"] is True
    bob_state = relationship(client_for(bob), new)
    assert (bob_state["muting"], bob_state["muting_notifications"]) == (True, False)
    note = relationship(client_for(carol), new)["note"]
    assert note.startswith("This user moved from olddave@gts.example")
    assert note.endswith("met at FOSDEM")
    assert (
        "olddave@gts.example, which you had blocked" in relationship(client_for(alice), new)["note"]
    )


def test_move_to_an_account_that_does_not_claim_the_old_one_is_refused(alice, client_for):
    old = remote_account("https://misskey.example/users/9dv0000d01")
    remote_account("https://pleroma.example/users/dave", also_known_as=[])
    Follow.objects.create(account=alice.account, target_account=old)

    assert refused(receive(fixture("misskey/move.json"), old))

    old.refresh_from_db()
    assert old.moved_to_id is None
    assert relationship(client_for(alice), old)["following"] is True
    assert queued() == []


def test_move_to_an_unknown_account_is_refused(alice):
    old = remote_account("https://gts.example/users/olddave")
    Follow.objects.create(account=alice.account, target_account=old)

    assert refused(receive(fixture("gotosocial/move.json"), old))

    assert Follow.objects.filter(target_account=old).exists()


def test_an_account_cannot_move_someone_else(alice):
    mallory = remote_account("https://mastodon.example/users/mallory")
    old = remote_account("https://mastodon.example/users/dave")
    Follow.objects.create(account=alice.account, target_account=old)
    activity = fixture("mastodon/move.json")
    activity["actor"] = mallory.uri

    assert refused(receive(activity, mallory))

    old.refresh_from_db()
    assert old.moved_to_id is None
    assert Follow.objects.filter(target_account=old).exists()


def test_a_replayed_move_does_nothing_more(alice):
    old = remote_account("https://mastodon.example/users/dave")
    Follow.objects.create(account=alice.account, target_account=old)
    activity = fixture("mastodon/move.json")
    receive(activity, old)
    sent = len(queued())
    Follow.objects.create(account=alice.account, target_account=old)

    assert done(receive({**activity, "id": f"{activity['id']}-again"}, old))

    assert len(queued()) == sent
    assert Follow.objects.filter(target_account=old).exists()
