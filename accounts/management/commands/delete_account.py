"""Delete a local account, as ``tootctl accounts delete`` does (see accounts.deletion)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.deletion import delete_local_account
from accounts.models import Account


class Command(BaseCommand):
    help = "Delete a local account: its statuses, relationships and login; remote servers are told."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].lstrip("@")
        account = Account.objects.filter(username__iexact=username, domain__isnull=True).first()
        if account is None:
            raise CommandError(f"No local account {username!r}")
        delete_local_account(account)
        self.stdout.write(f"deleted {account.username}")
