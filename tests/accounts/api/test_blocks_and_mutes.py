"""Blocking and muting accounts, blocking domains, and the lists of them."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import AccountDomainBlock, Block, Follow, FollowRequest, Mute
from tests.accounts.api.conftest import link_targets
from tests.factories.accounts import RemoteAccountFactory
from timelines.models import Notification


def test_block_ends_follows_both_ways_and_requests(alice, bob, client_for) -> None:
    client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/follow")
    client_for(bob).post(f"/api/v1/accounts/{alice.account.id}/follow")
    assert Notification.objects.filter(account=alice.account).exists()

    response = client_for(alice, scopes="write:blocks").post(
        f"/api/v1/accounts/{bob.account.id}/block"
    )

    assert response.status_code == 200
    rel = response.json()
    assert rel["blocking"] is True
    assert (rel["following"], rel["followed_by"], rel["requested"]) == (False, False, False)
    assert not Follow.objects.exists()
    for account in (alice.account, bob.account):
        account.refresh_from_db()
        assert (account.followers_count, account.following_count) == (0, 0)
    assert not Notification.objects.filter(account=alice.account).exists()


def test_block_rejects_a_pending_request_from_the_target(alice, make_user, client_for) -> None:
    me = make_user("me", locked=True)
    client_for(alice).post(f"/api/v1/accounts/{me.account.id}/follow")

    response = client_for(me).post(f"/api/v1/accounts/{alice.account.id}/block")

    assert response.json()["requested_by"] is False
    assert not FollowRequest.objects.exists()


def test_blocked_account_sees_blocked_by(alice, bob, client_for) -> None:
    client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/block")

    rel = client_for(bob).get("/api/v1/accounts/relationships", {"id[]": alice.account.id})

    assert rel.json()[0]["blocked_by"] is True


def test_blocking_yourself_changes_nothing(alice, client_for) -> None:
    response = client_for(alice).post(f"/api/v1/accounts/{alice.account.id}/block")

    assert response.status_code == 200
    assert response.json()["blocking"] is False


def test_unblock(alice, bob, client_for) -> None:
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.account.id}/block")

    response = client.post(f"/api/v1/accounts/{bob.account.id}/unblock")

    assert response.json()["blocking"] is False
    assert not Block.objects.exists()


def test_block_needs_write_blocks(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="write:follows").post(
        f"/api/v1/accounts/{bob.account.id}/block"
    )

    assert response.status_code == 403


def test_blocks_list_pages_by_block_id(alice, make_user, client_for) -> None:
    targets = [make_user(f"t{i}").account for i in range(3)]
    client = client_for(alice)
    for target in targets:
        client.post(f"/api/v1/accounts/{target.id}/block")
    blocks = list(Block.objects.order_by("id"))

    response = client_for(alice, scopes="read:blocks").get("/api/v1/blocks", {"limit": 2})

    assert [a["username"] for a in response.json()] == ["t2", "t1"]
    links = link_targets(response)
    assert links["next"] == f"http://testserver/api/v1/blocks?limit=2&max_id={blocks[1].id}"
    assert links["prev"] == f"http://testserver/api/v1/blocks?limit=2&min_id={blocks[2].id}"
    rest = client.get(links["next"])
    assert [a["username"] for a in rest.json()] == ["t0"]


def test_blocks_list_needs_read_blocks(alice, client_for, anon) -> None:
    assert anon.get("/api/v1/blocks").status_code == 401
    assert client_for(alice, scopes="read:mutes").get("/api/v1/blocks").status_code == 403


def test_mute_defaults_to_notifications_and_forever(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="write:mutes").post(
        f"/api/v1/accounts/{bob.account.id}/mute"
    )

    rel = response.json()
    assert (rel["muting"], rel["muting_notifications"], rel["muting_expires_at"]) == (
        True,
        True,
        None,
    )
    mute = Mute.objects.get()
    assert mute.hide_notifications is True
    assert mute.expires_at is None


def test_mute_again_updates_notifications_and_duration(alice, bob, client_for) -> None:
    client = client_for(alice)
    url = f"/api/v1/accounts/{bob.account.id}/mute"
    client.post(url)

    before = timezone.now()
    response = client.post(url, {"notifications": False, "duration": 3600}, format="json")

    rel = response.json()
    assert rel["muting"] is True
    assert rel["muting_notifications"] is False
    mute = Mute.objects.get()
    assert before + timedelta(seconds=3590) < mute.expires_at <= timezone.now() + timedelta(hours=1)
    assert rel["muting_expires_at"] is not None


def test_mute_with_negative_duration_is_422(alice, bob, client_for) -> None:
    response = client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/mute", {"duration": -5})

    assert response.status_code == 422


def test_unmute(alice, bob, client_for) -> None:
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.account.id}/mute")

    response = client.post(f"/api/v1/accounts/{bob.account.id}/unmute")

    assert response.json()["muting"] is False
    assert not Mute.objects.exists()


def test_mutes_list_shows_expiry_and_skips_expired_mutes(alice, make_user, client_for) -> None:
    forever = make_user("forever").account
    timed = make_user("timed").account
    expired = make_user("expired").account
    until = timezone.now() + timedelta(days=1)
    Mute.objects.create(account=alice.account, target_account=forever)
    timed_mute = Mute.objects.create(account=alice.account, target_account=timed, expires_at=until)
    Mute.objects.create(
        account=alice.account,
        target_account=expired,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    response = client_for(alice, scopes="read:mutes").get("/api/v1/mutes", {"limit": 1})

    data = response.json()
    assert [a["username"] for a in data] == ["timed"]
    assert data[0]["mute_expires_at"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    assert link_targets(response)["next"].endswith(f"max_id={timed_mute.id}")
    rest = client_for(alice).get(link_targets(response)["next"]).json()
    assert [(a["username"], a["mute_expires_at"]) for a in rest] == [("forever", None)]


def test_domain_blocks_add_list_and_remove(alice, client_for) -> None:
    client = client_for(alice, scopes="write:blocks read:blocks")

    for domain in ("One.example", "two.example/", "three.example:8443"):
        response = client.post("/api/v1/domain_blocks", {"domain": domain})
        assert response.status_code == 200
        assert response.json() == {}
    again = client.post("/api/v1/domain_blocks", {"domain": "one.example"})
    listing = client.get("/api/v1/domain_blocks", {"limit": 2})
    rows = list(AccountDomainBlock.objects.order_by("id"))
    removed = client.delete("/api/v1/domain_blocks", {"domain": "two.example"}, format="json")

    assert again.status_code == 200
    assert listing.json() == ["three.example:8443", "two.example"]
    assert link_targets(listing)["next"].endswith(f"limit=2&max_id={rows[1].id}")
    assert removed.status_code == 200
    assert removed.json() == {}
    assert list(AccountDomainBlock.objects.values_list("domain", flat=True).order_by("id")) == [
        "one.example",
        "three.example:8443",
    ]


def test_domain_block_validation(alice, client_for) -> None:
    client = client_for(alice)

    blank = client.post("/api/v1/domain_blocks", {})
    spaced = client.post("/api/v1/domain_blocks", {"domain": "not a domain"})

    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: Domain can't be blank"}
    assert spaced.status_code == 422
    assert spaced.json() == {"error": "Validation failed: Domain is not a valid domain name"}


def test_domain_block_removes_followers_from_that_domain(alice, client_for) -> None:
    far = RemoteAccountFactory(domain="far.example")
    near = RemoteAccountFactory(domain="near.example")
    for account in (far, near):
        Follow.objects.create(account=account, target_account=alice.account)
    pending = RemoteAccountFactory(domain="far.example")
    FollowRequest.objects.create(account=pending, target_account=alice.account)
    alice.account.followers_count = 2
    alice.account.save()

    client_for(alice).post("/api/v1/domain_blocks", {"domain": "far.example"})

    assert list(Follow.objects.values_list("account_id", flat=True)) == [near.id]
    assert not FollowRequest.objects.exists()
    alice.account.refresh_from_db()
    assert alice.account.followers_count == 1
