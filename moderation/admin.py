"""Admin for server rules (shown in /api/v1/instance and /api/v1/instance/rules)."""

from django.contrib import admin

from moderation.models import Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("text", "hint", "priority")
    list_editable = ("priority",)
    list_display_links = ("text",)
    ordering = ("priority", "id")
    search_fields = ("text", "hint")
