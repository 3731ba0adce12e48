"""The Celery application: fan-out, delivery and scheduled work run in its workers."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fedisocial.settings")

app = Celery("fedisocial")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
