"""Reads on accounts: finding accounts, the viewer's relationships, and the paged collections.

Every function that answers for a page or a set of ids runs a fixed number of queries whatever
their count (``relationships`` is Mastodon's AccountRelationshipsPresenter as seven queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from accounts import policies
from accounts.models import (
    Account,
    AccountDomainBlock,
    AccountNote,
    AccountPin,
    AccountQuerySet,
    Block,
    FeaturedTag,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
)
from fedisocial.api.dates import iso
from fedisocial.api.pagination import Page, paginate_queryset
from statuses.formatting import normalize_hashtag
from statuses.models import Status, StatusPin, StatusTag, Tag, Visibility
from statuses.policies import visible_to
from statuses.selectors import with_related
from timelines.models import List

# --- Finding accounts ----------------------------------------------------------------------------


def api_accounts() -> AccountQuerySet:
    """Accounts the client API shows: remote ones, and local ones whose login is confirmed and
    approved (Mastodon answers 404 for the others)."""
    return Account.objects.filter(
        Q(domain__isnull=False) | Q(user__confirmed_at__isnull=False, user__approved=True)
    ).select_related("moved_to")


MAX_ID = 2**63 - 1  # ids are signed 64-bit columns; anything larger names nothing


def _as_id(value: Any) -> int | None:
    try:
        pk = int(str(value).strip())
    except ValueError:
        return None
    return pk if 0 < pk <= MAX_ID else None


def get_account(account_id: int | str) -> Account:
    """One account by id; raises ``Account.DoesNotExist`` (a 404) for unknown or hidden ones."""
    pk = _as_id(account_id)
    if pk is None:
        raise Account.DoesNotExist(account_id)
    return api_accounts().get(id=pk)


def ids_from(values: Iterable[Any]) -> list[int]:
    """Numeric ids from request values, in order, without repeats; others are skipped."""
    ids: list[int] = []
    for value in values:
        pk = _as_id(value)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def accounts_by_ids(ids: Iterable[int], *, with_suspended: bool = True) -> list[Account]:
    """Accounts in the order asked, skipping the ones that do not exist (GET /api/v1/accounts)."""
    ids = list(ids)
    if not ids:
        return []
    qs = api_accounts().filter(id__in=ids)
    if not with_suspended:
        qs = qs.filter(suspended_at__isnull=True)
    found = {a.id: a for a in qs}
    return [found[i] for i in ids if i in found]


def split_acct(acct: str) -> tuple[str, str | None]:
    """``bob``, ``@bob``, ``bob@our.domain`` → (``bob``, None); ``bob@remote.example:8443`` →
    (``bob``, ``remote.example:8443``). Handles keep their ports."""
    text = acct.strip().removeprefix("@")
    username, _, domain = text.partition("@")
    domain = domain.strip().lower().rstrip("/")
    if not domain or domain == settings.LOCAL_DOMAIN:
        return username, None
    return username, domain


def lookup_account(acct: str) -> Account | None:
    """The account a WebFinger-style address names, from the table only (no remote fetch)."""
    username, domain = split_acct(acct)
    if not username:
        return None
    qs = api_accounts().filter(username__iexact=username)
    qs = qs.filter(domain__isnull=True) if domain is None else qs.filter(domain__iexact=domain)
    return qs.first()


def _excluded_for(viewer: Account) -> Q:
    """Accounts hidden from the viewer's searches: blocks either way."""
    blocking = Block.objects.filter(account_id=viewer.id).values("target_account_id")
    blocked_by = Block.objects.filter(target_account_id=viewer.id).values("account_id")
    return Q(id__in=blocking) | Q(id__in=blocked_by)


def search_accounts(
    query: str,
    *,
    viewer: Account | None,
    limit: int = 40,
    offset: int = 0,
    following: bool = False,
) -> list[Account]:
    """The exact address first, then accounts whose username or display name starts with the
    query (case-insensitively), local accounts before remote ones."""
    text = query.strip().removeprefix("@")
    if not text:
        return []
    username, domain = split_acct(text)
    qs = api_accounts().filter(suspended_at__isnull=True)
    if viewer is not None:
        qs = qs.exclude(_excluded_for(viewer))
        if following:
            qs = qs.filter(
                id__in=Follow.objects.filter(account_id=viewer.id).values("target_account_id")
            )
    elif following:
        return []

    exact_qs = qs.filter(username__iexact=username)
    exact_qs = (
        exact_qs.filter(domain__isnull=True)
        if domain is None
        else exact_qs.filter(domain__iexact=domain)
    )
    exact = exact_qs.first() if username else None

    if "@" in text:
        matches = qs.filter(username__istartswith=username)
        matches = (
            matches.filter(domain__isnull=True)
            if domain is None
            else matches.filter(domain__istartswith=domain)
        )
    else:
        matches = qs.filter(Q(username__istartswith=text) | Q(display_name__istartswith=text))
    if exact is not None:
        matches = matches.exclude(id=exact.id)
    matches = matches.annotate(
        remote=Case(
            When(domain__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("remote", "-followers_count", Lower("username"), "id")

    head = [exact] if exact is not None else []
    if offset < len(head):
        return head[offset:] + list(matches[: limit - len(head[offset:])])
    start = offset - len(head)
    return list(matches[start : start + limit])


# --- Relationships -------------------------------------------------------------------------------


def active_mutes() -> QuerySet[Mute]:
    """Mutes in force: a timed mute past its end counts as gone even before the beat task runs."""
    return Mute.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def relationships(viewer: Account, account_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Mastodon's Relationship entity for each id, keyed by id, in seven queries however many.

    Like Mastodon, a pending request's options show in ``showing_reblogs``/``notifying``/
    ``languages`` until it is accepted."""
    ids = list(dict.fromkeys(int(i) for i in account_ids))
    if not ids:
        return {}
    me = viewer.id
    following: dict[int, tuple[bool, bool, list[str] | None]] = {}
    followed_by: set[int] = set()
    for source, target, reblogs, notify, languages in Follow.objects.filter(
        Q(account_id=me, target_account_id__in=ids) | Q(account_id__in=ids, target_account_id=me)
    ).values_list("account_id", "target_account_id", "show_reblogs", "notify", "languages"):
        if source == me:
            following[target] = (reblogs, notify, languages)
        if target == me:
            followed_by.add(source)
    requested: dict[int, tuple[bool, bool, list[str] | None]] = {}
    requested_by: set[int] = set()
    for source, target, reblogs, notify, languages in FollowRequest.objects.filter(
        Q(account_id=me, target_account_id__in=ids) | Q(account_id__in=ids, target_account_id=me)
    ).values_list("account_id", "target_account_id", "show_reblogs", "notify", "languages"):
        if source == me:
            requested[target] = (reblogs, notify, languages)
        if target == me:
            requested_by.add(source)
    blocking: set[int] = set()
    blocked_by: set[int] = set()
    for source, target in Block.objects.filter(
        Q(account_id=me, target_account_id__in=ids) | Q(account_id__in=ids, target_account_id=me)
    ).values_list("account_id", "target_account_id"):
        if source == me:
            blocking.add(target)
        if target == me:
            blocked_by.add(source)
    muting = {
        target: (hide, expires_at)
        for target, hide, expires_at in active_mutes()
        .filter(account_id=me, target_account_id__in=ids)
        .values_list("target_account_id", "hide_notifications", "expires_at")
    }
    domain_blocking = set(
        Account.objects.filter(
            id__in=ids,
            domain__in=AccountDomainBlock.objects.filter(account_id=me).values("domain"),
        ).values_list("id", flat=True)
    )
    endorsed = set(
        AccountPin.objects.filter(account_id=me, target_account_id__in=ids).values_list(
            "target_account_id", flat=True
        )
    )
    notes = dict(
        AccountNote.objects.filter(account_id=me, target_account_id__in=ids).values_list(
            "target_account_id", "comment"
        )
    )

    result: dict[int, dict[str, Any]] = {}
    for pk in ids:
        options = following.get(pk) or requested.get(pk)
        mute = muting.get(pk)
        result[pk] = {
            "id": str(pk),
            "following": pk in following,
            "showing_reblogs": bool(options and options[0]),
            "notifying": bool(options and options[1]),
            "languages": (options[2] or None) if options else None,
            "followed_by": pk in followed_by,
            "blocking": pk in blocking,
            "blocked_by": pk in blocked_by,
            "muting": mute is not None,
            "muting_notifications": bool(mute and mute[0]),
            "muting_expires_at": iso(mute[1]) if mute else None,
            "requested": pk in requested,
            "requested_by": pk in requested_by,
            "domain_blocking": pk in domain_blocking,
            "endorsed": pk in endorsed,
            "note": notes.get(pk, ""),
        }
    return result


def relationship(viewer: Account, target: Account) -> dict[str, Any]:
    return relationships(viewer, [target.id])[target.id]


def familiar_followers(viewer: Account, account_ids: Iterable[int]) -> list[dict[str, Any]]:
    """For each account: the accounts the viewer follows that follow it (two queries).

    Followers who hide their collections are left out, and an account hiding its own
    collections (or blocking the viewer) shows none."""
    targets = [
        a
        for a in accounts_by_ids(account_ids, with_suspended=False)
        if a.id == viewer.id or not a.hide_collections
    ]
    known: dict[int, list[Account]] = {a.id: [] for a in targets}
    if known:
        blocked_by = Block.objects.filter(target_account_id=viewer.id).values("account_id")
        follows = (
            Follow.objects.filter(
                target_account_id__in=list(known),
                account_id__in=Follow.objects.filter(account_id=viewer.id).values(
                    "target_account_id"
                ),
                account__suspended_at__isnull=True,
            )
            .exclude(account_id=viewer.id)
            .exclude(account__hide_collections=True)
            .exclude(target_account_id__in=blocked_by)
            .select_related("account__moved_to")
            .order_by("id")
        )
        for follow in follows:
            known[follow.target_account_id].append(follow.account)
    return [{"id": str(pk), "accounts": accounts} for pk, accounts in known.items()]


# --- Collections, paged by their row ids ---------------------------------------------------------


def followers_page(account: Account, viewer: Account | None, page: Page) -> list[Follow]:
    """Follow rows whose ``account`` follows ``account``; ids go only in the Link header."""
    if not policies.may_see_collections(account, viewer):
        return []
    qs = Follow.objects.filter(
        target_account_id=account.id, account__suspended_at__isnull=True
    ).select_related("account__moved_to")
    return paginate_queryset(qs, page)


def following_page(account: Account, viewer: Account | None, page: Page) -> list[Follow]:
    if not policies.may_see_collections(account, viewer):
        return []
    qs = Follow.objects.filter(
        account_id=account.id, target_account__suspended_at__isnull=True
    ).select_related("target_account__moved_to")
    return paginate_queryset(qs, page)


def blocks_page(viewer: Account, page: Page) -> list[Block]:
    qs = Block.objects.filter(account_id=viewer.id).select_related("target_account__moved_to")
    return paginate_queryset(qs, page)


def mutes_page(viewer: Account, page: Page) -> list[Mute]:
    qs = active_mutes().filter(account_id=viewer.id).select_related("target_account__moved_to")
    return paginate_queryset(qs, page)


def follow_requests_page(viewer: Account, page: Page) -> list[FollowRequest]:
    qs = FollowRequest.objects.filter(
        target_account_id=viewer.id, account__suspended_at__isnull=True
    ).select_related("account__moved_to")
    return paginate_queryset(qs, page)


def follow_requests_count(account: Account) -> int:
    return FollowRequest.objects.filter(target_account_id=account.id).count()


def domain_blocks_page(viewer: Account, page: Page) -> list[AccountDomainBlock]:
    return paginate_queryset(AccountDomainBlock.objects.filter(account_id=viewer.id), page)


def endorsements_page(account: Account, viewer: Account | None, page: Page) -> list[AccountPin]:
    """The accounts ``account`` features on its profile; none for a viewer it blocks."""
    if viewer is not None and viewer.id != account.id and policies.blocks(account.id, viewer.id):
        return []
    qs = AccountPin.objects.filter(
        account_id=account.id, target_account__suspended_at__isnull=True
    ).select_related("target_account__moved_to")
    return paginate_queryset(qs, page)


def lists_containing(viewer: Account, account: Account) -> list[List]:
    """The viewer's own lists that hold ``account`` (never anyone else's)."""
    if account.suspended_at is not None:
        return []
    return list(
        List.objects.filter(account_id=viewer.id, memberships__account_id=account.id)
        .distinct()
        .order_by("id")
    )


# --- An account's statuses -----------------------------------------------------------------------


def account_statuses(
    account: Account,
    viewer: Account | None,
    *,
    page: Page,
    pinned: bool = False,
    tagged: str | None = None,
    only_media: bool = False,
    exclude_replies: bool = False,
    exclude_reblogs: bool = False,
) -> list[Status]:
    """GET /api/v1/accounts/:id/statuses, as Mastodon's AccountStatusesFilter.

    Visibility goes through ``statuses.policies.visible_to`` (so an account that blocks the viewer
    shows nothing); ``exclude_replies`` keeps self-replies (threads); boosts of accounts the
    viewer blocks, is blocked by or mutes are left out."""
    if only_media or account.suspended_at is not None:
        return []  # media attachments land with the media issue: no status has one yet
    qs = visible_to(Status.objects.filter(account_id=account.id), viewer)
    if pinned:
        qs = qs.filter(
            id__in=StatusPin.objects.filter(account_id=account.id).values("status_id"),
            reblog__isnull=True,
        )
    if exclude_replies:
        qs = qs.filter(
            Q(in_reply_to_id__isnull=True, in_reply_to_account_id__isnull=True)
            | Q(in_reply_to_account_id=account.id)
        )
    if exclude_reblogs:
        qs = qs.filter(reblog__isnull=True)
    if tagged:
        qs = qs.filter(
            id__in=StatusTag.objects.filter(
                tag__name=normalize_hashtag(tagged.strip().removeprefix("#"))
            ).values("status_id")
        )
    reblogs_may_occur = not (exclude_reblogs or tagged or pinned)
    if viewer is not None and viewer.id != account.id and reblogs_may_occur:
        excluded = (
            Block.objects.filter(account_id=viewer.id).values("target_account_id"),
            Block.objects.filter(target_account_id=viewer.id).values("account_id"),
            active_mutes().filter(account_id=viewer.id).values("target_account_id"),
        )
        for subquery in excluded:
            qs = qs.exclude(reblog__account_id__in=subquery)
    return paginate_queryset(with_related(qs), page)


# --- Featured tags -------------------------------------------------------------------------------

# A featured tag counts what anyone may read on the profile: public and unlisted statuses, as
# Mastodon's FeaturedTag counts them. Private and direct statuses never show in its figures.
FEATURED_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
FEATURED_TAG_SUGGESTIONS = 10
# Mastodon suggests tags from the account's recent statuses, not from all it ever wrote.
SUGGESTIONS_FROM_RECENT_STATUSES = 1000


def _profile_statuses(account_id: Any) -> QuerySet[Status]:
    """An account's originals that a featured tag counts (``account_id`` may be an OuterRef)."""
    return Status.objects.filter(
        account_id=account_id,
        visibility__in=FEATURED_VISIBILITIES,
        reblog__isnull=True,
        deleted_at__isnull=True,
    )


def featured_tag_usage(account_id: int, tag_id: int) -> tuple[int, Any]:
    """How many counted statuses of ``account_id`` use the tag, and when the last one was posted."""
    tagged = _profile_statuses(account_id).filter(status_tags__tag_id=tag_id)
    last = tagged.order_by("-created_at").values_list("created_at", flat=True).first()
    return tagged.count(), last


def featured_tags(account: Account) -> list[FeaturedTag]:
    """The account's featured tags, most used first, each annotated with ``live_statuses_count``
    and ``live_last_status_at`` in the one query that lists them. A suspended account has none."""
    if account.suspended_at is not None:
        return []
    tagged = _profile_statuses(OuterRef("account_id")).filter(
        status_tags__tag_id=OuterRef("tag_id")
    )
    count = tagged.order_by().values("account_id").annotate(n=Count("id")).values("n")
    last = tagged.order_by("-created_at").values("created_at")[:1]
    qs = (
        FeaturedTag.objects.filter(account_id=account.id)
        .select_related("tag", "account")
        .annotate(
            live_statuses_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
            live_last_status_at=Subquery(last),
        )
        .order_by("-live_statuses_count", "id")
    )
    return list(qs)


def featured_tag_ids(account: Account | None, tag_ids: Iterable[int]) -> set[int]:
    """Which of the tags ``account`` features (the Tag entity's ``featuring``), in one query."""
    ids = [i for i in tag_ids if i is not None]
    if account is None or not ids:
        return set()
    return set(
        FeaturedTag.objects.filter(account_id=account.id, tag_id__in=ids).values_list(
            "tag_id", flat=True
        )
    )


def featured_tag_suggestions(
    account: Account, *, limit: int = FEATURED_TAG_SUGGESTIONS
) -> list[Tag]:
    """The hashtags the account used most in its recent public and unlisted statuses, not yet
    featured (GET /api/v1/featured_tags/suggestions), in one query."""
    recent = (
        _profile_statuses(account.id)
        .order_by("-id")
        .values("id")[:SUGGESTIONS_FROM_RECENT_STATUSES]
    )
    featured = FeaturedTag.objects.filter(account_id=account.id).values("tag_id")
    return list(
        Tag.objects.filter(status_tags__status_id__in=recent)
        .exclude(id__in=featured)
        .annotate(uses=Count("status_tags"), latest=Max("status_tags__status_id"))
        .order_by("-uses", "-latest")[:limit]
    )


# --- The profile directory -----------------------------------------------------------------------


def discoverable_accounts() -> AccountQuerySet:
    """Accounts that opted into discovery and may be shown off: as Mastodon's
    ``Account.discoverable``, neither suspended, limited (silenced) nor moved away."""
    return api_accounts().filter(
        discoverable=True,
        suspended_at__isnull=True,
        silenced_at__isnull=True,
        moved_to__isnull=True,
    )


def _hidden_from(viewer: Account) -> Q:
    """Mastodon's not_excluded_by_account: blocks either way and the viewer's mutes."""
    return _excluded_for(viewer) | Q(
        id__in=active_mutes().filter(account_id=viewer.id).values("target_account_id")
    )


def _domain_blocked_by(viewer: Account) -> Q:
    return Q(domain__in=AccountDomainBlock.objects.filter(account_id=viewer.id).values("domain"))


DIRECTORY_ORDERS = ("active", "new")


def directory(
    viewer: Account | None,
    *,
    offset: int = 0,
    limit: int = 40,
    order: str = "active",
    local: bool = False,
) -> list[Account]:
    """GET /api/v1/directory: ``active`` puts the most recent posters first (never-posted last),
    ``new`` the newest accounts; ``local`` keeps this server's accounts only. A signed-in viewer
    does not see accounts it blocks, mutes or is blocked by, nor (unless ``local``) domains it
    blocks."""
    qs = discoverable_accounts()
    if local:
        qs = qs.local()
    if viewer is not None:
        qs = qs.exclude(_hidden_from(viewer))
        if not local:
            qs = qs.exclude(_domain_blocked_by(viewer))
    if order == "new":
        qs = qs.order_by("-created_at", "-id")
    else:
        qs = qs.order_by(F("last_status_at").desc(nulls_last=True), "-id")
    return list(qs[offset : offset + limit])


# --- Follow suggestions --------------------------------------------------------------------------

FRIENDS_OF_FRIENDS = "friends_of_friends"
MOST_FOLLOWED = "most_followed"


@dataclass(frozen=True)
class Suggestion:
    """An account to suggest and why: Mastodon's Suggestion ``sources`` values."""

    account: Account
    sources: tuple[str, ...]


def _suggestable(viewer: Account) -> AccountQuerySet:
    """Accounts that may be suggested to the viewer: discoverable, not memorial, not the viewer,
    not followed or requested already, not blocked either way, muted, domain-blocked or
    dismissed."""
    mine = {"account_id": viewer.id}
    return (
        discoverable_accounts()
        .filter(memorial=False)
        .exclude(id=viewer.id)
        .exclude(id__in=Follow.objects.filter(**mine).values("target_account_id"))
        .exclude(id__in=FollowRequest.objects.filter(**mine).values("target_account_id"))
        .exclude(id__in=SuggestionDismissal.objects.filter(**mine).values("target_account_id"))
        .exclude(_hidden_from(viewer))
        .exclude(_domain_blocked_by(viewer))
    )


def _friends_of_friends(viewer: Account, limit: int) -> list[Account]:
    """Accounts followed by the accounts the viewer follows, the most shared first. Followed
    accounts that hide their collections are not used: that would reveal whom they follow."""
    friends = (
        Follow.objects.filter(account_id=viewer.id, target_account__suspended_at__isnull=True)
        .exclude(target_account__hide_collections=True)
        .values("target_account_id")
    )
    qs = (
        _suggestable(viewer)
        .filter(followers_set__account_id__in=friends)
        .annotate(friends=Count("followers_set", distinct=True))
        .order_by("-friends", "-followers_count", "id")
    )
    return list(qs[:limit])


def _most_followed(viewer: Account, limit: int) -> list[Account]:
    """This server's discoverable accounts with the most followers (at least one)."""
    qs = _suggestable(viewer).local().filter(followers_count__gt=0)
    return list(qs.order_by("-followers_count", "id")[:limit])


def follow_suggestions(viewer: Account, *, limit: int = 40) -> list[Suggestion]:
    """Mastodon's AccountSuggestions from the sources this server has data for: friends of
    friends first, then the most followed local accounts; an account both sources name is listed
    once with both. Two queries whatever the limit."""
    sources: dict[int, list[str]] = {}
    accounts: dict[int, Account] = {}
    for source, found in (
        (FRIENDS_OF_FRIENDS, _friends_of_friends(viewer, limit)),
        (MOST_FOLLOWED, _most_followed(viewer, limit)),
    ):
        for account in found:
            accounts.setdefault(account.id, account)
            sources.setdefault(account.id, []).append(source)
    return [Suggestion(accounts[pk], tuple(sources[pk])) for pk in list(accounts)[:limit]]
