"""The notification policy (/api/v2/notifications/policy) and notification requests
(/api/v1/notifications/requests): what a policy filters or drops, and how requests settle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, Block, User
from tests.timelines.helpers import follow, ids, post
from timelines.models import Notification, NotificationPermission, NotificationRequest
from timelines.notifications import notify

POLICY = "/api/v2/notifications/policy"
V1_POLICY = "/api/v1/notifications/policy"
NOTIFICATIONS = "/api/v1/notifications"
REQUESTS = "/api/v1/notifications/requests"
DEFAULTS = {
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
    "for_private_mentions": "filter",
    "for_limited_accounts": "filter",
}


def dm(client, text: str, **fields):
    response = client.post("/api/v1/statuses", {"status": text, "visibility": "direct", **fields})
    assert response.status_code == 200, response.content
    return response.json()


def requests_of(client) -> list[dict]:
    response = client.get(REQUESTS)
    assert response.status_code == 200, response.content
    return response.json()


def request_from(client, account: Account) -> dict:
    [found] = [r for r in requests_of(client) if r["account"]["id"] == str(account.id)]
    return found


# --- The policy ----------------------------------------------------------------------------------


def test_the_default_policy_is_mastodons(alice, client_for):
    body = client_for(alice).get(POLICY).json()

    assert body == {
        **DEFAULTS,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }


@pytest.mark.parametrize("case", list(DEFAULTS))
@pytest.mark.parametrize("action", ["accept", "filter", "drop"])
def test_patch_sets_one_case_and_keeps_the_others(alice, client_for, case, action):
    client = client_for(alice)

    body = client.patch(POLICY, {case: action}, format="json").json()

    assert body[case] == action
    assert {k: v for k, v in body.items() if k not in {case, "summary"}} == {
        k: v for k, v in DEFAULTS.items() if k != case
    }
    assert client.get(POLICY).json()[case] == action


def test_put_form_data_and_bad_values(alice, client_for):
    client = client_for(alice)

    assert client.put(POLICY, {"for_not_followers": "drop"}).json()["for_not_followers"] == "drop"
    response = client.patch(POLICY, {"for_new_accounts": "maybe"}, format="json")
    assert response.status_code == 422
    assert response.json()["error"].startswith("Validation failed")
    assert client.get(POLICY).json()["for_new_accounts"] == "accept"


def test_policy_scopes(alice, anon, client_for):
    assert anon.get(POLICY).status_code == 401
    assert client_for(alice, scopes="read:statuses").get(POLICY).status_code == 403
    assert client_for(alice, scopes="read:notifications").get(POLICY).status_code == 200
    reader = client_for(alice, scopes="read:notifications")
    assert reader.patch(POLICY, {"for_new_accounts": "drop"}).status_code == 403
    writer = client_for(alice, scopes="write:notifications")
    assert writer.patch(POLICY, {"for_new_accounts": "drop"}).status_code == 200


def test_v1_policy_speaks_booleans(alice, client_for):
    client = client_for(alice)

    assert client.get(V1_POLICY).json() == {
        "filter_not_following": False,
        "filter_not_followers": False,
        "filter_new_accounts": False,
        "filter_private_mentions": True,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }
    body = client.put(
        V1_POLICY, {"filter_not_following": "true", "filter_private_mentions": "false"}
    ).json()
    assert body["filter_not_following"] is True
    assert body["filter_private_mentions"] is False
    assert client.get(POLICY).json() | {"summary": None} == {
        **DEFAULTS,
        "for_not_following": "filter",
        "for_private_mentions": "accept",
        "summary": None,
    }


# --- Private mentions from strangers -------------------------------------------------------------


def test_a_strangers_private_mention_becomes_a_request(alice, bob, client_for):
    client = client_for(alice)
    status = dm(client_for(bob), "@alice hi, we never met")

    assert client.get(NOTIFICATIONS).json() == []
    assert client.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 0}
    assert client.get("/api/v2/notifications").json()["notification_groups"] == []
    assert client.get("/api/v2/notifications/unread_count").json() == {"count": 0}

    [request] = requests_of(client)
    assert set(request) == {
        "id",
        "created_at",
        "updated_at",
        "account",
        "notifications_count",
        "last_status",
    }
    assert request["account"]["id"] == str(bob.account.id)
    assert request["notifications_count"] == "1"
    assert request["last_status"]["id"] == status["id"]
    assert request["last_status"]["visibility"] == "direct"
    assert request["created_at"].endswith("Z")
    assert client.get(f"{REQUESTS}/{request['id']}").json() == request
    assert client.get(POLICY).json()["summary"] == {
        "pending_requests_count": 1,
        "pending_notifications_count": 1,
    }

    # The request's notifications, as clients read them.
    filtered = client.get(NOTIFICATIONS, {"include_filtered": "true"}).json()
    assert [(n["type"], n["status"]["id"]) for n in filtered] == [("mention", status["id"])]
    assert ids(client.get(NOTIFICATIONS, {"account_id": bob.account.id})) == [filtered[0]["id"]]
    assert client.get(f"{NOTIFICATIONS}/{filtered[0]['id']}").json()["id"] == filtered[0]["id"]
    grouped = client.get("/api/v2/notifications", {"include_filtered": "true"}).json()
    assert [g["type"] for g in grouped["notification_groups"]] == ["mention"]
    # Nor does the message open a conversation until the request is accepted.
    assert client.get("/api/v1/conversations").json() == []


def test_accepting_merges_the_notifications_and_lets_later_ones_through(alice, bob, client_for):
    client, bobs = client_for(alice), client_for(bob)
    first = dm(bobs, "@alice hi")
    [request] = requests_of(client)

    assert client.get("/api/v1/conversations").json() == []
    assert client.post(f"{REQUESTS}/{request['id']}/accept").json() == {}

    assert requests_of(client) == []
    assert [n["status"]["id"] for n in client.get(NOTIFICATIONS).json()] == [first["id"]]
    conversations = client.get("/api/v1/conversations").json()
    assert [c["last_status"]["id"] for c in conversations] == [first["id"]]
    assert client.get(f"{NOTIFICATIONS}/unread_count").json() == {"count": 1}
    assert client.get(f"{REQUESTS}/merged").json() == {"merged": True}
    assert NotificationPermission.objects.filter(
        account=alice.account, from_account=bob.account
    ).exists()

    second = dm(bobs, "@alice again")
    assert [n["status"]["id"] for n in client.get(NOTIFICATIONS).json()] == [
        second["id"],
        first["id"],
    ]
    assert requests_of(client) == []


def test_dismissing_removes_the_request_and_its_notifications(alice, bob, client_for):
    client, bobs = client_for(alice), client_for(bob)
    dm(bobs, "@alice buy my stuff")
    dm(bobs, "@alice please")
    [request] = requests_of(client)
    assert request["notifications_count"] == "2"

    assert client.post(f"{REQUESTS}/{request['id']}/dismiss").json() == {}

    assert requests_of(client) == []
    assert client.get(NOTIFICATIONS, {"include_filtered": "true"}).json() == []
    assert client.get(f"{REQUESTS}/{request['id']}").status_code == 404
    # Dismissing is not accepting: the next one is filtered again, under a new request.
    later = dm(bobs, "@alice one more")
    assert client.get(NOTIFICATIONS).json() == []
    assert [r["last_status"]["id"] for r in requests_of(client)] == [later["id"]]


def test_drop_creates_no_notification_at_all(alice, bob, client_for):
    client = client_for(alice)
    client.patch(POLICY, {"for_private_mentions": "drop"}, format="json")

    dm(client_for(bob), "@alice hi")

    assert not Notification.objects.filter(account=alice.account).exists()
    assert requests_of(client) == []
    assert client.get(NOTIFICATIONS, {"include_filtered": "true"}).json() == []


def test_followed_accounts_and_answers_to_ones_own_private_mentions_pass(
    alice, bob, make_user, client_for
):
    carol = make_user("carol")
    client = client_for(alice)
    follow(alice, bob)
    from_friend = dm(client_for(bob), "@alice hi")
    started = dm(client, "@carol hello?")
    answer = dm(client_for(carol), "@alice hello!", in_reply_to_id=started["id"])

    assert [n["status"]["id"] for n in client.get(NOTIFICATIONS).json()] == [
        answer["id"],
        from_friend["id"],
    ]
    assert requests_of(client) == []


def test_public_mentions_from_strangers_pass_by_default(alice, bob, client_for):
    client_for(bob).post("/api/v1/statuses", {"status": "@alice hello everyone"})

    assert [n["type"] for n in client_for(alice).get(NOTIFICATIONS).json()] == ["mention"]


def test_mentions_from_staff_are_never_filtered(alice, make_user, client_for):
    moderator = make_user("mod")
    User.objects.filter(id=moderator.id).update(role=User.Role.MODERATOR)
    client = client_for(alice)
    client.patch(POLICY, {"for_private_mentions": "drop"}, format="json")

    dm(client_for(moderator), "@alice about your report")

    assert [n["type"] for n in client.get(NOTIFICATIONS).json()] == ["mention"]


# --- The other cases -----------------------------------------------------------------------------


def test_for_not_following_filters_strangers_but_not_followed_accounts(
    alice, bob, make_user, client_for
):
    carol = make_user("carol")
    client = client_for(alice)
    client.patch(POLICY, {"for_not_following": "filter"}, format="json")
    follow(alice, bob)
    mine = client.post("/api/v1/statuses", {"status": "my post"}).json()

    client_for(bob).post(f"/api/v1/statuses/{mine['id']}/favourite")
    client_for(carol).post(f"/api/v1/statuses/{mine['id']}/favourite")
    client_for(carol).post(f"/api/v1/accounts/{alice.account.id}/follow")
    client_for(carol).post("/api/v1/statuses", {"status": "@alice public hello"})

    listed = client.get(NOTIFICATIONS).json()
    assert [(n["type"], n["account"]["id"]) for n in listed] == [("favourite", str(bob.account.id))]
    kept = client.get(NOTIFICATIONS, {"account_id": carol.account.id}).json()
    assert [n["type"] for n in kept] == ["mention", "follow", "favourite"]
    # Only mentions make a request, as in Mastodon; accepting it brings back the rest too.
    [request] = requests_of(client)
    assert request["notifications_count"] == "1"
    client.post(f"{REQUESTS}/{request['id']}/accept")
    assert len(client.get(NOTIFICATIONS).json()) == 4


def test_for_not_followers_counts_only_followers_of_three_days(alice, bob, make_user, client_for):
    carol = make_user("carol")
    client = client_for(alice)
    client.patch(POLICY, {"for_not_followers": "drop"}, format="json")
    follow(bob, alice, created_at=timezone.now() - timedelta(days=4))
    follow(carol, alice)
    mine = post(alice, "my post")

    client_for(bob).post(f"/api/v1/statuses/{mine.id}/reblog")
    client_for(carol).post(f"/api/v1/statuses/{mine.id}/reblog")

    assert [n["account"]["id"] for n in client.get(NOTIFICATIONS).json()] == [str(bob.account.id)]
    assert not Notification.objects.filter(from_account=carol.account).exists()


def test_for_new_accounts_spares_older_and_followed_accounts(alice, make_user, client_for):
    old = make_user("old", created_at=timezone.now() - timedelta(days=60))
    new = make_user("new", created_at=timezone.now() - timedelta(days=10))
    new_friend = make_user("friend", created_at=timezone.now() - timedelta(days=1))
    follow(alice, new_friend)
    client = client_for(alice)
    client.patch(POLICY, {"for_new_accounts": "filter"}, format="json")

    for who in (old, new, new_friend):
        notify(alice.account, "follow", from_account=who.account)

    listed = [n["account"]["acct"] for n in client.get(NOTIFICATIONS).json()]
    assert listed == ["friend", "old"]
    assert Notification.objects.get(from_account=new.account).filtered


def test_limited_accounts_are_filtered_unless_followed(alice, make_user, client_for):
    limited = make_user("limited", silenced_at=timezone.now())
    client = client_for(alice)
    client_for(limited).post("/api/v1/statuses", {"status": "@alice hey"})

    assert client.get(NOTIFICATIONS).json() == []
    assert request_from(client, limited.account)["notifications_count"] == "1"

    follow(alice, limited)
    client_for(limited).post("/api/v1/statuses", {"status": "@alice hey again"})
    assert [n["type"] for n in client.get(NOTIFICATIONS).json()] == ["mention"]


def test_polls_updates_and_subscriptions_are_never_filtered(alice, bob, client_for):
    client = client_for(alice)
    for case in DEFAULTS:
        client.patch(POLICY, {case: "drop"}, format="json")
    status = post(bob, "edited")

    for kind in ("update", "poll", "status"):
        assert notify(alice.account, kind, from_account=bob.account, status=status) is not None
    assert notify(alice.account, "favourite", from_account=bob.account, status=status) is None

    assert sorted(n["type"] for n in client.get(NOTIFICATIONS).json()) == [
        "poll",
        "status",
        "update",
    ]


# --- Requests ------------------------------------------------------------------------------------


def test_bulk_accept_and_dismiss(alice, bob, make_user, client_for):
    strangers = [make_user(f"s{i}") for i in range(3)]
    for who in strangers:
        dm(client_for(who), "@alice hi")
    dm(client_for(alice), "@bob hi")  # bob's own request, which alice cannot touch
    client = client_for(alice)
    mine = {r["account"]["acct"]: r["id"] for r in requests_of(client)}
    theirs = NotificationRequest.objects.get(account=bob.account)

    response = client.post(f"{REQUESTS}/accept", {"id[]": [mine["s0"], mine["s1"], theirs.id]})
    assert response.json() == {}
    assert [r["account"]["acct"] for r in requests_of(client)] == ["s2"]
    assert len(client.get(NOTIFICATIONS).json()) == 2

    assert client.post(f"{REQUESTS}/dismiss", {"id[]": [mine["s2"], theirs.id]}).json() == {}
    assert requests_of(client) == []
    assert len(client.get(NOTIFICATIONS, {"include_filtered": "true"}).json()) == 2
    assert NotificationRequest.objects.filter(id=theirs.id).exists()
    assert Notification.objects.filter(account=bob.account, filtered=True).exists()


def test_summary_counts_requests_and_their_notifications(alice, bob, make_user, client_for):
    carol = make_user("carol")
    for _ in range(2):
        dm(client_for(bob), "@alice hi")
    dm(client_for(carol), "@alice hello")
    client = client_for(alice)

    assert client.get(POLICY).json()["summary"] == {
        "pending_requests_count": 2,
        "pending_notifications_count": 3,
    }
    assert request_from(client, bob.account)["notifications_count"] == "2"
    # Dismissing one filtered notification counts at once.
    [one, _] = client.get(NOTIFICATIONS, {"account_id": bob.account.id}).json()
    client.post(f"{NOTIFICATIONS}/{one['id']}/dismiss")
    assert request_from(client, bob.account)["notifications_count"] == "1"
    assert client.get(V1_POLICY).json()["summary"] == {
        "pending_requests_count": 2,
        "pending_notifications_count": 2,
    }


def test_requests_follow_deletions_and_blocks(alice, bob, make_user, client_for):
    carol = make_user("carol")
    client = client_for(alice)
    status = dm(client_for(bob), "@alice hi")
    dm(client_for(carol), "@alice hi")

    client_for(bob).delete(f"/api/v1/statuses/{status['id']}")
    assert [r["account"]["acct"] for r in requests_of(client)] == ["carol"]

    Block.objects.create(account=alice.account, target_account=carol.account)
    assert requests_of(client) == []
    assert client.get(POLICY).json()["summary"]["pending_requests_count"] == 0


def test_someone_elses_request_is_not_found(alice, bob, make_user, client_for):
    dm(client_for(make_user("carol")), "@bob hi")
    theirs = NotificationRequest.objects.get(account=bob.account)
    client = client_for(alice)

    assert client.get(f"{REQUESTS}/{theirs.id}").status_code == 404
    assert client.post(f"{REQUESTS}/{theirs.id}/accept").status_code == 404
    assert client.post(f"{REQUESTS}/{theirs.id}/dismiss").status_code == 404
    assert client.get(f"{REQUESTS}/nope").status_code == 404
    assert NotificationRequest.objects.filter(id=theirs.id).exists()
    assert not NotificationPermission.objects.exists()


def test_request_scopes(alice, bob, client_for):
    dm(client_for(bob), "@alice hi")
    request_id = NotificationRequest.objects.get().id
    reader = client_for(alice, scopes="read:notifications")
    writer = client_for(alice, scopes="write:notifications")

    assert reader.get(REQUESTS).status_code == 200
    assert reader.get(f"{REQUESTS}/{request_id}").status_code == 200
    assert reader.get(f"{REQUESTS}/merged").status_code == 200
    assert writer.get(REQUESTS).status_code == 403
    assert reader.post(f"{REQUESTS}/{request_id}/dismiss").status_code == 403
    assert reader.post(f"{REQUESTS}/accept", {"id[]": [request_id]}).status_code == 403
    assert writer.post(f"{REQUESTS}/{request_id}/dismiss").status_code == 200


def test_requests_page_with_link_header(alice, make_user, client_for):
    for i in range(3):
        dm(client_for(make_user(f"s{i}")), "@alice hi")
    client = client_for(alice)
    made = [r["id"] for r in requests_of(client)]

    page = client.get(REQUESTS, {"limit": 2})
    assert ids(page) == made[:2]
    assert f"max_id={made[1]}" in page["Link"]
    assert ids(client.get(REQUESTS, {"max_id": made[1]})) == made[2:]
    assert ids(client.get(REQUESTS, {"min_id": made[2], "limit": 1})) == made[1:2]


def test_requests_list_runs_constant_queries(alice, make_user, client_for):
    client = client_for(alice)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(REQUESTS).status_code == 200
        return len(ctx.captured_queries)

    dm(client_for(make_user("first")), "@alice hi #tag")
    one = count()
    for i in range(19):
        dm(client_for(make_user(f"s{i}")), f"@alice hi {i} #tag")
    assert len(requests_of(client)) == 20
    assert count() == one


def test_notify_runs_constant_queries_whatever_the_thread(alice, bob, client_for):
    """The policy reads the policy, the relationship and, for a private mention, the thread in
    one query each, however deep the thread."""
    root = post(bob, "@alice root", visibility="direct", mentions=[alice], fan_out=False)
    shallow = post(bob, "@alice 1", visibility="direct", mentions=[alice], in_reply_to=root)
    deep = root
    for i in range(30):
        deep = post(bob, f"@alice {i}", visibility="direct", mentions=[alice], in_reply_to=deep)

    def count(status) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert notify(alice.account, "mention", from_account=bob.account, status=status)
        return len(ctx.captured_queries)

    notify(alice.account, "mention", from_account=bob.account, status=root)  # makes the request
    assert count(shallow) == count(deep)
    assert Notification.objects.filter(account=alice.account, filtered=False).count() == 0
