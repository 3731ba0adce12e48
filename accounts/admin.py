"""Django admin for accounts and their relationships: plain lists to look things up.

Relationship rows are read-only here: counters and feeds follow them, so changes go through
``accounts.services`` (the API, or a management command)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.models import (
    Account,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    Follow,
    FollowRequest,
    Mute,
    User,
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("id", "username", "domain", "display_name", "locked", "bot", "suspended_at")
    list_filter = ("locked", "bot", "group")
    search_fields = ("username", "domain", "display_name")
    readonly_fields = (
        "id",
        "statuses_count",
        "followers_count",
        "following_count",
        "last_status_at",
        "created_at",
        "updated_at",
        "fetched_at",
    )
    exclude = ("private_key",)
    raw_id_fields = ("moved_to",)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("id", "email", "account", "role", "confirmed_at", "approved", "is_active")
    list_filter = ("role", "approved", "is_active")
    search_fields = ("email", "account__username")
    readonly_fields = ("created_at", "last_login")
    exclude = ("password", "confirmation_token", "groups", "user_permissions")
    raw_id_fields = ("account", "created_by_application")


class RelationshipAdmin(admin.ModelAdmin):
    list_display: tuple[str, ...] = ("id", "account", "target_account", "created_at")
    search_fields = ("account__username", "target_account__username")
    raw_id_fields = ("account", "target_account")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for model in (Follow, FollowRequest, Block, AccountPin):
    admin.site.register(model, RelationshipAdmin)


@admin.register(Mute)
class MuteAdmin(RelationshipAdmin):
    list_display = ("id", "account", "target_account", "hide_notifications", "expires_at")


@admin.register(AccountNote)
class AccountNoteAdmin(RelationshipAdmin):
    list_display = ("id", "account", "target_account")


@admin.register(AccountDomainBlock)
class AccountDomainBlockAdmin(RelationshipAdmin):
    list_display = ("id", "account", "domain", "created_at")
    search_fields = ("account__username", "domain")
    raw_id_fields = ("account",)
