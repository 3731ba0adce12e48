"""Path handling shared by the client API, OAuth and discovery endpoints.

- Paths answer with or without a trailing slash and never redirect.
- CORS as Mastodon sends it, so browser apps (Elk, Phanpy) can call the API and read ``Link``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CORS_PREFIXES = (
    "/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo/", "/users/", "/@",
)  # fmt: skip
SLASHLESS_PREFIXES = (
    "/api/", "/oauth/", "/.well-known/", "/nodeinfo/", "/users/", "/@", "/inbox", "/actor",
)  # fmt: skip


class ApiPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if len(path) > 1 and path.endswith("/") and path.startswith(SLASHLESS_PREFIXES):
            request.path_info = path.rstrip("/") or "/"
            request.path = request.path.rstrip("/") or "/"
        cors = request.path_info.startswith(CORS_PREFIXES)
        if (
            cors
            and request.method == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in (request.META)
        ):
            response = HttpResponse(status=200)
            response["Access-Control-Allow-Methods"] = "POST, PUT, DELETE, GET, PATCH, OPTIONS"
            response["Access-Control-Allow-Headers"] = request.META.get(
                "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "Authorization, Content-Type"
            )
            response["Access-Control-Max-Age"] = "7200"
        else:
            response = self.get_response(request)
            _release(response)
        if cors:
            response["Access-Control-Allow-Origin"] = "*"
            response["Access-Control-Expose-Headers"] = (
                "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, "
                "Idempotency-Key"
            )
        return response


def _release(response: HttpResponse) -> None:
    """Let a rendered API response's page go when the request ends, not at the next garbage
    collection. DRF ties the response, its view and the request into reference cycles (the
    renderer context names the view, the view keeps the response), so everything the view
    built (the page's data as well as the rendered body) waited for the cyclic collector;
    with pages assembled from pre-encoded JSON few container objects are made per request, the
    collector runs rarely, and a busy worker carried dozens of finished pages."""
    context = getattr(response, "renderer_context", None)
    if not context:
        return
    view = context.get("view")
    if view is not None:
        view.response = None
    response.renderer_context = None
    response.data = None
