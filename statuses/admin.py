"""Django admin for statuses; actions go through the services, as the API does."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from statuses import services
from statuses.models import Poll, ScheduledStatus, Status, StatusEdit, Tag


@admin.register(Status)
class StatusAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "visibility", "local", "created_at", "deleted_at")
    list_filter = ("visibility", "local")
    search_fields = ("text", "account__username", "uri")
    raw_id_fields = ("account", "in_reply_to", "in_reply_to_account", "reblog", "conversation")
    readonly_fields = ("content", "replies_count", "reblogs_count", "favourites_count")
    actions = ("discard_selected",)

    @admin.action(description="Delete selected statuses (as their author would)")
    def discard_selected(self, request: HttpRequest, queryset: QuerySet[Status]) -> None:
        for status in queryset.filter(deleted_at__isnull=True):
            services.discard_status(status)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name", "created_at")
    search_fields = ("name",)


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "expires_at", "votes_count", "closed_notified")
    raw_id_fields = ("status", "account")


@admin.register(StatusEdit)
class StatusEditAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "account", "created_at")
    raw_id_fields = ("status", "account")


@admin.register(ScheduledStatus)
class ScheduledStatusAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "scheduled_at")
    raw_id_fields = ("account",)
