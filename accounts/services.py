"""Writes on accounts: creation, profile updates, relationships (follow, block, mute...)."""

from __future__ import annotations

import re
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User

USERNAME_RE = re.compile(r"^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$", re.IGNORECASE)


class AccountError(Exception):
    """A request that cannot be honoured; the message is shown to the user (422)."""


@transaction.atomic
def create_local_account(
    *,
    username: str,
    email: str,
    password: str | None = None,
    role: str = User.Role.USER,
    locked: bool = False,
    locale: str = "en",
    discoverable: bool | None = None,
    confirmed: bool = True,
    approved: bool = True,
    reason: str = "",
    application: object | None = None,
) -> tuple[Account, User]:
    """A local account and its login. Raises AccountError when the username or e-mail is taken."""
    if not USERNAME_RE.match(username) or len(username) > 30:
        raise AccountError("Username must contain only letters, numbers and underscores")
    if Account.objects.local().filter(username__iexact=username).exists():
        raise AccountError(f"Username {username} is already taken")
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(f"E-mail {email} is already taken")
    account = Account.objects.create(
        username=username, locked=locked, discoverable=discoverable, indexable=bool(discoverable)
    )
    user = User(
        email=email,
        account=account,
        role=role,
        locale=locale,
        confirmed_at=timezone.now() if confirmed else None,
        confirmation_token="" if confirmed else secrets.token_urlsafe(24),
        approved=approved,
        registration_reason=reason,
        created_by_application=application,
    )
    user.set_password(password)
    user.save()
    return account, user
