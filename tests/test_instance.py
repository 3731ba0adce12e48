"""Instance discovery: /api/v1|v2/instance and sub-resources, NodeInfo, emojis, announcements,
health and the front page; plus the API path conventions (slashes, CORS, JSON 404s)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from moderation.models import Rule
from statuses.models import Status
from tests.conftest import make_token
from tests.factories.accounts import RemoteAccountFactory

pytestmark = pytest.mark.django_db

V2_KEYS = {
    "domain",
    "title",
    "version",
    "source_url",
    "description",
    "wrapstodon",
    "usage",
    "thumbnail",
    "icon",
    "languages",
    "configuration",
    "registrations",
    "api_versions",
    "contact",
    "rules",
}
V2_CONFIGURATION = {
    "urls": {"streaming", "status", "about", "privacy_policy", "terms_of_service"},
    "vapid": {"public_key"},
    "accounts": {
        "max_display_name_length",
        "max_note_length",
        "max_avatar_description_length",
        "max_header_description_length",
        "max_featured_tags",
        "max_pinned_statuses",
        "max_profile_fields",
        "profile_field_name_limit",
        "profile_field_value_limit",
    },
    "statuses": {"max_characters", "max_media_attachments", "characters_reserved_per_url"},
    "media_attachments": {
        "supported_mime_types",
        "description_limit",
        "image_size_limit",
        "image_matrix_limit",
        "video_size_limit",
        "video_frame_rate_limit",
        "video_matrix_limit",
    },
    "polls": {"max_options", "max_characters_per_option", "min_expiration", "max_expiration"},
    "translation": {"enabled"},
    "timelines_access": {"live_feeds", "hashtag_feeds", "trending_link_feeds"},
}
V1_KEYS = {
    "uri",
    "title",
    "short_description",
    "description",
    "email",
    "version",
    "urls",
    "stats",
    "thumbnail",
    "languages",
    "registrations",
    "approval_required",
    "invites_enabled",
    "configuration",
    "contact_account",
    "rules",
}


def get(client: APIClient, path: str, **extra: Any) -> Any:
    response = client.get(path, **extra)
    assert response.status_code == 200, (path, response.status_code, response.content[:300])
    return response.json()


def post_status(user: User, *, local: bool = True, **fields: Any) -> Status:
    return Status.objects.create(account=user.account, local=local, text="hi", **fields)


# --- /api/v2/instance --------------------------------------------------------------------------


def test_v2_has_every_documented_key(anon: APIClient, settings: Any) -> None:
    data = get(anon, "/api/v2/instance")
    assert set(data) >= V2_KEYS
    for section, keys in V2_CONFIGURATION.items():
        assert set(data["configuration"][section]) >= keys, section
    assert data["configuration"]["limited_federation"] is False
    assert set(data["registrations"]) >= {
        "enabled",
        "approval_required",
        "message",
        "min_age",
        "reason_required",
        "url",
    }
    assert set(data["contact"]) == {"email", "account"}
    assert set(data["usage"]["users"]) == {"active_month"}
    assert "url" in data["thumbnail"]
    for feeds in data["configuration"]["timelines_access"].values():
        assert set(feeds) == {"local", "remote"}


def test_v2_values_come_from_settings(anon: APIClient, settings: Any) -> None:
    settings.MAX_STATUS_CHARS = 1234
    settings.SITE_TITLE = "Test Social"
    settings.SITE_CONTACT_EMAIL = "admin@example.test"
    data = get(anon, "/api/v2/instance")
    assert data["domain"] == settings.LOCAL_DOMAIN
    assert data["title"] == "Test Social"
    assert data["version"] == (
        f"{settings.MASTODON_COMPAT_VERSION} (compatible; Fedisocial {settings.FEDISOCIAL_VERSION})"
    )
    assert data["api_versions"] == {"mastodon": settings.MASTODON_API_VERSION}
    statuses = data["configuration"]["statuses"]
    assert statuses == {
        "max_characters": 1234,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    polls = data["configuration"]["polls"]
    assert polls["max_options"] == settings.MAX_POLL_OPTIONS
    assert polls["max_characters_per_option"] == settings.MAX_POLL_OPTION_CHARS
    assert data["contact"]["email"] == "admin@example.test"
    assert data["configuration"]["urls"]["streaming"] == f"ws://{settings.LOCAL_DOMAIN}"


def test_streaming_url_is_wss_over_https(anon: APIClient, settings: Any) -> None:
    settings.LOCAL_HTTPS = True
    settings.LOCAL_DOMAIN = "social.example"
    assert get(anon, "/api/v2/instance")["configuration"]["urls"]["streaming"] == (
        "wss://social.example"
    )
    assert get(anon, "/api/v1/instance")["urls"]["streaming_api"] == "wss://social.example"


@pytest.mark.parametrize(
    ("mode", "enabled", "approval"),
    [("open", True, False), ("approved", True, True), ("none", False, False)],
)
def test_registrations_follow_the_mode(
    anon: APIClient, settings: Any, mode: str, enabled: bool, approval: bool
) -> None:
    settings.REGISTRATIONS_MODE = mode
    v2 = get(anon, "/api/v2/instance")["registrations"]
    assert (v2["enabled"], v2["approval_required"]) == (enabled, approval)
    v1 = get(anon, "/api/v1/instance")
    assert (v1["registrations"], v1["approval_required"]) == (enabled, approval)
    assert get(anon, "/nodeinfo/2.0")["openRegistrations"] is enabled


def test_rules_in_priority_order(anon: APIClient) -> None:
    second = Rule.objects.create(text="Be kind", hint="really", priority=2)
    first = Rule.objects.create(text="No spam", priority=1)
    expected = [
        {"id": str(first.id), "text": "No spam", "hint": "", "translations": {}},
        {"id": str(second.id), "text": "Be kind", "hint": "really", "translations": {}},
    ]
    assert get(anon, "/api/v1/instance/rules") == expected
    assert get(anon, "/api/v2/instance")["rules"] == expected
    assert get(anon, "/api/v1/instance")["rules"] == expected


def test_contact_account_is_the_owner(
    anon: APIClient, make_user: Callable[..., User], alice: User
) -> None:
    assert get(anon, "/api/v2/instance")["contact"]["account"] is None
    admin = make_user("boss")
    admin.role = User.Role.ADMIN
    admin.save()
    owner = make_user("founder")
    owner.role = User.Role.OWNER
    owner.save()
    contact = get(anon, "/api/v2/instance")["contact"]["account"]
    v1_contact = get(anon, "/api/v1/instance")["contact_account"]
    try:
        from accounts.api.serializers import render_account  # noqa: F401
    except ImportError:
        assert contact is None
        return
    assert contact["username"] == "founder"
    assert contact["id"] == str(owner.account.id)
    assert v1_contact == contact


# --- Counts: /api/v1/instance stats, /api/v2 usage, NodeInfo -----------------------------------


def test_counts_follow_accounts_and_statuses(
    anon: APIClient, make_user: Callable[..., User]
) -> None:
    stats = get(anon, "/api/v1/instance")["stats"]
    assert stats == {"user_count": 0, "status_count": 0, "domain_count": 0}

    alice = make_user("alice")
    bob = make_user("bob")
    unconfirmed = make_user("pending")
    unconfirmed.confirmed_at = None
    unconfirmed.save()
    remote1 = RemoteAccountFactory(domain="one.example")
    RemoteAccountFactory(domain="one.example")
    RemoteAccountFactory(domain="two.example")
    post_status(alice)
    post_status(bob)
    post_status(bob, deleted_at=timezone.now())
    Status.objects.create(account=remote1, local=False, uri="https://one.example/s/1")

    stats = get(anon, "/api/v1/instance")["stats"]
    assert stats == {"user_count": 2, "status_count": 2, "domain_count": 2}
    assert get(anon, "/api/v1/instance/peers") == ["one.example", "two.example"]

    nodeinfo = get(anon, "/nodeinfo/2.1")
    assert nodeinfo["usage"]["users"]["total"] == stats["user_count"]
    assert nodeinfo["usage"]["localPosts"] == stats["status_count"]


def test_active_users(anon: APIClient, make_user: Callable[..., User]) -> None:
    now = timezone.now()
    recent = make_user("recent")
    recent.last_login = now - timedelta(days=2)
    recent.save()
    poster = make_user("poster")
    poster.account.last_status_at = now - timedelta(days=10)
    poster.account.save()
    older = make_user("older")
    older.last_login = now - timedelta(days=90)
    older.save()
    make_user("never")

    assert get(anon, "/api/v2/instance")["usage"]["users"]["active_month"] == 2
    users = get(anon, "/nodeinfo/2.0")["usage"]["users"]
    assert users == {"total": 4, "activeMonth": 2, "activeHalfyear": 3}


def test_weekly_activity(anon: APIClient, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    alice.last_login = timezone.now()
    alice.created_at = timezone.now()
    alice.save()
    post_status(alice)
    post_status(alice, created_at=timezone.now() - timedelta(weeks=3))
    post_status(alice, created_at=timezone.now() - timedelta(weeks=20))  # beyond 12 weeks

    weeks = get(anon, "/api/v1/instance/activity")
    assert len(weeks) == 12
    for week in weeks:
        assert set(week) == {"week", "statuses", "logins", "registrations"}
        assert all(isinstance(value, str) for value in week.values())
    starts = [int(w["week"]) for w in weeks]
    assert starts == sorted(starts, reverse=True)
    assert all(a - b == 7 * 24 * 3600 for a, b in itertools.pairwise(starts))
    assert starts[0] <= timezone.now().timestamp() < starts[0] + 7 * 24 * 3600
    assert weeks[0]["statuses"] == "1"
    assert weeks[0]["logins"] == "1"
    assert weeks[0]["registrations"] == "1"
    assert sum(int(w["statuses"]) for w in weeks) == 2


# --- Other documents ----------------------------------------------------------------------------


def test_small_documents(anon: APIClient, settings: Any) -> None:
    settings.SITE_DESCRIPTION = "Cats & dogs"
    extended = get(anon, "/api/v1/instance/extended_description")
    assert extended["content"] == "<p>Cats &amp; dogs</p>"
    assert extended["updated_at"].endswith("Z")
    policy = get(anon, "/api/v1/instance/privacy_policy")
    assert set(policy) == {"updated_at", "content"}
    assert get(anon, "/api/v1/instance/translation_languages") == {}
    assert get(anon, "/api/v1/instance/domain_blocks") == []
    languages = get(anon, "/api/v1/instance/languages")
    assert {"code": "en", "name": "English"} in languages
    assert get(anon, "/api/v1/custom_emojis") == []


def test_terms_of_service_are_not_configured(anon: APIClient) -> None:
    for path in ("/api/v1/instance/terms_of_service", "/api/v1/instance/terms_of_service/2025-01"):
        response = anon.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}


def test_nodeinfo_discovery(anon: APIClient, settings: Any) -> None:
    links = get(anon, "/.well-known/nodeinfo")["links"]
    base = f"http://{settings.LOCAL_DOMAIN}"
    assert links == [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{base}/nodeinfo/2.0"},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f"{base}/nodeinfo/2.1"},
    ]
    for version in ("2.0", "2.1"):
        response = anon.get(f"/nodeinfo/{version}")
        assert version in response["Content-Type"]
        doc = response.json()
        assert doc["version"] == version
        assert doc["software"]["name"] == "fedisocial"
        assert doc["software"]["version"] == settings.FEDISOCIAL_VERSION
        assert doc["protocols"] == ["activitypub"]
        assert set(doc) >= {"services", "usage", "openRegistrations", "metadata"}


# --- Announcements: a user token with read ------------------------------------------------------


def test_announcements_need_a_user_token_with_read(
    anon: APIClient, alice: User, client_for: Callable[..., APIClient]
) -> None:
    assert anon.get("/api/v1/announcements").status_code == 401
    assert client_for(alice, "write").get("/api/v1/announcements").status_code == 403
    assert get(client_for(alice, "read"), "/api/v1/announcements") == []
    app_only = APIClient()
    app_only.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(None, 'read')}")
    assert app_only.get("/api/v1/announcements").status_code == 422


# --- API path conventions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/instance/", "/api/v2/instance/", "/.well-known/nodeinfo/", "/nodeinfo/2.0/"],
)
def test_trailing_slash_answers_without_redirect(anon: APIClient, path: str) -> None:
    response = anon.get(path)
    assert response.status_code == 200


def test_cors_on_api_responses(anon: APIClient) -> None:
    for path in ("/api/v1/instance", "/api/v2/instance", "/nodeinfo/2.0"):
        response = anon.get(path, HTTP_ORIGIN="https://elk.zone")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Link" in response["Access-Control-Expose-Headers"]


def test_cors_preflight(anon: APIClient) -> None:
    response = anon.options(
        "/api/v1/instance",
        HTTP_ORIGIN="https://elk.zone",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "authorization"


def test_unknown_api_path_is_a_json_404(anon: APIClient) -> None:
    response = anon.get("/api/v1/no_such_thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"error"}


def test_public_endpoints_refuse_an_invalid_token(anon: APIClient) -> None:
    anon.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert anon.get("/api/v2/instance").status_code == 401


# --- Health and front page ----------------------------------------------------------------------


def test_health(anon: APIClient) -> None:
    response = anon.get("/health")
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"].startswith("text/plain")


def test_front_page(anon: APIClient, settings: Any) -> None:
    settings.SITE_TITLE = "Tea <&> Cake"
    response = anon.get("/")
    assert response.status_code == 200
    assert b"Tea &lt;&amp;&gt; Cake" in response.content
    assert anon.head("/").status_code == 200
    assert anon.get("/about").status_code == 200
    assert anon.get("/privacy-policy").status_code == 200


def test_source_url_serves_the_running_code_without_secrets(client, settings):
    import io
    import tarfile

    settings.SOURCE_URL = ""
    source_url = client.get("/api/v2/instance").json()["source_url"]
    assert source_url.endswith("/source.tar.gz")
    response = client.get("/source.tar.gz")
    assert response.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(response.content)) as archive:
        names = archive.getnames()
    assert "fedisocial/manage.py" in names
    assert "fedisocial/statuses/services.py" in names
    assert not [n for n in names if "/.venv/" in n or "/data/" in n or n.endswith("secret_key")]
    assert not [n for n in names if n.split("/")[-1].startswith(".env") and "sample" not in n]


def test_instance_vapid_key_is_the_one_apps_get(client, alice, client_for):
    instance_key = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    app = client.post(
        "/api/v1/apps", {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    ).json()
    assert instance_key
    assert instance_key == app["vapid_key"]
