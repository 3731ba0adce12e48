"""WebFinger and host-meta, as other servers query them to turn a handle into an actor."""

from __future__ import annotations

import pytest

from federation.actors import instance_actor

DOMAIN = "localhost:8001"
BASE = f"http://{DOMAIN}"
WEBFINGER = "/.well-known/webfinger"


@pytest.fixture(autouse=True)
def _local_domain_with_port(settings):
    settings.LOCAL_DOMAIN = DOMAIN
    settings.LOCAL_HTTPS = False
    settings.LOCAL_SCHEME = "http"


def finger(client, resource: str | None):
    params = {} if resource is None else {"resource": resource}
    return client.get(WEBFINGER, params)


def test_webfinger_finds_a_user_by_acct_on_a_domain_with_a_port(client, make_user):
    make_user("bob")

    response = finger(client, f"acct:bob@{DOMAIN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jrd+json")
    assert response["Cache-Control"] == "max-age=259200, public"
    assert response.json() == {
        "subject": f"acct:bob@{DOMAIN}",
        "aliases": [f"{BASE}/@bob", f"{BASE}/users/bob"],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": f"{BASE}/@bob",
            },
            {"rel": "self", "type": "application/activity+json", "href": f"{BASE}/users/bob"},
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": f"{BASE}/authorize_interaction?uri={{uri}}",
            },
        ],
    }


@pytest.mark.parametrize(
    "resource",
    [
        "acct:BOB@LOCALHOST:8001",
        "bob@localhost:8001",
        f"{BASE}/users/bob",
        f"https://{DOMAIN}/users/bob",
        f"{BASE}/@bob",
    ],
)
def test_webfinger_accepts_every_way_of_naming_the_account(client, make_user, resource):
    make_user("bob")

    response = finger(client, resource)

    assert response.status_code == 200, resource
    assert response.json()["subject"] == f"acct:bob@{DOMAIN}"


@pytest.mark.parametrize(
    "resource",
    [
        f"acct:nobody@{DOMAIN}",
        "acct:bob@other.example",
        "acct:bob@localhost:8002",
        "acct:bob@localhost",
        "https://other.example/users/bob",
        f"{BASE}/users/bob/statuses/1",
    ],
)
def test_webfinger_answers_404_for_unknown_users_and_other_domains(client, make_user, resource):
    make_user("bob")

    response = finger(client, resource)

    assert response.status_code == 404, resource


@pytest.mark.parametrize("resource", [None, "", "bob", "acct:bob", "ftp://x/users/bob"])
def test_webfinger_answers_400_for_a_missing_or_malformed_resource(client, make_user, resource):
    make_user("bob")

    assert finger(client, resource).status_code == 400


def test_webfinger_hides_unconfirmed_accounts(client, make_user):
    user = make_user("bob")
    user.confirmed_at = None
    user.save()

    assert finger(client, f"acct:bob@{DOMAIN}").status_code == 404


def test_webfinger_answers_410_for_a_deleted_account(client, make_user):
    from django.utils import timezone

    user = make_user("bob")
    user.account.suspended_at = timezone.now()
    user.account.save()

    assert finger(client, f"acct:bob@{DOMAIN}").status_code == 410


@pytest.mark.parametrize("resource", [f"acct:{DOMAIN}@{DOMAIN}", f"{BASE}/actor"])
def test_webfinger_finds_the_instance_actor(client, db, resource):
    response = finger(client, resource)

    assert response.status_code == 200
    assert response.json() == {
        "subject": f"acct:{DOMAIN}@{DOMAIN}",
        "aliases": [f"{BASE}/actor"],
        "links": [
            {
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": f"{BASE}/about/more?instance_actor=true",
            },
            {"rel": "self", "type": "application/activity+json", "href": f"{BASE}/actor"},
        ],
    }
    assert instance_actor().private_key  # ready to sign what it fetches


def test_webfinger_is_open_to_browser_apps(client, make_user):
    make_user("bob")

    response = finger(client, f"acct:bob@{DOMAIN}")

    assert response["Access-Control-Allow-Origin"] == "*"


def test_host_meta_points_to_webfinger(client, db):
    response = client.get("/.well-known/host-meta")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xrd+xml")
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">' in body
    assert (
        f'<Link rel="lrdd" type="application/xrd+xml" '
        f'template="{BASE}/.well-known/webfinger?resource={{uri}}"/>'
    ) in body


def test_webfinger_link_of_a_profile_page_finds_the_same_account(client, make_user):
    make_user("bob")

    page = client.get("/@bob", HTTP_ACCEPT="text/html")

    assert page.status_code == 200
    assert f"{BASE}/.well-known/webfinger?resource=acct:bob@{DOMAIN}" in page["Link"]
    assert f'<{BASE}/users/bob>; rel="alternate"; type="application/activity+json"' in page["Link"]
