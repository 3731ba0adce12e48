"""Writes on accounts: creation, profile updates, relationships (follow, block, mute...)."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts import policies
from accounts.keys import generate_key_pair
from accounts.models import (
    Account,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    Block,
    FeaturedTag,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
    User,
)
from accounts.selectors import featured_tag_usage
from federation import outbox as federation
from statuses.formatting import is_valid_hashtag, normalize_hashtag
from statuses.models import Tag
from timelines.models import Notification
from timelines.notifications import notify as notify_account
from timelines.tasks import merge_into_home_task, unmerge_from_home_task

try:
    from statuses.formatting import format_bio
except ImportError:  # statuses.formatting is being written in parallel: plain paragraphs till then

    def format_bio(text: str) -> str:
        paragraphs = [p for p in re.split(r"\r?\n\s*\r?\n", text.strip()) if p.strip()]
        return "".join(
            "<p>" + "<br />".join(linkify(line) for line in p.splitlines()) + "</p>"
            for p in paragraphs
        )


USERNAME_RE = re.compile(r"^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$", re.IGNORECASE)


class AccountError(Exception):
    """A request that cannot be honoured; the message is shown to the user (422)."""


@transaction.atomic
def create_local_account(
    *,
    username: str,
    email: str,
    password: str | None = None,
    role: str = User.Role.USER,
    locked: bool = False,
    locale: str = "en",
    discoverable: bool | None = None,
    confirmed: bool = True,
    approved: bool = True,
    reason: str = "",
    application: object | None = None,
) -> tuple[Account, User]:
    """A local account and its login. Raises AccountError when the username or e-mail is taken."""
    if not USERNAME_RE.match(username) or len(username) > 30:
        raise AccountError("Username must contain only letters, numbers and underscores")
    if Account.objects.local().filter(username__iexact=username).exists():
        raise AccountError(f"Username {username} is already taken")
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError(f"E-mail {email} is already taken")
    private_key, public_key = generate_key_pair()
    account = Account.objects.create(
        username=username,
        locked=locked,
        discoverable=discoverable,
        indexable=bool(discoverable),
        private_key=private_key,
        public_key=public_key,
    )
    user = User(
        email=email,
        account=account,
        role=role,
        # Owners and admins manage the server in Django admin with every permission.
        is_superuser=role in (User.Role.OWNER, User.Role.ADMIN),
        locale=locale,
        confirmed_at=timezone.now() if confirmed else None,
        confirmation_token="" if confirmed else secrets.token_urlsafe(24),
        approved=approved,
        registration_reason=reason,
        created_by_application=application,
    )
    user.set_password(password)
    user.save()
    return account, user


# --- Errors the API maps to status codes ---------------------------------------------------------


class NotPermittedError(Exception):
    """The action is refused outright (403): a block either way, following yourself..."""

    def __init__(self, message: str = "This action is not allowed") -> None:
        super().__init__(message)


# --- Profile -------------------------------------------------------------------------------------

DISPLAY_NAME_MAX = 30
NOTE_MAX = 500
MAX_FIELDS = 4
FIELD_NAME_MAX = 255
FIELD_VALUE_MAX = 255
ACCOUNT_NOTE_MAX = 2000
PRIVACY_CHOICES = ("public", "unlisted", "private")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)


def linkify(text: str, *, rel: str = "nofollow noopener noreferrer") -> str:
    """Escape plain text and turn http(s) URLs into links, marked up as Mastodon does (profile
    field links carry ``rel="me"`` so that a linked page can verify them later)."""
    out: list[str] = []
    last = 0
    for match in _URL_RE.finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="{rel}" '
            f'translate="no"><span class="invisible">{html.escape(scheme)}://</span>'
            f'<span class="">{html.escape(rest, quote=False)}</span>'
            '<span class="invisible"></span></a>'
        )
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out)


@dataclass(frozen=True)
class ProfileField:
    name: str
    value: str


@transaction.atomic
def update_profile(
    account: Account,
    *,
    display_name: str | None = None,
    note: str | None = None,
    locked: bool | None = None,
    bot: bool | None = None,
    discoverable: bool | None = None,
    indexable: bool | None = None,
    hide_collections: bool | None = None,
    fields: list[ProfileField] | None = None,
    default_privacy: str | None = None,
    default_sensitive: bool | None = None,
    default_language: str | None = None,
) -> Account:
    """Mastodon's UpdateAccountService for a local account; ``None`` leaves a value as it is.

    Raises AccountError (422) with Mastodon's "Validation failed: ..." messages. Unlocking an
    account accepts its pending follow requests, as Mastodon does."""
    errors: list[str] = []
    if display_name is not None and len(display_name) > DISPLAY_NAME_MAX:
        errors.append(f"Display name is too long (maximum is {DISPLAY_NAME_MAX} characters)")
    if note is not None and len(note) > NOTE_MAX:
        errors.append(f"Note is too long (maximum is {NOTE_MAX} characters)")
    if fields is not None:
        fields = [f for f in fields if f.name.strip() or f.value.strip()]
        if len(fields) > MAX_FIELDS:
            errors.append(f"Fields is too long (maximum is {MAX_FIELDS} fields)")
        if any(len(f.name) > FIELD_NAME_MAX or len(f.value) > FIELD_VALUE_MAX for f in fields):
            errors.append(f"Fields must be at most {FIELD_VALUE_MAX} characters each")
    if default_privacy is not None and default_privacy not in PRIVACY_CHOICES:
        errors.append("Default privacy is not included in the list")
    if default_language and not LANGUAGE_RE.match(default_language):
        errors.append("Default language is not included in the list")
    if errors:
        raise AccountError("Validation failed: " + ", ".join(errors))

    was_locked = account.locked
    if display_name is not None:
        account.display_name = display_name.strip()
    if note is not None:
        account.note_source = note
        account.note = format_bio(note) if note.strip() else ""
    for name, value in (
        ("locked", locked),
        ("bot", bot),
        ("discoverable", discoverable),
        ("indexable", indexable),
        ("hide_collections", hide_collections),
    ):
        if value is not None:
            setattr(account, name, value)
    if fields is not None:
        account.fields = [
            {
                "name": f.name.strip(),
                "value": linkify(f.value.strip(), rel="me nofollow noopener noreferrer"),
                "source": f.value.strip(),
                "verified_at": None,
            }
            for f in fields
        ]
    account.save()

    user: User = account.user
    user_changed = False
    if default_privacy is not None:
        user.default_privacy = default_privacy
        user_changed = True
    if default_sensitive is not None:
        user.default_sensitive = default_sensitive
        user_changed = True
    if default_language is not None:
        user.default_language = default_language or None
        user_changed = True
    if user_changed:
        user.save(update_fields=["default_privacy", "default_sensitive", "default_language"])

    if was_locked and not account.locked:
        pending = FollowRequest.objects.filter(target_account_id=account.id).select_related(
            "account"
        )
        for request in pending:
            authorize_follow_request(account, request.account)
    federation.notify("account.updated", account_id=account.id)
    return account


# --- Counters and cleanup shared by the relationship services ------------------------------------


def _count_follow(follower_id: int, target_id: int, delta: int) -> None:
    Account.objects.filter(id=follower_id).update(
        following_count=Greatest(F("following_count") + delta, Value(0))
    )
    Account.objects.filter(id=target_id).update(
        followers_count=Greatest(F("followers_count") + delta, Value(0))
    )


def _delete_keeping_id(row: Follow | FollowRequest | Block) -> None:
    """Delete a relationship row but keep its id on the instance: the activity that tells a
    remote server it ended (Undo, Reject) names it by that id."""
    row_id = row.id
    row.delete()
    row.id = row_id


def _drop_follow(follower: Account, target: Account, *, unmerge: bool = True) -> Follow | None:
    """Delete a follow and what hangs on it (counters, the endorsement, the follower's feed
    unless the caller unmerges itself); the deleted follow, None if there was none."""
    follow = Follow.objects.filter(account_id=follower.id, target_account_id=target.id).first()
    if follow is None:
        return None
    _delete_keeping_id(follow)
    _count_follow(follower.id, target.id, -1)
    # Mastodon removes an endorsement with the follow it depends on.
    AccountPin.objects.filter(account_id=follower.id, target_account_id=target.id).delete()
    if unmerge and follower.local:
        unmerge_from_home_task.delay_on_commit(follower.id, target.id)
    return follow


def _drop_follow_request(requester: Account, target: Account) -> FollowRequest | None:
    """Delete a pending request and its follow_request notification; the deleted request,
    None if there was none."""
    request = FollowRequest.objects.filter(
        account_id=requester.id, target_account_id=target.id
    ).first()
    if request is None:
        return None
    _delete_keeping_id(request)
    Notification.objects.filter(
        account_id=target.id,
        from_account_id=requester.id,
        type=Notification.Type.FOLLOW_REQUEST,
    ).delete()
    return request


def _federate_relationship(
    event: str, relation: Follow | FollowRequest | Block | None, account_id: int, target_id: int
) -> None:
    """Tell a remote party that a relationship between ``account_id`` and ``target_id`` ended
    (``follow.undone``, ``follow.rejected``, ``block.deleted``): the row is gone by the time
    the publisher runs, so its id and uri travel with the event."""
    if relation is None:
        return
    federation.notify(
        event,
        account_id=account_id,
        target_id=target_id,
        **{"follow_id" if event.startswith("follow") else "block_id": relation.id},
        uri=relation.uri,
    )


def _create_follow(
    follower: Account,
    target: Account,
    *,
    reblogs: bool,
    notify: bool,
    languages: list[str] | None,
    uri: str = "",
) -> Follow:
    follow, created = Follow.objects.get_or_create(
        account=follower,
        target_account=target,
        defaults={
            "show_reblogs": reblogs,
            "notify": notify,
            "languages": languages or None,
            "uri": uri,
        },
    )
    if created:
        _count_follow(follower.id, target.id, +1)
        if follower.local:
            merge_into_home_task.delay_on_commit(follower.id, target.id)
    return follow


# --- Follows -------------------------------------------------------------------------------------


@transaction.atomic
def follow_account(
    account: Account,
    target: Account,
    *,
    reblogs: bool | None = None,
    notify: bool | None = None,
    languages: list[str] | None = None,
    uri: str = "",
) -> Follow | FollowRequest:
    """Follow ``target``, or ask to when it is locked (Mastodon's FollowService).

    A remote target is always asked (a Follow activity goes to its server) and followed once
    its Accept arrives (``authorize_follow_request``). A remote ``account`` following a local
    one (the inbox) passes its Follow activity's id as ``uri``; an unlocked target accepts it
    at once (an Accept goes back).

    Options left as ``None`` take their defaults (boosts shown, no notifications, all languages)
    on a new follow and stay as they are on an existing follow or request, so following again
    changes only what is given. Raises NotPermittedError (403) for yourself, a block either way, a
    domain you block or a moved account, and ``Account.DoesNotExist`` (404) for a suspended one.
    """
    if target.suspended_at is not None:
        raise Account.DoesNotExist("The account is suspended")
    if not policies.may_follow(account, target):
        raise NotPermittedError()

    existing: Follow | FollowRequest | None = (
        Follow.objects.filter(account_id=account.id, target_account_id=target.id).first()
        or FollowRequest.objects.filter(account_id=account.id, target_account_id=target.id).first()
    )
    if existing is not None:
        if reblogs is not None:
            existing.show_reblogs = reblogs
        if notify is not None:
            existing.notify = notify
        if languages is not None:
            existing.languages = languages or None
        existing.save(update_fields=["show_reblogs", "notify", "languages"])
        return existing

    options = {
        "reblogs": True if reblogs is None else reblogs,
        "notify": bool(notify),
        "languages": languages or None,
    }
    if target.locked or not target.local:
        request, _ = FollowRequest.objects.get_or_create(
            account=account,
            target_account=target,
            defaults={
                "show_reblogs": options["reblogs"],
                "notify": options["notify"],
                "languages": options["languages"],
                "uri": uri,
            },
        )
        if target.local:
            notify_account(target, Notification.Type.FOLLOW_REQUEST, from_account=account)
        else:
            federation.notify("follow.requested", request_id=request.id)
        return request

    follow = _create_follow(account, target, **options, uri=uri)
    notify_account(target, Notification.Type.FOLLOW, from_account=account)
    if not account.local:
        federation.notify(
            "follow.accepted",
            account_id=account.id,
            target_id=target.id,
            follow_id=follow.id,
            uri=follow.uri,
        )
    return follow


@transaction.atomic
def unfollow_account(account: Account, target: Account) -> None:
    """Stop following ``target``, or withdraw a pending request (Mastodon's UnfollowService)."""
    follow = _drop_follow(account, target) or _drop_follow_request(account, target)
    if account.local and not target.local:
        _federate_relationship("follow.undone", follow, account.id, target.id)


@transaction.atomic
def remove_from_followers(account: Account, follower: Account) -> None:
    """Make ``follower`` stop following ``account`` (Mastodon's RemoveFromFollowersService)."""
    follow = _drop_follow(follower, account)
    if not follower.local:
        _federate_relationship("follow.rejected", follow, follower.id, account.id)


@transaction.atomic
def authorize_follow_request(account: Account, requester: Account) -> Follow:
    """Accept ``requester``'s pending request to follow ``account``.

    Raises ``FollowRequest.DoesNotExist`` (404) when there is none."""
    request = FollowRequest.objects.get(account_id=requester.id, target_account_id=account.id)
    follow = _create_follow(
        requester,
        account,
        reblogs=request.show_reblogs,
        notify=request.notify,
        languages=request.languages,
        uri=request.uri,
    )
    _drop_follow_request(requester, account)
    if not requester.local and account.local:
        federation.notify(
            "follow.accepted",
            account_id=requester.id,
            target_id=account.id,
            follow_id=follow.id,
            uri=follow.uri,
        )
    return follow


@transaction.atomic
def reject_follow_request(account: Account, requester: Account) -> None:
    """Refuse a pending request; raises ``FollowRequest.DoesNotExist`` (404) when there is none."""
    request = _drop_follow_request(requester, account)
    if request is None:
        raise FollowRequest.DoesNotExist("No pending follow request from that account")
    if not requester.local and account.local:
        _federate_relationship("follow.rejected", request, requester.id, account.id)


# --- Blocks and mutes ----------------------------------------------------------------------------


@transaction.atomic
def block_account(account: Account, target: Account) -> Block | None:
    """Block ``target`` (Mastodon's BlockService): follows and requests end both ways, its
    notifications to ``account`` go, and each disappears from the other's home feed.

    Blocking yourself does nothing, as in Mastodon."""
    if account.id == target.id:
        return None
    _drop_follow(account, target, unmerge=False)
    _drop_follow(target, account, unmerge=False)
    _drop_follow_request(account, target)
    _drop_follow_request(target, account)
    block, created = Block.objects.get_or_create(account=account, target_account=target)
    Notification.objects.filter(account_id=account.id, from_account_id=target.id).delete()
    for owner, other in ((account, target), (target, account)):
        if owner.local:
            unmerge_from_home_task.delay_on_commit(owner.id, other.id)
    if created and account.local and not target.local:
        federation.notify("block.created", block_id=block.id)
    return block


@transaction.atomic
def unblock_account(account: Account, target: Account) -> None:
    block = Block.objects.filter(account_id=account.id, target_account_id=target.id).first()
    if block is None:
        return
    _delete_keeping_id(block)
    if account.local and not target.local:
        _federate_relationship("block.deleted", block, account.id, target.id)


@transaction.atomic
def mute_account(
    account: Account, target: Account, *, notifications: bool = True, duration: int = 0
) -> Mute | None:
    """Mute ``target`` (Mastodon's MuteService); ``duration`` in seconds, 0 for ever.

    Muting again replaces the options and the end. Muting yourself does nothing."""
    if duration < 0:
        raise AccountError("Validation failed: Duration must be greater than or equal to 0")
    if account.id == target.id:
        return None
    expires_at = timezone.now() + timedelta(seconds=duration) if duration else None
    mute, _ = Mute.objects.update_or_create(
        account=account,
        target_account=target,
        defaults={"hide_notifications": notifications, "expires_at": expires_at},
    )
    if notifications:
        Notification.objects.filter(account_id=account.id, from_account_id=target.id).delete()
    unmerge_from_home_task.delay_on_commit(account.id, target.id)
    return mute


def _unmute(mute: Mute) -> None:
    mute.delete()
    if Follow.objects.filter(
        account_id=mute.account_id, target_account_id=mute.target_account_id
    ).exists():
        merge_into_home_task.delay_on_commit(mute.account_id, mute.target_account_id)


@transaction.atomic
def unmute_account(account: Account, target: Account) -> None:
    """Unmute; the target's statuses come back into the home feed when followed."""
    mute = Mute.objects.filter(account_id=account.id, target_account_id=target.id).first()
    if mute is not None:
        _unmute(mute)


def expire_mutes(*, now: datetime | None = None) -> int:
    """End every timed mute past its end (the beat task); returns how many."""
    now = now or timezone.now()
    count = 0
    for mute in Mute.objects.filter(expires_at__lte=now).order_by("id").iterator():
        with transaction.atomic():
            _unmute(mute)
        count += 1
    return count


# --- Domain blocks -------------------------------------------------------------------------------

_DOMAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_RE = re.compile(rf"^{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*(?::\d{{1,5}})?$")


def normalize_domain(domain: str) -> str:
    """``Example.COM/`` → ``example.com``; IDNs to punycode; a port is kept. Raises AccountError
    with Mastodon's messages for a blank or malformed domain."""
    text = (domain or "").strip().rstrip("/").lower()
    if not text:
        raise AccountError("Validation failed: Domain can't be blank")
    host, sep, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AccountError("Validation failed: Domain is not a valid domain name") from None
    text = host + sep + port
    if len(host) > 253 or not DOMAIN_RE.match(text):
        raise AccountError("Validation failed: Domain is not a valid domain name")
    return text


@transaction.atomic
def block_domain(account: Account, *, domain: str) -> AccountDomainBlock:
    """Hide a whole server (Mastodon's AfterAccountDomainBlockService): its accounts stop
    following ``account`` and their pending requests are refused; new follows are refused."""
    domain = normalize_domain(domain)
    block, _ = AccountDomainBlock.objects.get_or_create(account=account, domain=domain)
    followers = Follow.objects.filter(
        target_account_id=account.id, account__domain=domain
    ).select_related("account")
    for follow in followers:
        dropped = _drop_follow(follow.account, account)
        _federate_relationship("follow.rejected", dropped, follow.account_id, account.id)
    requests = FollowRequest.objects.filter(
        target_account_id=account.id, account__domain=domain
    ).select_related("account")
    for request in requests:
        dropped_request = _drop_follow_request(request.account, account)
        _federate_relationship("follow.rejected", dropped_request, request.account_id, account.id)
    return block


@transaction.atomic
def unblock_domain(account: Account, *, domain: str) -> None:
    domain = normalize_domain(domain)
    AccountDomainBlock.objects.filter(account_id=account.id, domain=domain).delete()


# --- Notes and endorsements ----------------------------------------------------------------------


@transaction.atomic
def set_account_note(account: Account, target: Account, *, comment: str) -> None:
    """The private note ``account`` keeps on ``target``; an empty comment removes it."""
    if len(comment) > ACCOUNT_NOTE_MAX:
        raise AccountError(
            f"Validation failed: Comment is too long (maximum is {ACCOUNT_NOTE_MAX} characters)"
        )
    if comment.strip():
        AccountNote.objects.update_or_create(
            account=account, target_account=target, defaults={"comment": comment}
        )
    else:
        AccountNote.objects.filter(account_id=account.id, target_account_id=target.id).delete()


@transaction.atomic
def endorse_account(account: Account, target: Account) -> AccountPin:
    """Feature ``target`` on the profile; only a followed account can be (422 otherwise)."""
    if not Follow.objects.filter(account_id=account.id, target_account_id=target.id).exists():
        raise AccountError(
            "Validation failed: You must be already following the person you want to endorse"
        )
    pin, _ = AccountPin.objects.get_or_create(account=account, target_account=target)
    return pin


@transaction.atomic
def unendorse_account(account: Account, target: Account) -> None:
    AccountPin.objects.filter(account_id=account.id, target_account_id=target.id).delete()


# --- Featured tags -------------------------------------------------------------------------------

MAX_FEATURED_TAGS = 10  # Mastodon's limit, announced as accounts.max_featured_tags by /instance


def _hashtag(name: str) -> Tag | None:
    """The Tag a name means (normalised), created on first use; None for what is no hashtag."""
    shown = name.strip().removeprefix("#")
    normalized = normalize_hashtag(shown) if is_valid_hashtag(shown) else ""
    if not normalized or len(normalized) > 255:
        return None
    tag, _ = Tag.objects.get_or_create(name=normalized, defaults={"display_name": shown[:255]})
    return tag


@transaction.atomic
def feature_tag(account: Account, *, name: str) -> FeaturedTag:
    """Show a hashtag on the profile (Mastodon's CreateFeaturedTagService). Featuring a tag
    again returns the existing one, its figures brought up to date; raises AccountError (422)
    for what is no hashtag and past ``MAX_FEATURED_TAGS``."""
    # Serialise an account's features so that two at once cannot pass the limit together.
    Account.objects.select_for_update().filter(id=account.id).first()
    tag = _hashtag(name)
    if tag is None:
        raise AccountError("Validation failed: Tag is invalid")
    existing = FeaturedTag.objects.filter(account_id=account.id, tag_id=tag.id).first()
    count, last = featured_tag_usage(account.id, tag.id)
    if existing is not None:
        existing.statuses_count, existing.last_status_at = count, last
        existing.save(update_fields=["statuses_count", "last_status_at"])
        return existing
    if FeaturedTag.objects.filter(account_id=account.id).count() >= MAX_FEATURED_TAGS:
        raise AccountError(
            "Validation failed: You have already featured the maximum number of hashtags"
        )
    featured = FeaturedTag.objects.create(
        account=account, tag=tag, statuses_count=count, last_status_at=last
    )
    if account.local:
        federation.notify("featured_tag.changed", account_id=account.id, tag_id=tag.id, add=True)
    return featured


@transaction.atomic
def unfeature_tag(account: Account, *, tag: Tag) -> None:
    """Stop showing a hashtag; nothing happens when it was not featured."""
    if tag.pk is None:
        return
    deleted, _ = FeaturedTag.objects.filter(account_id=account.id, tag_id=tag.pk).delete()
    if deleted and account.local:
        federation.notify("featured_tag.changed", account_id=account.id, tag_id=tag.pk, add=False)


@transaction.atomic
def remove_featured_tag(account: Account, *, featured_tag_id: int) -> None:
    """DELETE /api/v1/featured_tags/:id; raises ``FeaturedTag.DoesNotExist`` (404) for an id that
    is unknown or another account's."""
    featured = FeaturedTag.objects.select_related("tag").get(
        id=featured_tag_id, account_id=account.id
    )
    unfeature_tag(account, tag=featured.tag)


# --- Follow suggestions --------------------------------------------------------------------------


def dismiss_suggestion(account: Account, target: Account) -> None:
    """Never suggest ``target`` to ``account`` again (DELETE /api/v1/suggestions/:id)."""
    if target.id != account.id:
        SuggestionDismissal.objects.get_or_create(account=account, target_account=target)
