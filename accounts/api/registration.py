"""Registration through the API: ``POST /api/v1/accounts`` and the confirmation e-mail resend.

``register_view`` is called by the ``POST`` method of the ``/api/v1/accounts`` view, which should
declare ``scopes = {"POST": "write:accounts"}`` and ``app_methods = ("POST",)`` (an app token
from the client-credentials grant is what apps send). It checks both again itself.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.oauth import token_entity
from accounts.registration import (
    RegistrationError,
    registrations_open,
    send_confirmation_email,
    sign_up,
)
from accounts.scopes import parse_scopes, scope_covers
from fedisocial.api.auth import BearerTokenAuthentication
from fedisocial.api.errors import Forbidden, UnprocessableEntity
from fedisocial.api.params import request_params, to_bool
from fedisocial.api.views import MastodonView


def register_view(request: Request) -> Response:
    """Mastodon's ``POST /api/v1/accounts``: 200 with a Token entity for the new user."""
    token = request.auth
    if token is None:
        raise exceptions.NotAuthenticated("The access token is invalid")
    if not scope_covers(parse_scopes(token.scope), "write:accounts"):
        raise Forbidden("This action is outside the authorized scopes")
    if not registrations_open():
        raise Forbidden("This action is not allowed")
    if token.application is None:
        raise Forbidden("This action is not allowed")
    params = request_params(request)
    try:
        _, access_token, raw = sign_up(
            application=token.application,
            username=str(params.get("username") or ""),
            email=str(params.get("email") or ""),
            password=str(params.get("password") or ""),
            agreement=bool(to_bool(params.get("agreement"), False)),
            locale=str(params.get("locale") or ""),
            reason=str(params.get("reason") or ""),
        )
    except RegistrationError as error:
        return Response({"error": error.message, "details": error.details}, status=422)
    return Response(token_entity(access_token, raw))


class UnconfirmedUserAuthentication(BearerTokenAuthentication):
    """Bearer tokens of users still waiting for their confirmation e-mail (the one thing they
    may do with their token is ask for it again). Disabled logins are still refused."""

    require_functional = False


class EmailConfirmationsView(MastodonView):
    """POST /api/v1/emails/confirmations: send the confirmation link again, optionally to a new
    address; only for the app that created the user, only while unconfirmed."""

    authentication_classes = [UnconfirmedUserAuthentication]
    scopes = {"POST": "write:accounts"}

    def post(self, request: Request) -> Response:
        user: User = request.user
        if user.created_by_application_id != request.auth.application_id:
            raise Forbidden(
                "This method is only available to the application the user originally signed-up "
                "with"
            )
        if user.confirmed_at is not None:
            raise Forbidden(
                "This method is only available while the e-mail is awaiting confirmation"
            )
        email = str(self.params.get("email") or "").strip()
        if email and email.lower() != user.email.lower():
            try:
                validate_email(email)
            except ValidationError as exc:
                raise UnprocessableEntity("Validation failed: Email is invalid") from exc
            if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise UnprocessableEntity("Validation failed: Email has already been taken")
            user.email = email
            user.save(update_fields=["email"])
        send_confirmation_email(user)
        return Response({})
