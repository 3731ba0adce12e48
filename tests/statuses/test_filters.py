"""Filters: /api/v2/filters (groups, keywords, statuses), /api/v1/filters, and what they do to
statuses: ``filtered`` in the filter's context, and ``hide`` leaving statuses out."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from statuses.filters import keyword_pattern, plain_text, searchable_text
from statuses.models import Filter, FilterKeyword, FilterStatus, Poll, Status
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import boost, follow, ids, post
from timelines.notifications import notify

V2 = "/api/v2/filters"
V1 = "/api/v1/filters"
HOME = "/api/v1/timelines/home"
PUBLIC = "/api/v1/timelines/public"


def form(client, method, url, pairs):
    """A url-encoded body, its pairs in the order given (as Rails-style clients send them)."""
    return getattr(client, method)(
        url, urlencode(pairs), content_type="application/x-www-form-urlencoded"
    )


def make_filter(client, title="Spoilers", context=("home",), action="warn", keywords=(), **extra):
    response = client.post(
        V2,
        {
            "title": title,
            "context": list(context),
            "filter_action": action,
            "keywords_attributes": [{"keyword": k, "whole_word": whole} for k, whole in keywords],
            **extra,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


# --- v2: filter groups ---------------------------------------------------------------------------


def test_create_from_rails_style_form_returns_the_documented_filter(alice, client_for):
    client = client_for(alice)

    response = form(
        client,
        "post",
        V2,
        [
            ("title", "test"),
            ("context[]", "public"),
            ("keywords_attributes[][keyword]", "foo"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "bar"),
            ("keywords_attributes[][whole_word]", "true"),
        ],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    keywords = body["keywords"]
    assert body == {
        "id": body["id"],
        "title": "test",
        "context": ["public"],
        "expires_at": None,
        "filter_action": "warn",
        "keywords": [
            {"id": keywords[0]["id"], "keyword": "foo", "whole_word": False},
            {"id": keywords[1]["id"], "keyword": "bar", "whole_word": True},
        ],
        "statuses": [],
    }
    assert client.get(V2).json() == [body]
    assert client.get(f"{V2}/{body['id']}").json() == body


def test_keywords_attributes_in_the_query_string_keep_their_order(alice, client_for):
    query = urlencode(
        [
            ("title", "q"),
            ("context[]", "thread"),
            ("keywords_attributes[][keyword]", "x"),
            ("keywords_attributes[][whole_word]", "0"),
            ("keywords_attributes[][keyword]", "y"),
        ]
    )

    body = client_for(alice).post(f"{V2}?{query}").json()

    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("x", False),
        ("y", True),
    ]


def test_update_changes_and_destroys_keywords_as_nested_attributes(alice, client_for):
    client = client_for(alice)
    created = make_filter(client, "test", ["public"], keywords=[("foo", False), ("bar", True)])
    foo, bar = created["keywords"]

    response = form(
        client,
        "put",
        f"{V2}/{created['id']}",
        [
            ("keywords_attributes[][id]", foo["id"]),
            ("keywords_attributes[][_destroy]", "true"),
            ("keywords_attributes[][id]", bar["id"]),
            ("keywords_attributes[][keyword]", "baz"),
            ("keywords_attributes[][keyword]", "new"),
        ],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "test"
    assert body["context"] == ["public"]
    assert [(k["id"], k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        (bar["id"], "baz", True),
        (body["keywords"][1]["id"], "new", True),  # whole_word defaults to true, as Mastodon
    ]


def test_update_title_context_action_and_expiry(alice, client_for):
    client = client_for(alice)
    created = make_filter(client)
    url = f"{V2}/{created['id']}"

    before = timezone.now()
    body = client.put(
        url,
        {"title": "Renamed", "context": ["home", "thread"], "filter_action": "blur",
         "expires_in": 3600},
        format="json",
    ).json()  # fmt: skip

    assert (body["title"], body["context"], body["filter_action"]) == (
        "Renamed",
        ["home", "thread"],
        "blur",
    )
    expires_at = parse_datetime(body["expires_at"])
    assert before + timedelta(seconds=3590) < expires_at < before + timedelta(seconds=3610)
    assert client.put(url, {"expires_in": ""}, format="json").json()["expires_at"] is None
    assert client.put(url, {}, format="json").json()["title"] == "Renamed"  # nothing sent


def test_delete(alice, client_for):
    client = client_for(alice)
    created = make_filter(client, keywords=[("x", True)])

    assert client.delete(f"{V2}/{created['id']}").json() == {}
    assert client.get(f"{V2}/{created['id']}").status_code == 404
    assert not FilterKeyword.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {"title": "", "context": []},
            "Validation failed: Title can't be blank, Context can't be blank, "
            "Context None or invalid context supplied",
        ),
        (
            {"title": "t", "context": ["home", "everywhere"]},
            "Validation failed: Context None or invalid context supplied",
        ),
        (
            {"title": "t", "context": ["home"], "filter_action": "explode"},
            "Validation failed: Action is not included in the list",
        ),
        (
            {"title": "t", "context": ["home"], "keywords_attributes": [{"whole_word": True}]},
            "Validation failed: Keywords keyword can't be blank",
        ),
    ],
)
def test_validation_errors_are_422_with_mastodons_messages(alice, client_for, payload, message):
    response = client_for(alice).post(V2, payload, format="json")

    assert response.status_code == 422
    assert response.json() == {"error": message}
    assert not Filter.objects.exists()


def test_keyword_ids_must_be_the_filters_own(alice, bob, client_for):
    client = client_for(alice)
    others = make_filter(client_for(bob), keywords=[("x", True)])
    mine = make_filter(client, keywords=[("y", True)])
    foreign = {"keywords_attributes": [{"id": others["keywords"][0]["id"], "keyword": "z"}]}

    new = {"title": "t", "context": ["home"], **foreign}
    assert client.post(V2, new, format="json").status_code == 404
    assert client.put(f"{V2}/{mine['id']}", foreign, format="json").status_code == 404
    assert FilterKeyword.objects.get(id=others["keywords"][0]["id"]).keyword == "x"


def test_someone_elses_filter_is_not_found(alice, bob, client_for):
    theirs = make_filter(client_for(bob), keywords=[("secret", True)])
    keyword_id = theirs["keywords"][0]["id"]
    client = client_for(alice)

    assert client.get(V2).json() == []
    for method in ("get", "put", "delete"):
        assert getattr(client, method)(f"{V2}/{theirs['id']}").status_code == 404
    assert client.get(f"{V2}/{theirs['id']}/keywords").status_code == 404
    assert client.post(f"{V2}/{theirs['id']}/keywords", {"keyword": "a"}).status_code == 404
    assert client.get(f"{V2}/{theirs['id']}/statuses").status_code == 404
    assert client.get(f"{V2}/keywords/{keyword_id}").status_code == 404
    assert client.delete(f"{V2}/keywords/{keyword_id}").status_code == 404
    assert client.get(f"{V1}/{keyword_id}").status_code == 404
    assert client.get(f"{V2}/{2**70}").status_code == 404
    assert Filter.objects.count() == 1


def test_scopes(alice, client_for, anon):
    reader = client_for(alice, scopes="read:filters")

    assert reader.get(V2).status_code == 200
    assert reader.get(V1).status_code == 200
    assert reader.post(V2, {"title": "t", "context": ["home"]}, format="json").status_code == 403
    assert client_for(alice, scopes="read:statuses").get(V2).status_code == 403
    writer = client_for(alice, scopes="write:filters")
    assert writer.post(V2, {"title": "t", "context": ["home"]}, format="json").status_code == 200
    assert anon.get(V2).status_code == 401


# --- v2: keywords and statuses -------------------------------------------------------------------


def test_keywords_endpoints(alice, client_for):
    client = client_for(alice)
    created = make_filter(client)

    added = client.post(f"{V2}/{created['id']}/keywords", {"keyword": "some"}).json()
    assert added == {"id": added["id"], "keyword": "some", "whole_word": True}
    assert client.get(f"{V2}/{created['id']}/keywords").json() == [added]
    assert client.get(f"{V2}/keywords/{added['id']}").json() == added

    updated = client.put(
        f"{V2}/keywords/{added['id']}", {"keyword": "other", "whole_word": "false"}
    ).json()
    assert updated == {"id": added["id"], "keyword": "other", "whole_word": False}

    blank = client.post(f"{V2}/{created['id']}/keywords", {"keyword": " "})
    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: Keyword can't be blank"}
    assert client.put(f"{V2}/keywords/{added['id']}", {"keyword": ""}).status_code == 422

    assert client.delete(f"{V2}/keywords/{added['id']}").json() == {}
    assert client.get(f"{V2}/keywords/{added['id']}").status_code == 404
    assert client.get(f"{V2}/{created['id']}").status_code == 200  # the filter stays


def test_status_filters_endpoints(alice, bob, client_for):
    client = client_for(alice)
    created = make_filter(client)
    status = post(bob, "a status")
    hidden = post(bob, "followers only", visibility="private")
    url = f"{V2}/{created['id']}/statuses"

    added = client.post(url, {"status_id": str(status.id)}).json()
    assert added == {"id": added["id"], "status_id": str(status.id)}
    assert client.get(url).json() == [added]
    assert client.get(f"{V2}/statuses/{added['id']}").json() == added
    assert client.get(f"{V2}/{created['id']}").json()["statuses"] == [added]

    again = client.post(url, {"status_id": str(status.id)})
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: Status has already been taken"}
    for bad in (str(hidden.id), "12345", str(2**70)):
        assert client.post(url, {"status_id": bad}).json() == {
            "error": "Validation failed: Status is invalid"
        }
    assert client.post(url, {}).status_code == 422

    assert client.delete(f"{V2}/statuses/{added['id']}").json() == {}
    assert client.get(url).json() == []


# --- v1 -----------------------------------------------------------------------------------------


def test_v1_filter_is_a_filter_with_one_keyword(alice, client_for):
    client = client_for(alice)

    response = client.post(
        V1,
        {"phrase": "test", "context[]": ["home", "notifications"], "irreversible": "true",
         "whole_word": "false", "expires_in": "600"},
    )  # fmt: skip

    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "phrase": "test",
        "context": ["home", "notifications"],
        "whole_word": False,
        "expires_at": body["expires_at"],
        "irreversible": True,
    }
    assert body["expires_at"].endswith("Z")
    group = client.get(V2).json()[0]
    assert (group["title"], group["filter_action"], group["keywords"][0]["id"]) == (
        "test",
        "hide",
        body["id"],
    )
    assert client.get(V1).json() == [body]
    assert client.get(f"{V1}/{body['id']}").json() == body


def test_v1_lists_every_keyword_of_v2_filters(alice, client_for):
    client = client_for(alice)
    group = make_filter(client, context=["public"], keywords=[("a", True), ("b", False)])

    listed = client.get(V1).json()

    assert [(f["id"], f["phrase"], f["whole_word"]) for f in listed] == [
        (k["id"], k["keyword"], k["whole_word"]) for k in group["keywords"]
    ]
    assert all(f["context"] == ["public"] and f["irreversible"] is False for f in listed)


def test_v1_update(alice, client_for):
    client = client_for(alice)
    created = client.post(V1, {"phrase": "old", "context[]": ["home"]}).json()
    assert created["whole_word"] is True  # Mastodon's column default

    updated = client.put(
        f"{V1}/{created['id']}",
        {"phrase": "new", "context[]": ["public"], "irreversible": "true", "whole_word": "0"},
    ).json()

    assert updated == {
        **created,
        "phrase": "new",
        "context": ["public"],
        "irreversible": True,
        "whole_word": False,
    }
    assert Filter.objects.get().title == "new"


def test_v1_refuses_changing_a_filter_shared_by_other_keywords(alice, client_for):
    client = client_for(alice)
    group = make_filter(client, "Group", keywords=[("a", True), ("b", True)])
    keyword_id = group["keywords"][0]["id"]

    refused = client.put(f"{V1}/{keyword_id}", {"phrase": "a", "context[]": ["public"]})
    assert refused.status_code == 422
    assert "apply to more than one filter keyword" in refused.json()["error"]

    renamed = client.put(f"{V1}/{keyword_id}", {"phrase": "c", "context[]": ["home"]})
    assert renamed.json()["phrase"] == "c"
    assert Filter.objects.get().title == "Group"  # the group keeps its title


def test_v1_validation_and_delete(alice, client_for):
    client = client_for(alice)

    blank = client.post(V1, {"phrase": "", "context[]": ["home"]})
    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: Phrase can't be blank"}
    bad = client.post(V1, {"phrase": "x"})
    assert bad.json() == {
        "error": "Validation failed: Context can't be blank, "
        "Context None or invalid context supplied"
    }

    created = client.post(V1, {"phrase": "x", "context[]": ["home"]}).json()
    assert client.delete(f"{V1}/{created['id']}").json() == {}
    assert client.get(V1).json() == []
    assert Filter.objects.count() == 1  # v1 deletes the keyword only, as Mastodon


# --- Matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keyword", "whole_word", "text", "matches"),
    [
        ("cat", True, "a Cat sat", True),
        ("cat", True, "concatenate", False),
        ("cat", False, "conCATenate", True),
        ("bad word", True, "such a BAD WORD!", True),
        ("café", True, "un café noir", True),
        ("café", True, "les cafés", False),
        ("#tag", True, "see #tag", True),
        ("#tag", True, "see #tagged", False),
        ("c++", True, "I like c++.", True),
        ("über", True, "überall", False),
        ("über", False, "überall", True),
        ("a.b", False, "axb", False),
    ],
)
def test_keyword_matching(keyword, whole_word, text, matches):
    assert bool(keyword_pattern(keyword, whole_word=whole_word).search(text)) is matches


def test_searchable_text_has_content_warning_plain_text_and_poll_options(alice, db):
    remote = RemoteAccountFactory()
    status = Status.objects.create(
        account=remote,
        local=False,
        spoiler_text="CW here",
        content='<p>Hello <span class="h-card">@x</span> &amp; bye</p><p>line<br>two</p>',
    )
    Poll.objects.create(status=status, account=remote, options=["yes", "no"])
    status = Status.objects.select_related("poll").get(id=status.id)

    assert plain_text(status) == "Hello @x & bye\nline\ntwo"
    text = searchable_text(status)
    assert text.startswith("CW here\n\nHello @x & bye")
    assert "yes\n\nno" in text
    assert "span" not in text


# --- filtered, in context ------------------------------------------------------------------------


def result_titles(entity):
    return [r["filter"]["title"] for r in entity["filtered"]]


def test_warn_filter_marks_home_with_a_filter_result(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    created = make_filter(client, "Spoilers", ["home"], keywords=[("ending", True)])
    matched = post(bob, "The Ending was great")
    other = post(bob, "nothing to see")

    body = client.get(HOME).json()

    by_id = {s["id"]: s for s in body}
    assert by_id[str(matched.id)]["filtered"] == [
        {
            "filter": {
                "id": created["id"],
                "title": "Spoilers",
                "context": ["home"],
                "expires_at": None,
                "filter_action": "warn",
            },
            "keyword_matches": ["ending"],
            "status_matches": None,
        }
    ]
    assert by_id[str(other.id)]["filtered"] == []


def test_warn_filter_marks_public_notifications_thread_and_single_status(
    alice, bob, client_for, anon
):
    client = client_for(alice)
    make_filter(client, "W", ["public", "notifications", "thread"], keywords=[("spoiler", False)])
    root = post(alice, "root")
    reply = post(bob, "spoiler @alice", in_reply_to=root, mentions=[alice])
    notify(alice.account, "mention", from_account=bob.account, status=reply)

    public = {s["id"]: s for s in client.get(PUBLIC).json()}
    assert result_titles(public[str(root.id)]) == []
    context = client.get(f"/api/v1/statuses/{root.id}/context").json()
    assert result_titles(context["descendants"][0]) == ["W"]
    notifications = client.get("/api/v1/notifications").json()
    assert result_titles(notifications[0]["status"]) == ["W"]
    grouped = client.get("/api/v2/notifications").json()
    assert result_titles(grouped["statuses"][0]) == ["W"]
    assert result_titles(client.get(f"/api/v1/statuses/{reply.id}").json()) == ["W"]
    assert "filtered" not in anon.get(f"/api/v1/statuses/{reply.id}").json()

    on_public = post(bob, "a SPOILER")
    public = {s["id"]: s for s in client.get(PUBLIC).json()}
    assert result_titles(public[str(on_public.id)]) == ["W"]


def test_filters_apply_only_in_their_contexts(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    make_filter(client, "Public only", ["public"], "hide", keywords=[("news", True)])
    status = post(bob, "news today")

    assert ids(client.get(PUBLIC)) == []
    home = client.get(HOME).json()
    assert [s["id"] for s in home] == [str(status.id)]
    assert home[0]["filtered"] == []


def test_expired_filters_do_nothing(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    created = make_filter(client, "Old", ["home"], "hide", keywords=[("news", True)])
    Filter.objects.filter(id=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    status = post(bob, "news today")

    home = client.get(HOME).json()
    assert [s["id"] for s in home] == [str(status.id)]
    assert home[0]["filtered"] == []


def test_the_viewers_own_statuses_are_never_filtered(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    make_filter(client, "Hide", ["home", "account"], "hide", keywords=[("forbidden", True)])
    own = post(alice, "my forbidden thoughts")
    boosted_own = boost(bob, own)

    home = {s["id"]: s for s in client.get(HOME).json()}
    assert home[str(own.id)]["filtered"] == []
    assert ids(client.get(f"/api/v1/accounts/{alice.account.id}/statuses")) == [str(own.id)]
    boosts = client.get(f"/api/v1/accounts/{bob.account.id}/statuses").json()
    assert [(s["id"], s["filtered"]) for s in boosts] == [(str(boosted_own.id), [])]


def test_status_filter_matches_the_status_and_its_boosts(alice, bob, make_user, client_for):
    carol = make_user("carol")  # not followed: her status reaches home only as a boost
    client = client_for(alice)
    follow(alice, bob)
    original = post(carol, "harmless words")
    created = make_filter(client, "This one", ["home"])
    client.post(f"{V2}/{created['id']}/statuses", {"status_id": str(original.id)})
    boosted = boost(bob, original)

    home = {s["id"]: s for s in client.get(HOME).json()}

    result = home[str(boosted.id)]["filtered"][0]
    assert result["keyword_matches"] is None
    assert result["status_matches"] == [str(original.id)]
    assert home[str(boosted.id)]["reblog"]["filtered"][0]["filter"]["title"] == "This one"


def test_a_boost_is_matched_by_what_it_boosts(alice, bob, make_user, client_for):
    carol = make_user("carol")
    client = client_for(alice)
    follow(alice, bob)
    make_filter(client, "Hide", ["home"], "hide", keywords=[("forbidden", True)])
    kept = post(bob, "fine")
    boost(bob, post(carol, "forbidden fruit"))

    assert ids(client.get(HOME)) == [str(kept.id)]


# --- hide, in every timeline ---------------------------------------------------------------------


def test_hide_filter_removes_from_every_timeline(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    contexts = ["home", "public", "thread", "account", "notifications"]
    make_filter(client, "Hide", contexts, "hide", keywords=[("forbidden", True)])
    root = post(alice, "root")
    kept = post(bob, "fine #topic", tags=["topic"])
    hidden = post(
        bob, "forbidden #topic @alice", tags=["topic"], in_reply_to=root, mentions=[alice]
    )
    notify(alice.account, "mention", from_account=bob.account, status=hidden)
    kept_mention = post(bob, "fine @alice", mentions=[alice])
    notify(alice.account, "mention", from_account=bob.account, status=kept_mention)
    hidden_top = post(bob, "forbidden, and no reply")
    lst = client.post("/api/v1/lists", {"title": "Bob"}).json()
    client.post(f"/api/v1/lists/{lst['id']}/accounts", {"account_ids[]": [str(bob.account.id)]})
    in_list = post(bob, "forbidden in the list")
    list_kept = post(bob, "fine in the list")

    assert str(hidden.id) not in ids(client.get(HOME))
    assert str(in_list.id) not in ids(client.get(HOME))
    assert str(kept.id) in ids(client.get(HOME))
    assert str(hidden_top.id) not in ids(client.get(HOME))
    assert str(hidden_top.id) not in ids(client.get(PUBLIC))
    assert str(kept.id) in ids(client.get(PUBLIC))
    assert ids(client.get("/api/v1/timelines/tag/topic")) == [str(kept.id)]
    in_the_list = ids(client.get(f"/api/v1/timelines/list/{lst['id']}"))
    assert str(list_kept.id) in in_the_list
    assert str(in_list.id) not in in_the_list
    assert str(hidden.id) not in in_the_list
    account_ids = ids(client.get(f"/api/v1/accounts/{bob.account.id}/statuses"))
    assert str(hidden.id) not in account_ids
    assert str(kept.id) in account_ids
    context = client.get(f"/api/v1/statuses/{root.id}/context").json()
    assert context["descendants"] == []
    notifications = client.get("/api/v1/notifications").json()
    assert [n["status"]["id"] for n in notifications] == [str(kept_mention.id)]
    grouped = client.get("/api/v2/notifications").json()
    assert [g["status_id"] for g in grouped["notification_groups"]] == [str(kept_mention.id)]
    assert [s["id"] for s in grouped["statuses"]] == [str(kept_mention.id)]
    # Asked for by id, a hidden status is still there, marked.
    single = client.get(f"/api/v1/statuses/{hidden.id}").json()
    assert single["filtered"][0]["filter"]["filter_action"] == "hide"


def test_hidden_statuses_keep_the_link_header_paging(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    make_filter(client, "Hide", ["home"], "hide", keywords=[("forbidden", True)])
    older = post(bob, "fine")
    hidden = post(bob, "forbidden")

    response = client.get(HOME, {"limit": 1})

    assert response.json() == []
    assert f"max_id={hidden.id}" in response["Link"]
    assert ids(client.get(HOME, {"limit": 1, "max_id": hidden.id})) == [str(older.id)]


def test_v1_irreversible_filter_hides_from_home(alice, bob, client_for):
    client = client_for(alice)
    follow(alice, bob)
    client.post(V1, {"phrase": "forbidden", "context[]": ["home"], "irreversible": "true"})
    kept = post(bob, "fine")
    post(bob, "Forbidden!")

    assert ids(client.get(HOME)) == [str(kept.id)]


# --- Queries -------------------------------------------------------------------------------------


def _count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(HOME, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_home_with_filters_runs_the_same_queries_for_one_status_as_for_forty(
    alice, bob, make_user, client_for
):
    client = client_for(alice)
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    make_filter(client, "Warn", ["home"], keywords=[("status 3", True), ("boosted", False)])
    make_filter(client, "Hide", ["home"], "hide", keywords=[("status 40", True)])
    status_filter = make_filter(client, "Status", ["home"])
    for i in range(45):
        original = post(carol if i % 2 else bob, f"status {i}", mentions=[alice], tags=["x"])
        if i % 3 == 0:
            boost(bob, post(make_user(f"u{i}"), "boosted", tags=["y"]))
        if i % 5 == 0:
            client.post(f"{V2}/{status_filter['id']}/statuses", {"status_id": str(original.id)})
    # Both pages start with a boost, so both load boosted originals.
    boost(bob, post(make_user("dave"), "newest is a boost"))

    one, _ = _count(client, {"limit": 1})
    forty, body = _count(client, {"limit": 40})

    assert one == forty
    assert len(body) == 39  # "status 40" is hidden
    assert any(s["filtered"] for s in body)
    assert FilterStatus.objects.count() == 9
