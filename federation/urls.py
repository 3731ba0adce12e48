"""Discovery for other servers: NodeInfo (WebFinger and ActivityPub join it later)."""

from django.urls import URLPattern, path

from federation import nodeinfo

urlpatterns: list[URLPattern] = [
    path(".well-known/nodeinfo", nodeinfo.well_known, name="nodeinfo_well_known"),
    path("nodeinfo/2.0", nodeinfo.document, {"version": "2.0"}, name="nodeinfo_2_0"),
    path("nodeinfo/2.1", nodeinfo.document, {"version": "2.1"}, name="nodeinfo_2_1"),
]
