"""Server discovery: /api/v1|v2/instance and its sub-resources, custom emojis, announcements,
the front page and the health check.

The counts here (users, posts, active users, peers) are the ones NodeInfo reports too
(federation/nodeinfo.py), so the two never disagree.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_safe
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.apps import vapid_public_key
from accounts.models import Account, User
from federation.uris import absolute
from fedisocial.api.dates import iso
from fedisocial.api.views import MastodonView
from moderation.models import Rule
from statuses.models import Status

logger = logging.getLogger(__name__)

# When the running configuration (SITE_DESCRIPTION and friends, read from the environment) took
# effect: the `updated_at` of the documents built from it.
CONFIGURED_AT = datetime.now(UTC)

ACTIVE_MONTH = timedelta(days=28)  # "active users in the past 4 weeks"
ACTIVE_HALFYEAR = timedelta(days=180)
ACTIVITY_WEEKS = 12

SUPPORTED_MIME_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
MEDIA_LIMITS = {
    "description_limit": 1500,
    "image_size_limit": 16 * 1024 * 1024,
    "image_matrix_limit": 33_177_600,  # 7680x4320
    "video_size_limit": 99 * 1024 * 1024,
    "video_frame_rate_limit": 120,
    "video_matrix_limit": 8_294_400,  # 3840x2160
}
ACCOUNT_LIMITS = {
    "max_display_name_length": 30,
    "max_note_length": 500,
    "max_avatar_description_length": 1500,
    "max_header_description_length": 1500,
    "max_featured_tags": 10,
    "max_pinned_statuses": 5,
    "max_profile_fields": 4,
    "profile_field_name_limit": 255,
    "profile_field_value_limit": 255,
}
MAX_MEDIA_ATTACHMENTS = 4
CHARACTERS_RESERVED_PER_URL = 23
POLL_MIN_EXPIRATION = 300
POLL_MAX_EXPIRATION = 2_629_746


# --- Counts shared with NodeInfo ---------------------------------------------------------------


def _counted_users() -> QuerySet[User]:
    """Local users as Mastodon counts them: confirmed, enabled, not suspended."""
    return User.objects.filter(
        confirmed_at__isnull=False, is_active=True, account__suspended_at__isnull=True
    )


def user_count() -> int:
    return _counted_users().count()


def active_user_count(within: timedelta) -> int:
    """Users who signed in or posted within ``within``."""
    since = timezone.now() - within
    return (
        _counted_users()
        .filter(Q(last_login__gte=since) | Q(account__last_status_at__gte=since))
        .count()
    )


def local_status_count() -> int:
    return Status.objects.filter(local=True, deleted_at__isnull=True).count()


def peer_domains() -> list[str]:
    """Every remote domain this server knows an account on, sorted."""
    return sorted(Account.objects.remote().values_list("domain", flat=True).distinct().order_by())


def domain_count() -> int:
    return Account.objects.remote().values("domain").distinct().order_by().count()


def registrations_open() -> bool:
    return settings.REGISTRATIONS_MODE != "none"


def approval_required() -> bool:
    return settings.REGISTRATIONS_MODE == "approved"


# --- Pieces of the Instance entities -----------------------------------------------------------


def version_string() -> str:
    return (
        f"{settings.MASTODON_COMPAT_VERSION} (compatible; Fedisocial {settings.FEDISOCIAL_VERSION})"
    )


def source_url() -> str:
    """Where this server's source is: SOURCE_URL, else the archive it serves itself."""
    return settings.SOURCE_URL or absolute("/source.tar.gz")


def streaming_url() -> str:
    return f"{'wss' if settings.LOCAL_HTTPS else 'ws'}://{settings.LOCAL_DOMAIN}"


def thumbnail_url() -> str:
    return absolute("/static/headers/original/missing.png")


def render_rule(rule: Rule) -> dict[str, Any]:
    return {"id": str(rule.id), "text": rule.text, "hint": rule.hint, "translations": {}}


def rules() -> list[dict[str, Any]]:
    return [render_rule(rule) for rule in Rule.objects.order_by("priority", "id")]


def contact_account() -> dict[str, Any] | None:
    """The first owner (else admin) account, rendered as an Account entity."""
    staff = (
        User.objects.select_related("account")
        .filter(is_active=True, account__suspended_at__isnull=True)
        .order_by("id")
    )
    user = staff.filter(role=User.Role.OWNER).first() or staff.filter(role=User.Role.ADMIN).first()
    if user is None:
        return None
    try:
        from accounts.api import serializers
    except ImportError:
        return None
    render = getattr(serializers, "render_account", None)
    if render is not None:
        return render(user.account)
    serializer_class = getattr(serializers, "AccountSerializer", None)
    if serializer_class is None:
        return None
    return serializer_class(user.account).data


def polls_configuration() -> dict[str, int]:
    return {
        "max_options": settings.MAX_POLL_OPTIONS,
        "max_characters_per_option": settings.MAX_POLL_OPTION_CHARS,
        "min_expiration": POLL_MIN_EXPIRATION,
        "max_expiration": POLL_MAX_EXPIRATION,
    }


def statuses_configuration() -> dict[str, int]:
    return {
        "max_characters": settings.MAX_STATUS_CHARS,
        "max_media_attachments": MAX_MEDIA_ATTACHMENTS,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def media_configuration(*, v1: bool = False) -> dict[str, Any]:
    limits = dict(MEDIA_LIMITS)
    if v1:
        limits.pop("description_limit")
    return {"supported_mime_types": list(SUPPORTED_MIME_TYPES), **limits}


def instance_v2() -> dict[str, Any]:
    public = "public"
    return {
        "domain": settings.LOCAL_DOMAIN,
        "title": settings.SITE_TITLE,
        "version": version_string(),
        "source_url": source_url(),
        "description": settings.SITE_DESCRIPTION,
        "wrapstodon": None,
        "usage": {"users": {"active_month": active_user_count(ACTIVE_MONTH)}},
        "thumbnail": {"url": thumbnail_url(), "description": ""},
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": streaming_url(),
                "status": None,
                "about": absolute("/about"),
                "privacy_policy": absolute("/privacy-policy"),
                "terms_of_service": None,
            },
            "vapid": {"public_key": vapid_public_key()},
            "accounts": dict(ACCOUNT_LIMITS),
            "statuses": statuses_configuration(),
            "media_attachments": media_configuration(),
            "polls": polls_configuration(),
            "translation": {"enabled": False},
            "timelines_access": {
                "live_feeds": {"local": public, "remote": public},
                "hashtag_feeds": {"local": public, "remote": public},
                "trending_link_feeds": {"local": public, "remote": public},
            },
            "limited_federation": False,
        },
        "registrations": {
            "enabled": registrations_open(),
            "approval_required": approval_required(),
            "message": None,
            "min_age": None,
            "reason_required": approval_required(),
            "url": None,
        },
        "api_versions": {"mastodon": settings.MASTODON_API_VERSION},
        "contact": {"email": settings.SITE_CONTACT_EMAIL, "account": contact_account()},
        "rules": rules(),
    }


def instance_v1() -> dict[str, Any]:
    return {
        "uri": settings.LOCAL_DOMAIN,
        "title": settings.SITE_TITLE,
        "short_description": settings.SITE_DESCRIPTION,
        "description": settings.SITE_DESCRIPTION,
        "email": settings.SITE_CONTACT_EMAIL,
        "version": version_string(),
        "urls": {"streaming_api": streaming_url()},
        "stats": {
            "user_count": user_count(),
            "status_count": local_status_count(),
            "domain_count": domain_count(),
        },
        "thumbnail": thumbnail_url(),
        "languages": ["en"],
        "registrations": registrations_open(),
        "approval_required": approval_required(),
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": ACCOUNT_LIMITS["max_featured_tags"]},
            "statuses": statuses_configuration(),
            "media_attachments": media_configuration(v1=True),
            "polls": polls_configuration(),
        },
        "contact_account": contact_account(),
        "rules": rules(),
    }


def _week_counts(queryset: Any, field: str, weeks: list[datetime]) -> list[int]:
    """How many rows of ``queryset`` have ``field`` in each week starting at ``weeks[i]``."""
    aggregates = {
        f"w{i}": Count(
            "pk", filter=Q(**{f"{field}__gte": start, f"{field}__lt": start + timedelta(days=7)})
        )
        for i, start in enumerate(weeks)
    }
    oldest = min(weeks)
    totals = queryset.filter(**{f"{field}__gte": oldest}).aggregate(**aggregates)
    return [totals[f"w{i}"] or 0 for i in range(len(weeks))]


def weekly_activity() -> list[dict[str, str]]:
    """Twelve weeks, newest first, each starting at midnight UTC on a Monday.

    ``logins`` counts the users whose latest sign-in falls in the week (only the latest is kept).
    """
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    this_week = today - timedelta(days=today.weekday())
    weeks = [this_week - timedelta(weeks=i) for i in range(ACTIVITY_WEEKS)]
    statuses = _week_counts(Status.objects.filter(local=True), "created_at", weeks)
    logins = _week_counts(User.objects.all(), "last_login", weeks)
    registrations = _week_counts(User.objects.all(), "created_at", weeks)
    return [
        {
            "week": str(int(start.timestamp())),
            "statuses": str(statuses[i]),
            "logins": str(logins[i]),
            "registrations": str(registrations[i]),
        }
        for i, start in enumerate(weeks)
    ]


def extended_description_html() -> str:
    extended = getattr(settings, "SITE_EXTENDED_DESCRIPTION", "")
    return extended or f"<p>{escape(settings.SITE_DESCRIPTION)}</p>"


def privacy_policy_html() -> str:
    domain = escape(settings.LOCAL_DOMAIN)
    return (
        f"<p>This privacy policy describes how {domain} collects and uses the information you "
        "provide through its website and API.</p>\n"
        "<h1>What information do we collect?</h1>\n"
        "<ul>\n"
        "<li><strong>Basic account information</strong>: a username, an e-mail address and a "
        "password. Your profile (display name, bio, avatar and header) is public.</li>\n"
        "<li><strong>Posts and relationships</strong>: public posts and the accounts you follow "
        "are public. Followers-only and direct posts are stored on this server and delivered to "
        "their recipients' servers; their operators can read them.</li>\n"
        "<li><strong>Sign-ins</strong>: the time of your latest sign-in.</li>\n"
        "</ul>\n"
        "<h1>How do we use it?</h1>\n"
        "<p>Only to run this service. It is not sold or shared beyond the federation of posts "
        "described above.</p>\n"
    )


LANGUAGES = sorted(
    ({"code": code, "name": info["name"]} for code, info in LANG_INFO.items() if "name" in info),
    key=lambda lang: lang["code"],
)


# --- Views -------------------------------------------------------------------------------------


class PublicView(MastodonView):
    public_methods = ("GET",)


class InstanceV2View(PublicView):
    def get(self, request: Request) -> Response:
        return Response(instance_v2())


class InstanceV1View(PublicView):
    def get(self, request: Request) -> Response:
        return Response(instance_v1())


class PeersView(PublicView):
    def get(self, request: Request) -> Response:
        return Response(peer_domains())


class ActivityView(PublicView):
    def get(self, request: Request) -> Response:
        return Response(weekly_activity())


class RulesView(PublicView):
    def get(self, request: Request) -> Response:
        return Response(rules())


class ExtendedDescriptionView(PublicView):
    def get(self, request: Request) -> Response:
        return Response({"updated_at": iso(CONFIGURED_AT), "content": extended_description_html()})


class PrivacyPolicyView(PublicView):
    def get(self, request: Request) -> Response:
        return Response({"updated_at": iso(CONFIGURED_AT), "content": privacy_policy_html()})


class TermsOfServiceView(PublicView):
    """No terms of service are configured: Mastodon's 404."""

    def get(self, request: Request, date: str | None = None) -> Response:
        return Response({"error": "Record not found"}, status=404)


class DomainBlocksView(PublicView):
    """The moderated servers; this server publishes its (so far empty) list to everyone."""

    def get(self, request: Request) -> Response:
        return Response([])


class TranslationLanguagesView(PublicView):
    def get(self, request: Request) -> Response:
        return Response({})


class LanguagesView(PublicView):
    def get(self, request: Request) -> Response:
        return Response(LANGUAGES)


class CustomEmojisView(PublicView):
    def get(self, request: Request) -> Response:
        return Response([])


class AnnouncementsView(MastodonView):
    """Server announcements: a user token with ``read`` is required, as on Mastodon."""

    scopes = {"GET": "read"}

    def get(self, request: Request) -> Response:
        return Response([])


# --- Plain pages -------------------------------------------------------------------------------


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """``OK`` when the process is up and its database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database is unavailable")
        return HttpResponse(
            "database unavailable", status=503, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse("OK", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _page(title: str, body: str) -> HttpResponse:
    site = escape(settings.SITE_TITLE)
    html = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="description" content="{escape(settings.SITE_DESCRIPTION)}">\n'
        "</head>\n<body>\n"
        f'<header><a href="/">{site}</a></header>\n<main>\n{body}</main>\n'
        "</body>\n</html>\n"
    )
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@require_safe
def front_page(request: HttpRequest) -> HttpResponse:
    """``/`` and ``/about``: what this server is and how to use it."""
    domain = escape(settings.LOCAL_DOMAIN)
    body = (
        f"<h1>{escape(settings.SITE_TITLE)}</h1>\n"
        f"{extended_description_html()}\n"
        f"<p>{domain} is a Fedisocial server. Sign in with any Mastodon app by entering "
        f"<code>{domain}</code> as your server.</p>\n"
        '<p><a href="/privacy-policy">Privacy policy</a></p>\n'
    )
    return _page(settings.SITE_TITLE, body)


@require_safe
def privacy_policy_page(request: HttpRequest) -> HttpResponse:
    return _page(f"Privacy policy - {settings.SITE_TITLE}", privacy_policy_html())
