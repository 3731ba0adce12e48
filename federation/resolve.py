"""Finding remote accounts and statuses a user asks for by handle or URL (search with
``resolve=true``, as Mastodon's ResolveURLService and ResolveAccountService do)."""

from __future__ import annotations

import logging
import re

from accounts.models import Account
from federation import actors, http, jsonld
from federation.uris import is_local_uri
from statuses.models import Status

logger = logging.getLogger(__name__)

HANDLE_RE = re.compile(r"^@?(?P<username>[A-Za-z0-9_.-]+)@(?P<domain>[A-Za-z0-9.-]+(?::\d+)?)$")
NOTE_TYPES = frozenset({"Note", "Question", "Article", "Page"})


def resolve_handle(query: str) -> Account | None:
    """``@user@domain`` (port allowed) → the account, looked up over WebFinger if unknown."""
    match = HANDLE_RE.match(query.strip())
    if match is None:
        return None
    return actors.resolve_acct(match["username"], match["domain"].lower())


def resolve_url(url: str) -> Account | Status | None:
    """A remote actor or status by its id or URL, fetched (signed) when not stored yet."""
    if is_local_uri(url):
        return None
    known_status = Status.objects.filter(uri=url).first() or Status.objects.filter(url=url).first()
    if known_status is not None:
        return known_status
    known_account = Account.objects.filter(uri=url).first()
    if known_account is not None:
        return known_account
    try:
        document = actors.fetch_document(url)
    except (http.FetchError, actors.ActorError) as exc:
        logger.info("could not resolve %s: %s", url, exc)
        return None
    if jsonld.has_type(document, actors.ACTOR_TYPES):
        try:
            return actors.upsert_actor(document, fetched_from=url)
        except actors.ActorError as exc:
            logger.info("refused actor %s: %s", url, exc)
            return None
    if jsonld.has_type(document, NOTE_TYPES):
        from federation.notes import store_fetched_note

        return store_fetched_note(document)
    return None
