"""The Relationship entity, familiar followers, private notes and endorsements."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import (
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    Follow,
    FollowRequest,
    Mute,
)
from tests.accounts.api.conftest import link_targets
from tests.factories.accounts import RemoteAccountFactory


def test_relationships_answer_every_key_for_each_id_in_order(alice, bob, make_user, client_for):
    carol = make_user("carol").account
    response = client_for(alice, scopes="read:follows").get(
        "/api/v1/accounts/relationships", {"id[]": [carol.id, bob.account.id, 999]}
    )

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(pk),
            "following": False,
            "showing_reblogs": False,
            "notifying": False,
            "languages": None,
            "followed_by": False,
            "blocking": False,
            "blocked_by": False,
            "muting": False,
            "muting_notifications": False,
            "muting_expires_at": None,
            "requested": False,
            "requested_by": False,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }
        for pk in (carol.id, bob.account.id)
    ]


def test_relationships_reflect_every_kind_of_link(alice, make_user, client_for) -> None:
    me = alice.account
    friend = make_user("friend").account
    Follow.objects.create(account=me, target_account=friend, notify=True, languages=["en"])
    Follow.objects.create(account=friend, target_account=me)
    AccountPin.objects.create(account=me, target_account=friend)
    AccountNote.objects.create(account=me, target_account=friend, comment="met at a café")
    foe = make_user("foe").account
    Block.objects.create(account=me, target_account=foe)
    Block.objects.create(account=foe, target_account=me)
    quiet = make_user("quiet").account
    until = timezone.now() + timedelta(hours=1)
    Mute.objects.create(
        account=me, target_account=quiet, hide_notifications=False, expires_at=until
    )
    asker = make_user("asker").account
    FollowRequest.objects.create(account=asker, target_account=me)
    FollowRequest.objects.create(account=me, target_account=asker, show_reblogs=False)
    remote = RemoteAccountFactory(domain="far.example")
    AccountDomainBlock.objects.create(account=me, domain="far.example")

    response = client_for(alice).get(
        "/api/v1/accounts/relationships",
        {"id[]": [friend.id, foe.id, quiet.id, asker.id, remote.id]},
    )
    friend_rel, foe_rel, quiet_rel, asker_rel, remote_rel = response.json()

    assert friend_rel["following"]
    assert friend_rel["followed_by"]
    assert friend_rel["endorsed"]
    assert (friend_rel["showing_reblogs"], friend_rel["notifying"]) == (True, True)
    assert friend_rel["languages"] == ["en"]
    assert friend_rel["note"] == "met at a café"
    assert foe_rel["blocking"]
    assert foe_rel["blocked_by"]
    assert quiet_rel["muting"]
    assert not quiet_rel["muting_notifications"]
    assert quiet_rel["muting_expires_at"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert asker_rel["requested"]
    assert asker_rel["requested_by"]
    assert asker_rel["showing_reblogs"] is False
    assert remote_rel["domain_blocking"] is True


def test_relationships_never_show_other_peoples_links(alice, bob, make_user, client_for):
    carol = make_user("carol").account
    Follow.objects.create(account=bob.account, target_account=carol)
    Block.objects.create(account=bob.account, target_account=carol)
    AccountNote.objects.create(account=bob.account, target_account=carol, comment="secret")

    rel = client_for(alice).get("/api/v1/accounts/relationships", {"id[]": carol.id}).json()[0]

    assert not rel["following"]
    assert not rel["blocking"]
    assert rel["note"] == ""


def test_expired_mute_reads_as_absent(alice, bob, client_for) -> None:
    Mute.objects.create(
        account=alice.account,
        target_account=bob.account,
        expires_at=timezone.now() - timedelta(seconds=1),
    )

    rel = client_for(alice).get("/api/v1/accounts/relationships", {"id[]": bob.account.id})

    assert rel.json()[0]["muting"] is False


def test_relationships_skip_suspended_accounts_unless_asked(alice, make_user, client_for):
    gone = make_user("gone", suspended_at=timezone.now()).account
    client = client_for(alice)

    assert client.get("/api/v1/accounts/relationships", {"id[]": gone.id}).json() == []
    with_suspended = client.get(
        "/api/v1/accounts/relationships", {"id[]": gone.id, "with_suspended": "true"}
    )
    assert [r["id"] for r in with_suspended.json()] == [str(gone.id)]


def test_relationships_query_count_is_constant(
    alice, make_user, client_for, django_assert_num_queries
) -> None:
    others = [make_user(f"other{i}").account for i in range(40)]
    for other in others[::2]:
        Follow.objects.create(account=alice.account, target_account=other)
        Block.objects.create(account=other, target_account=alice.account)
    client = client_for(alice)

    # 1 token + 1 accounts + 7 relationship queries, for 1 id as for 40.
    with django_assert_num_queries(9):
        one = client.get("/api/v1/accounts/relationships", {"id[]": [others[0].id]})
    with django_assert_num_queries(9):
        many = client.get("/api/v1/accounts/relationships", {"id[]": [o.id for o in others]})
    assert len(one.json()) == 1
    assert len(many.json()) == 40


def test_relationships_need_read_follows(alice, bob, client_for, anon) -> None:
    url = "/api/v1/accounts/relationships"
    assert anon.get(url, {"id[]": bob.account.id}).status_code == 401
    denied = client_for(alice, scopes="read:accounts").get(url, {"id[]": bob.account.id})
    assert denied.status_code == 403


def test_familiar_followers(alice, bob, make_user, client_for) -> None:
    target = make_user("target").account
    lonely = make_user("lonely").account
    mutual = make_user("mutual").account
    shy = make_user("shy", hide_collections=True).account
    stranger = make_user("stranger").account
    for account in (mutual, shy):
        Follow.objects.create(account=alice.account, target_account=account)
    for account in (mutual, shy, stranger):
        Follow.objects.create(account=account, target_account=target)

    response = client_for(alice, scopes="read:follows").get(
        "/api/v1/accounts/familiar_followers", {"id[]": [target.id, lonely.id]}
    )

    assert response.status_code == 200
    data = response.json()
    assert [item["id"] for item in data] == [str(target.id), str(lonely.id)]
    assert [a["username"] for a in data[0]["accounts"]] == ["mutual"]
    assert data[1]["accounts"] == []


def test_note_is_set_and_cleared(alice, bob, client_for) -> None:
    client = client_for(alice, scopes="write:accounts")
    url = f"/api/v1/accounts/{bob.account.id}/note"

    set_note = client.post(url, {"comment": "owes me lunch"})
    cleared = client.post(url, {"comment": ""})

    assert set_note.json()["note"] == "owes me lunch"
    assert cleared.json()["note"] == ""
    assert not AccountNote.objects.exists()


def test_note_too_long_is_422(alice, bob, client_for) -> None:
    response = client_for(alice).post(
        f"/api/v1/accounts/{bob.account.id}/note", {"comment": "x" * 2001}
    )

    assert response.status_code == 422


def test_endorse_needs_a_follow(alice, bob, client_for) -> None:
    response = client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/endorse")

    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: You must be already following the person you want to endorse"
    }


def test_endorse_pin_and_list_endorsements(alice, bob, make_user, client_for, anon) -> None:
    carol = make_user("carol").account
    client = client_for(alice)
    for target in (bob.account, carol):
        client.post(f"/api/v1/accounts/{target.id}/follow")

    endorsed = client.post(f"/api/v1/accounts/{bob.account.id}/endorse")
    pinned = client.post(f"/api/v1/accounts/{carol.id}/pin")
    again = client.post(f"/api/v1/accounts/{carol.id}/pin")
    mine = client.get("/api/v1/endorsements", {"limit": 1})
    public = anon.get(f"/api/v1/accounts/{alice.account.id}/endorsements")

    assert endorsed.json()["endorsed"]
    assert pinned.json()["endorsed"]
    assert again.json()["endorsed"]
    assert [a["username"] for a in mine.json()] == ["carol"]
    pins = list(AccountPin.objects.order_by("id"))
    assert link_targets(mine)["next"].endswith(f"/api/v1/endorsements?limit=1&max_id={pins[1].id}")
    assert [a["username"] for a in public.json()] == ["carol", "bob"]

    unpinned = client.post(f"/api/v1/accounts/{carol.id}/unpin")
    unendorsed = client.post(f"/api/v1/accounts/{bob.account.id}/unendorse")
    assert not unpinned.json()["endorsed"]
    assert not unendorsed.json()["endorsed"]
    assert not AccountPin.objects.exists()


def test_unfollowing_drops_the_endorsement(alice, bob, client_for) -> None:
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.account.id}/follow")
    client.post(f"/api/v1/accounts/{bob.account.id}/endorse")

    response = client.post(f"/api/v1/accounts/{bob.account.id}/unfollow")

    assert response.json()["endorsed"] is False


def test_endorse_needs_write_accounts(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="write:follows").post(
        f"/api/v1/accounts/{bob.account.id}/endorse"
    )

    assert response.status_code == 403
