"""Includes of the URL table that a path skips at once when none of their routes can match it.

Django tries an include's patterns one by one, and for each that does not match it records what
it tried (for the debug 404 page): a request for the inbox walked ~70 timeline and status patterns
and built a list for each, 8 % of accepting an activity. An ``app_urls`` include first compares
the path with the literal start of each of its routes (one ``str.startswith`` of a tuple) and
steps aside when none fits. Routes only: an include with a regular expression pattern is tried
as Django would.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import Resolver404, URLResolver, include
from django.urls.resolvers import RoutePattern
from django.utils.functional import cached_property


class PrefixSkippingResolver(URLResolver):
    @cached_property
    def route_starts(self) -> tuple[str, ...] | None:
        """The literal start of every route (up to its first converter), or None when a
        pattern is not a route."""
        starts = []
        for entry in self.url_patterns:
            if not isinstance(entry.pattern, RoutePattern):
                return None
            starts.append(str(entry.pattern).split("<", 1)[0])
        return tuple(starts)

    def resolve(self, path: Any) -> Any:
        starts = self.route_starts
        if starts is not None and not settings.DEBUG and not str(path).startswith(starts):
            raise Resolver404({"path": path})
        return super().resolve(path)


def app_urls(module: str) -> PrefixSkippingResolver:
    """``path("", include(module))``, skipped by paths none of its routes can match."""
    urlconf, app_name, namespace = include(module)
    return PrefixSkippingResolver(
        RoutePattern("", is_endpoint=False), urlconf, app_name=app_name, namespace=namespace
    )
