"""Delivering to remote inboxes over real HTTP (a server on loopback stands in for the remote
one): one signed POST per shared inbox, retries as Mastodon classifies answers, a failure
tracker that stops queueing for a domain that stays down, and no key or TLS work when warm."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Account
from federation import delivery, http, signatures
from federation.models import Delivery, DomainFailure
from federation.signatures import load_public_key, parse_signature

pytestmark = pytest.mark.django_db

BODY = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Note", "id": "x"}


def activity(n: int = 1) -> dict[str, Any]:
    return {**BODY, "id": f"http://localhost:8000/users/alice#test/{n}", "type": "Create"}


@pytest.fixture
def sender(alice: Any) -> Account:
    return alice.account


def inbox(remote: Any, path: str = "/inbox") -> str:
    return f"{remote.base_url}{path}"


def test_followers_on_one_server_get_one_post_to_its_shared_inbox(
    sender: Account, fake_remote: Any
) -> None:
    shared = inbox(fake_remote)
    queued = delivery.queue_activity(sender, activity(), [shared, shared, shared])

    assert queued is not None
    assert Delivery.objects.filter(activity=queued).count() == 1
    assert len(fake_remote.posts("/inbox")) == 1
    assert Delivery.objects.get().state == Delivery.State.DELIVERED


def test_a_delivery_is_signed_by_the_actor_and_verifies(sender: Account, fake_remote: Any) -> None:
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])

    [received] = fake_remote.posts()
    parsed = parse_signature(method="POST", target=received.path, headers=received.headers)
    sender.refresh_from_db()
    assert parsed.key_id == f"http://localhost:8000/users/{sender.username}#main-key"
    assert parsed.verify(load_public_key(sender.public_key))
    signatures.check_digest(received.headers, received.body, parsed=parsed)
    assert received.headers["Content-Type"].startswith("application/activity+json")


def test_our_own_inboxes_are_never_delivered_to(sender: Account, fake_remote: Any) -> None:
    assert delivery.queue_activity(sender, activity(), ["http://localhost:8000/inbox"]) is None
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("status", [500, 502, 401, 408, 429])
def test_server_errors_and_throttling_are_retried_later(
    sender: Account, fake_remote: Any, status: int
) -> None:
    fake_remote.post_status = status
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])

    row = Delivery.objects.get()
    assert row.state == Delivery.State.PENDING
    assert row.attempts == 1
    assert row.last_status == status
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert DomainFailure.objects.get().failure_days == 1


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
def test_other_client_errors_are_final(sender: Account, fake_remote: Any, status: int) -> None:
    fake_remote.post_status = status
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])

    row = Delivery.objects.get()
    assert row.state == Delivery.State.FAILED
    assert row.last_status == status


def test_a_retry_that_succeeds_delivers_and_clears_the_domains_record(
    sender: Account, fake_remote: Any
) -> None:
    fake_remote.post_status = [503, 202]
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])
    assert DomainFailure.objects.exists()
    Delivery.objects.update(next_attempt_at=timezone.now())  # its time has come

    delivery.send(delivery.claim_due())

    row = Delivery.objects.get()
    assert row.state == Delivery.State.DELIVERED
    assert row.attempts == 2
    assert len(fake_remote.posts()) == 2
    assert not DomainFailure.objects.exists()


def test_a_server_that_does_not_answer_is_retried(sender: Account, settings: Any) -> None:
    settings.ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    delivery.queue_activity(sender, activity(), ["http://127.0.0.1:9/inbox"])  # discard port

    row = Delivery.objects.get()
    assert row.state == Delivery.State.PENDING
    assert row.last_status is None
    assert "FetchError" in row.last_error or "Error" in row.last_error


def test_retries_stop_after_the_retry_period(sender: Account, fake_remote: Any) -> None:
    fake_remote.post_status = 503
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])
    Delivery.objects.update(
        created_at=timezone.now() - timedelta(days=4), next_attempt_at=timezone.now()
    )

    delivery.send(delivery.claim_due())

    assert Delivery.objects.get().state == Delivery.State.FAILED


def test_claimed_deliveries_are_leased_until_they_come_back(
    sender: Account, fake_remote: Any
) -> None:
    fake_remote.post_status = 503
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])
    Delivery.objects.update(next_attempt_at=timezone.now())

    first = delivery.claim_due()
    assert [d.id for d in first] == [Delivery.objects.get().id]
    assert delivery.claim_due() == []  # a second worker gets nothing while it is leased
    Delivery.objects.update(next_attempt_at=timezone.now())  # the worker died; the lease ran out
    assert len(delivery.claim_due()) == 1


def test_a_domain_failing_on_enough_days_becomes_unavailable_and_is_not_queued_for(
    sender: Account, fake_remote: Any, settings: Any
) -> None:
    settings.FEDERATION_UNAVAILABLE_AFTER_DAYS = 2
    fake_remote.post_status = 503
    delivery.queue_activity(sender, activity(1), [inbox(fake_remote)])
    domain = Delivery.objects.get().domain
    # A day later, it fails again.
    DomainFailure.objects.filter(domain=domain).update(last_failure_day=delivery.day() - 1)
    Delivery.objects.update(next_attempt_at=timezone.now())
    delivery.send(delivery.claim_due())

    record = DomainFailure.objects.get(domain=domain)
    assert record.unavailable is True
    assert record.failure_days == 2
    # What was owed to it is dropped, and nothing new is queued: the queue stays bounded.
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()
    assert delivery.queue_activity(sender, activity(2), [inbox(fake_remote)]) is None
    assert Delivery.objects.count() == 1

    # It answers a probe: available again, and deliveries are queued for it once more.
    fake_remote.documents["/.well-known/nodeinfo"] = {"links": []}
    assert delivery.probe_unavailable_domains() == 1
    fake_remote.post_status = 202
    assert delivery.queue_activity(sender, activity(3), [inbox(fake_remote)]) is not None
    assert Delivery.objects.filter(state=Delivery.State.DELIVERED).count() == 1


def test_warm_deliveries_parse_no_key_and_build_no_tls_context(
    sender: Account, fake_remote: Any
) -> None:
    delivery.queue_activity(sender, activity(1), [inbox(fake_remote)])
    keys, contexts = signatures.key_loads(), http.tls_contexts_created()

    for n in range(2, 12):
        delivery.queue_activity(sender, activity(n), [inbox(fake_remote, f"/users/u{n}/inbox")])

    assert len(fake_remote.posts()) == 11
    assert signatures.key_loads() == keys
    assert http.tls_contexts_created() == contexts


def test_many_inboxes_are_posted_to_concurrently(sender: Account, fake_remote: Any) -> None:
    targets = [inbox(fake_remote, f"/users/u{n}/inbox") for n in range(40)]
    delivery.queue_activity(sender, activity(), targets)

    assert len(fake_remote.posts()) == 40
    assert Delivery.objects.filter(state=Delivery.State.DELIVERED).count() == 40


def test_prune_forgets_finished_deliveries(sender: Account, fake_remote: Any) -> None:
    delivery.queue_activity(sender, activity(), [inbox(fake_remote)])
    Delivery.objects.update(finished_at=timezone.now() - timedelta(days=2))

    assert delivery.prune() == 1
    assert not Delivery.objects.exists()
