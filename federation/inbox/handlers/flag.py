"""Flag: another server reports accounts and statuses to us (Mastodon's
ActivityPub::Activity::Flag)."""

from __future__ import annotations

from collections import defaultdict

from accounts.models import Account
from federation import jsonld
from federation.actors import is_instance_actor, local_account_for_uri
from federation.inbox.dispatch import Handler, handles
from federation.uris import is_local_uri
from moderation.policies import domain_block
from moderation.services import create_report
from statuses.models import Status
from statuses.remote import status_for_uri

COMMENT_MAX = 5000


def _account_for(uri: str) -> Account | None:
    if is_local_uri(uri):
        account = local_account_for_uri(uri)
        return None if account is None or is_instance_actor(account) else account
    return Account.objects.filter(uri=uri).first()


@handles("Flag")
class FlagHandler(Handler):
    def handle(self) -> None:
        block = domain_block(self.signer.domain or "")
        if block is not None and block.reject_reports:
            return
        uris = list(dict.fromkeys(jsonld.ids_of(self.object)))[:100]
        targets = [a for a in (_account_for(u) for u in uris) if a is not None]
        statuses: dict[int, list[Status]] = defaultdict(list)
        for uri in uris:
            status = status_for_uri(uri)
            if status is not None:
                statuses[status.account_id].append(status)
        activity_id = self.activity.get("id")
        # Mastodon keeps the Flag's id only when it is on the reporter's own server.
        uri = (
            activity_id
            if isinstance(activity_id, str) and self.same_origin_as_signer(activity_id)
            else ""
        )
        content = self.activity.get("content")
        comment = content[:COMMENT_MAX] if isinstance(content, str) else ""
        for target in dict.fromkeys(targets):
            reported = statuses.get(target.id, [])
            if target.suspended_at is not None:
                continue
            # A remote account is reported to us only about its replies to our users.
            if not target.local and not any(
                s.in_reply_to_account is not None and s.in_reply_to_account.local for s in reported
            ):
                continue
            create_report(
                self.signer,
                target,
                status_ids=[s.id for s in reported],
                comment=comment,
                uri=uri[:2048],
                forwarded=True,
            )
