"""Direct conversations: created by the fan-out of direct statuses, listed, read, removed."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Block
from statuses.models import Status
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import ids, post
from timelines.models import AccountConversation
from timelines.tasks import unfan_status_task

URL = "/api/v1/conversations"


def test_direct_status_opens_a_conversation_for_each_local_participant(
    alice, bob, make_user, client_for
):
    carol = make_user("carol")
    remote = RemoteAccountFactory()
    dm = post(alice, "hi both", visibility="direct", mentions=[bob, carol, remote])

    mine = client_for(alice).get(URL).json()
    assert len(mine) == 1
    assert mine[0]["unread"] is False
    assert mine[0]["last_status"]["id"] == str(dm.id)
    assert {a["id"] for a in mine[0]["accounts"]} == {
        str(bob.account.id),
        str(carol.account.id),
        str(remote.id),
    }

    theirs = client_for(bob).get(URL).json()
    assert theirs[0]["unread"] is True
    assert {a["id"] for a in theirs[0]["accounts"]} == {
        str(alice.account.id),
        str(carol.account.id),
        str(remote.id),
    }
    assert theirs[0]["last_status"]["visibility"] == "direct"
    assert not AccountConversation.objects.filter(account=remote).exists()


def test_public_and_private_statuses_make_no_conversation(alice, bob, client_for):
    post(alice, "public", mentions=[bob])
    post(alice, "private", visibility="private", mentions=[bob])

    assert client_for(bob).get(URL).json() == []


def test_a_reply_updates_the_conversation(alice, bob, client_for):
    dm = post(alice, "hi", visibility="direct", mentions=[bob])
    reply = post(bob, "hello", visibility="direct", mentions=[alice], in_reply_to=dm)

    alice_view = client_for(alice).get(URL).json()
    bob_view = client_for(bob).get(URL).json()

    assert [c["last_status"]["id"] for c in alice_view] == [str(reply.id)]
    assert alice_view[0]["unread"] is True
    assert bob_view[0]["unread"] is False
    assert AccountConversation.objects.count() == 2


def test_read_and_remove(alice, bob, client_for):
    post(alice, "hi", visibility="direct", mentions=[bob])
    client = client_for(bob)
    conversation = client.get(URL).json()[0]

    read = client.post(f"{URL}/{conversation['id']}/read").json()
    assert read["unread"] is False
    assert read["id"] == conversation["id"]
    assert read["last_status"]["id"] == conversation["last_status"]["id"]

    assert client_for(alice).delete(f"{URL}/{conversation['id']}").status_code == 404
    assert client.delete(f"{URL}/{conversation['id']}").json() == {}
    assert client.get(URL).json() == []


def test_note_to_self_shows_the_account_itself(alice, client_for):
    post(alice, "remember the milk", visibility="direct")

    body = client_for(alice).get(URL).json()

    assert [a["id"] for a in body[0]["accounts"]] == [str(alice.account.id)]


def test_recipient_blocking_the_author_gets_no_conversation(alice, bob, client_for):
    Block.objects.create(account=bob.account, target_account=alice.account)
    post(alice, "hi", visibility="direct", mentions=[bob])

    assert client_for(bob).get(URL).json() == []


def test_deleting_the_last_status_falls_back_to_the_previous_one(alice, bob, client_for):
    first = post(alice, "one", visibility="direct", mentions=[bob])
    second = post(alice, "two", visibility="direct", mentions=[bob], in_reply_to=first)
    Status.objects.filter(id=second.id).update(deleted_at=timezone.now())
    unfan_status_task(second.id)

    body = client_for(bob).get(URL).json()
    assert [c["last_status"]["id"] for c in body] == [str(first.id)]

    Status.objects.filter(id=first.id).update(deleted_at=timezone.now())
    unfan_status_task(first.id)
    assert client_for(bob).get(URL).json() == []


def test_conversations_page_by_last_status(alice, make_user, client_for):
    people = [make_user(f"p{i}") for i in range(3)]
    dms = [post(p, "hi", visibility="direct", mentions=[alice]) for p in people]
    client = client_for(alice)

    page = client.get(URL, {"limit": 2})
    assert [c["last_status"]["id"] for c in page.json()] == [str(dms[2].id), str(dms[1].id)]
    assert f"max_id={dms[1].id}" in page["Link"]
    older = client.get(URL, {"limit": 2, "max_id": dms[1].id}).json()
    assert [c["last_status"]["id"] for c in older] == [str(dms[0].id)]


def test_conversation_scopes(alice, bob, client_for):
    post(alice, "hi", visibility="direct", mentions=[bob])
    conversation_id = client_for(bob).get(URL).json()[0]["id"]

    assert client_for(bob, scopes="read:statuses").get(URL).status_code == 200
    assert (
        client_for(bob, scopes="read:statuses").delete(f"{URL}/{conversation_id}").status_code
        == 403
    )
    writer = client_for(bob, scopes="write:conversations")
    assert writer.post(f"{URL}/{conversation_id}/read").status_code == 200


def test_conversations_run_constant_queries(
    alice, make_user, client_for, django_assert_num_queries
):
    people = [make_user(f"p{i}") for i in range(45)]
    for i, p in enumerate(people):
        post(p, f"dm {i}", visibility="direct", mentions=[alice, people[(i + 1) % 45]])
    client = client_for(alice)

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    one = count(1)
    assert one == count(40)
    with django_assert_num_queries(one):
        assert len(ids(client.get(URL, {"limit": 40}))) == 40
