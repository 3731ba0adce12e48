"""Who may see a followers-only or a direct status, through every endpoint that shows one.

Mastodon's rule: a *private* (followers-only) status is visible to its author, the author's
current followers and the accounts it mentions; a *direct* status to its author and the accounts
it mentions. Nobody else may notice them: a list leaves them out, a status answers 404, whether
the status is asked for directly, shown inside a boost, a notification, a conversation, a thread,
search results or a poll.

One world (the ``world`` fixture) serves every test:

    alice  the author (indexable, so her public posts are searchable)
    fran   follows alice from the start, with notifications on ("the bell")
    leo    follows alice only after she posted
    mia    follows nobody; the private and the direct status mention her
    evan   followed alice with the bell, bookmarked/favourited/voted, then unfollowed
    bea    like evan, but alice blocked her instead; bea also follows fran
    sam    a signed-in stranger
    anon   no token at all
    app    an app-only token (no user): must fare exactly as anon

alice posts ``public``, ``private`` (edited once) and ``direct``, each with a poll and #hush; she
boosts her own private status (``boost``) and pins ``private`` and ``public``. In the thread of
``public`` fran answers followers-only (``reply_private``) and alice answers directly to mia
(``reply_direct``); fran answers ``private`` publicly (``reply_public``) and boosts ``public``
(``boost_public``: a boost bea may see on its own, of an original she may not).

``PERMITTED`` spells the rule out for each status; it is not computed by the application. Every
table below is checked two ways: no viewer outside ``PERMITTED`` sees a status (neither its id in
the answer nor its text anywhere in the body), and, as positive controls, the viewers a row names
do see it, so that no check can pass on an empty answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Follow
from accounts.services import block_account, follow_account, unfollow_account
from federation.uris import status_uri, status_url
from statuses.models import (
    Bookmark,
    ConversationMute,
    Favourite,
    Mention,
    Poll,
    PollVote,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusPin,
)
from statuses.services import (
    PollParams,
    bookmark_status,
    close_poll,
    favourite_status,
    pin_status,
    post_status,
    reblog_status,
    update_status,
    vote,
)
from tests.conftest import render_cache_config
from timelines import feeds
from timelines.models import AccountConversation, ListAccount, Notification, NotificationPolicy

pytestmark = pytest.mark.django_db

# --- Who may see what ----------------------------------------------------------------------------

PEOPLE = ("alice", "fran", "leo", "mia", "evan", "bea", "sam")
VIEWERS = (*PEOPLE, "anon", "app")
EVERYONE = frozenset(VIEWERS)
USERS = frozenset(PEOPLE)
TOKENLESS = frozenset({"anon", "app"})  # no signed-in user behind the request
NOT_BLOCKED = EVERYONE - {"bea"}  # alice blocks bea: bea, signed in, sees nothing of alice's

PERMITTED: dict[str, frozenset[str]] = {
    "public": NOT_BLOCKED,
    "private": frozenset({"alice", "fran", "leo", "mia"}),  # author, followers, mentioned
    "direct": frozenset({"alice", "mia"}),  # author, mentioned
    "boost": frozenset({"alice", "fran", "leo"}),  # a private boost: followers (no mentions)
    "boost_public": NOT_BLOCKED,  # fran's boost of alice's public status: as its original
    "reply_private": frozenset({"fran", "alice", "bea"}),  # fran, her follower, alice (mentioned)
    "reply_direct": frozenset({"alice", "mia"}),
    "reply_public": EVERYONE,  # fran's; fran blocks nobody
}
# Each status's text carries a marker: a status leaks if its marker is anywhere in a body.
MARKERS = {
    "public": "mkPUBLIC",
    "private": "mkPRIV",
    "direct": "mkDIRECT",
    "reply_private": "mkREPLYPRIV",
    "reply_direct": "mkREPLYDIRECT",
    "reply_public": "mkREPLYPUBLIC",
}
NONE: frozenset[str] = frozenset()


@dataclass
class World:
    accounts: dict[str, Account]
    clients: dict[str, APIClient]
    statuses: dict[str, Status]
    lists: dict[str, int] = field(default_factory=dict)  # each person's own list

    def id(self, name: str) -> str:
        return str(self.statuses[name].id)

    def poll_id(self, name: str) -> str | None:
        poll = Poll.objects.filter(status_id=self.statuses[name].id).first()
        return str(poll.id) if poll is not None else None


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    """Hundreds of requests per test, the anonymous ones all from one address."""
    settings.RATE_LIMIT_REQUESTS = 0
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Rendered entities cached as on a running server: each viewer's requests reuse
        # what earlier viewers' requests cached, and must still see only their own view.
        "render": render_cache_config("p"),
    }


@pytest.fixture
def world(make_user: Callable[..., Any], client_for: Callable[..., APIClient]) -> World:
    users = {name: make_user(name) for name in PEOPLE}
    a = {name: user.account for name, user in users.items()}
    alice = a["alice"]
    alice.indexable = True
    alice.save(update_fields=["indexable"])
    clients = {name: client_for(user) for name, user in users.items()}
    clients["anon"] = APIClient()
    clients["app"] = client_for(None)

    for name in ("fran", "evan", "bea"):
        follow_account(a[name], alice, notify=True)
    follow_account(a["bea"], a["fran"])
    # mia takes private mentions from strangers (Mastodon's default would hold alice's direct
    # messages in a notification request, out of her conversations, until she accepts).
    NotificationPolicy.objects.create(account=a["mia"], for_private_mentions="accept")
    lists = {
        name: feeds.create_list(account=a[name], title=name, replies_policy=None, exclusive=False)
        for name in PEOPLE
    }
    for name in ("fran", "evan", "bea"):
        feeds.add_list_accounts(lst=lists[name], account_ids=[alice.id])

    poll = PollParams(options=["yes", "no"], expires_in=3600)

    def post(author: str, text: str, visibility: str, **kw: Any) -> Status:
        status = post_status(a[author], text=text, visibility=visibility, **kw)
        assert isinstance(status, Status)
        return status

    s: dict[str, Status] = {}
    s["public"] = post("alice", "mkPUBLIC secret #hush", "public", poll=poll)
    s["private"] = post("alice", "@mia mkPRIV secret #hush", "private", poll=poll)
    s["direct"] = post("alice", "@mia mkDIRECT secret #hush", "direct", poll=poll)
    update_status(alice, s["private"], text="@mia mkPRIV secret #hush, edited", poll=poll)
    s["boost"] = reblog_status(alice, s["private"])
    pin_status(alice, s["private"])
    pin_status(alice, s["public"])

    for name, targets in {
        "fran": ("private", "public"),
        "evan": ("private",),
        "bea": ("private",),
        "mia": ("private", "direct"),
    }.items():
        for target in targets:
            favourite_status(a[name], s[target])
            bookmark_status(a[name], s[target])
    for target in ("private", "direct"):
        bookmark_status(alice, s[target])
    for name in ("fran", "evan", "bea"):
        vote(a[name], s["private"].poll, choices=[0])
    vote(a["mia"], s["direct"].poll, choices=[1])
    # The direct status's poll ends: its author and voter are told (poll notifications).
    Poll.objects.filter(status=s["direct"]).update(expires_at=timezone.now() - timedelta(1))
    close_poll(Poll.objects.get(status=s["direct"]))

    s["reply_private"] = post("fran", "@alice mkREPLYPRIV", "private", in_reply_to=s["public"])
    s["reply_direct"] = post("alice", "@mia mkREPLYDIRECT", "direct", in_reply_to=s["public"])
    s["reply_public"] = post("fran", "@alice mkREPLYPUBLIC", "public", in_reply_to=s["private"])
    s["boost_public"] = reblog_status(a["fran"], s["public"])

    follow_account(a["leo"], alice)  # after the posts: merged into leo's home
    feeds.add_list_accounts(lst=lists["leo"], account_ids=[alice.id])
    bookmark_status(a["leo"], s["private"])
    unfollow_account(a["evan"], alice)
    block_account(alice, a["bea"])

    return World(a, clients, s, {name: lst.id for name, lst in lists.items()})


# --- Reading an endpoint -------------------------------------------------------------------------


def ids_of(statuses: Iterable[dict[str, Any] | None]) -> set[str]:
    """The statuses of an answer, and the originals inside boosts."""
    found: set[str] = set()
    for status in statuses:
        if status:
            found.add(status["id"])
            if status.get("reblog"):
                found.add(status["reblog"]["id"])
    return found


def statuses_in(body: Any) -> set[str]:
    return ids_of(body)


def notification_statuses(body: Any) -> set[str]:
    return ids_of(n.get("status") for n in body)


def grouped_statuses(body: Any) -> set[str]:
    groups = {g["status_id"] for g in body["notification_groups"] if g.get("status_id")}
    return ids_of(body["statuses"]) | groups


def conversation_statuses(body: Any) -> set[str]:
    return ids_of(c["last_status"] for c in body)


def context_statuses(body: Any) -> set[str]:
    return ids_of(body["ancestors"] + body["descendants"])


def search_statuses(body: Any) -> set[str]:
    return ids_of(body["statuses"])


def leaked_markers(body: str, viewer: str) -> list[str]:
    """The statuses whose text is in ``body`` though ``viewer`` may not see them."""
    return [n for n, mark in MARKERS.items() if mark in body and viewer not in PERMITTED[n]]


# --- Collections: every list that can hold a status ----------------------------------------------


@dataclass(frozen=True)
class Feed:
    name: str
    paths: Callable[[World, str], list[str]]  # (world, viewer) -> the GETs to make
    extract: Callable[[Any], set[str]]  # JSON -> the status ids it shows
    expect: dict[str, frozenset[str]]  # positive controls: exactly these viewers see that status
    needs_user: bool = False  # 401 without a token, 422 with an app-only token
    root: str | None = None  # the status the path is about: 404 for whoever may not see it
    # Permitted viewers whose presence is not asserted (where servers legitimately differ).
    optional: dict[str, frozenset[str]] = field(default_factory=dict)


def _account_path(name: str, query: str = "") -> Callable[[World, str], list[str]]:
    return lambda w, v: [f"/api/v1/accounts/{w.accounts[name].id}/statuses{query}"]


def _search(w: World, v: str) -> list[str]:
    return ["/api/v2/search?" + urlencode({"q": "secret", "type": "statuses"})]


def _search_urls(w: World, v: str) -> list[str]:
    links = [f(s) for s in w.statuses.values() for f in (status_url, status_uri)]
    return ["/api/v2/search?" + urlencode({"q": link, "resolve": "false"}) for link in links]


def _by_ids(w: World, v: str) -> list[str]:
    return ["/api/v1/statuses?" + urlencode([("id[]", w.id(n)) for n in w.statuses])]


def _context(name: str) -> Callable[[World, str], list[str]]:
    return lambda w, v: [f"/api/v1/statuses/{w.id(name)}/context"]


def _fixed(path: str) -> Callable[[World, str], list[str]]:
    return lambda w, v: [path]


FEEDS = [
    Feed(
        "account statuses",
        _account_path("alice"),
        statuses_in,
        {
            "public": NOT_BLOCKED,
            "private": PERMITTED["private"],
            "direct": PERMITTED["direct"],
            "boost": PERMITTED["boost"],
            "reply_direct": PERMITTED["reply_direct"],
        },
    ),
    Feed(
        "account statuses, pinned",
        _account_path("alice", "?pinned=true"),
        statuses_in,
        {"public": NOT_BLOCKED, "private": PERMITTED["private"], "direct": NONE, "boost": NONE},
    ),
    Feed(
        "account statuses, tagged",
        _account_path("alice", "?tagged=hush"),
        statuses_in,
        {"public": NOT_BLOCKED, "private": PERMITTED["private"], "direct": PERMITTED["direct"]},
    ),
    Feed(
        "replier's statuses",
        _account_path("fran"),
        statuses_in,
        {
            "reply_private": PERMITTED["reply_private"],
            "reply_public": EVERYONE,
            "boost_public": NOT_BLOCKED,
        },
    ),
    Feed("statuses?id[]=", _by_ids, statuses_in, dict(PERMITTED)),
    Feed(
        "public timeline",
        _fixed("/api/v1/timelines/public"),
        statuses_in,
        {"public": NOT_BLOCKED, "private": NONE, "direct": NONE, "boost": NONE},
    ),
    Feed(
        "local public timeline",
        _fixed("/api/v1/timelines/public?local=true"),
        statuses_in,
        {"public": NOT_BLOCKED, "private": NONE, "direct": NONE},
    ),
    Feed(
        "hashtag timeline",
        _fixed("/api/v1/timelines/tag/hush"),
        statuses_in,
        {"public": NOT_BLOCKED, "private": NONE, "direct": NONE},
    ),
    Feed(
        "home timeline",
        _fixed("/api/v1/timelines/home"),
        statuses_in,
        {
            "public": frozenset({"alice", "fran", "leo"}),
            "private": frozenset({"alice", "fran", "leo"}),
            "direct": frozenset({"alice"}),
        },
        needs_user=True,
        # Mastodon puts a direct status in the homes of mentioned *followers* only; this server
        # in every mentioned local account's. Both are within the rule.
        optional={"direct": frozenset({"mia"})},
    ),
    Feed(
        "list timeline",
        lambda w, v: [f"/api/v1/timelines/list/{w.lists.get(v, 0)}"],
        statuses_in,
        {"private": frozenset({"fran", "leo"}), "direct": NONE},
        needs_user=True,
    ),
    Feed(
        "notifications",
        _fixed("/api/v1/notifications"),
        notification_statuses,
        {
            "public": frozenset({"alice", "fran", "evan"}),
            "private": frozenset({"alice", "fran", "mia"}),
            "direct": frozenset({"alice", "mia"}),
        },
        needs_user=True,
    ),
    Feed(
        "grouped notifications (v2)",
        _fixed("/api/v2/notifications"),
        grouped_statuses,
        {
            "public": frozenset({"alice", "fran", "evan"}),
            "private": frozenset({"alice", "fran", "mia"}),
            "direct": frozenset({"alice", "mia"}),
        },
        needs_user=True,
    ),
    Feed(
        "conversations",
        _fixed("/api/v1/conversations"),
        conversation_statuses,
        {"direct": PERMITTED["direct"], "reply_direct": PERMITTED["reply_direct"], "private": NONE},
        needs_user=True,
    ),
    Feed(
        "bookmarks",
        _fixed("/api/v1/bookmarks"),
        statuses_in,
        {
            "public": frozenset({"fran"}),
            "private": frozenset({"alice", "fran", "leo", "mia"}),
            "direct": frozenset({"alice", "mia"}),
        },
        needs_user=True,
    ),
    Feed(
        "favourites",
        _fixed("/api/v1/favourites"),
        statuses_in,
        {
            "public": frozenset({"fran"}),
            "private": frozenset({"fran", "mia"}),
            "direct": frozenset({"mia"}),
        },
        needs_user=True,
    ),
    Feed(
        "search, full text",
        _search,
        search_statuses,
        {
            "public": USERS - {"bea"},  # statuses are searched for signed-in users only
            "private": PERMITTED["private"],
            "direct": PERMITTED["direct"],
        },
    ),
    Feed(
        "search, by url and uri",
        _search_urls,
        search_statuses,
        {n: NONE if n.startswith("boost") else p for n, p in PERMITTED.items()},
    ),
    Feed(
        "context of the public root",
        _context("public"),
        context_statuses,
        {
            "reply_private": frozenset({"alice", "fran"}),  # bea may see it, not the root: 404
            "reply_direct": PERMITTED["reply_direct"],
        },
        root="public",
    ),
    Feed(
        "context of a public reply to the private status",
        _context("reply_public"),
        context_statuses,
        {"private": PERMITTED["private"]},
        root="reply_public",
    ),
    Feed(
        "context of the private status",
        _context("private"),
        context_statuses,
        {"reply_public": PERMITTED["private"]},
        root="private",
    ),
]


def _expected_code(feed: Feed, viewer: str) -> int:
    if feed.needs_user and viewer == "anon":
        return 401
    if feed.needs_user and viewer == "app":
        return 422
    if feed.root is not None and viewer not in PERMITTED[feed.root]:
        return 404
    return 200


def test_the_tables_never_expect_a_leak() -> None:
    """The positive controls only name viewers the rule allows, so a row cannot bless a leak."""
    for feed in FEEDS:
        for name, viewers in (*feed.expect.items(), *feed.optional.items()):
            assert viewers <= PERMITTED[name], (feed.name, name, viewers - PERMITTED[name])
            if feed.needs_user:
                assert not viewers & TOKENLESS, feed.name
    for action in ACTIONS:
        for name, (viewer, _) in action.controls.items():
            assert viewer in PERMITTED[name], (action.name, name, viewer)


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.name)
def test_collections_show_a_status_only_to_whom_it_is_permitted(world: World, feed: Feed) -> None:
    problems: list[str] = []
    for viewer in VIEWERS:
        shown: set[str] = set()
        body = ""
        for path in feed.paths(world, viewer):
            response = world.clients[viewer].get(path)
            body += response.content.decode()
            expected = _expected_code(feed, viewer)
            if response.status_code != expected:
                kind = "LEAK" if response.status_code == 200 else "unexpected"
                problems.append(f"{kind}: {viewer} got {response.status_code} for {path}")
            elif response.status_code == 200:
                shown |= feed.extract(response.json())
        for name in world.statuses:
            seen = world.id(name) in shown
            if viewer not in PERMITTED[name] and seen:
                problems.append(f"LEAK: {viewer} is shown {name}")
            elif viewer in feed.optional.get(name, NONE):
                continue
            elif name in feed.expect and seen != (viewer in feed.expect[name]):
                problems.append(f"control: {viewer} {'sees' if seen else 'misses'} {name}")
        problems += [f"LEAK: {viewer} gets the text of {n}" for n in leaked_markers(body, viewer)]
    assert not problems, f"{feed.name}:\n" + "\n".join(problems)


# --- One status at a time: 404 for whoever may not see it ----------------------------------------


@dataclass(frozen=True)
class Lookup:
    name: str
    path: Callable[[World, str], str | None]  # (world, status) -> path; None: not applicable
    method: str = "get"
    ok: int = 200  # the answer to a viewer who may see the status
    app_only: bool = False  # needs a token, if only an app's: 401 without one


def _status_path(suffix: str = "") -> Callable[[World, str], str]:
    return lambda w, n: f"/api/v1/statuses/{w.id(n)}{suffix}"


def _poll_path(w: World, n: str) -> str | None:
    poll_id = w.poll_id(n)
    return f"/api/v1/polls/{poll_id}" if poll_id else None


LOOKUPS = [
    Lookup("status", _status_path()),
    Lookup("context", _status_path("/context")),
    Lookup("history", _status_path("/history")),
    Lookup("source", _status_path("/source"), app_only=True),
    Lookup("favourited_by", _status_path("/favourited_by")),
    Lookup("reblogged_by", _status_path("/reblogged_by")),
    Lookup("poll", _poll_path),
    # No translation service here: 403 for who may see the status (Mastodon's answer).
    Lookup("translate", _status_path("/translate"), method="post", ok=403, app_only=True),
]


def _lookup_code(lookup: Lookup, name: str, viewer: str) -> int:
    if viewer == "anon" and lookup.app_only:
        return 401
    return lookup.ok if viewer in PERMITTED[name] else 404


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda x: x.name)
def test_a_status_is_404_to_whoever_may_not_see_it(world: World, lookup: Lookup) -> None:
    problems: list[str] = []
    controls = 0
    for name in world.statuses:
        path = lookup.path(world, name)
        if path is None:
            continue
        for viewer in VIEWERS:
            response = getattr(world.clients[viewer], lookup.method)(path)
            expected = _lookup_code(lookup, name, viewer)
            if response.status_code != expected:
                kind = "LEAK" if viewer not in PERMITTED[name] else "unexpected"
                problems.append(f"{kind}: {viewer} got {response.status_code} for {name}")
            elif viewer in PERMITTED[name]:
                controls += 1  # a permitted viewer got the answer it should
            leaked = leaked_markers(response.content.decode(), viewer)
            problems += [f"LEAK: {viewer} gets the text of {n} via {name}" for n in leaked]
    assert controls, "no permitted viewer got an answer: the check would be vacuous"
    assert not problems, f"{lookup.name}:\n" + "\n".join(problems)


def test_status_answers_carry_the_status(world: World) -> None:
    """Positive control for the lookups: what a permitted viewer gets is the status itself."""
    fran, mia = world.clients["fran"], world.clients["mia"]
    body = fran.get(f"/api/v1/statuses/{world.id('private')}").json()
    assert (body["id"], body["visibility"]) == (world.id("private"), "private")
    assert "mkPRIV" in body["content"]
    history = fran.get(f"/api/v1/statuses/{world.id('private')}/history").json()
    assert len(history) == 2
    assert all("mkPRIV" in edit["content"] for edit in history)
    source = mia.get(f"/api/v1/statuses/{world.id('direct')}/source").json()
    assert source["text"].startswith("@mia mkDIRECT")
    poll = mia.get(f"/api/v1/polls/{world.poll_id('direct')}").json()
    assert (poll["voted"], poll["own_votes"], poll["expired"]) == (True, [1], True)
    favourited_by = fran.get(f"/api/v1/statuses/{world.id('private')}/favourited_by").json()
    assert {a["acct"] for a in favourited_by} >= {"fran", "mia"}


# --- Acting on a status one may not see: 404, and nothing happens --------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: Callable[[World, str], str]
    data: Callable[[World, str], dict[str, Any]] | None = None
    # Positive controls, run last: a viewer allowed to see the status, and the answer it gets.
    controls: dict[str, tuple[str, int]] = field(default_factory=dict)


def _reply(scheduled: bool) -> Callable[[World, str], dict[str, Any]]:
    def data(w: World, n: str) -> dict[str, Any]:
        params: dict[str, Any] = {"status": "a reply", "in_reply_to_id": w.id(n)}
        if scheduled:
            params["scheduled_at"] = (timezone.now() + timedelta(days=1)).isoformat()
        return params

    return data


def _poll_votes(w: World, n: str) -> str:
    return f"/api/v1/polls/{w.poll_id(n)}/votes"


SEE_BOTH = {"private": ("fran", 200), "direct": ("mia", 200)}
ACTIONS = [
    Action("favourite", "post", _status_path("/favourite"), controls=SEE_BOTH),
    Action("unfavourite", "post", _status_path("/unfavourite"), controls=SEE_BOTH),
    # Seeing is not boosting: a private or direct status is boosted by its author only.
    Action(
        "reblog",
        "post",
        _status_path("/reblog"),
        controls={"private": ("fran", 403), "direct": ("mia", 403)},
    ),
    Action("unreblog", "post", _status_path("/unreblog"), controls=SEE_BOTH),
    Action("bookmark", "post", _status_path("/bookmark"), controls=SEE_BOTH),
    Action("unbookmark", "post", _status_path("/unbookmark"), controls=SEE_BOTH),
    Action("mute conversation", "post", _status_path("/mute"), controls=SEE_BOTH),
    Action("unmute conversation", "post", _status_path("/unmute"), controls=SEE_BOTH),
    Action(
        "pin",
        "post",
        _status_path("/pin"),
        controls={"private": ("alice", 200), "direct": ("alice", 422)},
    ),
    Action("unpin", "post", _status_path("/unpin"), controls={"private": ("alice", 200)}),
    Action(
        "vote",
        "post",
        _poll_votes,
        lambda w, n: {"choices": ["0"]},
        # The direct status's poll has ended: its voter hears so; a stranger hears nothing.
        controls={"private": ("leo", 200), "direct": ("mia", 422)},
    ),
    Action("reply", "post", lambda w, n: "/api/v1/statuses", _reply(False), controls=SEE_BOTH),
    Action(
        "scheduled reply",
        "post",
        lambda w, n: "/api/v1/statuses",
        _reply(True),
        controls=SEE_BOTH,
    ),
    Action(
        "edit",
        "put",
        _status_path(),
        lambda w, n: {"status": "rewritten"},
        controls={"private": ("alice", 200)},
    ),
    Action("delete", "delete", _status_path(), controls={"direct": ("alice", 200)}),
]


def _state() -> tuple[Any, ...]:
    """Everything an action could leave behind."""
    return (
        Favourite.objects.count(),
        Bookmark.objects.count(),
        PollVote.objects.count(),
        ConversationMute.objects.count(),
        StatusPin.objects.count(),
        ScheduledStatus.objects.count(),
        StatusEdit.objects.count(),
        list(Status.objects.order_by("id").values_list("id", "text", "deleted_at")),
    )


@pytest.mark.parametrize("action", ACTIONS, ids=lambda x: x.name)
def test_acting_on_an_unseen_status_is_404_and_changes_nothing(
    world: World, action: Action
) -> None:
    problems: list[str] = []
    before = _state()
    for name in ("private", "direct"):
        path = action.path(world, name)
        data = action.data(world, name) if action.data else None
        for viewer in VIEWERS:
            if viewer in PERMITTED[name]:
                continue
            client = world.clients[viewer]
            response = getattr(client, action.method)(path, data, format="json")
            expected = {"anon": 401, "app": 422}.get(viewer, 404)
            if response.status_code != expected:
                problems.append(f"{viewer} got {response.status_code} on {name}")
            leaked = leaked_markers(response.content.decode(), viewer)
            problems += [f"LEAK: {viewer} gets the text of {n}" for n in leaked]
    assert not problems, f"{action.name}:\n" + "\n".join(problems)
    assert _state() == before, f"{action.name} changed something for a viewer who may not see"

    for name, (viewer, code) in action.controls.items():
        path = action.path(world, name)
        data = action.data(world, name) if action.data else None
        response = getattr(world.clients[viewer], action.method)(path, data, format="json")
        assert response.status_code == code, (name, viewer, response.content)


# --- Someone else's notification, conversation or list -------------------------------------------


def test_other_peoples_notifications_conversations_and_lists_are_404(world: World) -> None:
    mia = world.accounts["mia"]
    direct = world.statuses["direct"]
    mention = Notification.objects.get(account=mia, type="mention", status=direct)
    conversation = AccountConversation.objects.get(account=mia, last_status=direct)
    handles = [
        ("get", f"/api/v1/notifications/{mention.id}"),
        ("get", f"/api/v2/notifications/ungrouped-{mention.id}"),
        ("get", f"/api/v2/notifications/ungrouped-{mention.id}/accounts"),
        ("post", f"/api/v1/conversations/{conversation.id}/read"),
        ("get", f"/api/v1/timelines/list/{world.lists['mia']}"),
    ]
    for method, path in handles:
        response = getattr(world.clients["mia"], method)(path)
        assert response.status_code == 200, path  # control: the owner
        for viewer in ("fran", "sam", "bea"):
            response = getattr(world.clients[viewer], method)(path)
            assert response.status_code == 404, (viewer, path)
            assert "mkDIRECT" not in response.content.decode()
    assert AccountConversation.objects.filter(id=conversation.id).exists()


# --- Blocked and former followers ----------------------------------------------------------------


def test_lost_followers_keep_their_rows_but_see_none_of_it(world: World) -> None:
    """The matrix is not vacuous for evan and bea: what they gathered while following is still
    stored, and every endpoint hides it. Their notifications about the private status answer
    404 by id as well."""
    private = world.statuses["private"]
    for name in ("evan", "bea"):
        account = world.accounts[name]
        assert Bookmark.objects.filter(account=account, status=private).exists()
        assert Favourite.objects.filter(account=account, status=private).exists()
        assert PollVote.objects.filter(account=account, poll__status=private).exists()
        assert ListAccount.objects.filter(list__account=account).exists()
        stale = Notification.objects.get(account=account, type="status", status=private)
        client = world.clients[name]
        for path in (
            f"/api/v1/notifications/{stale.id}",
            f"/api/v2/notifications/ungrouped-{stale.id}",
            f"/api/v2/notifications/ungrouped-{stale.id}/accounts",
        ):
            response = client.get(path)
            assert response.status_code == 404, (name, path)
            assert "mkPRIV" not in response.content.decode()
        # The unread badges count exactly what the lists show.
        listed = client.get("/api/v1/notifications", {"limit": 80}).json()
        unread = client.get("/api/v1/notifications/unread_count").json()["count"]
        assert unread == len(listed), name
        groups = client.get("/api/v2/notifications", {"limit": 80}).json()["notification_groups"]
        unread_groups = client.get("/api/v2/notifications/unread_count").json()["count"]
        assert unread_groups == len(groups), name
    lost = [world.accounts["evan"], world.accounts["bea"]]
    assert not Follow.objects.filter(
        target_account=world.accounts["alice"], account__in=lost
    ).exists()


def test_blocking_a_follower_takes_everything_away(
    make_user: Callable[..., Any], client_for: Callable[..., APIClient]
) -> None:
    """Scenario (4) as a story: what dan saw as a follower (a followers-only status) and as a
    mentioned account (a direct one), he no longer sees anywhere once carol blocks him. The
    block ends the follow, which hides the first; only the block rule hides the second."""
    carol, dan = make_user("carol").account, make_user("dan").account
    carol.indexable = True
    carol.save(update_fields=["indexable"])
    follow_account(dan, carol, notify=True)
    secrets = []
    for text, visibility in (("mkPRIV hush", "private"), ("@dan mkDIRECT hush", "direct")):
        status = post_status(carol, text=text, visibility=visibility)
        assert isinstance(status, Status)
        bookmark_status(dan, status)
        favourite_status(dan, status)
        secrets.append(status)
    private, direct = (str(x.id) for x in secrets)
    both = {private, direct}
    client = client_for(dan.user)
    lists = {
        "/api/v1/timelines/home": (statuses_in, both),
        f"/api/v1/accounts/{carol.id}/statuses": (statuses_in, both),
        "/api/v1/bookmarks": (statuses_in, both),
        "/api/v1/favourites": (statuses_in, both),
        "/api/v1/notifications": (notification_statuses, both),
        "/api/v2/notifications": (grouped_statuses, both),
        "/api/v1/conversations": (conversation_statuses, {direct}),
        f"/api/v1/statuses?id[]={private}&id[]={direct}": (statuses_in, both),
        "/api/v2/search?q=hush&type=statuses": (search_statuses, both),
        **{
            "/api/v2/search?" + urlencode({"q": status_url(x)}): (search_statuses, {str(x.id)})
            for x in secrets
        },
    }
    suffixes = ("", "/context", "/history", "/source", "/favourited_by")
    singles = [f"/api/v1/statuses/{sid}{x}" for sid in both for x in suffixes]

    for path, (extract, expected) in lists.items():
        assert extract(client.get(path).json()) & both == expected, f"before the block: {path}"
    for path in singles:
        assert client.get(path).status_code == 200, f"before the block: {path}"

    block_account(carol, dan)

    for path, (extract, _) in lists.items():
        response = client.get(path)
        assert not extract(response.json()) & both, f"after the block: {path}"
        body = response.content.decode()
        assert "mkPRIV" not in body, f"after the block: {path}"
        assert "mkDIRECT" not in body, f"after the block: {path}"
    for path in singles:
        assert client.get(path).status_code == 404, f"after the block: {path}"


def test_a_pending_follow_request_grants_nothing(
    make_user: Callable[..., Any], client_for: Callable[..., APIClient]
) -> None:
    """A locked author: the requester sees the private status only once accepted."""
    from accounts.services import authorize_follow_request

    carol, dan = make_user("carol", locked=True).account, make_user("dan").account
    secret = post_status(carol, text="mkPRIV locked", visibility="private")
    assert isinstance(secret, Status)
    follow_account(dan, carol)  # a request: carol is locked
    client = client_for(dan.user)
    path = f"/api/v1/accounts/{carol.id}/statuses"
    assert client.get(f"/api/v1/statuses/{secret.id}").status_code == 404
    assert str(secret.id) not in statuses_in(client.get(path).json())

    authorize_follow_request(carol, dan)
    assert client.get(f"/api/v1/statuses/{secret.id}").status_code == 200
    assert str(secret.id) in statuses_in(client.get(path).json())
    assert str(secret.id) in statuses_in(client.get("/api/v1/timelines/home").json())


# --- Threads -------------------------------------------------------------------------------------


def test_hidden_replies_do_not_show_in_the_public_parents_counts(world: World) -> None:
    """Scenario (6), the numbers: a stranger reading the public root cannot tell it has a
    followers-only and a direct answer (Mastodon counts public and unlisted replies only)."""
    for viewer in ("sam", "anon"):
        body = world.clients[viewer].get(f"/api/v1/statuses/{world.id('public')}").json()
        assert body["replies_count"] == 0
        context = world.clients[viewer].get(f"/api/v1/statuses/{world.id('public')}/context")
        assert context.json() == {"ancestors": [], "descendants": []}
    # Control: fran's public answer to the private status is counted there.
    fran = world.clients["fran"]
    assert fran.get(f"/api/v1/statuses/{world.id('private')}").json()["replies_count"] == 1


def test_a_public_reply_shows_only_the_id_of_its_private_parent(world: World) -> None:
    """As in Mastodon, ``in_reply_to_id`` names the parent's id even to those who may not see
    it; its content is nowhere, and asking for it is 404."""
    for viewer in ("sam", "anon", "bea"):
        client = world.clients[viewer]
        body = client.get(f"/api/v1/statuses/{world.id('reply_public')}").json()
        assert body["in_reply_to_id"] == world.id("private")
        assert "mkPRIV" not in str(body)
        assert client.get(f"/api/v1/statuses/{world.id('private')}").status_code == 404


# --- Edits that drop a mention (scenario 9) ------------------------------------------------------


def test_a_mention_dropped_by_an_edit_keeps_access_as_in_mastodon(
    alice: Any, make_user: Callable[..., Any], client_for: Callable[..., APIClient]
) -> None:
    """What happens, documented: dropping ``@sam`` from a private status in an edit turns the
    mention silent (Mastodon's behaviour). Sam keeps the access the mention gave him: the
    status and his mention notification still show, but sam is no longer listed in its
    ``mentions``. An account that was never mentioned never sees it, in any version."""
    sam, tom = make_user("sam"), make_user("tom")
    status = post_status(alice.account, text="@sam mkPRIV first draft", visibility="private")
    assert isinstance(status, Status)
    update_status(alice.account, status, text="mkPRIV second draft, without him")
    mention = Mention.objects.get(status=status, account=sam.account)
    assert mention.silent

    sid = str(status.id)
    sam_client = client_for(sam)
    shown = sam_client.get(f"/api/v1/statuses/{sid}")
    assert shown.status_code == 200
    assert shown.json()["mentions"] == []
    assert "second draft" in shown.json()["content"]
    assert sid in notification_statuses(sam_client.get("/api/v1/notifications").json())
    history = sam_client.get(f"/api/v1/statuses/{sid}/history").json()
    assert [("first draft" in e["content"]) for e in history] == [True, False]

    tom_client = client_for(tom)
    for suffix in ("", "/history", "/context", "/source"):
        assert tom_client.get(f"/api/v1/statuses/{sid}{suffix}").status_code == 404
    body = tom_client.get("/api/v1/notifications").content.decode()
    assert "mkPRIV" not in body
