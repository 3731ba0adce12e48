"""Actors, statuses and collections as other servers (signed or not) and browsers fetch them.

Signed GETs are made with a real RSA key generated here; the remote account holding its public
key is stored beforehand, so the signature is checked without fetching anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, FeaturedTag, Follow
from federation.jsonld import PUBLIC
from federation.signatures import sign_request
from statuses.models import Poll, StatusPin, Tag
from statuses.services import discard_status
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import boost, post

DOMAIN = "localhost:8001"
BASE = f"http://{DOMAIN}"
AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(autouse=True)
def _local_domain_with_port(settings):
    settings.LOCAL_DOMAIN = DOMAIN
    settings.LOCAL_HTTPS = False
    settings.LOCAL_SCHEME = "http"
    settings.AUTHORIZED_FETCH = False


# --- Remote signers -------------------------------------------------------------------------------


@dataclass
class RemoteSigner:
    account: Account
    private_key: rsa.RSAPrivateKey


@pytest.fixture(scope="session")
def remote_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, pem


def remote_signer(
    remote_key: tuple[rsa.RSAPrivateKey, str],
    username: str = "carol",
    domain: str = "remote.example",
    **fields: Any,
) -> RemoteSigner:
    key, pem = remote_key
    uri = fields.pop("uri", f"https://{domain}/users/{username}")
    account = RemoteAccountFactory(
        username=username,
        domain=domain,
        uri=uri,
        key_id=f"{uri}#main-key",
        public_key=pem,
        fetched_at=timezone.now(),
        **fields,
    )
    return RemoteSigner(account=account, private_key=key)


@pytest.fixture
def carol(db, remote_key) -> RemoteSigner:
    """A remote account whose server signs its fetches with her key."""
    return remote_signer(remote_key)


def signed_get(client, path: str, signer: RemoteSigner, *, accept: str = AP):
    headers = sign_request(
        method="GET",
        url=f"{BASE}{path}",
        body=None,
        key_id=signer.account.key_id,
        private_key=signer.private_key,
        headers={"Accept": accept},
    )
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    return client.get(path, **meta)


def ap_get(client, path: str, accept: str = AP):
    return client.get(path, HTTP_ACCEPT=accept, HTTP_HOST=DOMAIN)


# --- Actors ---------------------------------------------------------------------------------------


def test_actor_document_for_activitypub(client, make_user):
    moved_to = make_user("newbob").account
    user = make_user(
        "bob",
        display_name="Bob",
        note="<p>Hello &amp; welcome</p>",
        fields=[{"name": "Site", "value": '<a href="https://bob.example">bob.example</a>'}],
        locked=True,
        discoverable=True,
        indexable=True,
        avatar_remote_url="https://cdn.example/bob.png",
        header_remote_url="https://cdn.example/bob-header.png",
        also_known_as=["https://old.example/users/bob"],
    )
    Account.objects.filter(id=user.account.id).update(moved_to=moved_to)
    from accounts.keys import ensure_key_pair

    ensure_key_pair(user.account)

    response = ap_get(client, "/users/bob")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/activity+json; charset=utf-8"
    assert "Accept" in response["Vary"]
    assert response["Cache-Control"] == "max-age=180, public"
    actor = response.json()
    assert actor["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert actor["id"] == f"{BASE}/users/bob"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "bob"
    assert actor["name"] == "Bob"
    assert actor["summary"] == "<p>Hello &amp; welcome</p>"
    assert actor["url"] == f"{BASE}/@bob"
    assert actor["inbox"] == f"{BASE}/users/bob/inbox"
    assert actor["outbox"] == f"{BASE}/users/bob/outbox"
    assert actor["followers"] == f"{BASE}/users/bob/followers"
    assert actor["following"] == f"{BASE}/users/bob/following"
    assert actor["featured"] == f"{BASE}/users/bob/collections/featured"
    assert actor["featuredTags"] == f"{BASE}/users/bob/collections/tags"
    assert actor["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["discoverable"] is True
    assert actor["indexable"] is True
    assert actor["publicKey"]["id"] == f"{BASE}/users/bob#main-key"
    assert actor["publicKey"]["owner"] == f"{BASE}/users/bob"
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["attachment"] == [
        {
            "type": "PropertyValue",
            "name": "Site",
            "value": '<a href="https://bob.example">bob.example</a>',
        }
    ]
    assert actor["icon"]["url"] == "https://cdn.example/bob.png"
    assert actor["image"]["url"] == "https://cdn.example/bob-header.png"
    assert actor["alsoKnownAs"] == ["https://old.example/users/bob"]
    assert actor["movedTo"] == f"{BASE}/users/newbob"


@pytest.mark.parametrize(
    "accept",
    [
        AP,
        LD,
        "application/ld+json",
        f"{AP}, {LD}",
        "application/json",
        f"{LD}, text/html;q=0.1",
    ],
)
def test_every_activitypub_accept_gets_json(client, make_user, accept):
    make_user("bob")

    for path in ("/users/bob", "/@bob"):
        response = ap_get(client, path, accept)

        assert response.status_code == 200, (path, accept)
        assert response["Content-Type"] == "application/activity+json; charset=utf-8"
        assert response.json()["id"] == f"{BASE}/users/bob"


@pytest.mark.parametrize("accept", [BROWSER, "*/*", "", f"text/html, {AP};q=0.5"])
def test_browsers_get_the_profile_page(client, make_user, accept):
    make_user("bob", display_name="Bob <the builder>", note="<p>I <em>build</em></p>")

    redirect = ap_get(client, "/users/bob", accept)
    page = ap_get(client, "/@bob", accept)

    assert redirect.status_code == 301
    assert redirect["Location"] == f"{BASE}/@bob"
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert "Accept" in page["Vary"]
    html = page.content.decode()
    assert "Bob &lt;the builder&gt;" in html
    assert f"@bob@{DOMAIN}" in html
    assert "<p>I <em>build</em></p>" in html


def test_profile_page_lists_public_posts_only(client, make_user):
    bob = make_user("bob")
    post(bob, "out in the open", fan_out=False)
    post(bob, "quietly", visibility="unlisted", fan_out=False)
    post(bob, "for my followers", visibility="private", fan_out=False)
    post(bob, "just between us", visibility="direct", fan_out=False)

    html = ap_get(client, "/@bob", BROWSER).content.decode()

    assert "out in the open" in html
    assert "quietly" in html
    assert "for my followers" not in html
    assert "just between us" not in html


def test_unknown_unconfirmed_and_deleted_accounts(client, make_user):
    pending = make_user("pending")
    pending.confirmed_at = None
    pending.save()
    gone = make_user("gone")
    Account.objects.filter(id=gone.account.id).update(suspended_at=timezone.now())

    for accept in (AP, BROWSER):
        assert ap_get(client, "/@nobody", accept).status_code == 404
        assert ap_get(client, "/@pending", accept).status_code == 404
        assert ap_get(client, "/@gone", accept).status_code == 410
    assert ap_get(client, "/users/nobody").status_code == 404
    assert ap_get(client, "/users/gone/outbox").status_code == 410
    assert ap_get(client, "/users/instance.actor").status_code == 404


def test_instance_actor(client, db):
    response = client.get("/actor", HTTP_ACCEPT=BROWSER)

    assert response.status_code == 200
    actor = response.json()
    assert actor["id"] == f"{BASE}/actor"
    assert actor["type"] == "Application"
    assert actor["preferredUsername"] == DOMAIN
    assert actor["publicKey"]["id"] == f"{BASE}/actor#main-key"
    assert actor["inbox"] == f"{BASE}/actor/inbox"
    outbox = ap_get(client, "/actor/outbox").json()
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 0


# --- Statuses -------------------------------------------------------------------------------------


def test_public_and_unlisted_notes_with_their_audiences(client, make_user):
    bob = make_user("bob")
    friend = make_user("friend")
    public = post(bob, "hello world", mentions=[friend], fan_out=False)
    unlisted = post(bob, "quiet hello", visibility="unlisted", fan_out=False)

    note = ap_get(client, f"/users/bob/statuses/{public.id}").json()
    quiet = ap_get(client, f"/@bob/{unlisted.id}").json()

    assert note["id"] == f"{BASE}/users/bob/statuses/{public.id}"
    assert note["type"] == "Note"
    assert note["url"] == f"{BASE}/@bob/{public.id}"
    assert note["attributedTo"] == f"{BASE}/users/bob"
    assert note["content"] == "<p>hello world</p>"
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [f"{BASE}/users/bob/followers", f"{BASE}/users/friend"]
    assert quiet["to"] == [f"{BASE}/users/bob/followers"]
    assert quiet["cc"] == [PUBLIC]
    response = ap_get(client, f"/users/bob/statuses/{public.id}")
    assert response["Cache-Control"] == "max-age=180, public"
    assert response["Link"] == (
        f'<{BASE}/users/bob/statuses/{public.id}>; rel="alternate"; '
        'type="application/activity+json"'
    )


def test_a_poll_is_a_question(client, make_user):
    bob = make_user("bob")
    status = post(bob, "tea or coffee?", fan_out=False)
    Poll.objects.create(status=status, account=bob.account, options=["tea", "coffee"])

    note = ap_get(client, f"/users/bob/statuses/{status.id}").json()

    assert note["type"] == "Question"
    assert [o["name"] for o in note["oneOf"]] == ["tea", "coffee"]


def test_status_web_page(client, make_user):
    bob = make_user("bob", display_name="Bob")
    status = post(bob, "hello web", fan_out=False)

    redirect = ap_get(client, f"/users/bob/statuses/{status.id}", BROWSER)
    page = ap_get(client, f"/@bob/{status.id}", BROWSER)

    assert redirect.status_code == 301
    assert redirect["Location"] == f"{BASE}/@bob/{status.id}"
    assert page.status_code == 200
    html = page.content.decode()
    assert "<p>hello web</p>" in html
    assert "Bob" in html
    assert f"@bob@{DOMAIN}" in html


def test_create_and_announce_activities(client, make_user):
    bob = make_user("bob")
    alice = make_user("alice")
    original = post(alice, "worth sharing", fan_out=False)
    shared = boost(bob, original, fan_out=False)

    create = ap_get(client, f"/users/alice/statuses/{original.id}/activity", BROWSER).json()
    announce = ap_get(client, f"/users/bob/statuses/{shared.id}/activity").json()

    assert create["type"] == "Create"
    assert create["id"] == f"{BASE}/users/alice/statuses/{original.id}/activity"
    assert create["object"]["id"] == f"{BASE}/users/alice/statuses/{original.id}"
    assert announce["type"] == "Announce"
    assert announce["id"] == f"{BASE}/users/bob/statuses/{shared.id}/activity"
    assert announce["object"] == f"{BASE}/users/alice/statuses/{original.id}"
    assert ap_get(client, f"/users/bob/statuses/{original.id}").status_code == 404


def test_private_status_is_served_only_to_a_signed_follower(client, make_user, carol, remote_key):
    bob = make_user("bob")
    status = post(bob, "followers only", visibility="private", fan_out=False)
    stranger = remote_signer(remote_key, "dave", "elsewhere.example")
    Follow.objects.create(account=carol.account, target_account=bob.account)
    path = f"/users/bob/statuses/{status.id}"

    unsigned = ap_get(client, path)
    by_stranger = signed_get(client, path, stranger)
    by_follower = signed_get(client, path, carol)

    assert unsigned.status_code == 404
    assert by_stranger.status_code == 404
    assert unsigned.json() == by_stranger.json() == ap_get(client, "/users/bob/statuses/1").json()
    assert by_follower.status_code == 200
    assert by_follower.json()["to"] == [f"{BASE}/users/bob/followers"]
    assert "private" in by_follower["Cache-Control"]
    assert "Signature" in by_follower["Vary"]
    assert signed_get(client, f"{path}/activity", carol).json()["type"] == "Create"
    assert ap_get(client, f"{path}/activity").status_code == 404


def test_direct_status_is_served_only_to_a_signed_mentioned_account(
    client, make_user, carol, remote_key
):
    bob = make_user("bob")
    follower = remote_signer(remote_key, "dave", "elsewhere.example")
    Follow.objects.create(account=follower.account, target_account=bob.account)
    status = post(bob, "just us", visibility="direct", mentions=[carol.account], fan_out=False)
    path = f"/users/bob/statuses/{status.id}"

    assert ap_get(client, path).status_code == 404
    assert signed_get(client, path, follower).status_code == 404
    note = signed_get(client, path, carol).json()
    assert note["to"] == [carol.account.uri]
    assert note["cc"] == []


def test_another_servers_instance_actor_does_not_see_followers_only_posts(
    client, make_user, carol, remote_key
):
    bob = make_user("bob")
    Follow.objects.create(account=carol.account, target_account=bob.account)
    server = remote_signer(
        remote_key, "remote.example", "remote.example", uri="https://remote.example/actor"
    )
    status = post(bob, "followers only", visibility="private", fan_out=False)

    assert signed_get(client, f"/users/bob/statuses/{status.id}", server).status_code == 404


def test_private_and_direct_statuses_have_no_web_page(client, make_user, carol):
    bob = make_user("bob")
    Follow.objects.create(account=carol.account, target_account=bob.account)
    private = post(bob, "followers only", visibility="private", fan_out=False)
    direct = post(bob, "just us", visibility="direct", mentions=[carol.account], fan_out=False)

    for status in (private, direct):
        page = ap_get(client, f"/@bob/{status.id}", BROWSER)
        signed_page = signed_get(client, f"/@bob/{status.id}", carol, accept=BROWSER)

        assert page.status_code == 404
        assert signed_page.status_code == 404
        assert status.text not in page.content.decode()


def test_a_blocked_or_domain_blocked_signer_does_not_get_public_statuses(
    client, make_user, carol, remote_key
):
    bob = make_user("bob")
    status = post(bob, "hello", fan_out=False)
    path = f"/users/bob/statuses/{status.id}"
    other = remote_signer(remote_key, "erin", "blocked.example")
    AccountDomainBlock.objects.create(account=bob.account, domain="blocked.example")
    from accounts.models import Block

    Block.objects.create(account=bob.account, target_account=carol.account)

    assert signed_get(client, path, carol).status_code == 404
    assert signed_get(client, path, other).status_code == 404
    assert ap_get(client, path).status_code == 200


def test_deleted_status_is_gone_for_who_could_see_it(client, make_user, carol):
    bob = make_user("bob")
    public = post(bob, "regret", fan_out=False)
    private = post(bob, "private regret", visibility="private", fan_out=False)
    discard_status(public, federate=False)
    discard_status(private, federate=False)

    gone = ap_get(client, f"/users/bob/statuses/{public.id}")

    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone"
    assert gone.json()["id"] == f"{BASE}/users/bob/statuses/{public.id}"
    assert ap_get(client, f"/users/bob/statuses/{private.id}").status_code == 404
    assert ap_get(client, f"/@bob/{public.id}", BROWSER).status_code == 404
    Follow.objects.create(account=carol.account, target_account=bob.account)
    assert signed_get(client, f"/users/bob/statuses/{private.id}", carol).status_code == 410


def test_statuses_of_someone_else_or_nonsense_ids_are_404(client, make_user):
    make_user("bob")
    alice = make_user("alice")
    status = post(alice, "mine", fan_out=False)

    assert ap_get(client, f"/users/bob/statuses/{status.id}").status_code == 404
    assert ap_get(client, "/users/bob/statuses/abc").status_code == 404
    assert ap_get(client, f"/users/bob/statuses/{2**70}").status_code == 404
    assert ap_get(client, "/@bob/with_replies", BROWSER).status_code == 404


# --- Collections ----------------------------------------------------------------------------------


def test_outbox_root_and_pages_hold_public_and_unlisted_statuses(client, make_user):
    bob = make_user("bob")
    alice = make_user("alice")
    public = post(bob, "public", fan_out=False)
    unlisted = post(bob, "unlisted", visibility="unlisted", fan_out=False)
    post(bob, "private", visibility="private", fan_out=False)
    post(bob, "direct", visibility="direct", mentions=[alice], fan_out=False)
    shared = boost(bob, post(alice, "boosted", fan_out=False), fan_out=False)
    Account.objects.filter(id=bob.account.id).update(statuses_count=4)

    root = ap_get(client, "/users/bob/outbox").json()
    page = ap_get(client, "/users/bob/outbox?page=true").json()

    assert root["type"] == "OrderedCollection"
    assert root["totalItems"] == 4
    assert root["first"] == f"{BASE}/users/bob/outbox?page=true"
    assert root["last"] == f"{BASE}/users/bob/outbox?min_id=0&page=true"
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == f"{BASE}/users/bob/outbox"
    assert [item["type"] for item in page["orderedItems"]] == ["Announce", "Create", "Create"]
    assert [item["id"].rsplit("/", 2)[-2] for item in page["orderedItems"]] == [
        str(shared.id),
        str(unlisted.id),
        str(public.id),
    ]
    assert "next" not in page
    assert page["prev"] == f"{BASE}/users/bob/outbox?min_id={shared.id}&page=true"


def test_outbox_pages_by_twenty_with_a_constant_number_of_queries(client, make_user):
    bob = make_user("bob")
    friend = make_user("friend")
    first = [
        post(bob, f"status {i}", mentions=[friend], tags=["t"], fan_out=False) for i in range(3)
    ]

    with CaptureQueriesContext(connection) as few:
        ap_get(client, "/users/bob/outbox?page=true")
    for i in range(22):
        post(bob, f"more {i}", mentions=[friend], tags=["t"], in_reply_to=first[0], fan_out=False)
    with CaptureQueriesContext(connection) as many:
        page = ap_get(client, "/users/bob/outbox?page=true").json()

    assert len(page["orderedItems"]) == 20
    assert len(many.captured_queries) == len(few.captured_queries)
    oldest = page["orderedItems"][-1]["object"]["id"].rsplit("/", 1)[-1]
    assert page["next"] == f"{BASE}/users/bob/outbox?max_id={oldest}&page=true"
    rest = ap_get(client, f"/users/bob/outbox?max_id={oldest}&page=true").json()
    assert len(rest["orderedItems"]) == 5
    assert "next" not in rest


def test_a_signed_follower_also_finds_followers_only_posts_in_the_outbox(client, make_user, carol):
    bob = make_user("bob")
    post(bob, "public", fan_out=False)
    post(bob, "private", visibility="private", fan_out=False)
    Follow.objects.create(account=carol.account, target_account=bob.account)

    anonymous = ap_get(client, "/users/bob/outbox?page=true").json()
    signed = signed_get(client, "/users/bob/outbox?page=true", carol).json()

    assert len(anonymous["orderedItems"]) == 1
    assert len(signed["orderedItems"]) == 2


def test_followers_and_following_collections(client, make_user, remote_key):
    bob = make_user("bob")
    fans = [remote_signer(remote_key, f"fan{i}", "fans.example").account for i in range(13)]
    for fan in fans:
        Follow.objects.create(account=fan, target_account=bob.account)
    Follow.objects.create(account=bob.account, target_account=fans[0])
    Account.objects.filter(id=bob.account.id).update(followers_count=13, following_count=1)

    root = ap_get(client, "/users/bob/followers").json()
    first = ap_get(client, "/users/bob/followers?page=1").json()
    second = ap_get(client, "/users/bob/followers?page=2").json()
    following = ap_get(client, "/users/bob/following?page=1").json()

    assert root == {
        "@context": root["@context"],
        "id": f"{BASE}/users/bob/followers",
        "type": "OrderedCollection",
        "totalItems": 13,
        "first": f"{BASE}/users/bob/followers?page=1",
    }
    assert first["type"] == "OrderedCollectionPage"
    assert first["totalItems"] == 13
    assert first["partOf"] == f"{BASE}/users/bob/followers"
    assert first["orderedItems"] == [f.uri for f in reversed(fans[1:])]
    assert first["next"] == f"{BASE}/users/bob/followers?page=2"
    assert "prev" not in first
    assert second["orderedItems"] == [fans[0].uri]
    assert second["prev"] == f"{BASE}/users/bob/followers?page=1"
    assert "next" not in second
    assert following["orderedItems"] == [fans[0].uri]
    assert ap_get(client, "/users/bob/following").json()["totalItems"] == 1
    assert ap_get(client, "/users/bob/followers", BROWSER).status_code == 302


def test_hidden_network_shows_only_its_size(client, make_user, carol):
    bob = make_user("bob", hide_collections=True)
    Follow.objects.create(account=carol.account, target_account=bob.account)
    Account.objects.filter(id=bob.account.id).update(followers_count=1)

    root = ap_get(client, "/users/bob/followers").json()

    assert root["totalItems"] == 1
    assert "first" not in root
    assert ap_get(client, "/users/bob/followers?page=1").status_code == 403
    assert ap_get(client, "/users/bob/following?page=1").status_code == 403


def test_featured_collection_holds_pinned_statuses(client, make_user):
    bob = make_user("bob")
    older = post(bob, "pinned first", fan_out=False)
    newer = post(bob, "pinned later", fan_out=False)
    private = post(bob, "pinned for followers", visibility="private", fan_out=False)
    post(bob, "not pinned", fan_out=False)
    now = timezone.now()
    for offset, status in enumerate((older, newer, private)):
        StatusPin.objects.create(
            account=bob.account, status=status, created_at=now + timezone.timedelta(seconds=offset)
        )

    featured = ap_get(client, "/users/bob/collections/featured").json()

    assert featured["id"] == f"{BASE}/users/bob/collections/featured"
    assert featured["type"] == "OrderedCollection"
    assert featured["totalItems"] == 3
    items = featured["orderedItems"]
    assert items[0] == f"{BASE}/users/bob/statuses/{private.id}"
    assert [item["content"] for item in items[1:]] == ["<p>pinned later</p>", "<p>pinned first</p>"]
    assert "@context" not in items[1]


def test_featured_tags_collection(client, make_user):
    bob = make_user("bob")
    tag = Tag.objects.create(name="gardening", display_name="Gardening")
    FeaturedTag.objects.create(account=bob.account, tag=tag)

    tags = ap_get(client, "/users/bob/collections/tags").json()

    assert tags["type"] == "Collection"
    assert tags["totalItems"] == 1
    assert tags["items"] == [
        {"type": "Hashtag", "href": f"{BASE}/@bob/tagged/gardening", "name": "#Gardening"}
    ]
    assert ap_get(client, "/users/bob/collections/devices").status_code == 404
