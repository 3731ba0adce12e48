"""Create a confirmed, approved local account (like ``tootctl accounts create``)."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from accounts.models import User
from accounts.services import AccountError, create_local_account


class Command(BaseCommand):
    help = "Create a confirmed and approved local account; prints the password if generated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="default: a random one, printed")
        parser.add_argument("--role", choices=[r.value for r in User.Role], default="user")
        parser.add_argument("--locked", action="store_true", help="approve followers manually")
        parser.add_argument("--locale", default="en")
        parser.add_argument("--discoverable", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Invalid e-mail address: {email}") from exc
        password = options["password"]
        generated = not password
        if generated:
            password = secrets.token_hex(16)
        try:
            account, _user = create_local_account(
                username=options["username"],
                email=email,
                password=password,
                role=options["role"],
                locked=options["locked"],
                locale=options["locale"],
                discoverable=True if options["discoverable"] else None,
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"OK: created @{account.username} ({options['role']})")
        if generated:
            self.stdout.write(f"New password: {password}")
