"""Issue an access token for a local user (for scripts, bots and tests)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.models import get_access_token_model

from accounts.api.apps import create_application
from accounts.models import Application, User
from accounts.oauth import OOB_REDIRECT_URI, create_access_token, login_refusal
from accounts.scopes import invalid_scopes, parse_scopes, scopes_within

CLI_APP_NAME = "Fedisocial CLI"
CLI_APP_SCOPES = "read write follow push profile admin:read admin:write"


def cli_application() -> Application:
    """The built-in application that owns tokens made here, created on first use."""
    app = Application.objects.filter(name=CLI_APP_NAME, user__isnull=True).order_by("id").first()
    if app is None:
        app, _ = create_application(
            name=CLI_APP_NAME, redirect_uris=OOB_REDIRECT_URI, scopes=CLI_APP_SCOPES
        )
    return app


class Command(BaseCommand):
    help = "Create an access token for a local user; the token is the last line of output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--client-id", help=f"the application (default: {CLI_APP_NAME!r})")
        parser.add_argument("--scopes", default="read write follow push")
        parser.add_argument("--token", help="install this known token value (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].lstrip("@")
        user = (
            User.objects.select_related("account")
            .filter(account__username__iexact=username, account__domain__isnull=True)
            .first()
        )
        if user is None:
            raise CommandError(f"No local user @{username}")
        scopes = parse_scopes(options["scopes"])
        if not scopes or invalid_scopes(scopes):
            raise CommandError(f"Unknown scopes: {' '.join(invalid_scopes(scopes)) or '(none)'}")
        if options["client_id"]:
            app = Application.objects.filter(client_id=options["client_id"]).first()
            if app is None:
                raise CommandError(f"No application with client_id {options['client_id']}")
        else:
            app = cli_application()
        if not scopes_within(scopes, parse_scopes(app.scopes)):
            raise CommandError(f"Application {app.name!r} is only registered for: {app.scopes}")
        refusal = login_refusal(user)
        if refusal:
            self.stderr.write(f"Warning: the API will refuse this token: {refusal}")

        raw = options["token"]
        if raw is not None:
            raw = raw.strip()
            if len(raw) < 16:
                raise CommandError("--token must be at least 16 characters")
            checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
            existing = get_access_token_model().objects.filter(token_checksum=checksum).first()
            if existing is not None:
                if existing.user_id != user.id:
                    raise CommandError("This token already belongs to someone else")
                self.stdout.write(raw)
                return
            _, raw = create_access_token(user, app, " ".join(scopes), raw=raw)
        else:
            _, raw = create_access_token(user, app, " ".join(scopes))
        self.stdout.write(raw)
