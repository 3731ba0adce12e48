"""Announce: remote boosts in the homes of the booster's followers and in our authors'
notifications; an embedded object is never taken on trust (Mastodon's Announce)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from statuses.models import Status, Visibility
from statuses.remote import undo_remote_boost
from tests.factories.accounts import RemoteAccountFactory
from tests.federation.handlers.status_support import (
    ALICE_STATUS,
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

BOOST = "https://mastodon.example/users/bob/statuses/113520000000000010/activity"


def _boost_of_ours(name: str, ours: Status) -> dict[str, Any]:
    return payload(name, replace={ALICE_STATUS: str(ours.id)})


def test_boost_of_our_status_notifies_our_author(alice, carol, client_for):
    ours = alice_status(alice.account)
    booster = bob()
    follow(carol.account, booster)
    handle(_boost_of_ours("mastodon/announce_our_status.json", ours), booster)

    boost = Status.objects.get(uri=BOOST)
    assert boost.reblog_id == ours.id
    author = client_for(alice)
    assert [(n["type"], n["account"]["acct"]) for n in notifications(author)] == [
        ("reblog", "bob@mastodon.example")
    ]
    assert author.get(f"/api/v1/statuses/{ours.id}").json()["reblogs_count"] == 1
    follower = client_for(carol)
    timeline = follower.get("/api/v1/timelines/home").json()
    assert [(s["id"], s["reblog"]["id"]) for s in timeline] == [(str(boost.id), str(ours.id))]


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("gotosocial/announce.json", FRANK),
        ("misskey/announce_renote.json", MIKA),
        ("pleroma/announce.json", KIM),
    ],
)
def test_boosts_of_other_servers(alice, client_for, name, actor):
    ours = alice_status(alice.account)
    booster = remote_actor(actor)
    handle(_boost_of_ours(name, ours), booster)

    assert Status.objects.get(account=booster).reblog_id == ours.id
    assert [n["type"] for n in notifications(client_for(alice))] == ["reblog"]


def test_same_boost_twice_is_stored_once(alice):
    ours = alice_status(alice.account)
    booster = bob()
    data = _boost_of_ours("mastodon/announce_our_status.json", ours)
    handle(data, booster)
    handle(data, booster)

    assert Status.objects.filter(reblog=ours).count() == 1
    ours.refresh_from_db()
    assert ours.reblogs_count == 1


def test_boost_of_a_known_third_party_status_reaches_followers(carol, client_for, make_user):
    frank = remote_actor(FRANK)
    follow(make_user("dave").account, frank)
    handle(payload("gotosocial/create_note_public.json", published_ago=timedelta(minutes=5)), frank)
    original = Status.objects.get(account=frank)
    booster = bob()
    follow(carol.account, booster)
    handle(payload("mastodon/announce_third_party_status.json"), booster)

    boost = Status.objects.get(account=booster)
    assert boost.reblog_id == original.id
    assert str(boost.id) in home_ids(client_for(carol))


def test_embedded_object_is_not_trusted(carol):
    """The forged Note names misskey.example's mika; it can only be had from misskey.example,
    which does not answer: nothing is stored."""
    booster = bob()
    follow(carol.account, booster)
    remote_actor(MIKA)
    handle(payload("hostile/announce_embedded_forged_object.json"), booster)

    assert not Status.objects.exists()


def test_embedded_object_is_stored_as_its_origin_serves_it(carol, client_for, fake_remote):
    base = fake_remote.base_url
    author_uri = f"{base}/users/dan"
    RemoteAccountFactory(
        uri=author_uri,
        domain=base.split("//", 1)[1],
        username="dan",
        followers_url=f"{author_uri}/followers",
        fetched_at=timezone.now(),
    )
    fake_remote.documents["/notes/1"] = {
        "id": f"{base}/notes/1",
        "type": "Note",
        "attributedTo": author_uri,
        "content": "<p>what the origin says</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    booster = bob()
    follow(carol.account, booster)
    data = payload("hostile/announce_embedded_forged_object.json")
    data["object"] = {**data["object"], "id": f"{base}/notes/1", "attributedTo": author_uri}
    handle(data, booster)

    original = Status.objects.get(uri=f"{base}/notes/1")
    assert original.content == "<p>what the origin says</p>"
    boost = Status.objects.get(account=booster)
    assert boost.reblog_id == original.id
    assert str(boost.id) in home_ids(client_for(carol))


def test_unknown_object_is_not_fetched_for_a_booster_nobody_follows(fake_remote):
    base = fake_remote.base_url
    booster = bob()
    data = payload("mastodon/announce_third_party_status.json")
    data["object"] = f"{base}/notes/1"
    handle(data, booster)

    assert fake_remote.received == []
    assert not Status.objects.exists()


def test_boost_of_someone_elses_followers_only_status_is_ignored(alice, carol):
    ours = alice_status(alice.account, visibility="private")
    booster = bob()
    follow(booster, alice.account)
    handle(_boost_of_ours("mastodon/announce_our_status.json", ours), booster)

    assert not Status.objects.filter(account=booster).exists()


def test_boost_of_a_direct_status_is_ignored(alice):
    booster = bob()
    ours = alice_status(alice.account, text="@bob@mastodon.example psst", visibility="direct")
    assert ours.mentions.filter(account=booster).exists()
    handle(_boost_of_ours("mastodon/announce_our_status.json", ours), booster)

    assert not Status.objects.filter(reblog=ours).exists()


def test_self_boost_of_a_followers_only_status_stays_followers_only(carol, client_for, make_user):
    kim = remote_actor(KIM)
    follow(carol.account, kim)
    create = payload("pleroma/announce_embedded_object.json", published_ago=timedelta(minutes=5))
    handle(
        {"id": f"{KIM}/activities/1", "type": "Create", "actor": KIM, "object": create["object"]},
        kim,
    )
    original = Status.objects.get(account=kim, reblog__isnull=True)
    assert original.visibility == Visibility.PRIVATE
    handle(payload("pleroma/announce_embedded_object.json"), kim)

    boost = Status.objects.get(account=kim, reblog=original)
    assert boost.visibility == Visibility.PRIVATE
    stranger = client_for(make_user("dave"))
    assert stranger.get(f"/api/v1/statuses/{boost.id}").status_code == 404


def test_undone_boost_disappears_with_its_notification(alice, carol, client_for):
    ours = alice_status(alice.account)
    booster = bob()
    follow(carol.account, booster)
    handle(_boost_of_ours("mastodon/announce_our_status.json", ours), booster)
    boost = Status.objects.get(uri=BOOST)

    undo_remote_boost(booster, BOOST)

    assert str(boost.id) not in home_ids(client_for(carol))
    assert notifications(client_for(alice)) == []
    ours.refresh_from_db()
    assert ours.reblogs_count == 0


def test_boost_whose_undo_came_first_is_dropped(alice):
    ours = alice_status(alice.account)
    booster = bob()
    undo_remote_boost(booster, BOOST)
    handle(_boost_of_ours("mastodon/announce_our_status.json", ours), booster)

    assert not Status.objects.filter(reblog=ours).exists()


def test_boost_by_an_id_of_another_origin_is_refused(alice):
    from federation.inbox.dispatch import HandlerError

    ours = alice_status(alice.account)
    data = _boost_of_ours("mastodon/announce_our_status.json", ours)
    data["id"] = "https://gts.example/users/frank/statuses/01JD5SCEK5M6N7P8Q9R0S1T2V3"
    with pytest.raises(HandlerError):
        handle(data, bob())

    assert not Status.objects.filter(reblog=ours).exists()


def test_community_relaying_a_page_boosts_it_as_its_origin_serves_it(
    carol, client_for, fake_remote
):
    base = fake_remote.base_url
    domain = base.split("//", 1)[1]
    community = RemoteAccountFactory(
        uri=f"{base}/c/birding",
        domain=domain,
        username="birding",
        followers_url=f"{base}/c/birding/followers",
        fetched_at=timezone.now(),
    )
    RemoteAccountFactory(
        uri=f"{base}/u/rosa", domain=domain, username="rosa", fetched_at=timezone.now()
    )
    follow(carol.account, community)
    data = payload("other/lemmy_announce_create_page.json", replace={"https://lemmy.example": base})
    fake_remote.documents["/post/48213"] = data["object"]["object"]
    handle(data, community)

    page = Status.objects.get(uri=f"{base}/post/48213")
    boost = Status.objects.get(account=community)
    assert boost.reblog_id == page.id
    assert str(boost.id) in home_ids(client_for(carol))
    assert "Spotted a kingfisher" in page.content


def test_relayed_activities_other_than_create_are_no_boost(carol, fake_remote):
    booster = bob()
    follow(carol.account, booster)
    data = payload("mastodon/announce_third_party_status.json")
    data["object"] = {"id": f"{BOB}#likes/1", "type": "Like", "object": f"{BOB}/statuses/1"}
    handle(data, booster)

    assert not Status.objects.exists()
