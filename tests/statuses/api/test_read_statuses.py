"""Reading statuses: one, several, a thread, its history and source; who may see what."""

from __future__ import annotations

import pytest

from accounts.models import Block, Mute
from statuses.services import discard_status

pytestmark = pytest.mark.django_db


def test_anyone_can_read_a_public_status(alice, post, anon):
    status = post(alice, "hello")
    response = anon.get(f"/api/v1/statuses/{status.id}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(status.id)
    assert "favourited" not in data  # no viewer, no viewer flags


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_a_private_or_direct_status_is_not_found_for_strangers(
    alice, bob, post, anon, client_for, visibility
):
    status = post(alice, "secret", visibility=visibility)
    assert anon.get(f"/api/v1/statuses/{status.id}").status_code == 404
    response = client_for(bob).get(f"/api/v1/statuses/{status.id}")
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_followers_see_private_statuses(alice, bob, post, client_for, follow):
    status = post(alice, "followers only", visibility="private")
    follow(bob, alice)
    assert client_for(bob).get(f"/api/v1/statuses/{status.id}").status_code == 200


def test_mentioned_accounts_see_direct_statuses(alice, bob, make_user, post, client_for, follow):
    carol = make_user("carol")
    follow(carol, alice)
    status = post(alice, "@bob psst", visibility="direct")
    assert client_for(bob).get(f"/api/v1/statuses/{status.id}").status_code == 200
    assert client_for(carol).get(f"/api/v1/statuses/{status.id}").status_code == 404


def test_an_author_who_blocks_you_is_invisible(alice, bob, post, client_for):
    status = post(alice, "hello")
    Block.objects.create(account=alice.account, target_account=bob.account)
    assert client_for(bob).get(f"/api/v1/statuses/{status.id}").status_code == 404


def test_a_deleted_status_is_not_found(alice, post, anon):
    status = post(alice, "bye")
    discard_status(status)
    assert anon.get(f"/api/v1/statuses/{status.id}").status_code == 404


def test_a_read_token_is_enough_and_a_write_one_is_not(alice, post, client_for):
    status = post(alice, "hello")
    assert (
        client_for(alice, scopes="read:statuses").get(f"/api/v1/statuses/{status.id}").status_code
        == 200
    )
    assert client_for(alice, scopes="write").get(f"/api/v1/statuses/{status.id}").status_code == 403


def test_several_statuses_by_id_in_order_without_invisible_ones(alice, bob, post, client_for):
    one, two = post(alice, "one"), post(alice, "two")
    secret = post(alice, "secret", visibility="private")
    response = client_for(bob).get(
        "/api/v1/statuses",
        {"id[]": [str(two.id), str(secret.id), "999", str(one.id), "nope"]},
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [str(two.id), str(one.id)]


def test_several_statuses_hide_muted_authors(alice, bob, post, client_for):
    status = post(alice, "hi")
    Mute.objects.create(account=bob.account, target_account=alice.account)
    response = client_for(bob).get("/api/v1/statuses", {"id[]": [str(status.id)]})
    assert response.json() == []


def test_more_than_20_ids_is_refused(alice, client_for):
    response = client_for(alice).get("/api/v1/statuses", {"id[]": [str(i) for i in range(21)]})
    assert response.status_code == 422


def test_several_statuses_cost_the_same_queries_for_1_or_20(
    alice, bob, make_user, post, client_for, count_queries, django_assert_num_queries
):
    carol = make_user("carol")
    statuses = [post(alice, f"#tag{i} hello @bob @carol", poll=None) for i in range(20)]
    client = client_for(carol)
    client.post(f"/api/v1/statuses/{statuses[0].id}/favourite")

    def fetch(n):
        return lambda: client.get("/api/v1/statuses", {"id[]": [str(s.id) for s in statuses[:n]]})

    one = count_queries(fetch(1))
    with django_assert_num_queries(one):
        response = fetch(20)()
    assert len(response.json()) == 20


# --- Context -----------------------------------------------------------------------------------


@pytest.fixture
def thread(alice, bob, make_user, post):
    """root (alice) ← a1 (bob) ← a2 (alice) ; root ← b1 (carol) ; root ← s1 (alice, self-reply)
    and a private reply by carol (visible to her followers only)."""
    carol = make_user("carol")
    root = post(alice, "root")
    a1 = post(bob, "a1", in_reply_to=root)
    a2 = post(alice, "a2", in_reply_to=a1)
    b1 = post(carol, "b1", in_reply_to=root)
    s1 = post(alice, "s1", in_reply_to=root)
    hidden = post(carol, "hidden", in_reply_to=root, visibility="private")
    return {"root": root, "a1": a1, "a2": a2, "b1": b1, "s1": s1, "hidden": hidden, "carol": carol}


def ids(statuses):
    return [s["id"] for s in statuses]


def test_context_lists_ancestors_root_first(thread, anon):
    data = anon.get(f"/api/v1/statuses/{thread['a2'].id}/context").json()
    assert ids(data["ancestors"]) == [str(thread["root"].id), str(thread["a1"].id)]
    assert data["descendants"] == []


def test_context_lists_descendants_depth_first_with_self_replies_first(thread, anon):
    data = anon.get(f"/api/v1/statuses/{thread['root'].id}/context").json()
    assert data["ancestors"] == []
    # Depth first, oldest sibling first; the author's own reply (s1) promoted to the top.
    assert ids(data["descendants"]) == [
        str(thread["s1"].id),
        str(thread["a1"].id),
        str(thread["a2"].id),
        str(thread["b1"].id),
    ]


def test_context_shows_followers_only_replies_to_followers(thread, bob, client_for, follow):
    follow(bob, thread["carol"])
    data = client_for(bob).get(f"/api/v1/statuses/{thread['root'].id}/context").json()
    assert str(thread["hidden"].id) in ids(data["descendants"])


def test_context_leaves_out_blocked_accounts(thread, bob, client_for):
    Block.objects.create(account=bob.account, target_account=thread["carol"].account)
    data = client_for(bob).get(f"/api/v1/statuses/{thread['root'].id}/context").json()
    assert str(thread["b1"].id) not in ids(data["descendants"])


def test_context_of_an_invisible_status_is_not_found(alice, post, anon):
    status = post(alice, "secret", visibility="private")
    assert anon.get(f"/api/v1/statuses/{status.id}/context").status_code == 404


def _chain(post, authors, length, start):
    """``length`` replies below ``start``, alternating authors; returns them in order."""
    chain, parent = [], start
    for i in range(length):
        parent = post(authors[i % len(authors)], f"reply {i} @bob #t", in_reply_to=parent)
        chain.append(parent)
    return chain


def test_context_costs_the_same_queries_however_long_the_thread(
    alice, bob, post, client_for, count_queries, django_assert_num_queries
):
    client = client_for(bob)
    short = _chain(post, [alice, bob], 4, post(alice, "short"))
    expected = count_queries(lambda: client.get(f"/api/v1/statuses/{short[2].id}/context"))

    long = _chain(post, [alice, bob], 31, post(alice, "long"))
    _chain(post, [bob], 5, long[15])  # a branch
    with django_assert_num_queries(expected):
        response = client.get(f"/api/v1/statuses/{long[14].id}/context")
    data = response.json()
    assert len(data["ancestors"]) == 15
    assert len(data["descendants"]) == 16 + 5


def test_anonymous_context_is_bounded(alice, post, anon):
    root = post(alice, "root")
    parent = root
    for i in range(25):
        parent = post(alice, f"r{i}", in_reply_to=parent)
    data = anon.get(f"/api/v1/statuses/{root.id}/context").json()
    assert len(data["descendants"]) == 20  # anonymous depth limit


# --- History, source, translation ----------------------------------------------------------------


def test_history_of_an_unedited_status_is_the_status(alice, post, anon):
    status = post(alice, "original", spoiler_text="cw")
    data = anon.get(f"/api/v1/statuses/{status.id}/history").json()
    assert len(data) == 1
    assert data[0]["content"] == "<p>original</p>"
    assert data[0]["spoiler_text"] == "cw"
    assert data[0]["sensitive"] is True
    assert data[0]["account"]["id"] == str(alice.account.id)
    assert data[0]["media_attachments"] == []
    assert data[0]["emojis"] == []
    assert "poll" not in data[0]


def test_source_gives_the_text_as_typed(alice, post, client_for):
    status = post(alice, "with #tag and https://example.com", spoiler_text="cw")
    data = client_for(alice).get(f"/api/v1/statuses/{status.id}/source").json()
    assert data == {
        "id": str(status.id),
        "text": "with #tag and https://example.com",
        "spoiler_text": "cw",
    }


def test_source_of_an_invisible_status_is_not_found(alice, bob, post, client_for):
    status = post(alice, "secret", visibility="private")
    assert client_for(bob).get(f"/api/v1/statuses/{status.id}/source").status_code == 404


def test_translation_is_not_offered_without_a_translation_service(alice, bob, post, client_for):
    status = post(alice, "hola")
    response = client_for(bob).post(f"/api/v1/statuses/{status.id}/translate", {"lang": "en"})
    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    secret = post(alice, "secret", visibility="private")
    assert client_for(bob).post(f"/api/v1/statuses/{secret.id}/translate").status_code == 404
