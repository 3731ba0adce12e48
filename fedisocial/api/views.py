"""The base class of every client-API view: scopes declared per method, as Mastodon documents."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account
from accounts.scopes import parse_scopes, scope_covers
from fedisocial.api import ratelimit
from fedisocial.api.errors import Forbidden, UnprocessableEntity
from fedisocial.api.params import request_params


class MastodonScopes(BasePermission):
    """401 without a token where one is needed, 403 when the token lacks the scope, 422 when an
    app-only token calls a method that needs a user (Mastodon's answers)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        method = request.method or "GET"
        if method in ("HEAD", "OPTIONS"):
            method = "GET"
        token = request.auth
        public = method in getattr(view, "public_methods", ())
        if token is None:
            if public:
                return True
            raise exceptions.NotAuthenticated("The access token is invalid")
        required = view.scopes.get(method) if isinstance(view.scopes, dict) else view.scopes
        if required:
            granted = parse_scopes(token.scope)
            options = required if isinstance(required, (list, tuple)) else [required]
            if not any(scope_covers(granted, scope) for scope in options):
                raise Forbidden("This action is outside the authorized scopes")
        if request.user is None and not public and method not in getattr(view, "app_methods", ()):
            raise UnprocessableEntity("This method requires an authenticated user")
        return True


class MastodonView(APIView):
    """``scopes``: {method: scope} (or one scope for all); ``public_methods``: methods that work
    without a token; ``app_methods``: methods an app token (no user) may call."""

    permission_classes = [MastodonScopes]
    scopes: dict[str, str | tuple[str, ...]] | str = {}
    public_methods: tuple[str, ...] = ()
    app_methods: tuple[str, ...] = ()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        state = ratelimit.hit(request)
        self._ratelimit = state
        if state is not None and state.exceeded:
            raise exceptions.Throttled(wait=state.retry_after)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        state = getattr(self, "_ratelimit", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response

    @property
    def viewer(self) -> Account | None:
        user = self.request.user
        return user.account if user is not None else None

    @property
    def me(self) -> Account:
        """The signed-in account; only on methods that require a user."""
        account = self.viewer
        assert account is not None
        return account

    @property
    def params(self) -> dict[str, Any]:
        return request_params(self.request)
