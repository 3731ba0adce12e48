"""Mastodon's Account, CredentialAccount, Relationship, FeaturedTag and Suggestion entities.

Entities are built as plain dicts: every documented key present (null or [] when empty), ids as
strings. A plain function is several times cheaper per item than a nested ModelSerializer, and
timelines render hundreds of accounts a second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from accounts.models import Account, FeaturedTag, User
from federation.uris import absolute, account_uri, account_url
from fedisocial.api.dates import iso, iso_date

if TYPE_CHECKING:
    from accounts.selectors import Suggestion

MISSING_AVATAR = "/static/avatars/original/missing.png"
MISSING_HEADER = "/static/headers/original/missing.png"


def _midnight(value: datetime) -> datetime:
    """Mastodon shows when an account was created to the day (created_at at midnight UTC)."""
    value = value.astimezone(UTC)
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def render_fields(account: Account) -> list[dict[str, Any]]:
    return [
        {
            "name": str(f.get("name", "")),
            "value": str(f.get("value", "")),
            "verified_at": f.get("verified_at"),
        }
        for f in (account.fields or [])
    ]


def render_account(account: Account) -> dict[str, Any]:
    avatar = account.avatar_remote_url or absolute(MISSING_AVATAR)
    header = account.header_remote_url or absolute(MISSING_HEADER)
    suspended = account.suspended_at is not None
    moved = account.moved_to if account.moved_to_id else None
    data: dict[str, Any] = {
        "id": str(account.id),
        "username": account.username,
        "acct": account.acct,
        "url": account_url(account),
        "uri": account_uri(account),
        "display_name": "" if suspended else account.display_name,
        "note": "" if suspended else account.note,
        "avatar": avatar,
        "avatar_static": avatar,
        "avatar_description": "",
        "header": header,
        "header_static": header,
        "header_description": "",
        "locked": account.locked,
        "fields": [] if suspended else render_fields(account),
        "emojis": [],
        "bot": account.bot,
        "group": account.group,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "hide_collections": account.hide_collections,
        "moved": render_account(moved) if moved is not None else None,
        "created_at": iso(_midnight(account.created_at)),
        "last_status_at": iso_date(account.last_status_at),
        "statuses_count": account.statuses_count,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "roles": [],
    }
    # Optional keys, as Mastodon's serializer sends them: present only when they apply (they
    # are not nullable, so a strict decoder rejects null).
    if account.domain is None:
        data["noindex"] = not account.indexable
    if suspended:
        data["suspended"] = True
    if account.silenced_at is not None:
        data["limited"] = True
    if account.memorial:
        data["memorial"] = True
    return data


ROLE_PERMISSIONS = {
    User.Role.OWNER: "1048575",
    User.Role.ADMIN: "983036",
    User.Role.MODERATOR: "1308",
    User.Role.USER: "0",
}
ROLE_IDS = {
    User.Role.USER: "-99",
    User.Role.MODERATOR: "1",
    User.Role.ADMIN: "2",
    User.Role.OWNER: "3",
}


def render_role(user: User) -> dict[str, Any]:
    name = "" if user.role == User.Role.USER else user.get_role_display()
    return {
        "id": ROLE_IDS.get(user.role, "-99"),
        "name": name,
        "permissions": ROLE_PERMISSIONS.get(user.role, "0"),
        "color": "",
        "highlighted": user.role != User.Role.USER,
    }


def render_credential_account(
    account: Account, *, follow_requests_count: int = 0
) -> dict[str, Any]:
    """The signed-in user's own account: adds ``source`` and ``role``."""
    data = render_account(account)
    user: User = account.user
    data["source"] = {
        "privacy": user.default_privacy,
        "sensitive": user.default_sensitive,
        "language": user.default_language or "",
        "note": account.note_source,
        "fields": [
            {"name": f["name"], "value": f.get("source", f["value"]), "verified_at": None}
            for f in (account.fields or [])
        ],
        "follow_requests_count": follow_requests_count,
        "hide_collections": bool(account.hide_collections),
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "attribution_domains": [],
        "quote_policy": "public",
    }
    data["role"] = render_role(user)
    return data


def render_accounts(accounts: list[Account]) -> list[dict[str, Any]]:
    return [render_account(a) for a in accounts]


def render_featured_tag(featured: FeaturedTag) -> dict[str, Any]:
    """Mastodon's FeaturedTag (as REST::FeaturedTagSerializer sends it, and as the entity page
    documents since 4.x): ``statuses_count`` a string, ``last_status_at`` a date. The live
    figures annotated by ``accounts.selectors.featured_tags`` win over the stored ones."""
    tag = featured.tag
    count = getattr(featured, "live_statuses_count", featured.statuses_count)
    last = getattr(featured, "live_last_status_at", featured.last_status_at)
    return {
        "id": str(featured.id),
        "name": tag.display_name or tag.name,
        "url": absolute(f"/@{featured.account.acct}/tagged/{quote(tag.name, safe='')}"),
        "statuses_count": str(count),
        "last_status_at": iso_date(last.astimezone(UTC)) if last is not None else None,
    }


# The deprecated ``source`` knows three values; Mastodon maps its newer ``sources`` onto them so.
LEGACY_SUGGESTION_SOURCE = {
    "featured": "staff",
    "most_followed": "global",
    "most_interactions": "global",
    "similar_to_recently_followed": "past_interactions",
    "friends_of_friends": "past_interactions",
}


def render_suggestion(suggestion: Suggestion) -> dict[str, Any]:
    """Mastodon's Suggestion (v2): ``sources`` says why; ``source`` is its 4.3-deprecated form."""
    return {
        "source": LEGACY_SUGGESTION_SOURCE[suggestion.sources[0]],
        "sources": list(suggestion.sources),
        "account": render_account(suggestion.account),
    }
