"""HTML sign-in, the OAuth 2 endpoints and the e-mail confirmation link."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings

from accounts.models import Application, User
from accounts.oauth import (
    GRANT_TYPES,
    INVALID_CREDENTIALS,
    OOB_REDIRECT_URI,
    authenticate_by_email,
    login_refusal,
    oauth_core,
    with_error_description,
)
from accounts.registration import confirm_email
from accounts.scopes import ALL_SCOPES, parse_scopes, scopes_within
from federation.uris import absolute
from fedisocial.api.auth import load_token
from fedisocial.api.params import to_bool

AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"
NATIVE_PATH = "/oauth/authorize/native"

# --- Sign in and out -----------------------------------------------------------------------------


def _safe_next(request: HttpRequest, target: str | None) -> str | None:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip()
        user = authenticate_by_email(email, request.POST.get("password", ""))
        error = INVALID_CREDENTIALS if user is None else login_refusal(user)
        if user is not None and error is None:
            login(request, user, backend=AUTH_BACKEND)
            return HttpResponseRedirect(next_url or settings.LOGIN_URL)
    context = {"next": next_url or "", "error": error, "email": email}
    return render(request, "auth/sign_in.html", context, status=401 if error else 200)


@never_cache
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        return HttpResponseRedirect(settings.LOGIN_URL)
    return render(request, "auth/sign_out.html")


@never_cache
@require_GET
def confirmation(request: HttpRequest) -> HttpResponse:
    """The link from the confirmation e-mail."""
    user = confirm_email(request.GET.get("confirmation_token", ""))
    if user is None:
        return render(
            request,
            "auth/message.html",
            {
                "title": "Invalid confirmation link",
                "message": "This confirmation link is invalid or has already been used.",
            },
            status=404,
        )
    message = "Your e-mail address has been confirmed."
    if not user.approved:
        message += " Your account is now waiting for approval by the server's staff."
    else:
        message += " You can now sign in."
    return render(request, "auth/message.html", {"title": "E-mail confirmed", "message": message})


# --- Authorization endpoint ----------------------------------------------------------------------

CREDENTIAL_KEYS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _error_page(request: HttpRequest, error: OAuthToolkitError, status: int = 400) -> HttpResponse:
    oauthlib_error = error.oauthlib_error
    context = {
        "error": oauthlib_error.error,
        "description": oauthlib_error.description or "",
    }
    return render(request, "oauth/error.html", context, status=status)


def _without_force_login(request: HttpRequest) -> str:
    pairs = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    query = [(k, v) for k, v in pairs if k != "force_login"]
    return f"{request.path}?{urlencode(query)}"


def _redirect_to_sign_in(next_url: str) -> HttpResponse:
    return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': next_url})}")


def _native_redirect(redirect_to: str) -> HttpResponse:
    """The out-of-band "redirect": a page showing the code (Doorkeeper's native route)."""
    query = dict(parse_qsl(urlsplit(redirect_to).query))
    params = {k: query[k] for k in ("code", "error", "error_description") if k in query}
    return HttpResponseRedirect(f"{NATIVE_PATH}?{urlencode(params)}")


def _redirect(redirect_to: str, application: Application | None) -> HttpResponse:
    if redirect_to.startswith(OOB_REDIRECT_URI):
        return _native_redirect(redirect_to)
    schemes = application.get_allowed_schemes() if application else ["http", "https"]
    return OAuth2ResponseRedirect(redirect_to, schemes)


def _language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "")
    return lang if lang.isalpha() and 2 <= len(lang) <= 3 else settings.LANGUAGE_CODE


class AuthorizeView(View):
    """GET shows the consent page (after signing in); POST approves or denies."""

    template_name = "oauth/authorize.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override(_language(request)):
            response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def _validate(self, request: HttpRequest) -> tuple[list[str], dict[str, Any], Application]:
        core = oauth_core()
        scopes, credentials = core.validate_authorization_request(request)
        credentials = {k: credentials[k] for k in CREDENTIAL_KEYS if credentials.get(k)}
        application = Application.objects.get(client_id=credentials["client_id"])
        return list(scopes), credentials, application

    def _respond(
        self,
        request: HttpRequest,
        scopes: list[str],
        credentials: dict[str, Any],
        application: Application,
        allow: bool,
    ) -> HttpResponse:
        core = oauth_core()
        try:
            redirect_to, _headers, _body, _status = core.create_authorization_response(
                request, scopes, dict(credentials), allow
            )
        except FatalClientError as error:
            return _error_page(request, error)
        except OAuthToolkitError as error:
            redirect_uri = credentials.get("redirect_uri", "")
            if not redirect_uri:
                return _error_page(request, error)
            if redirect_uri == OOB_REDIRECT_URI:
                return _error_page(request, error, status=403 if not allow else 400)
            return _redirect(error.oauthlib_error.in_uri(redirect_uri), application)
        return _redirect(redirect_to, application)

    def _signed_in_user(self, request: HttpRequest) -> User | None:
        user = request.user
        if not user.is_authenticated:
            return None
        if login_refusal(user) is not None:  # disabled or unapproved since signing in
            logout(request)
            return None
        return user

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            scopes, credentials, application = self._validate(request)
        except OAuthToolkitError as error:
            return _error_page(request, error)
        force_login = to_bool(request.GET.get("force_login"), False)
        if force_login:
            if request.user.is_authenticated:
                logout(request)
            return _redirect_to_sign_in(_without_force_login(request))
        user = self._signed_in_user(request)
        if user is None:
            return _redirect_to_sign_in(request.get_full_path())

        if application.skip_authorization or (
            oauth2_settings.REQUEST_APPROVAL_PROMPT == "auto"
            and self._previously_authorized(user, application, scopes)
        ):
            return self._respond(request, scopes, credentials, application, allow=True)

        context = {
            "application": application,
            "scopes": [(scope, ALL_SCOPES.get(scope, scope)) for scope in scopes],
            "user": user,
            "action": request.get_full_path(),
            "switch_url": f"{request.get_full_path()}&force_login=true",
            "lang": _language(request),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = self._signed_in_user(request)
        if user is None:
            return _redirect_to_sign_in(request.get_full_path())
        try:
            scopes, credentials, application = self._validate(request)
        except OAuthToolkitError as error:
            return _error_page(request, error)
        allow = request.POST.get("decision") == "authorize"
        return self._respond(request, scopes, credentials, application, allow=allow)

    @staticmethod
    def _previously_authorized(user: User, application: Application, scopes: list[str]) -> bool:
        tokens = get_access_token_model().objects.filter(
            user=user, application=application, expires__gt=timezone.now()
        )
        return any(scopes_within(scopes, parse_scopes(t.scope)) for t in tokens)


@never_cache
@require_GET
def authorize_native(request: HttpRequest) -> HttpResponse:
    """The out-of-band result: the code to paste into the app, or why there is none."""
    context = {
        "code": request.GET.get("code", ""),
        "error": request.GET.get("error", ""),
        "description": request.GET.get("error_description", ""),
    }
    status = 200 if context["code"] else 400
    return render(request, "oauth/code.html", context, status=status)


# --- Token, revocation and metadata endpoints ----------------------------------------------------


def _oauth_json_response(body: str | dict, status: int, headers: dict[str, str]) -> HttpResponse:
    content = body if isinstance(body, str) else json.dumps(body)
    response = HttpResponse(content or "{}", status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        if key.lower() != "content-type":
            response[key] = value
    return response


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    _uri, headers, body, status = oauth_core().create_token_response(request)
    return _oauth_json_response(body, status, headers)


UNAUTHORIZED_REVOKE = {
    "error": "unauthorized_client",
    "error_description": "You are not authorized to revoke this token",
}


@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    core = oauth_core()
    raw = dict(core.extract_body(request)).get("token") or request.GET.get("token")
    if not raw:
        return JsonResponse(UNAUTHORIZED_REVOKE, status=403)
    _uri, headers, body, status = core.create_revocation_response(request)
    if status != 200:
        return _oauth_json_response(with_error_description(body), status, headers)
    survivor = load_token(raw)
    if survivor is not None:  # the client is genuine but the token belongs to another app
        return JsonResponse(UNAUTHORIZED_REVOKE, status=403)
    return _oauth_json_response({}, 200, headers)


@require_GET
def authorization_server_metadata(request: HttpRequest) -> HttpResponse:
    """RFC 8414 metadata, as Mastodon 4.3+ serves it."""
    return JsonResponse(
        {
            "issuer": absolute("/"),
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": absolute("/oauth/authorize"),
            "token_endpoint": absolute("/oauth/token"),
            "app_registration_endpoint": absolute("/api/v1/apps"),
            "revocation_endpoint": absolute("/oauth/revoke"),
            "scopes_supported": list(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )
