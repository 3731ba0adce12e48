"""WSGI entry point: gunicorn serves the API and pages in production."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedisocial.settings")
application = get_wsgi_application()

# Django imports the URLconf, and with it every view and serializer module, on the first request.
# Import it now: gunicorn loads this module once before forking (preload_app), so the workers
# inherit these modules instead of each importing them while serving, and gunicorn.conf.py's
# pre_fork hook can set them aside from the garbage collector with the rest of the app.
get_resolver().url_patterns  # noqa: B018 - the property imports the URLconf
