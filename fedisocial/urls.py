"""URL table. Client-API paths mirror Mastodon's; each app owns its own url modules."""

from django.conf import settings
from django.contrib import admin
from django.urls import path

from fedisocial.api.search import SearchView
from fedisocial.source import source_archive
from fedisocial.url_includes import app_urls

handler404 = "fedisocial.api.errors.handler404"
handler500 = "fedisocial.api.errors.handler500"

# Django tries these in order; an app's include is stepped over at once by a path none of its
# routes can start (fedisocial/url_includes.py). The busiest paths come first (timelines,
# statuses, the inboxes); no path matches patterns of two modules, so the order changes nothing
# else (tests/test_urls.py checks that).
urlpatterns = [
    app_urls("timelines.api.urls"),
    app_urls("statuses.api.urls"),
    app_urls("federation.urls"),  # inboxes, actors, NodeInfo, WebFinger
    app_urls("accounts.api.urls"),
    app_urls("fedisocial.api.urls"),  # instance, health, custom emojis, announcements
    app_urls("accounts.urls"),  # OAuth 2 and sign-in pages
    path("api/v2/search", SearchView.as_view()),
    path("source.tar.gz", source_archive),
    path("admin/", admin.site.urls),
]

if settings.BENCH_ANCHORS:
    urlpatterns.insert(0, app_urls("fedisocial.bench.anchors"))
