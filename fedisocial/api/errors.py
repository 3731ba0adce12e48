"""Errors as Mastodon sends them: ``{"error": "..."}`` with its status codes, never a trace."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response

logger = logging.getLogger(__name__)


class UnprocessableEntity(exceptions.APIException):
    status_code = 422
    default_detail = "Validation failed"


class Forbidden(exceptions.APIException):
    status_code = 403
    default_detail = "This action is not allowed"


class Gone(exceptions.APIException):
    status_code = 410
    default_detail = "Gone"


class NotImplementedYet(exceptions.APIException):
    """An honest 501 for a documented endpoint this server does not provide yet."""

    status_code = 501
    default_detail = "This feature is not available on this server yet"


def _message(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(_message(d) for d in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_message(v)}" for k, v in detail.items())
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, (Http404, ObjectDoesNotExist, exceptions.NotFound)):
        return Response({"error": "Record not found"}, status=404)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        detail = exc.detail if isinstance(exc, exceptions.AuthenticationFailed) else None
        return Response({"error": str(detail or "The access token is invalid")}, status=401)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"error": "This action is not allowed"}, status=403)
    if isinstance(exc, exceptions.ValidationError):
        return Response({"error": f"Validation failed: {_message(exc.detail)}"}, status=422)
    if isinstance(exc, exceptions.ParseError):
        return Response({"error": _message(exc.detail)}, status=400)
    if isinstance(exc, exceptions.Throttled):
        if exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait))
        return Response({"error": "Too many requests"}, status=429, headers=headers)
    if isinstance(exc, exceptions.APIException):
        return Response({"error": _message(exc.detail)}, status=exc.status_code)
    logger.exception("Unhandled API error", exc_info=exc)
    return Response({"error": "An unexpected error occurred"}, status=500)


def _is_api_path(path: str) -> bool:
    return path.startswith(("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo"))


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if _is_api_path(request.path):
        return JsonResponse({"error": "Record not found"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> Any:
    if _is_api_path(request.path):
        return JsonResponse({"error": "An unexpected error occurred"}, status=500)
    from django.views.defaults import server_error

    return server_error(request)
