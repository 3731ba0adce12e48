"""Flag: other servers reporting our accounts and statuses to our moderators."""

from __future__ import annotations

import pytest

from moderation.models import DomainBlock, Report
from statuses.models import Status
from tests.federation.handlers.relationship_support import (
    done,
    fixture,
    go_offline,
    receive,
    remote_account,
)

STATUS_ID = 100000000000000001
# (fixture, the reporting actor: Mastodon and GoToSocial report as their instance actor)
FLAGS = [
    ("mastodon/flag.json", "https://mastodon.example/actor"),
    ("misskey/flag.json", "https://misskey.example/users/9a00000a00"),
    ("gotosocial/flag.json", "https://gts.example/users/gts.example"),
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


@pytest.fixture
def alice_status(alice) -> Status:
    return Status.objects.create(
        id=STATUS_ID, account=alice.account, local=True, text="hi", content="<p>hi</p>"
    )


@pytest.mark.parametrize(("name", "actor"), FLAGS)
def test_flag_files_a_report_about_our_account(name, actor, alice, alice_status):
    reporter = remote_account(actor, actor_type="Application")
    activity = fixture(name)

    assert done(receive(activity, reporter))

    report = Report.objects.get()
    assert report.account_id == reporter.id  # filed under whoever signed the Flag
    assert report.target_account_id == alice.account.id
    assert report.status_ids == [STATUS_ID]
    assert report.comment == activity["content"]
    assert report.forwarded is True
    assert report.uri == activity["id"]
    assert report.category == "other"


def test_statuses_of_other_accounts_are_not_attached(alice, bob, alice_status):
    reporter = remote_account("https://mastodon.example/actor")
    bobs = Status.objects.create(account=bob.account, local=True, content="<p>x</p>")
    activity = fixture("mastodon/flag.json")
    activity["object"].append(f"{activity['object'][0].rsplit('/', 1)[0]}/bob/statuses/{bobs.id}")

    receive(activity, reporter)

    assert Report.objects.get().status_ids == [STATUS_ID]


def test_a_private_status_is_attached_only_when_the_reporters_server_could_see_it(
    alice, alice_status
):
    Status.objects.filter(id=STATUS_ID).update(visibility=2)
    reporter = remote_account("https://misskey.example/users/9a00000a00")

    receive(fixture("misskey/flag.json"), reporter)

    assert Report.objects.get().status_ids == []


def test_reports_from_a_domain_whose_reports_we_reject_are_dropped(alice, alice_status):
    DomainBlock.objects.create(domain="gts.example", severity="noop", reject_reports=True)
    reporter = remote_account("https://gts.example/users/gts.example")

    assert done(receive(fixture("gotosocial/flag.json"), reporter))

    assert not Report.objects.exists()


def test_a_flag_naming_no_account_of_ours_files_nothing(alice, alice_status):
    reporter = remote_account("https://mastodon.example/actor")
    activity = fixture("mastodon/flag.json")
    activity["object"] = activity["object"][1:]  # the status alone

    receive(activity, reporter)

    assert not Report.objects.exists()


def test_a_flag_id_on_another_server_is_not_kept(alice, alice_status):
    reporter = remote_account("https://misskey.example/users/9a00000a00")
    activity = fixture("misskey/flag.json")
    activity["id"] = "https://elsewhere.example/flags/1"

    receive(activity, reporter)

    assert Report.objects.get().uri == ""


def test_a_remote_account_is_reported_for_its_replies_to_our_users(alice, alice_status):
    reporter = remote_account("https://mastodon.example/actor")
    troll = remote_account("https://misskey.example/users/troll")
    reply = Status.objects.create(
        account=troll,
        local=False,
        uri="https://misskey.example/notes/troll1",
        in_reply_to=alice_status,
        in_reply_to_account=alice.account,
    )
    activity = fixture("mastodon/flag.json")
    activity["object"] = [troll.uri, reply.uri]

    receive(activity, reporter)

    report = Report.objects.get()
    assert (report.target_account_id, report.status_ids) == (troll.id, [reply.id])


def test_a_remote_account_is_not_reported_for_what_does_not_concern_us(alice):
    reporter = remote_account("https://mastodon.example/actor")
    troll = remote_account("https://misskey.example/users/troll")
    activity = fixture("mastodon/flag.json")
    activity["object"] = [troll.uri]

    receive(activity, reporter)

    assert not Report.objects.exists()
