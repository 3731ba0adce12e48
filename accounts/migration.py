"""Moving a local account to another one (Mastodon's account migration, as its settings page
and ``tootctl`` do it): the new account first names the old one as an alias (``alsoKnownAs``),
then the old one moves. Its followers everywhere are told with a Move activity; local ones
follow the new account at once."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Account
from accounts.remote import MoveError
from federation import outbox as federation
from federation.actors import resolve_actor
from federation.uris import account_uri


@transaction.atomic
def add_alias(account: Account, *, alias: Account) -> Account:
    """``account`` (local) declares that ``alias`` is also its own: the step before ``alias``
    may move to it. Remote servers hear it through an Update of the actor."""
    if not account.local:
        raise MoveError("only a local account's aliases are set here")
    uri = account_uri(alias)
    if uri not in (account.also_known_as or []):
        account.also_known_as = [*(account.also_known_as or []), uri]
        account.save(update_fields=["also_known_as", "updated_at"])
        federation.notify("account.updated", account_id=account.id)
    return account


def move_local_account(account: Account, target: Account) -> None:
    """Move local ``account`` to ``target`` (local or remote), which must list it in its
    aliases (a remote one is fetched again to see its current ones)."""
    if not account.local:
        raise MoveError("only a local account moves this way")
    if not target.local:
        target = resolve_actor(target.uri, refresh=True) or target
    if target.id == account.id or target.suspended_at is not None:
        raise MoveError("the new account cannot be used")
    if account_uri(account) not in (target.also_known_as or []):
        raise MoveError(f"{target.acct} does not list {account.acct} among its aliases")
    with transaction.atomic():
        account.moved_to = target
        account.save(update_fields=["moved_to", "updated_at"])
        # The Move is rendered and queued now: its audience is the followers the next step
        # takes away from the old account.
        federation.publish("account.moved", account_id=account.id, target_id=target.id)
        from accounts.tasks import move_followers_task

        move_followers_task.delay_on_commit(account.id, target.id)
