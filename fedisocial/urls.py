"""URL table. Client-API paths mirror Mastodon's; each app owns its own ``api/urls.py``."""

from django.contrib import admin
from django.urls import include, path

handler404 = "fedisocial.api.errors.handler404"
handler500 = "fedisocial.api.errors.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
]
