"""Delivery survives the other server being down: stored deliveries are retried until it comes
back, and a server that never comes back is marked unavailable and stops being queued for.

Its own pair of servers: B is stopped and started, and A's failure-tracker days last ten
seconds (FEDERATION_FAILURE_DAY_SECONDS), so "failures on 3 distinct days" happen within a test
while a short outage (under ten seconds) spans at most two.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from mastodon import Mastodon

from tests.e2e.conftest import Pair, running_pair
from tests.e2e.test_federation import client, find, home_texts, wait_for

pytestmark = pytest.mark.e2e

A_ENV = {
    "FEDERATION_RETRY_BASE_SECONDS": "1",
    "FEDERATION_FAILURE_DAY_SECONDS": "10",
    "FEDERATION_UNAVAILABLE_AFTER_DAYS": "3",
}


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    with running_pair(
        request,
        tmp_path_factory,
        name="delivery",
        env_a=A_ENV,
        env_b={"FEDERATION_RETRY_BASE_SECONDS": "1"},
    ) as running:
        yield running


def delivery_state(pair: Pair) -> dict[str, Any]:
    """A's delivery queue and failure records, read through its own management shell."""
    code = (
        "import json\n"
        "from federation.models import Delivery, DomainFailure\n"
        "print(json.dumps({"
        "'pending': Delivery.objects.filter(state=0).count(),"
        "'delivered': Delivery.objects.filter(state=1).count(),"
        "'failed': Delivery.objects.filter(state=2).count(),"
        "'unavailable': list(DomainFailure.objects.filter(unavailable=True)"
        ".values_list('domain', flat=True))}))"
    )
    out = pair.a.manage("shell", "-c", code).stdout.strip().splitlines()[-1]
    return json.loads(out)


def test_a_post_reaches_a_server_that_was_down_once_it_is_back(pair: Pair) -> None:
    alice = client(pair.a.url, pair.provision_a.user("alice"))
    bob = client(pair.b.url, pair.provision_b.user("bob"))
    alice_on_b = find(bob, f"alice@{pair.domain_a}")
    bob.account_follow(alice_on_b.id)
    wait_for(lambda: bob.account_relationships(alice_on_b.id)[0].following, "bob follows alice")

    pair.b.stop()
    alice.status_post("posted while B was down")
    wait_for(lambda: delivery_state(pair)["pending"] >= 1, "the delivery waits for B")
    time.sleep(1.5)  # a retry fails while B is down
    pair.b.start()

    wait_for(
        lambda: "posted while B was down" in " ".join(home_texts(bob)),
        "the stored delivery reaches B once it is back",
        timeout=90,
    )
    assert delivery_state(pair)["pending"] == 0


def test_a_server_that_never_comes_back_is_marked_unavailable(pair: Pair) -> None:
    alice = Mastodon(access_token=pair.provision_a.token("alice"), api_base_url=pair.a.url)
    pair.b.stop()
    try:
        alice.status_post("nobody will receive this")
        wait_for(
            lambda: pair.domain_b in delivery_state(pair)["unavailable"],
            "B is marked unavailable after failures on three distinct days",
            timeout=120,
        )
        state = delivery_state(pair)
        assert state["pending"] == 0  # what was owed to B was dropped: the queue is bounded
        before = state["failed"] + state["delivered"]
        alice.status_post("not even queued")
        time.sleep(2)
        after = delivery_state(pair)
        assert after["pending"] == 0
        assert after["failed"] + after["delivered"] == before
    finally:
        pair.b.start()
