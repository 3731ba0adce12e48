"""Profiles through the API: credentials, show, multiple, lookup, search, preferences."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from accounts.models import Account, Block, Follow, FollowRequest
from tests.factories.accounts import RemoteAccountFactory, UserFactory
from timelines.models import List, ListAccount

ACCOUNT_KEYS = {
    "id", "username", "acct", "url", "uri", "display_name", "note", "avatar", "avatar_static",
    "avatar_description", "header", "header_static", "header_description", "locked", "fields",
    "emojis", "bot", "group", "discoverable", "indexable", "hide_collections", "created_at",
    "last_status_at", "statuses_count", "followers_count", "following_count", "roles",
}  # fmt: skip


def test_verify_credentials_returns_the_credential_account(alice, bob, client_for) -> None:
    FollowRequest.objects.create(account=bob.account, target_account=alice.account)

    response = client_for(alice, scopes="read:accounts").get("/api/v1/accounts/verify_credentials")

    assert response.status_code == 200
    data = response.json()
    assert data.keys() >= ACCOUNT_KEYS
    assert data["id"] == str(alice.account.id)
    assert data["acct"] == "alice"
    assert data["source"]["follow_requests_count"] == 1
    assert data["source"]["privacy"] == "public"
    assert data["role"]["permissions"] == "0"


def test_verify_credentials_accepts_the_profile_scope(alice, client_for) -> None:
    response = client_for(alice, scopes="profile").get("/api/v1/accounts/verify_credentials")

    assert response.status_code == 200


def test_verify_credentials_needs_a_token(anon) -> None:
    response = anon.get("/api/v1/accounts/verify_credentials")

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_verify_credentials_refuses_a_token_without_the_scope(alice, client_for) -> None:
    response = client_for(alice, scopes="write").get("/api/v1/accounts/verify_credentials")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


def test_verify_credentials_needs_a_user_not_an_app_token(client_for) -> None:
    response = client_for(None, scopes="read").get("/api/v1/accounts/verify_credentials")

    assert response.status_code == 422
    assert response.json() == {"error": "This method requires an authenticated user"}


def test_update_credentials_changes_the_profile(alice, client_for) -> None:
    response = client_for(alice, scopes="write:accounts").patch(
        "/api/v1/accounts/update_credentials",
        {
            "display_name": "Alice A.",
            "note": "Hi <there>\n\nsee https://example.com/x",
            "locked": "true",
            "bot": "1",
            "discoverable": "true",
            "indexable": "true",
            "hide_collections": "true",
            "fields_attributes[0][name]": "Site",
            "fields_attributes[0][value]": "https://alice.example",
            "fields_attributes[1][name]": "Pronouns",
            "fields_attributes[1][value]": "she/<her>",
            "source[privacy]": "unlisted",
            "source[sensitive]": "true",
            "source[language]": "de",
        },
        format="multipart",
    )

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["display_name"] == "Alice A."
    assert data["note"].startswith("<p>Hi &lt;there&gt;</p>")
    assert 'href="https://example.com/x"' in data["note"]
    assert data["locked"] is True
    assert data["bot"] is True
    assert data["discoverable"] is True
    assert data["indexable"] is True
    assert data["hide_collections"] is True
    assert [f["name"] for f in data["fields"]] == ["Site", "Pronouns"]
    assert 'href="https://alice.example"' in data["fields"][0]["value"]
    assert 'rel="me nofollow noopener noreferrer"' in data["fields"][0]["value"]
    assert data["fields"][1]["value"] == "she/&lt;her&gt;"
    assert data["fields"][0]["verified_at"] is None
    source = data["source"]
    assert source["note"] == "Hi <there>\n\nsee https://example.com/x"
    assert [f["value"] for f in source["fields"]] == ["https://alice.example", "she/<her>"]
    assert (source["privacy"], source["sensitive"], source["language"]) == ("unlisted", True, "de")
    alice.refresh_from_db()
    assert alice.default_privacy == "unlisted"
    assert alice.default_language == "de"


def test_update_credentials_takes_json_with_a_fields_array(alice, client_for) -> None:
    response = client_for(alice).patch(
        "/api/v1/accounts/update_credentials",
        {"fields_attributes": [{"name": "a", "value": "1"}, {"name": "", "value": ""}]},
        format="json",
    )

    assert response.status_code == 200
    assert [(f["name"], f["value"]) for f in response.json()["fields"]] == [("a", "1")]


def test_update_credentials_ignores_an_avatar_upload(alice, client_for) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    avatar = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    response = client_for(alice).patch(
        "/api/v1/accounts/update_credentials",
        {"avatar": avatar, "display_name": "With picture"},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "With picture"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"display_name": "x" * 31}, "Display name is too long"),
        ({"note": "x" * 501}, "Note is too long"),
        ({"source": {"privacy": "direct"}}, "Default privacy"),
        (
            {"fields_attributes": {str(i): {"name": f"n{i}", "value": "v"} for i in range(5)}},
            "Fields is too long",
        ),
    ],
)
def test_update_credentials_rejects_invalid_values(alice, client_for, payload, message) -> None:
    response = client_for(alice).patch(
        "/api/v1/accounts/update_credentials", payload, format="json"
    )

    assert response.status_code == 422
    assert message in response.json()["error"]
    assert response.json()["error"].startswith("Validation failed: ")


def test_update_credentials_needs_write_accounts(alice, client_for) -> None:
    response = client_for(alice, scopes="read").patch(
        "/api/v1/accounts/update_credentials", {"display_name": "x"}, format="json"
    )

    assert response.status_code == 403


def test_unlocking_accepts_pending_follow_requests(alice, bob, client_for) -> None:
    Account.objects.filter(id=alice.account.id).update(locked=True)
    FollowRequest.objects.create(account=bob.account, target_account=alice.account)
    alice.account.refresh_from_db()

    response = client_for(alice).patch(
        "/api/v1/accounts/update_credentials", {"locked": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["source"]["follow_requests_count"] == 0
    assert Follow.objects.filter(account=bob.account, target_account=alice.account).exists()


def test_get_account_is_public(alice, anon) -> None:
    response = anon.get(f"/api/v1/accounts/{alice.account.id}")

    assert response.status_code == 200
    data = response.json()
    assert data.keys() >= ACCOUNT_KEYS
    assert data["username"] == "alice"
    assert data["url"].endswith("/@alice")
    assert "source" not in data


def test_get_unknown_account_is_404(anon, db) -> None:
    response = anon.get("/api/v1/accounts/123456789")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_unconfirmed_local_account_is_hidden(anon, make_user) -> None:
    pending = make_user(
        "pending",
    )
    pending.confirmed_at = None
    pending.save()

    assert anon.get(f"/api/v1/accounts/{pending.account.id}").status_code == 404


def test_suspended_account_shows_as_suspended(anon, make_user) -> None:
    from django.utils import timezone

    gone = make_user("gone", suspended_at=timezone.now(), display_name="Gone")
    data = anon.get(f"/api/v1/accounts/{gone.account.id}").json()

    assert data["suspended"] is True
    assert data["display_name"] == ""


def test_get_multiple_accounts_in_order_skipping_missing(alice, bob, anon) -> None:
    ids = [bob.account.id, 999, alice.account.id]
    response = anon.get("/api/v1/accounts", {"id[]": ids})

    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [str(bob.account.id), str(alice.account.id)]


def test_post_accounts_goes_to_registration_and_needs_a_token(anon, db) -> None:
    response = anon.post("/api/v1/accounts", {"username": "x"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "acct", ["bob", "@bob", "BOB", f"bob@{settings.LOCAL_DOMAIN}", f"@bob@{settings.LOCAL_DOMAIN}"]
)
def test_lookup_finds_a_local_account(bob, anon, acct) -> None:
    response = anon.get("/api/v1/accounts/lookup", {"acct": acct})

    assert response.status_code == 200
    assert response.json()["id"] == str(bob.account.id)


def test_lookup_finds_a_remote_account_with_its_port(anon, db) -> None:
    remote = RemoteAccountFactory(username="bob", domain="remote.example:8443")
    RemoteAccountFactory(username="bob", domain="remote.example")

    response = anon.get("/api/v1/accounts/lookup", {"acct": "bob@remote.example:8443"})

    assert response.status_code == 200
    assert response.json()["id"] == str(remote.id)
    assert response.json()["acct"] == "bob@remote.example:8443"


def test_lookup_unknown_is_404(anon, db) -> None:
    assert anon.get("/api/v1/accounts/lookup", {"acct": "nobody@x.example"}).status_code == 404
    assert anon.get("/api/v1/accounts/lookup").status_code == 404


def _search(client: Any, **params: Any) -> list[str]:
    response = client.get("/api/v1/accounts/search", params)
    assert response.status_code == 200
    return [a["acct"] for a in response.json()]


def test_search_puts_the_exact_match_first_then_local_prefixes(
    alice, make_user, client_for
) -> None:
    make_user("bobby")
    make_user("carol", display_name="Bob's friend")
    make_user("bob")
    RemoteAccountFactory(username="bobcat", followers_count=1000)

    found = _search(client_for(alice), q="bob")

    assert found[0] == "bob"
    assert set(found[1:3]) == {"bobby", "carol"}
    assert found[3] == "bobcat@remote.example"


def test_search_finds_remote_addresses(alice, client_for) -> None:
    RemoteAccountFactory(username="dave", domain="far.example")
    RemoteAccountFactory(username="davey", domain="far.example")

    assert _search(client_for(alice), q="@dave@far.example") == [
        "dave@far.example",
        "davey@far.example",
    ]


def test_search_pages_with_limit_and_offset(alice, make_user, client_for) -> None:
    for i in range(5):
        make_user(f"zed{i}")
    client = client_for(alice)

    first = _search(client, q="zed", limit=2)
    second = _search(client, q="zed", limit=2, offset=2)

    assert len(first) == len(second) == 2
    assert not set(first) & set(second)


def test_search_following_only_returns_followed(alice, make_user, client_for) -> None:
    followed = make_user("zoe").account
    make_user("zoey")
    Follow.objects.create(account=alice.account, target_account=followed)

    assert _search(client_for(alice), q="zo", following="true") == ["zoe"]


def test_search_hides_accounts_that_block_the_viewer(alice, make_user, client_for) -> None:
    blocker = make_user("yan").account
    Block.objects.create(account=blocker, target_account=alice.account)

    assert _search(client_for(alice), q="yan") == []


def test_search_needs_a_user_token(anon, db) -> None:
    assert anon.get("/api/v1/accounts/search", {"q": "a"}).status_code == 401


def test_preferences(alice, client_for) -> None:
    alice.default_privacy = "private"
    alice.default_language = "fr"
    alice.save()

    response = client_for(alice, scopes="read:accounts").get("/api/v1/preferences")

    assert response.status_code == 200
    assert response.json() == {
        "posting:default:visibility": "private",
        "posting:default:sensitive": False,
        "posting:default:language": "fr",
        "posting:default:quote_policy": "public",
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


def test_featured_tags_are_empty(alice, anon) -> None:
    response = anon.get(f"/api/v1/accounts/{alice.account.id}/featured_tags")

    assert response.status_code == 200
    assert response.json() == []


def test_lists_containing_an_account_are_only_the_viewers(alice, bob, make_user, client_for):
    carol = make_user("carol").account
    mine = List.objects.create(account=alice.account, title="friends")
    List.objects.create(account=alice.account, title="empty")
    theirs = List.objects.create(account=carol, title="secret")
    ListAccount.objects.create(list=mine, account=bob.account)
    ListAccount.objects.create(list=theirs, account=bob.account)

    response = client_for(alice, scopes="read:lists").get(
        f"/api/v1/accounts/{bob.account.id}/lists"
    )

    assert response.status_code == 200
    assert response.json() == [
        {"id": str(mine.id), "title": "friends", "replies_policy": "list", "exclusive": False}
    ]


def test_lists_need_the_lists_scope(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="read:accounts").get(
        f"/api/v1/accounts/{bob.account.id}/lists"
    )

    assert response.status_code == 403


def test_identity_proofs_are_empty(alice, bob, client_for) -> None:
    response = client_for(alice).get(f"/api/v1/accounts/{bob.account.id}/identity_proofs")

    assert response.json() == []


def test_user_factory_account_is_usable(db) -> None:
    user = UserFactory()
    assert user.account.local


def test_an_id_beyond_64_bits_is_404_not_an_error(alice, client_for) -> None:
    huge = "9" * 30
    client = client_for(alice)

    assert client.get(f"/api/v1/accounts/{huge}").status_code == 404
    assert client.get("/api/v1/accounts", {"id[]": huge}).json() == []
    assert client.get("/api/v1/accounts/relationships", {"id[]": huge}).json() == []
