"""WSGI entry point: gunicorn serves the API and pages in production."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedisocial.settings")
application = get_wsgi_application()
