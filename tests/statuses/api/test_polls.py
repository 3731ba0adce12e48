"""Polls: posting one, voting, hidden totals, and the end of a poll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from statuses.models import Poll
from statuses.services import PollParams
from statuses.tasks import close_expired_polls_task
from timelines.models import Notification

pytestmark = pytest.mark.django_db


def make_poll(post, author, options=("a", "b", "c"), **kwargs):
    status = post(author, "Which?", poll=PollParams(list(options), 3600, **kwargs))
    return status.poll


def test_posting_a_poll(alice, client_for):
    response = client_for(alice).post(
        "/api/v1/statuses",
        {"status": "Which?", "poll[options][]": ["tea", "coffee"], "poll[expires_in]": "300"},
    )
    assert response.status_code == 200
    poll = response.json()["poll"]
    assert poll["multiple"] is False
    assert poll["expired"] is False
    assert poll["votes_count"] == 0
    assert poll["voters_count"] is None  # single choice
    assert poll["options"] == [
        {"title": "tea", "votes_count": 0},
        {"title": "coffee", "votes_count": 0},
    ]
    assert poll["emojis"] == []
    assert poll["voted"] is True  # one's own poll counts as voted
    assert poll["own_votes"] == []
    assert poll["expires_at"] is not None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"poll[options][]": ["only"]}, "Poll options must have more than one item"),
        (
            {"poll[options][]": ["a", "b", "c", "d", "e"]},
            "Poll options can't contain more than 4 items",
        ),
        ({"poll[options][]": ["same", "same"]}, "Poll options contain duplicate items"),
        (
            {"poll[options][]": ["x" * 51, "y"]},
            "Poll options cannot be longer than 50 characters each",
        ),
        ({"poll[options][]": ["a", "b"], "poll[expires_in]": "299"}, "Poll expires at is too soon"),
        (
            {"poll[options][]": ["a", "b"], "poll[expires_in]": "2629747"},
            "Poll expires at is too far into the future",
        ),
    ],
)
def test_invalid_polls_are_refused(alice, client_for, fields, error):
    data = {"status": "Which?", "poll[expires_in]": "3600", **fields}
    response = client_for(alice).post("/api/v1/statuses", data)
    assert response.status_code == 422
    assert response.json() == {"error": f"Validation failed: {error}"}


def test_voting_on_a_single_choice_poll(alice, bob, post, client_for):
    poll = make_poll(post, alice)
    response = client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["1"]})
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(poll.id)
    assert data["voted"] is True
    assert data["own_votes"] == [1]
    assert data["votes_count"] == 1
    assert [o["votes_count"] for o in data["options"]] == [0, 1, 0]


def test_voting_twice_is_refused(alice, bob, post, client_for):
    poll = make_poll(post, alice)
    client = client_for(bob)
    client.post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0"]})
    response = client.post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["1"]})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: You have already voted on this poll"}


def test_several_choices_on_a_single_choice_poll_are_refused(alice, bob, post, client_for):
    poll = make_poll(post, alice)
    response = client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0", "1"]})
    assert response.status_code == 422
    poll.refresh_from_db()
    assert poll.votes_count == 0


@pytest.mark.parametrize("choice", ["3", "-1", "x"])
def test_a_choice_out_of_range_is_refused(alice, bob, post, client_for, choice):
    poll = make_poll(post, alice)
    response = client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": [choice]})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: The chosen vote option does not exist"}


def test_one_cannot_vote_in_ones_own_poll(alice, post, client_for):
    poll = make_poll(post, alice)
    response = client_for(alice).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0"]})
    assert response.status_code == 422


def test_an_ended_poll_takes_no_votes(alice, bob, post, client_for):
    poll = make_poll(post, alice)
    Poll.objects.filter(id=poll.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0"]})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: The poll has already ended"}


def test_a_multiple_choice_poll_counts_votes_and_voters(alice, bob, make_user, post, client_for):
    carol = make_user("carol")
    poll = make_poll(post, alice, multiple=True)
    client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0", "2"]})
    data = (
        client_for(carol)
        .post(f"/api/v1/polls/{poll.id}/votes", {"choices": [2]}, format="json")
        .json()
    )
    assert data["multiple"] is True
    assert data["votes_count"] == 3
    assert data["voters_count"] == 2
    assert data["own_votes"] == [2]
    assert [o["votes_count"] for o in data["options"]] == [1, 0, 2]


def test_hidden_totals_show_once_the_poll_ends(alice, bob, post, client_for, anon):
    poll = make_poll(post, alice, hide_totals=True)
    client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0"]})
    data = anon.get(f"/api/v1/polls/{poll.id}").json()
    assert [o["votes_count"] for o in data["options"]] == [None, None, None]
    assert "voted" not in data
    Poll.objects.filter(id=poll.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    data = anon.get(f"/api/v1/polls/{poll.id}").json()
    assert data["expired"] is True
    assert [o["votes_count"] for o in data["options"]] == [1, 0, 0]


def test_a_poll_is_as_visible_as_its_status(alice, bob, post, client_for):
    status = post(alice, "Which?", poll=PollParams(["a", "b"], 3600), visibility="private")
    assert client_for(bob).get(f"/api/v1/polls/{status.poll.id}").status_code == 404
    response = client_for(bob).post(f"/api/v1/polls/{status.poll.id}/votes", {"choices[]": ["0"]})
    assert response.status_code == 404


def test_the_end_of_a_poll_notifies_its_author_and_voters_once(
    alice, bob, make_user, post, client_for
):
    carol = make_user("carol")
    poll = make_poll(post, alice)
    client_for(bob).post(f"/api/v1/polls/{poll.id}/votes", {"choices[]": ["0"]})
    still_open = make_poll(post, alice)

    close_expired_polls_task()
    assert not Notification.objects.filter(type="poll").exists()

    Poll.objects.filter(id=poll.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    close_expired_polls_task()
    close_expired_polls_task()

    notified = Notification.objects.filter(type="poll").values_list("account_id", "status_id")
    assert sorted(notified) == sorted(
        [(alice.account.id, poll.status_id), (bob.account.id, poll.status_id)]
    )
    assert not Notification.objects.filter(account=carol.account).exists()
    still_open.refresh_from_db()
    assert still_open.closed_notified is False
