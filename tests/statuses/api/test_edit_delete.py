"""PUT and DELETE /api/v1/statuses/:id: edits with their history, delete and redraft."""

from __future__ import annotations

import pytest

from accounts.models import Account
from statuses.models import Mention, PollVote, Status, StatusEdit, StatusPin
from statuses.services import PollParams, vote
from timelines.models import Notification

pytestmark = pytest.mark.django_db


def test_an_edit_changes_the_status_and_records_both_versions(alice, post, client_for, anon):
    status = post(alice, "first draft")
    response = client_for(alice).put(
        f"/api/v1/statuses/{status.id}",
        {"status": "second #draft", "spoiler_text": "cw", "language": "fr"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(status.id)
    assert data["edited_at"] is not None
    assert data["spoiler_text"] == "cw"
    assert data["sensitive"] is True
    assert data["language"] == "fr"
    assert 'class="mention hashtag"' in data["content"]
    assert [t["name"] for t in data["tags"]] == ["draft"]

    history = anon.get(f"/api/v1/statuses/{status.id}/history").json()
    assert [h["content"] for h in history] == [
        "<p>first draft</p>",
        data["content"],
    ]
    assert [h["spoiler_text"] for h in history] == ["", "cw"]
    assert history[0]["created_at"] == data["created_at"]
    assert history[1]["created_at"] == data["edited_at"]

    client_for(alice).put(f"/api/v1/statuses/{status.id}", {"status": "third"})
    history = anon.get(f"/api/v1/statuses/{status.id}/history").json()
    assert [h["content"] for h in history][-1] == "<p>third</p>"
    assert len(history) == 3


def test_an_edit_without_changes_records_nothing(alice, post, client_for):
    status = post(alice, "same")
    response = client_for(alice).put(f"/api/v1/statuses/{status.id}", {"status": "same"})
    assert response.status_code == 200
    assert response.json()["edited_at"] is None
    assert not StatusEdit.objects.filter(status=status).exists()


def test_only_the_author_can_edit(alice, bob, post, client_for):
    status = post(alice, "mine")
    response = client_for(bob).put(f"/api/v1/statuses/{status.id}", {"status": "yours"})
    assert response.status_code == 404
    status.refresh_from_db()
    assert status.text == "mine"


def test_edits_are_validated_like_posts(alice, post, client_for):
    status = post(alice, "mine")
    client = client_for(alice)
    assert client.put(f"/api/v1/statuses/{status.id}", {"status": ""}).status_code == 422
    assert client.put(f"/api/v1/statuses/{status.id}", {"status": "a" * 501}).status_code == 422


def test_an_edit_notifies_who_boosted_and_new_mentions(alice, bob, make_user, post, client_for):
    carol = make_user("carol")
    status = post(alice, "boost me")
    client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog")
    client_for(alice).put(f"/api/v1/statuses/{status.id}", {"status": "edited, cc @carol"})
    assert Notification.objects.filter(account=bob.account, type="update", status=status).exists()
    assert Notification.objects.filter(account=carol.account, type="mention").exists()


def test_a_mention_taken_out_by_an_edit_turns_silent(alice, bob, post, client_for):
    status = post(alice, "hi @bob")
    data = client_for(alice).put(f"/api/v1/statuses/{status.id}", {"status": "hi all"}).json()
    assert data["mentions"] == []
    assert Mention.objects.get(status=status, account=bob.account).silent is True
    # Bob was told; he still may see the status.
    assert client_for(bob).get(f"/api/v1/statuses/{status.id}").status_code == 200


def test_changing_poll_options_resets_the_votes(alice, bob, post, client_for):
    status = post(alice, "pick", poll=PollParams(options=["a", "b"], expires_in=3600))
    vote(bob.account, status.poll, choices=[0])
    client = client_for(alice)
    same = client.put(
        f"/api/v1/statuses/{status.id}",
        {"status": "pick!", "poll[options][]": ["a", "b"], "poll[expires_in]": "3600"},
    ).json()
    assert same["poll"]["votes_count"] == 1
    changed = client.put(
        f"/api/v1/statuses/{status.id}",
        {"status": "pick!", "poll[options][]": ["a", "c"], "poll[expires_in]": "3600"},
    ).json()
    assert changed["poll"]["votes_count"] == 0
    assert [o["title"] for o in changed["poll"]["options"]] == ["a", "c"]
    assert not PollVote.objects.filter(poll=status.poll).exists()
    history = client.get(f"/api/v1/statuses/{status.id}/history").json()
    assert history[0]["poll"] == {"options": [{"title": "a"}, {"title": "b"}]}
    assert history[-1]["poll"] == {"options": [{"title": "a"}, {"title": "c"}]}


def test_an_edit_without_poll_removes_the_poll(alice, post, client_for):
    status = post(alice, "pick", poll=PollParams(options=["a", "b"], expires_in=3600))
    data = client_for(alice).put(f"/api/v1/statuses/{status.id}", {"status": "pick"}).json()
    assert data["poll"] is None


def test_delete_returns_the_source_for_redraft(alice, post, client_for, anon):
    status = post(
        alice, "redraft me #tag", spoiler_text="cw", poll=PollParams(["x", "y"], 3600, True)
    )
    response = client_for(alice).delete(f"/api/v1/statuses/{status.id}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(status.id)
    assert data["text"] == "redraft me #tag"
    assert data["spoiler_text"] == "cw"
    assert data["poll"]["multiple"] is True
    assert [o["title"] for o in data["poll"]["options"]] == ["x", "y"]
    assert anon.get(f"/api/v1/statuses/{status.id}").status_code == 404
    alice.account.refresh_from_db()
    assert alice.account.statuses_count == 0


def test_delete_undoes_counters_pins_and_boosts(alice, bob, post, client_for):
    parent = post(bob, "parent")
    status = post(alice, "reply", in_reply_to=parent)
    boost = client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog").json()
    client_for(alice).post(f"/api/v1/statuses/{status.id}/pin")
    client_for(bob).post(f"/api/v1/statuses/{status.id}/favourite")
    assert Notification.objects.filter(status=status).exists()

    assert client_for(alice).delete(f"/api/v1/statuses/{status.id}").status_code == 200

    parent.refresh_from_db()
    assert parent.replies_count == 0
    assert Status.objects.get(id=boost["id"]).deleted_at is not None
    assert Account.objects.get(id=bob.account.id).statuses_count == 1  # only "parent"
    assert not StatusPin.objects.filter(status=status).exists()
    assert not Notification.objects.filter(status=status).exists()


def test_only_the_author_can_delete(alice, bob, post, client_for):
    status = post(alice, "mine")
    assert client_for(bob).delete(f"/api/v1/statuses/{status.id}").status_code == 404
    status.refresh_from_db()
    assert status.deleted_at is None
