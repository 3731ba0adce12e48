"""ASGI entry point: HTTP (Django) and, with the streaming issue, WebSocket (Channels)."""

import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedisocial.settings")
django_asgi = get_asgi_application()

application = ProtocolTypeRouter({"http": django_asgi})
