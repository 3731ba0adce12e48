"""Server rules, instance domain blocks and reports (account actions later)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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


class DomainBlock(models.Model):
    """An instance-wide block of a remote domain (and its subdomains), as Mastodon's
    DomainBlock. ``suspend``: nothing is accepted from it or sent to it; ``silence``: its
    accounts are limited; ``noop``: only the media/report options apply."""

    class Severity(models.TextChoices):
        SILENCE = "silence"
        SUSPEND = "suspend"
        NOOP = "noop"

    id = models.BigAutoField(primary_key=True)
    domain = models.CharField(max_length=255, unique=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.SUSPEND)
    reject_media = models.BooleanField(default=False)
    reject_reports = models.BooleanField(default=False)
    private_comment = models.TextField(blank=True, default="")
    public_comment = models.TextField(blank=True, default="")
    obfuscate = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.domain} ({self.severity})"


class Report(models.Model):
    """A report about an account (and some of its statuses), made by a local user or
    forwarded by a remote server (an ActivityPub Flag)."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+", help_text="Reporter"
    )
    target_account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="+"
    )
    status_ids = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True, default="")
    category = models.CharField(max_length=16, default="other")
    forwarded = models.BooleanField(default=False)
    uri = models.CharField(max_length=2048, blank=True, default="")
    action_taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"report {self.id} on {self.target_account_id}"
