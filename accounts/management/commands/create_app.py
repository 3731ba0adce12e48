"""Register an OAuth application from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.api.apps import clean_app_fields, create_application
from accounts.models import Application
from accounts.oauth import OOB_REDIRECT_URI


class Command(BaseCommand):
    help = "Register an OAuth application and print its client_id and client_secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scopes", default="read write follow push")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            dest="redirect_uris",
            help=f"repeatable; default {OOB_REDIRECT_URI}",
        )
        parser.add_argument("--website", default="")
        parser.add_argument("--client-id", help="a known client_id instead of a random one")
        parser.add_argument("--client-secret", help="a known client_secret (stored hashed)")

    def handle(self, *args: Any, **options: Any) -> None:
        fields, problems = clean_app_fields(
            name=options["name"],
            redirect_uris=options["redirect_uris"] or [OOB_REDIRECT_URI],
            scopes=options["scopes"],
            website=options["website"],
        )
        if problems:
            raise CommandError("; ".join(problems))
        client_id = options["client_id"]
        if client_id is not None and not client_id.strip():
            raise CommandError("--client-id cannot be empty")
        if client_id and Application.objects.filter(client_id=client_id).exists():
            raise CommandError(f"An application with client_id {client_id} already exists")
        if options["client_secret"] is not None and len(options["client_secret"]) < 8:
            raise CommandError("--client-secret must be at least 8 characters")
        app, secret = create_application(
            **fields, client_id=client_id, client_secret=options["client_secret"]
        )
        self.stdout.write(f"name: {app.name}")
        self.stdout.write(f"scopes: {app.scopes}")
        self.stdout.write(f"client_id: {app.client_id}")
        self.stdout.write(f"client_secret: {secret}")
