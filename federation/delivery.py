"""Delivering activities (Mastodon's DeliveryWorker and DeliveryFailureTracker).

``queue_activity`` stores an activity once and one ``Delivery`` row per distinct inbox (a
shared inbox once), then a task sends what is due. Each send signs the same body with the
actor's key (parsed once per process) through the process's one HTTP client, many inboxes at a
time. Outcomes, as Mastodon classifies them:

- 2xx: delivered; the domain's failure record is cleared.
- network error, 5xx, 401, 408, 429: retried with exponential backoff (one minute, doubling,
  at most a day apart) until ``FEDERATION_RETRY_PERIOD`` has passed since queueing.
- any other 4xx: final.

A domain that failed on ``FEDERATION_UNAVAILABLE_AFTER_DAYS`` distinct days is marked
unavailable: nothing is queued for it, and what was pending for it is dropped, so the queue
stays bounded; a probe that answers, or a signed request from it, makes it available again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Account
from federation import http
from federation.actors import scheme_for, signing_key
from federation.models import Activity, Delivery, DomainFailure
from federation.signatures import sign_request
from federation.uris import domain_of, is_local_uri

logger = logging.getLogger(__name__)

ACTIVITY_CONTENT_TYPE = 'application/activity+json; charset="utf-8"'
# A claimed delivery is due again after this if its worker never reports back.
LEASE = timedelta(minutes=5)
RETRYABLE_4XX = frozenset({401, 408, 429})
BATCH = 200


def day() -> int:
    """The failure tracker's current day number (its length is a setting, so tests can make
    days pass in seconds)."""
    return int(time.time() // settings.FEDERATION_FAILURE_DAY_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: a minute (FEDERATION_RETRY_BASE_SECONDS),
    doubling, at most a day, ±10 %."""
    base = settings.FEDERATION_RETRY_BASE_SECONDS
    seconds = min(base * 2 ** max(attempts - 1, 0), 86_400)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))  # noqa: S311 - jitter


# --- Queueing -------------------------------------------------------------------------------------


def unavailable_domains(domains: Iterable[str]) -> set[str]:
    wanted = {d for d in domains if d}
    if not wanted:
        return set()
    return set(
        DomainFailure.objects.filter(domain__in=wanted, unavailable=True).values_list(
            "domain", flat=True
        )
    )


def queue_activity(
    actor: Account, body: dict[str, object], inboxes: Iterable[str]
) -> Activity | None:
    """Store ``body`` (sent by local ``actor``) and one delivery per distinct remote inbox,
    leaving out unavailable domains; sending is queued after commit. None when nobody is
    left to receive it."""
    wanted: dict[str, str] = {}
    for inbox in inboxes:
        if inbox and not is_local_uri(inbox) and inbox not in wanted:
            wanted[inbox] = domain_of(inbox)
    down = unavailable_domains(wanted.values())
    targets = {inbox: domain for inbox, domain in wanted.items() if domain not in down}
    if not targets:
        return None
    from federation.tasks import deliver_activity_task

    with transaction.atomic():
        activity = Activity.objects.create(
            actor=actor,
            activity_type=str(body.get("type", "")),
            uri=str(body.get("id", "")),
            body=orjson.dumps(body).decode(),
        )
        Delivery.objects.bulk_create(
            [
                Delivery(activity=activity, inbox_url=inbox, domain=domain)
                for inbox, domain in targets.items()
            ]
        )
        deliver_activity_task.delay_on_commit(activity.id)
    return activity


# --- Sending --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    status: int | None  # None: no HTTP answer
    error: str


def claim_due(*, activity_id: int | None = None, limit: int = BATCH) -> list[Delivery]:
    """Take up to ``limit`` due deliveries (of one activity, or any), leasing them so no other
    worker takes them too, and a worker that dies leaves them due again after LEASE."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.select_for_update(skip_locked=True).filter(
            state=Delivery.State.PENDING, next_attempt_at__lte=now
        )
        if activity_id is not None:
            due = due.filter(activity_id=activity_id)
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(next_attempt_at=now + LEASE)
    deliveries = list(
        Delivery.objects.filter(id__in=ids)
        .only("id", "activity_id", "inbox_url", "domain", "attempts", "created_at")
        .order_by("id")
    )
    # A batch is mostly one activity sent to many inboxes: each activity (its body, its
    # actor's key) is read once, not once per row.
    activities = {
        a.id: a
        for a in Activity.objects.select_related("actor").filter(
            id__in={d.activity_id for d in deliveries}
        )
    }
    for d in deliveries:
        d.activity = activities[d.activity_id]
    return deliveries


def _post(delivery: Delivery, key_id: str, key: object, body: bytes) -> Attempt:
    headers = sign_request(
        method="POST",
        url=delivery.inbox_url,
        body=body,
        key_id=key_id,
        private_key=key,  # type: ignore[arg-type]
        headers={"Content-Type": ACTIVITY_CONTENT_TYPE},
    )
    headers["Content-Type"] = ACTIVITY_CONTENT_TYPE
    try:
        result = http.post(delivery.inbox_url, body=body, headers=headers)
    except http.FetchError as exc:
        return Attempt(delivery.id, None, f"{type(exc).__name__}: {exc}"[:500])
    return Attempt(delivery.id, result.status, "" if result.ok else result.text[:500])


def send(deliveries: Sequence[Delivery]) -> list[Attempt]:
    """POST each delivery's activity to its inbox, many at a time, and record the outcomes.
    Deliveries to a domain marked unavailable meanwhile are dropped unsent."""
    if not deliveries:
        return []
    down = unavailable_domains(d.domain for d in deliveries)
    dropped = [d for d in deliveries if d.domain in down]
    if dropped:
        Delivery.objects.filter(id__in=[d.id for d in dropped]).update(
            state=Delivery.State.FAILED,
            finished_at=timezone.now(),
            last_error="domain unavailable",
        )
    live = [d for d in deliveries if d.domain not in down]
    bodies: dict[int, bytes] = {}
    keys: dict[int, tuple[str, object]] = {}
    for d in live:
        bodies.setdefault(d.activity_id, d.activity.body.encode())
        if d.activity.actor_id not in keys:
            keys[d.activity.actor_id] = signing_key(d.activity.actor)

    def one(d: Delivery) -> Attempt:
        key_id, key = keys[d.activity.actor_id]
        return _post(d, key_id, key, bodies[d.activity_id])

    workers = max(1, min(settings.FEDERATION_DELIVERY_CONCURRENCY, len(live)))
    if workers == 1:
        attempts = [one(d) for d in live]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver") as pool:
            attempts = list(pool.map(one, live))
    record(live, attempts)
    return attempts


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500 or status in RETRYABLE_4XX


def record(deliveries: Sequence[Delivery], attempts: Sequence[Attempt]) -> None:
    """Write the outcomes: delivered, retried later, or final; and track each domain."""
    now = timezone.now()
    give_up_before = now - settings.FEDERATION_RETRY_PERIOD
    ok_domains: set[str] = set()
    failed_domains: set[str] = set()
    delivered: list[int] = []
    for d, attempt in zip(deliveries, attempts, strict=True):
        if attempt.status is not None and 200 <= attempt.status < 300:
            delivered.append(d.id)
            ok_domains.add(d.domain)
            continue
        retry = _retryable(attempt.status) and d.created_at > give_up_before
        if _retryable(attempt.status):
            failed_domains.add(d.domain)
        error = attempt.error or f"HTTP {attempt.status}"
        logger.info("delivery to %s failed (%s)%s", d.inbox_url, error, "" if retry else ", final")
        Delivery.objects.filter(id=d.id).update(
            attempts=F("attempts") + 1,
            last_status=attempt.status,
            last_error=error[:500],
            next_attempt_at=now + backoff(d.attempts + 1),
            state=Delivery.State.PENDING if retry else Delivery.State.FAILED,
            finished_at=None if retry else now,
        )
    if delivered:
        Delivery.objects.filter(id__in=delivered).update(
            state=Delivery.State.DELIVERED,
            attempts=F("attempts") + 1,
            last_status=200,
            last_error="",
            finished_at=now,
        )
    for domain in ok_domains:
        domain_answered(domain)
    for domain in failed_domains - ok_domains:
        domain_failed(domain)


# --- The failure tracker --------------------------------------------------------------------------


def domain_answered(domain: str) -> None:
    """A domain delivered to, probed successfully or signing a request to us is available."""
    DomainFailure.objects.filter(domain=domain).delete()
    _failing.pop(domain, None)


# Domains with a failure record, as this process last read them (``domain_signed_in``).
_failing: dict[str, bool] = {}
_failing_read_at = [0.0]
FAILING_REFRESH_SECONDS = 30.0


def domain_signed_in(domain: str) -> None:
    """A domain sent us a signed request: it is up. Asked on every inbox request, so the
    failure table is read at most every FAILING_REFRESH_SECONDS per process, not each time."""
    now = time.monotonic()
    if now - _failing_read_at[0] > FAILING_REFRESH_SECONDS:
        _failing.clear()
        _failing.update(dict.fromkeys(DomainFailure.objects.values_list("domain", flat=True), True))
        _failing_read_at[0] = now
    if domain in _failing:
        domain_answered(domain)


def domain_failed(domain: str) -> None:
    """Count a failure day for ``domain``; past the threshold it becomes unavailable and its
    pending deliveries are dropped."""
    today = day()
    with transaction.atomic():
        record_, created = DomainFailure.objects.select_for_update().get_or_create(
            domain=domain, defaults={"failure_days": 1, "last_failure_day": today}
        )
        if not created and record_.last_failure_day != today:
            record_.failure_days += 1
            record_.last_failure_day = today
        record_.last_failure_at = timezone.now()
        threshold = settings.FEDERATION_UNAVAILABLE_AFTER_DAYS
        newly_down = not record_.unavailable and record_.failure_days >= threshold
        if newly_down:
            record_.unavailable = True
        record_.save()
        if newly_down:
            logger.warning("%s failed on %d days: marked unavailable", domain, threshold)
            Delivery.objects.filter(domain=domain, state=Delivery.State.PENDING).update(
                state=Delivery.State.FAILED,
                finished_at=timezone.now(),
                last_error="domain unavailable",
            )


def probe_unavailable_domains() -> int:
    """Ask each unavailable domain for its NodeInfo; those that answer are available again."""
    revived = 0
    for domain in DomainFailure.objects.filter(unavailable=True).values_list("domain", flat=True):
        try:
            http.fetch(
                f"{scheme_for(domain)}://{domain}/.well-known/nodeinfo",
                accept="application/json",
                max_bytes=64 * 1024,
            )
        except http.FetchError:
            continue
        domain_answered(domain)
        revived += 1
    return revived


def prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget finished deliveries, and activities nobody is owed any more."""
    cutoff = timezone.now() - older_than
    deleted, _ = Delivery.objects.filter(
        state__in=[Delivery.State.DELIVERED, Delivery.State.FAILED], finished_at__lt=cutoff
    ).delete()
    Activity.objects.filter(created_at__lt=cutoff, deliveries__isnull=True).delete()
    return deleted
