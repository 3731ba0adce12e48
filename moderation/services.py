"""Writes for moderation: reports (Mastodon's ReportService)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import Account, Follow
from moderation.models import Report
from statuses.models import Mention, Status, Visibility
from statuses.policies import visible_q

COMMENT_MAX = 5000


def reported_status_ids(account: Account, target: Account, status_ids: Iterable[int]) -> list[int]:
    """Which of ``status_ids`` a report may attach: statuses of ``target`` only.

    A local reporter may attach what it could see (deleted ones included). A remote reporter is
    usually a server's anonymised instance actor, so Mastodon relaxes this: public and
    unlisted statuses, private ones when the target has followers on the reporter's domain,
    and any status mentioning someone there; deleted statuses stay attachable (the report may
    be about why they were deleted)."""
    wanted = {int(i) for i in status_ids}
    if not wanted:
        return []
    scope = Status.objects.filter(account_id=target.id, id__in=wanted)
    if account.local:
        return sorted(scope.filter(visible_q(account)).values_list("id", flat=True))
    domain = (account.domain or "").lower()
    has_followers = Follow.objects.filter(
        target_account_id=target.id, account__domain__iexact=domain
    ).exists()
    visibilities = [Visibility.PUBLIC, Visibility.UNLISTED]
    if has_followers:
        visibilities.append(Visibility.PRIVATE)
    mentioning = Exists(
        Mention.objects.filter(status_id=OuterRef("id"), account__domain__iexact=domain)
    )
    allowed = scope.filter(Q(visibility__in=visibilities) | mentioning)
    return sorted(allowed.values_list("id", flat=True))


@transaction.atomic
def create_report(
    account: Account,
    target: Account,
    *,
    status_ids: Iterable[int] = (),
    comment: str = "",
    category: str = "other",
    uri: str = "",
    forwarded: bool = False,
) -> Report:
    """File ``account``'s report about ``target`` (Mastodon's ReportService).

    Used by the inbox for a Flag (``account`` is whoever signed it: Mastodon files a remote
    report under that actor, often the reporting server's instance actor) and later by
    POST /api/v1/reports. Raises ``Account.DoesNotExist`` for a suspended target, as Mastodon
    answers 404 for an unavailable account."""
    if target.suspended_at is not None:
        raise Account.DoesNotExist("The account is suspended")
    return Report.objects.create(
        account=account,
        target_account=target,
        status_ids=reported_status_ids(account, target, status_ids),
        comment=comment[:COMMENT_MAX],
        category=category,
        uri=uri,
        forwarded=forwarded,
    )
