"""Admin views on lists, notifications, markers and conversations (feeds are a cache)."""

from __future__ import annotations

from django.contrib import admin

from timelines.models import AccountConversation, List, ListAccount, Marker, Notification


class ListAccountInline(admin.TabularInline):
    model = ListAccount
    raw_id_fields = ("account",)
    extra = 0


@admin.register(List)
class ListAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "account", "replies_policy", "exclusive", "created_at")
    list_filter = ("replies_policy", "exclusive")
    search_fields = ("title", "account__username")
    raw_id_fields = ("account",)
    inlines = (ListAccountInline,)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "type", "account", "from_account", "status", "created_at")
    list_filter = ("type",)
    search_fields = ("account__username", "from_account__username")
    raw_id_fields = ("account", "from_account", "status")


@admin.register(Marker)
class MarkerAdmin(admin.ModelAdmin):
    list_display = ("account", "timeline", "last_read_id", "version", "updated_at")
    raw_id_fields = ("account",)


@admin.register(AccountConversation)
class AccountConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "conversation", "last_status", "unread", "updated_at")
    raw_id_fields = ("account", "conversation", "last_status")
