"""NodeInfo 2.0 and 2.1 (https://nodeinfo.diaspora.software): what other servers and crawlers
learn about this one. The counts are the instance API's, so both always agree."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from federation.uris import absolute
from fedisocial.api import instance

SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
VERSIONS = ("2.0", "2.1")


def _json(data: dict[str, Any], content_type: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data), content_type=content_type)
    response["Cache-Control"] = "max-age=1800, public"
    return response


def links() -> dict[str, Any]:
    return {
        "links": [
            {"rel": SCHEMA.format(version=v), "href": absolute(f"/nodeinfo/{v}")} for v in VERSIONS
        ]
    }


def nodeinfo(version: str) -> dict[str, Any]:
    software: dict[str, str] = {"name": "fedisocial", "version": settings.FEDISOCIAL_VERSION}
    if version != "2.0":
        # 2.0's schema allows only name and version.
        source = instance.source_url()
        if source:
            software["repository"] = source
            software["homepage"] = source
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "usage": {
            "users": {
                "total": instance.user_count(),
                "activeMonth": instance.active_user_count(instance.ACTIVE_MONTH),
                "activeHalfyear": instance.active_user_count(instance.ACTIVE_HALFYEAR),
            },
            "localPosts": instance.local_status_count(),
        },
        "openRegistrations": instance.registrations_open(),
        "metadata": {
            "nodeName": settings.SITE_TITLE,
            "nodeDescription": settings.SITE_DESCRIPTION,
        },
    }


@require_safe
def well_known(request: HttpRequest) -> HttpResponse:
    return _json(links(), "application/json")


@require_safe
def document(request: HttpRequest, version: str) -> HttpResponse:
    profile = f'application/json; profile="{SCHEMA.format(version=version)}#"'
    return _json(nodeinfo(version), profile)
