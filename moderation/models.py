"""Server rules and, later, reports, domain blocks and account actions."""

from __future__ import annotations

from django.db import models


class Rule(models.Model):
    """A server rule shown in /api/v1/instance and at sign-up."""

    id = models.BigAutoField(primary_key=True)
    text = models.TextField()
    hint = models.TextField(blank=True, default="")
    priority = models.IntegerField(default=0)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.text
