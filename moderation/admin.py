"""Admin for server rules (shown in /api/v1/instance and /api/v1/instance/rules)."""

from django.contrib import admin

from moderation.models import DomainBlock, Report, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("text", "hint", "priority")
    list_editable = ("priority",)
    list_display_links = ("text",)
    ordering = ("priority", "id")
    search_fields = ("text", "hint")


@admin.register(DomainBlock)
class DomainBlockAdmin(admin.ModelAdmin):
    list_display = ("domain", "severity", "reject_media", "reject_reports", "created_at")
    search_fields = ("domain",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "target_account", "category", "forwarded", "created_at")
    raw_id_fields = ("account", "target_account")
