"""What other servers and browsers read here, as Mastodon serves it: WebFinger, host-meta,
actors, statuses and their activities, and the outbox, followers, following and featured
collections.

Content negotiation: an object URL answers ActivityPub JSON to an ``Accept`` naming
``application/activity+json``, ``application/ld+json`` or ``application/json`` (Mastodon's json
format covers all three) ranked at least as high as HTML, and HTML to anyone else (a browser).
``/users/NAME`` and ``/users/NAME/statuses/ID`` send browsers to ``/@NAME`` and ``/@NAME/ID``,
as Mastodon's routes do; activities, the outbox and the featured collections are JSON only.

Privacy: public and unlisted statuses are served to anyone; private and direct ones only to a
signed fetch by an account allowed to see them (``statuses.policies.can_view``, see
``federation.fetch_auth``), else 404 exactly as for a status that never existed, and never as
HTML. A deleted status answers 410 with a Tombstone only to whoever could have seen it.
Suspended (deleted) accounts answer 410, unconfirmed or unapproved ones 404.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import quoteattr

import orjson
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.models import Account, AccountDomainBlock, Block, FeaturedTag, Follow
from federation import fetch_auth
from federation.actors import instance_actor, is_instance_actor
from federation.renderers import collections
from federation.renderers.actor import render_actor, render_actor_barebones
from federation.renderers.context import with_context
from federation.renderers.note import render_note
from federation.uris import (
    absolute,
    account_uri,
    account_url,
    domain_of,
    instance_actor_uri,
    status_activity_uri,
    status_uri,
    status_url,
)
from fedisocial.api.dates import iso
from fedisocial.api.pagination import Page, paginate_queryset
from fedisocial.api.params import to_bool, to_int
from statuses.models import Status, StatusPin, Visibility
from statuses.policies import can_view, visible_to
from statuses.selectors import poll_of, with_related

AP_CONTENT_TYPE = "application/activity+json; charset=utf-8"
JRD_CONTENT_TYPE = "application/jrd+json; charset=utf-8"
XRD_CONTENT_TYPE = "application/xrd+xml; charset=utf-8"
AP_MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json", "application/json"})
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PROFILE_PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # ids are signed 64-bit columns
MAX_FOLLOWS_PAGE = 2**31

TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 410: "Gone"}
MESSAGES = {
    404: "The page you are looking for isn't here.",
    410: "The page you were looking for doesn't exist here anymore.",
}


# --- Plumbing: answering early, negotiation, headers ----------------------------------------------


class Answer(Exception):  # noqa: N818 (not an error: a response decided early)
    """A response decided before the view's end (an error, a redirect)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def answers[**P](
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Answer as answer:
            return answer.response

    return wrapper


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def wants_activitypub(request: HttpRequest) -> bool:
    """Whether ``Accept`` asks for ActivityPub JSON rather than a web page: an AP type with a
    quality above zero, ranked higher than HTML (or as high and named first)."""
    best_ap: tuple[float, int] = (0.0, 0)
    best_html: tuple[float, int] = (0.0, 0)
    for position, (media, quality) in enumerate(_accept_ranges(request.headers.get("Accept", ""))):
        rank = (quality, -position)
        if media in AP_MEDIA_TYPES and rank > best_ap:
            best_ap = rank
        elif media in HTML_MEDIA_TYPES and rank > best_html:
            best_html = rank
    return best_ap[0] > 0 and best_ap > best_html


def _cache(response: HttpResponse, *, max_age: int, public: bool) -> HttpResponse:
    response["Cache-Control"] = f"max-age={max_age}, {'public' if public else 'private'}"
    return response


def _vary(response: HttpResponse, *, negotiated: bool, signed: bool = False) -> HttpResponse:
    """``Accept`` where one URL serves HTML and JSON; ``Signature`` where the answer depends on
    who signed (always under authorized fetch, as Mastodon's set_cache_headers)."""
    parts = ["Accept"] if negotiated else []
    if signed or fetch_auth.authorized_fetch():
        parts.append("Signature")
    if parts:
        response["Vary"] = ", ".join(parts)
    return response


def activity_json(data: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type=AP_CONTENT_TYPE)


def _json_error(status: int, message: str | None = None, *, negotiated: bool = False) -> Answer:
    response = JsonResponse({"error": message or TITLES.get(status, "Error")}, status=status)
    response["Cache-Control"] = "no-store"
    return Answer(_vary(response, negotiated=negotiated))


def _html_error(request: HttpRequest, status: int) -> Answer:
    response = render(
        request,
        "federation/error.html",
        {"title": TITLES.get(status, "Error"), "message": MESSAGES.get(status, "")},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return Answer(_vary(response, negotiated=True))


def _redirect(url: str, *, permanent: bool = False) -> HttpResponse:
    response = HttpResponseRedirect(url)
    if permanent:
        response.status_code = 301
    response["Vary"] = "Accept"
    return response


def _as_id(value: str | int) -> int | None:
    pk = to_int(value)
    return pk if pk is not None and 0 < pk <= MAX_ID else None


def _page_id(value: Any) -> int | None:
    """A ``max_id``/``min_id``/``since_id`` parameter clamped to what a column can hold."""
    pk = to_int(value)
    return None if pk is None else max(0, min(pk, MAX_ID))


# --- Who is asked for, and who asks -------------------------------------------------------------


def _find_local(username: str) -> Account | None:
    """A local account by username, any case, whose login is confirmed and approved (Mastodon
    answers 404 for the others). The instance actor is not a user: it lives at ``/actor``."""
    return (
        Account.objects.filter(
            username__iexact=username,
            domain__isnull=True,
            user__confirmed_at__isnull=False,
            user__approved=True,
        )
        .select_related("moved_to")
        .first()
    )


def _account(request: HttpRequest, username: str, *, json: bool) -> Account:
    """The local account of a URL, or an Answer: 404 unknown, 410 suspended (an account is
    only suspended here when deleted, which Mastodon answers as a permanent suspension)."""
    account = _find_local(username)
    status = 404 if account is None else 410 if account.suspended_at is not None else 0
    if status:
        raise _json_error(status, negotiated=True) if json else _html_error(request, status)
    assert account is not None
    return account


def _viewer(request: HttpRequest, *, needed: bool = True) -> Account | None:
    """Who a JSON GET is answered for. Under authorized fetch a valid signature is required;
    otherwise a signature is only verified where the answer depends on it (``needed``)."""
    if not needed and not fetch_auth.authorized_fetch():
        return None
    try:
        return fetch_auth.fetcher(request)
    except fetch_auth.RefusedError as exc:
        raise _json_error(exc.status, exc.message, negotiated=True) from exc


def _author_blocks_domain(author_id: int, viewer: Account | None) -> bool:
    """Mastodon's StatusPolicy#author_blocking_domain?: an author who blocked a whole domain
    shows nothing to its accounts (can_view covers personal blocks)."""
    if viewer is None or viewer.domain is None:
        return False
    return AccountDomainBlock.objects.filter(account_id=author_id, domain=viewer.domain).exists()


def _author_shuts_out(author: Account, viewer: Account | None) -> bool:
    """Whether the author blocks the viewer or its domain (Mastodon's ``for_signed_account``)."""
    if viewer is None:
        return False
    blocked = Block.objects.filter(account_id=author.id, target_account_id=viewer.id).exists()
    return blocked or _author_blocks_domain(author.id, viewer)


def may_see(status: Status, viewer: Account | None) -> bool:
    """Whether ``viewer`` (a signed fetcher, or None) may be served this status."""
    return can_view(status, viewer) and not _author_blocks_domain(status.account_id, viewer)


def _could_have_seen(status: Status, viewer: Account | None) -> bool:
    """For a deleted status: would ``viewer`` have seen it? Only they learn that it is gone;
    anyone else gets the 404 of a status that never existed."""
    alive = copy.copy(status)
    alive.deleted_at = None
    return may_see(alive, viewer)


# --- WebFinger and host-meta ----------------------------------------------------------------------


class BadResourceError(Exception):
    pass


def _same_domain(domain: str) -> bool:
    return domain.strip().lower() == settings.LOCAL_DOMAIN.lower()


def _account_for_path(path: str) -> Account | None:
    parts = [p for p in path.split("/") if p]
    if parts == ["actor"]:
        return instance_actor()
    if len(parts) == 2 and parts[0] == "users":
        return _find_local(parts[1])
    if len(parts) == 1 and parts[0].startswith("@") and len(parts[0]) > 1:
        return _find_local(parts[0][1:])
    return None


def webfinger_account(resource: str) -> Account | None:
    """The local account a WebFinger ``resource`` names: ``acct:user@domain`` (the domain
    compared without case, a port included), its actor URL, its profile URL, or the instance
    actor (``acct:DOMAIN@DOMAIN``, ``/actor``). None for anyone else or another domain; raises
    ``BadResourceError`` for what is neither a URL nor an ``acct`` (Mastodon's 400)."""
    if resource[:7].lower() == "http://" or resource[:8].lower() == "https://":
        parts = urlsplit(resource)
        if not _same_domain(domain_of(resource)) or parts.query:
            return None
        return _account_for_path(parts.path)
    if "@" not in resource:
        raise BadResourceError(resource)
    acct = resource[5:] if resource[:5].lower() == "acct:" else resource
    pieces = acct.split("@")
    username, domain = pieces[0], pieces[-1]
    if not username or not _same_domain(domain):
        return None
    if username.lower() == settings.LOCAL_DOMAIN.lower():
        return instance_actor()
    return _find_local(username)


def render_webfinger(account: Account) -> dict[str, Any]:
    """Mastodon's WebfingerSerializer: subject, aliases and links."""
    domain = settings.LOCAL_DOMAIN
    if is_instance_actor(account):
        actor = instance_actor_uri()
        return {
            "subject": f"acct:{domain}@{domain}",
            "aliases": [actor],
            "links": [
                {
                    "rel": "http://webfinger.net/rel/profile-page",
                    "type": "text/html",
                    "href": absolute("/about/more?instance_actor=true"),
                },
                {"rel": "self", "type": "application/activity+json", "href": actor},
            ],
        }
    profile, actor = account_url(account), account_uri(account)
    return {
        "subject": f"acct:{account.username}@{domain}",
        "aliases": [profile, actor],
        "links": [
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
            {"rel": "self", "type": "application/activity+json", "href": actor},
            {
                "rel": "http://ostatus.org/schema/1.0/subscribe",
                "template": absolute("/authorize_interaction") + "?uri={uri}",
            },
        ],
    }


def _jrd_status(status: int, message: str) -> HttpResponse:
    response = JsonResponse({"error": message}, status=status)
    return _cache(response, max_age=180, public=True)


@require_safe
def webfinger(request: HttpRequest) -> HttpResponse:
    """``GET /.well-known/webfinger?resource=...``: 400 without a usable resource, 404 for
    nobody of ours, 410 for a deleted account (cached 3 days when found, as Mastodon)."""
    resource = request.GET.get("resource", "").strip()
    if not resource:
        return _jrd_status(400, "The resource parameter is required")
    try:
        account = webfinger_account(resource)
    except BadResourceError:
        return _jrd_status(400, "The resource is not an acct: URI or a URL")
    if account is None:
        return _jrd_status(404, "Record not found")
    if account.suspended_at is not None:
        return _jrd_status(410, "Gone")
    response = HttpResponse(orjson.dumps(render_webfinger(account)), content_type=JRD_CONTENT_TYPE)
    return _cache(response, max_age=259200, public=True)


@require_safe
def host_meta(request: HttpRequest) -> HttpResponse:
    """``/.well-known/host-meta``: the XRD pointing at WebFinger (Mastodon serves XML only)."""
    template = absolute("/.well-known/webfinger") + "?resource={uri}"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/xrd+xml" template={quoteattr(template)}/>\n'
        "</XRD>\n"
    )
    response = HttpResponse(body, content_type=XRD_CONTENT_TYPE)
    response["Vary"] = "Accept"
    return _cache(response, max_age=259200, public=True)


# --- Actors ---------------------------------------------------------------------------------------


def _actor_json(request: HttpRequest, username: str) -> HttpResponse:
    """The actor document (which is also the key document: ``#main-key`` is in it).

    It is served without a signature even under authorized fetch, since peers need our keys to
    verify our own signed fetches; unsigned, it then holds only the technical part (key,
    inboxes), as Mastodon's secure mode answers. A blocked domain's signed fetch gets 403."""
    account = _account(request, username, json=True)
    signer: Account | None = None
    if fetch_auth.authorized_fetch():
        try:
            signer = fetch_auth.signed_fetcher(request)
        except fetch_auth.RefusedError as exc:
            if exc.status == 403:
                raise _json_error(403, exc.message, negotiated=True) from exc
    full = signer is not None or not fetch_auth.authorized_fetch()
    document = render_actor(account) if full else render_actor_barebones(account)
    response = activity_json(document)
    _cache(response, max_age=180, public=signer is None)
    return _vary(response, negotiated=True)


@require_safe
@answers
def actor(request: HttpRequest, username: str) -> HttpResponse:
    """``/users/NAME``: the actor for ActivityPub, the profile page's URL for a browser."""
    if not wants_activitypub(request):
        return _redirect(absolute(f"/@{username}"), permanent=True)
    return _actor_json(request, username)


@require_safe
def instance_actor_view(request: HttpRequest) -> HttpResponse:
    """``/actor``: the server's own actor, always JSON and never behind a signature (it is
    what peers fetch to verify the signatures of our fetches)."""
    response = activity_json(render_actor(instance_actor()))
    return _cache(response, max_age=600, public=True)


def _handle(account: Account) -> str:
    return f"@{account.username}@{settings.LOCAL_DOMAIN}"


def _profile_link_header(account: Account) -> str:
    resource = quote(f"acct:{account.username}@{settings.LOCAL_DOMAIN}", safe=":@")
    webfinger_url = absolute(f"/.well-known/webfinger?resource={resource}")
    return (
        f'<{webfinger_url}>; rel="lrdd"; type="application/jrd+json", '
        f'<{account_uri(account)}>; rel="alternate"; type="application/activity+json"'
    )


def _status_entry(status: Status) -> dict[str, Any]:
    return {
        "url": status_url(status),
        "content": status.content,
        "spoiler_text": status.spoiler_text,
        "created_at": status.created_at,
        "published": iso(status.created_at),
    }


def _profile_html(request: HttpRequest, username: str) -> HttpResponse:
    account = _account(request, username, json=False)
    max_id = _page_id(request.GET.get("max_id"))
    qs = visible_to(Status.objects.filter(account_id=account.id, reblog__isnull=True), None)
    statuses = paginate_queryset(
        with_related(qs), Page(max_id=max_id, since_id=None, min_id=None, limit=PROFILE_PAGE_SIZE)
    )
    next_url = None
    if len(statuses) == PROFILE_PAGE_SIZE:
        next_url = f"{account_url(account)}?max_id={statuses[-1].id}"
    moved_to = account.moved_to
    context = {
        "account": account,
        "handle": _handle(account),
        "profile_url": account_url(account),
        "fields": account.fields or [],
        "moved_to_url": account_url(moved_to) if moved_to is not None else None,
        "statuses": [_status_entry(s) for s in statuses],
        "next_url": next_url,
    }
    response = render(request, "federation/profile.html", context)
    response["Link"] = _profile_link_header(account)
    _cache(response, max_age=0, public=True)
    return _vary(response, negotiated=True)


@require_safe
@answers
def profile(request: HttpRequest, username: str) -> HttpResponse:
    """``/@NAME``: the profile page, or the actor for an ActivityPub ``Accept`` (as Mastodon)."""
    if wants_activitypub(request):
        return _actor_json(request, username)
    return _profile_html(request, username)


# --- Statuses -------------------------------------------------------------------------------------


def _load_status(account: Account, status_id: str) -> Status | None:
    """A status of ``account``, deleted or not, loaded for rendering."""
    pk = _as_id(status_id)
    if pk is None:
        return None
    qs = Status.objects.filter(id=pk, account_id=account.id, local=True)
    return with_related(qs).select_related("in_reply_to__account", "conversation").first()


def _alternate_link(status: Status) -> str:
    return f'<{status_uri(status)}>; rel="alternate"; type="application/activity+json"'


def _distributable(status: Status) -> bool:
    return status.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)


def _status_json(
    request: HttpRequest, username: str, status_id: str, *, activity: bool, negotiated: bool
) -> HttpResponse:
    account = _account(request, username, json=True)
    viewer = _viewer(request)
    status = _load_status(account, status_id)
    if status is None:
        raise _json_error(404, "Record not found", negotiated=negotiated)
    public = _distributable(status) and not fetch_auth.authorized_fetch()
    signed = viewer is not None
    if status.deleted_at is not None:
        if not _could_have_seen(status, viewer):
            raise _json_error(404, "Record not found", negotiated=negotiated)
        uri = status_activity_uri(status) if activity else status_uri(status)
        tombstone = with_context(
            {"id": uri, "type": "Tombstone", "deleted": iso(status.deleted_at)}
        )
        response = _cache(activity_json(tombstone, status=410), max_age=180, public=public)
        return _vary(response, negotiated=negotiated, signed=signed)
    if not may_see(status, viewer):
        raise _json_error(404, "Record not found", negotiated=negotiated)
    if status.reblog is not None and not activity:
        # A boost is no object of its own (its id is its Announce): Mastodon sends you on to
        # what was boosted.
        return _redirect(status_url(status.reblog))
    if activity:
        document = collections.render_activity(status)
    else:
        document = with_context(render_note(status))
    response = _cache(activity_json(document), max_age=180, public=public)
    if not activity:
        response["Link"] = _alternate_link(status)
    return _vary(response, negotiated=negotiated, signed=signed and not public)


def _status_html(request: HttpRequest, username: str, status_id: str) -> HttpResponse:
    """A status's web page: public and unlisted statuses only (a private or direct one is a
    404 here whoever asks: a page has no signature to tell a follower by)."""
    account = _account(request, username, json=False)
    status = _load_status(account, status_id)
    if status is None or status.deleted_at is not None or not _distributable(status):
        raise _html_error(request, 404)
    if not can_view(status, None):
        raise _html_error(request, 404)
    if status.reblog is not None:
        return _redirect(status_url(status.reblog))
    poll = poll_of(status)
    parent = status.in_reply_to
    text = status.spoiler_text or status.text or ""
    context = {
        "status": status,
        "author": account,
        "handle": _handle(account),
        "author_url": account_url(account),
        "url": status_url(status),
        "published": iso(status.created_at),
        "summary": text[:60],
        "in_reply_to_url": status_url(parent) if parent is not None else None,
        "poll_options": list(poll.options) if poll is not None else [],
    }
    response = render(request, "federation/status.html", context)
    response["Link"] = _alternate_link(status)
    _cache(response, max_age=10, public=True)
    return _vary(response, negotiated=True)


@require_safe
@answers
def status(request: HttpRequest, username: str, status_id: str) -> HttpResponse:
    """``/users/NAME/statuses/ID``: the Note (or Question) for ActivityPub; browsers are sent
    to the status's web page."""
    if not wants_activitypub(request):
        return _redirect(absolute(f"/@{username}/{status_id}"), permanent=True)
    return _status_json(request, username, status_id, activity=False, negotiated=True)


@require_safe
@answers
def status_activity(request: HttpRequest, username: str, status_id: str) -> HttpResponse:
    """``/users/NAME/statuses/ID/activity``: the Create that published it, or a boost's
    Announce (JSON whatever is asked, as Mastodon's StatusesController#activity)."""
    return _status_json(request, username, status_id, activity=True, negotiated=False)


@require_safe
@answers
def short_status(request: HttpRequest, username: str, status_id: str) -> HttpResponse:
    """``/@NAME/ID``: the status's web page, or its Note for an ActivityPub ``Accept``."""
    if wants_activitypub(request):
        return _status_json(request, username, status_id, activity=False, negotiated=True)
    return _status_html(request, username, status_id)


# --- Collections ----------------------------------------------------------------------------------


def _collection_response(
    document: dict[str, Any], *, max_age: int, public: bool, signed: bool = False
) -> HttpResponse:
    response = _cache(activity_json(document), max_age=max_age, public=public)
    return _vary(response, negotiated=False, signed=signed)


def _statuses_for_pages(qs: QuerySet[Status]) -> QuerySet[Status]:
    return with_related(qs).select_related("in_reply_to__account", "conversation")


def _outbox(request: HttpRequest, account: Account) -> HttpResponse:
    public_mode = not fetch_auth.authorized_fetch()
    if not to_bool(request.GET.get("page")):
        _viewer(request, needed=False)
        return _collection_response(
            collections.render_outbox(account), max_age=180, public=public_mode
        )
    viewer = _viewer(request)
    max_id = _page_id(request.GET.get("max_id"))
    min_id = _page_id(request.GET.get("min_id"))
    since_id = _page_id(request.GET.get("since_id"))
    qs = visible_to(Status.objects.filter(account_id=account.id), viewer)
    if _author_blocks_domain(account.id, viewer):
        qs = qs.none()
    page = Page(max_id=max_id, since_id=since_id, min_id=min_id, limit=collections.OUTBOX_PAGE_SIZE)
    statuses = paginate_queryset(_statuses_for_pages(qs), page)
    document = collections.render_outbox_page(account, statuses, max_id=max_id, min_id=min_id)
    return _collection_response(
        document, max_age=60, public=public_mode and viewer is None, signed=True
    )


@require_safe
@answers
def outbox(request: HttpRequest, username: str) -> HttpResponse:
    """``/users/NAME/outbox``: the root (size, first and last pages) or, with ``?page=true``,
    a page of 20 Creates and Announces, newest first (``max_id``/``min_id``/``since_id``).
    Unsigned, public and unlisted statuses only; a signed fetch also gets what its signer may
    see (Mastodon's AccountStatusesFilter: a follower's server sees followers-only posts)."""
    return _outbox(request, _account(request, username, json=True))


@require_safe
@answers
def instance_actor_outbox(request: HttpRequest) -> HttpResponse:
    """``/actor/outbox``: the instance actor publishes nothing, but its outbox exists."""
    return _outbox(request, instance_actor())


def _follows(request: HttpRequest, username: str, kind: str) -> HttpResponse:
    if not wants_activitypub(request):
        return _redirect(absolute(f"/@{username}"))
    account = _account(request, username, json=True)
    _viewer(request, needed=False)
    public_mode = not fetch_auth.authorized_fetch()
    hidden = bool(account.hide_collections)
    if not request.GET.get("page"):
        document = collections.render_follows(account, kind, hidden=hidden)
        response = _collection_response(document, max_age=180, public=public_mode)
        return _vary(response, negotiated=True)
    if hidden:
        raise _json_error(403, "This account hides its network", negotiated=True)
    number = max(1, min(to_int(request.GET.get("page"), 1) or 1, MAX_FOLLOWS_PAGE))
    size = collections.FOLLOWS_PAGE_SIZE
    start = (number - 1) * size
    if kind == "followers":
        rows = Follow.objects.filter(target_account_id=account.id).select_related("account")
        found = [f.account for f in rows.order_by("-id")[start : start + size + 1]]
    else:
        rows = Follow.objects.filter(account_id=account.id).select_related("target_account")
        found = [f.target_account for f in rows.order_by("-id")[start : start + size + 1]]
    document = collections.render_follows_page(
        account,
        kind,
        [account_uri(a) for a in found[:size]],
        page=number,
        has_next=len(found) > size,
    )
    response = _collection_response(document, max_age=0, public=public_mode)
    return _vary(response, negotiated=True)


@require_safe
@answers
def followers(request: HttpRequest, username: str) -> HttpResponse:
    """``/users/NAME/followers``: the size always; pages of 12 actor ids (``?page=N``) unless
    the account hides its network (then 403, as Mastodon)."""
    return _follows(request, username, "followers")


@require_safe
@answers
def following(request: HttpRequest, username: str) -> HttpResponse:
    """``/users/NAME/following``: as ``followers``, for the accounts it follows."""
    return _follows(request, username, "following")


def _pinned(account: Account) -> list[Status]:
    pins = list(
        StatusPin.objects.filter(account_id=account.id)
        .order_by("-created_at", "-id")
        .values_list("status_id", flat=True)
    )
    if not pins:
        return []
    qs = Status.objects.filter(id__in=pins, account_id=account.id, deleted_at__isnull=True)
    found = {s.id: s for s in _statuses_for_pages(qs)}
    return [found[pk] for pk in pins if pk in found]


@require_safe
@answers
def collection(request: HttpRequest, username: str, name: str) -> HttpResponse:
    """``/users/NAME/collections/featured`` (pinned statuses) and ``.../tags`` (featured
    hashtags). Under authorized fetch, a signer the author blocks (or whose domain it blocks)
    gets them empty, as Mastodon's ``for_signed_account``."""
    if name not in ("featured", "tags"):
        raise _json_error(404, "Record not found")
    account = _account(request, username, json=True)
    viewer = _viewer(request, needed=False)
    shut_out = _author_shuts_out(account, viewer)
    if name == "featured":
        document = collections.render_featured(account, [] if shut_out else _pinned(account))
    else:
        featured: list[FeaturedTag] = (
            []
            if shut_out
            else list(
                FeaturedTag.objects.filter(account_id=account.id)
                .select_related("tag")
                .order_by("id")
            )
        )
        document = collections.render_featured_tags(account, featured)
    return _collection_response(document, max_age=180, public=not fetch_auth.authorized_fetch())
