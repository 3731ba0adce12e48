"""The URL table lists the busiest paths first; that order must not let one module's pattern
take a path another module's pattern was written for."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLES = {"int": "7", "str": "sample", "slug": "sample", "path": "sample/more"}


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, RegexPattern):
            route = str(pattern).lstrip("^").rstrip("$").replace("/?", "/")
            if re.search(r"[\\()\[\]*+?]", route):
                continue  # a real regular expression: no single sample path stands for it
        else:
            assert isinstance(pattern, RoutePattern)
            route = re.sub(
                r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], str(pattern)
            )
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + route)
        else:
            found.append((prefix + route, entry))
    return found


def test_every_api_and_federation_path_reaches_its_own_view() -> None:
    routes = [
        (path, entry)
        for path, entry in _patterns(get_resolver())
        if not path.startswith(("admin/", "_bench/"))
    ]
    assert len(routes) > 150  # the table was walked, not skipped
    shadowed = []
    for path, entry in routes:
        match = resolve("/" + path)
        if match.func is not entry.callback:
            shadowed.append((path, match.route))
    assert shadowed == [], "paths taken by another pattern (path, the pattern that took it)"
