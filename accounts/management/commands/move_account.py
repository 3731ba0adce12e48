"""Move a local account to another (``tootctl`` has no such command; Mastodon's settings page
does it): ``add_alias`` on the new account first when it is local, or the remote account's
own server lists the old one among its aliases."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.migration import add_alias, move_local_account
from accounts.models import Account
from accounts.remote import MoveError
from federation.resolve import resolve_handle


def find(handle: str) -> Account:
    handle = handle.lstrip("@")
    if "@" in handle:
        account = resolve_handle(handle)
    else:
        account = Account.objects.filter(username__iexact=handle, domain__isnull=True).first()
    if account is None:
        raise CommandError(f"No account {handle!r}")
    return account


class Command(BaseCommand):
    help = "Move a local account to another account, or (--alias) declare an alias first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the local account")
        parser.add_argument("target", help="the other account: name or user@domain")
        parser.add_argument(
            "--alias",
            action="store_true",
            help="only declare TARGET as an alias of USERNAME (the new account's step)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        account = find(options["username"])
        if not account.local:
            raise CommandError(f"{account.acct} is not local")
        target = find(options["target"])
        try:
            if options["alias"]:
                add_alias(account, alias=target)
                self.stdout.write(f"{account.acct} now also knows {target.acct}")
            else:
                move_local_account(account, target)
                self.stdout.write(f"{account.acct} moved to {target.acct}")
        except MoveError as exc:
            raise CommandError(str(exc)) from exc
