"""The public and hashtag timelines: public originals only, the viewer's filters applied."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccountDomainBlock, Block, Mute
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import boost, follow, ids, post

PUBLIC = "/api/v1/timelines/public"


def tag_url(name: str) -> str:
    return f"/api/v1/timelines/tag/{name}"


def test_public_timeline_has_public_originals_only(alice, bob, anon, client_for):
    follow(bob, alice)
    public = post(alice, "public")
    post(alice, "unlisted", visibility="unlisted")
    post(alice, "private", visibility="private")
    post(alice, "direct", visibility="direct", mentions=[bob])
    boost(bob, public)

    assert ids(anon.get(PUBLIC)) == [str(public.id)]
    assert ids(client_for(bob).get(PUBLIC)) == [str(public.id)]


def test_public_timeline_leaves_out_replies_to_others(alice, bob, anon):
    root = post(alice, "root")
    post(bob, "reply", in_reply_to=root)
    thread = post(alice, "self-reply", in_reply_to=root)

    assert ids(anon.get(PUBLIC)) == [str(thread.id), str(root.id)]


def test_local_and_remote_filters(alice, anon):
    remote = post(RemoteAccountFactory(), "from afar")
    local = post(alice, "from here")

    assert ids(anon.get(PUBLIC, {"local": "true"})) == [str(local.id)]
    assert ids(anon.get(PUBLIC, {"remote": "true"})) == [str(remote.id)]
    assert ids(anon.get(PUBLIC)) == [str(local.id), str(remote.id)]


def test_only_media_is_empty_without_media(alice, anon):
    post(alice)

    assert anon.get(PUBLIC, {"only_media": "true"}).json() == []


def test_signed_in_viewer_does_not_see_blocked_muted_or_domain_blocked(
    alice, bob, make_user, client_for
):
    carol, dave = make_user("carol"), make_user("dave")
    remote = RemoteAccountFactory(domain="spam.example")
    Block.objects.create(account=alice.account, target_account=bob.account)
    Mute.objects.create(account=alice.account, target_account=carol.account)
    Block.objects.create(account=dave.account, target_account=alice.account)  # dave blocks alice
    AccountDomainBlock.objects.create(account=alice.account, domain="spam.example")
    for author in (bob.account, carol.account, dave.account, remote):
        post(author)
    visible = post(make_user("erin"), "hello")

    assert ids(client_for(alice).get(PUBLIC)) == [str(visible.id)]


def test_suspended_and_limited_accounts_are_left_out(alice, bob, make_user, anon):
    carol = make_user("carol")
    post(bob)
    post(carol)
    bob.account.suspended_at = timezone.now()
    bob.account.save()
    carol.account.silenced_at = timezone.now()
    carol.account.save()
    kept = post(alice)

    assert ids(anon.get(PUBLIC)) == [str(kept.id)]


def test_public_timeline_pages_with_link_header(alice, anon):
    statuses = [post(alice, f"s{i}") for i in range(5)]

    response = anon.get(PUBLIC, {"limit": 2})

    assert ids(response) == [str(statuses[4].id), str(statuses[3].id)]
    assert f"max_id={statuses[3].id}" in response["Link"]
    assert f"min_id={statuses[4].id}" in response["Link"]
    assert ids(anon.get(PUBLIC, {"min_id": statuses[0].id, "limit": 2})) == [
        str(statuses[2].id),
        str(statuses[1].id),
    ]


def test_public_timeline_token_needs_read_statuses(alice, client_for):
    assert client_for(alice, scopes="write").get(PUBLIC).status_code == 403
    assert client_for(None, scopes="read").get(PUBLIC).status_code == 200


def test_tag_timeline_public_statuses_only(alice, bob, anon, client_for):
    follow(bob, alice)
    public = post(alice, "#cats", tags=["cats"])
    post(alice, "#cats unlisted", tags=["cats"], visibility="unlisted")
    post(alice, "#cats private", tags=["cats"], visibility="private")
    post(alice, "#cats direct", tags=["cats"], visibility="direct", mentions=[bob])
    post(alice, "#dogs", tags=["dogs"])
    reply = post(bob, "#cats reply", tags=["cats"], in_reply_to=public)

    assert ids(anon.get(tag_url("cats"))) == [str(reply.id), str(public.id)]
    assert ids(client_for(bob).get(tag_url("Cats"))) == [str(reply.id), str(public.id)]


def test_tag_timeline_any_all_none(alice, anon):
    cats = post(alice, "cats", tags=["cats"])
    dogs = post(alice, "dogs", tags=["dogs"])
    both = post(alice, "both", tags=["cats", "dogs"])
    post(alice, "birds", tags=["birds"])

    assert ids(anon.get(tag_url("cats"), {"any[]": ["dogs"]})) == [
        str(both.id),
        str(dogs.id),
        str(cats.id),
    ]
    assert ids(anon.get(tag_url("cats"), {"all[]": ["dogs"]})) == [str(both.id)]
    assert ids(anon.get(tag_url("cats"), {"none[]": ["dogs"]})) == [str(cats.id)]
    assert ids(anon.get(tag_url("cats"), {"all[]": ["unknown"]})) == []


def test_unknown_hashtag_is_not_found(db, anon):
    response = anon.get(tag_url("nothing"))

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_tag_timeline_local_and_blocked(alice, bob, client_for):
    remote = post(RemoteAccountFactory(), "#cats", tags=["cats"])
    local = post(alice, "#cats", tags=["cats"])
    post(bob, "#cats", tags=["cats"])
    Block.objects.create(account=alice.account, target_account=bob.account)
    client = client_for(alice)

    assert ids(client.get(tag_url("cats"))) == [str(local.id), str(remote.id)]
    assert ids(client.get(tag_url("cats"), {"local": "1"})) == [str(local.id)]
    assert client.get(tag_url("cats"), {"only_media": "1"}).json() == []
    assert "Link" in client.get(tag_url("cats"))


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_public_and_tag_timelines_run_constant_queries(
    alice, make_user, client_for, anon, django_assert_num_queries
):
    authors = [make_user(f"user{i}") for i in range(5)]
    for i in range(45):
        post(authors[i % 5], f"#cats {i}", tags=["cats", "more"], mentions=[alice])
    client = client_for(alice)
    for who in (client, anon):
        for url in (PUBLIC, tag_url("cats")):
            one = _queries(who, url, {"limit": 1})
            assert one == _queries(who, url, {"limit": 40})
            with django_assert_num_queries(one):
                assert len(ids(who.get(url, {"limit": 40}))) == 40
