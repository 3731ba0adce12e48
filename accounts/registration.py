"""Sign-up through the API (Mastodon's AppSignUpService) and e-mail confirmation.

The registration mode decides what a new login may do at once:

- ``open`` without SMTP: confirmed and approved, its token works immediately;
- ``approved``: waits for a moderator (``approved=False``);
- SMTP configured (``EMAIL_CONFIRMATION_REQUIRED``): waits for the link sent by e-mail.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Account, Application, User
from accounts.oauth import create_access_token
from accounts.services import AccountError, create_local_account
from federation.uris import absolute

logger = logging.getLogger(__name__)

# Local usernames are letters, digits and underscores only (Mastodon's rule for new accounts).
LOCAL_USERNAME_RE = re.compile(r"^[a-z0-9_]+$", re.IGNORECASE)
USERNAME_MAX = 30
PASSWORD_MIN = 8
PASSWORD_MAX = 72
LOCALE_RE = re.compile(r"^[a-z]{2,3}([-_][a-z0-9]{2,8})?$", re.IGNORECASE)
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "support",
        "help",
        "root",
        "webmaster",
        "administrator",
        "mod",
        "moderator",
        # the instance actor's (federation.actors)
        "instance.actor",
    }
)
CONFIRMATION_PATH = "/auth/confirmation"

_ATTRIBUTE_NAMES = {
    "username": "Username",
    "email": "Email",
    "password": "Password",
    "agreement": "Agreement",
    "locale": "Locale",
    "reason": "Reason",
}


@dataclass
class RegistrationError(Exception):
    """Mastodon's 422 for sign-ups: one message and the errors of each attribute."""

    details: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, attribute: str, code: str, description: str) -> None:
        self.details.setdefault(attribute, []).append({"error": code, "description": description})

    @property
    def message(self) -> str:
        parts = [
            f"{_ATTRIBUTE_NAMES.get(attr, attr.capitalize())} {item['description']}"
            for attr, items in self.details.items()
            for item in items
        ]
        return "Validation failed: " + ", ".join(parts)

    def __str__(self) -> str:
        return self.message


def registrations_open() -> bool:
    return settings.REGISTRATIONS_MODE in {"open", "approved"}


def validate_sign_up(
    *, username: str, email: str, password: str, agreement: bool, locale: str, reason: str = ""
) -> RegistrationError:
    """Every problem with these sign-up fields (an empty error when there is none)."""
    error = RegistrationError()
    if not username:
        error.add("username", "ERR_BLANK", "can't be blank")
    elif not LOCAL_USERNAME_RE.match(username):
        error.add("username", "ERR_INVALID", "must contain only letters, numbers and underscores")
    elif len(username) > USERNAME_MAX:
        error.add("username", "ERR_TOO_LONG", f"is too long (maximum is {USERNAME_MAX} characters)")
    elif username.lower() in RESERVED_USERNAMES:
        error.add("username", "ERR_RESERVED", "is reserved")
    elif Account.objects.local().filter(username__iexact=username).exists():
        error.add("username", "ERR_TAKEN", "has already been taken")

    if not email:
        error.add("email", "ERR_BLANK", "can't be blank")
    else:
        try:
            validate_email(email)
        except ValidationError:
            error.add("email", "ERR_INVALID", "is invalid")
        else:
            if User.objects.filter(email__iexact=email).exists():
                error.add("email", "ERR_TAKEN", "has already been taken")

    if not password:
        error.add("password", "ERR_BLANK", "can't be blank")
    elif len(password) < PASSWORD_MIN:
        error.add(
            "password", "ERR_TOO_SHORT", f"is too short (minimum is {PASSWORD_MIN} characters)"
        )
    elif len(password) > PASSWORD_MAX:
        error.add("password", "ERR_TOO_LONG", f"is too long (maximum is {PASSWORD_MAX} characters)")

    if not agreement:
        error.add("agreement", "ERR_ACCEPTED", "must be accepted")
    if locale and not LOCALE_RE.match(locale):
        error.add("locale", "ERR_INCLUSION", "is not included in the list")
    if len(reason) > 500:
        error.add("reason", "ERR_TOO_LONG", "is too long (maximum is 500 characters)")
    return error


def sign_up(
    *,
    application: Application,
    username: str,
    email: str,
    password: str,
    agreement: bool,
    locale: str = "",
    reason: str = "",
) -> tuple[User, Any, str]:
    """Create the account and a token for ``application`` with the app's scopes.

    Returns (user, access token, raw token). Raises RegistrationError."""
    username = username.strip()
    email = email.strip()
    error = validate_sign_up(
        username=username,
        email=email,
        password=password,
        agreement=agreement,
        locale=locale,
        reason=reason,
    )
    if error.details:
        raise error
    confirmed = not settings.EMAIL_CONFIRMATION_REQUIRED
    approved = settings.REGISTRATIONS_MODE != "approved"
    try:
        with transaction.atomic():
            _, user = create_local_account(
                username=username,
                email=email,
                password=password,
                locale=(locale or "en").replace("_", "-"),
                confirmed=confirmed,
                approved=approved,
                reason=reason,
                application=application,
            )
            token, raw = create_access_token(user, application, application.scopes)
    except (AccountError, IntegrityError) as exc:
        # Lost a race with another sign-up between validation and insertion.
        taken = RegistrationError()
        attribute = "email" if "mail" in str(exc).lower() else "username"
        taken.add(attribute, "ERR_TAKEN", "has already been taken")
        raise taken from exc
    if not confirmed:
        transaction.on_commit(lambda: send_confirmation_email(user))
    return user, token, raw


# --- E-mail confirmation -------------------------------------------------------------------------


def confirmation_url(user: User) -> str:
    return absolute(f"{CONFIRMATION_PATH}?confirmation_token={user.confirmation_token}")


def send_confirmation_email(user: User) -> bool:
    """Send the confirmation link; False (and a log line) when the mail server refuses."""
    if not user.confirmation_token:
        user.confirmation_token = secrets.token_urlsafe(24)
        user.save(update_fields=["confirmation_token"])
    title = settings.SITE_TITLE
    body = (
        f"Welcome to {title}, @{user.account.username}!\n\n"
        f"To confirm your e-mail address, open this link:\n\n{confirmation_url(user)}\n\n"
        f"If you did not sign up on {settings.LOCAL_DOMAIN}, you can ignore this message.\n"
    )
    try:
        send_mail(
            f"{title}: Confirmation instructions for {settings.LOCAL_DOMAIN}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:  # SMTP down or misconfigured: the user can ask for the link again.
        logger.exception("Could not send the confirmation e-mail to user %s", user.pk)
        return False
    return True


def confirm_email(token: str) -> User | None:
    """Confirm the user holding this confirmation token; None when no one holds it."""
    if not token:
        return None
    user = User.objects.select_related("account").filter(confirmation_token=token).first()
    if user is None:
        return None
    if user.confirmed_at is None:
        user.confirmed_at = timezone.now()
    user.confirmation_token = ""
    user.save(update_fields=["confirmed_at", "confirmation_token"])
    return user
