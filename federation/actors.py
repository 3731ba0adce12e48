"""Actors: the signing keys of local ones, and finding, fetching and storing remote ones
(Mastodon's ResolveAccountService, FetchRemoteActorService and ProcessAccountService).

Remote actors are Accounts like local ones (``domain`` set). One fetched is kept, and fetched
again when it is older than ``STALE_AFTER`` and someone asks for it, or when a signature made
with its cached key fails (the key may have been rotated). Everything fetched is hostile input:
ids must share the origin they were fetched from, HTML is sanitised, sizes are bounded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.keys import ensure_key_pair
from accounts.models import Account
from federation import http, jsonld
from federation.signatures import load_private_key, sign_request
from federation.uris import (
    INSTANCE_ACTOR_USERNAME,
    domain_of,
    is_local_uri,
    is_loopback_host,
    key_id_for,
    local_path,
    origin,
)

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=1)
ACTOR_TYPES = frozenset({"Person", "Service", "Group", "Organization", "Application"})
MAX_FIELDS = 16
WEBFINGER_ACCEPT = "application/jrd+json, application/json"


class ActorError(Exception):
    """An actor document we refuse (wrong origin, not an actor, unusable)."""


# --- Local actors and their keys ----------------------------------------------------------------

_instance_actor_lock = threading.Lock()


def instance_actor() -> Account:
    """The server's own actor (``/actor``), which signs fetches made on nobody's behalf."""
    account = Account.objects.filter(username=INSTANCE_ACTOR_USERNAME, domain__isnull=True).first()
    if account is not None:
        return ensure_key_pair(account)
    with _instance_actor_lock:
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    username=INSTANCE_ACTOR_USERNAME,
                    domain=None,
                    actor_type="Application",
                    locked=True,
                    discoverable=False,
                )
        except IntegrityError:
            account = Account.objects.get(username=INSTANCE_ACTOR_USERNAME, domain__isnull=True)
    return ensure_key_pair(account)


def is_instance_actor(account: Account) -> bool:
    return account.domain is None and account.username == INSTANCE_ACTOR_USERNAME


def signing_key(account: Account) -> tuple[str, RSAPrivateKey]:
    """A local account's key id and private key, parsed once per process."""
    ensure_key_pair(account)
    return key_id_for(account), load_private_key(account.private_key)


Signer = Callable[[str, str, dict[str, str]], dict[str, str]]


def signer(account: Account | None = None) -> Signer:
    """A ``sign(method, url, headers)`` for ``federation.http.fetch``: GETs are signed too, as
    servers in authorized-fetch mode refuse unsigned ones."""
    key_id, key = signing_key(account if account is not None else instance_actor())

    def sign(method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        return sign_request(
            method=method, url=url, body=None, key_id=key_id, private_key=key, headers=headers
        )

    return sign


# --- Fetching documents ---------------------------------------------------------------------------


def fetch_document(uri: str, *, as_account: Account | None = None) -> dict[str, Any]:
    """A JSON-LD document by its id, with a signed GET; its ``id`` must share the origin of
    the URL it finally came from (after redirects), else anyone could serve anyone's objects."""
    result = http.fetch(uri, sign=signer(as_account))
    data = result.json()
    doc_id = jsonld.id_of(data)
    if doc_id and origin(doc_id) != origin(result.url):
        raise ActorError(f"{doc_id} was served by {origin(result.url)}")
    return data


def _fetchable(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


# --- Remote actors ------------------------------------------------------------------------------


def local_account_for_uri(uri: str) -> Account | None:
    """The local account an actor URI of ours names (``/users/NAME`` or ``/actor``)."""
    path = local_path(uri.split("#", 1)[0])
    if path is None:
        return None
    if path == "/actor":
        return instance_actor()
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "users":
        return Account.objects.filter(username__iexact=parts[1], domain__isnull=True).first()
    return None


def resolve_actor(uri: str, *, refresh: bool = False, fetch: bool = True) -> Account | None:
    """The account an actor URI names: ours, a known remote one (fetched again when stale or
    when ``refresh``), or one fetched now. None when it cannot be had (and is not known)."""
    uri = uri.split("#", 1)[0]
    if not uri:
        return None
    if is_local_uri(uri):
        return local_account_for_uri(uri)
    account = Account.objects.filter(uri=uri).first()
    fresh = (
        account is not None
        and account.fetched_at is not None
        and timezone.now() - account.fetched_at < STALE_AFTER
    )
    if (fresh and not refresh) or not fetch or not _fetchable(uri):
        return account
    try:
        data = fetch_document(uri)
        return upsert_actor(data, fetched_from=uri)
    except (http.FetchError, ActorError) as exc:
        logger.info("could not fetch actor %s: %s", uri, exc)
        if isinstance(exc, http.HTTPStatusError) and exc.status == 410 and account is not None:
            return account  # gone: the Delete that follows removes it
        return account


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _url_of(value: Any) -> str:
    """An icon's or image's URL (``{"url": ...}``, a Link, a list of them, or a string)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("href")
        if isinstance(value, list | dict):
            return _url_of(value)
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https"):
        return value[:2048]
    return ""


def _fields(data: dict[str, Any]) -> list[dict[str, Any]]:
    from statuses.formatting import sanitize_html

    fields = []
    for item in jsonld.as_list(data.get("attachment")):
        if not isinstance(item, dict) or item.get("type") != "PropertyValue":
            continue
        name, value = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(value, str):
            fields.append(
                {"name": name[:255], "value": sanitize_html(value[:2048]), "verified_at": None}
            )
        if len(fields) >= MAX_FIELDS:
            break
    return fields


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _public_key(data: dict[str, Any], actor_id: str) -> tuple[str, str]:
    """The actor's (key id, PEM); a key must be owned by the actor that publishes it."""
    for key in jsonld.as_list(data.get("publicKey")):
        if not isinstance(key, dict):
            continue
        key_id, owner, pem = key.get("id"), key.get("owner"), key.get("publicKeyPem")
        if not (isinstance(key_id, str) and isinstance(pem, str)):
            continue
        if owner not in (None, actor_id) or origin(key_id) != origin(actor_id):
            continue
        return key_id[:2048], pem[:8192]
    return "", ""


def upsert_actor(data: dict[str, Any], *, fetched_from: str) -> Account:
    """Store (or update) a remote actor from its document, as fetched from ``fetched_from``.

    The document's id must share that URL's origin; its handle is ``preferredUsername`` at
    the id's domain (port included)."""
    from statuses.formatting import sanitize_html

    actor_id = jsonld.id_of(data)
    if not actor_id or origin(actor_id) != origin(fetched_from):
        raise ActorError(f"actor id {actor_id!r} does not match {fetched_from}")
    if not jsonld.has_type(data, ACTOR_TYPES):
        raise ActorError(f"{actor_id} is not an actor")
    if is_local_uri(actor_id):
        raise ActorError("a remote document claims one of our ids")
    username = _text(data.get("preferredUsername"), 255).strip()
    inbox = data.get("inbox")
    if not username or not isinstance(inbox, str) or not _fetchable(inbox):
        raise ActorError(f"{actor_id} has no preferredUsername or inbox")
    endpoints = data.get("endpoints") if isinstance(data.get("endpoints"), dict) else {}
    shared_inbox = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    key_id, pem = _public_key(data, actor_id)
    kind = next((t for t in jsonld.types(data) if t in ACTOR_TYPES), "Person")
    moved_to_uri = data.get("movedTo") if isinstance(data.get("movedTo"), str) else None
    values: dict[str, Any] = {
        "username": username,
        "domain": domain_of(actor_id),
        "display_name": _text(data.get("name"), 255),
        "note": sanitize_html(_text(data.get("summary"), 20_000)),
        "fields": _fields(data),
        "locked": data.get("manuallyApprovesFollowers") is True,
        "bot": kind in ("Service", "Application"),
        "group": kind == "Group",
        "discoverable": _flag(data.get("discoverable")),
        "indexable": data.get("indexable") is True,
        "memorial": data.get("memorial") is True,
        "also_known_as": [u for u in jsonld.ids_of(data.get("alsoKnownAs")) if _fetchable(u)][:20],
        "avatar_remote_url": _url_of(data.get("icon")),
        "header_remote_url": _url_of(data.get("image")),
        "url": _url_of(data.get("url")) or actor_id,
        "inbox_url": inbox[:2048],
        "shared_inbox_url": shared_inbox[:2048] if isinstance(shared_inbox, str) else "",
        "outbox_url": _text(data.get("outbox"), 2048),
        "followers_url": _text(data.get("followers"), 2048),
        "following_url": _text(data.get("following"), 2048),
        "featured_url": _text(data.get("featured"), 2048),
        "actor_type": kind,
        "fetched_at": timezone.now(),
    }
    if pem:
        values["public_key"] = pem
        values["key_id"] = key_id
    if moved_to_uri:
        values["moved_to"] = Account.objects.filter(uri=moved_to_uri).first()
    else:
        values["moved_to"] = None
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(uri=actor_id).first()
        if account is None:
            # The same handle under a new id (an account deleted and made again): take it over.
            account = (
                Account.objects.select_for_update()
                .filter(username__iexact=username, domain__iexact=values["domain"])
                .first()
            )
        if account is None:
            account = Account(uri=actor_id, created_at=timezone.now())
        account.uri = actor_id
        for name, value in values.items():
            setattr(account, name, value)
        account.save()
    return account


# --- WebFinger ----------------------------------------------------------------------------------


def scheme_for(domain: str) -> str:
    """https, except for loopback peers of a development server that itself runs on http."""
    if not settings.LOCAL_HTTPS and is_loopback_host(domain):
        return "http"
    return "https"


def webfinger(username: str, domain: str) -> dict[str, Any]:
    """The JRD for ``acct:username@domain`` (RFC 7033), fetched from the domain itself."""
    resource = quote(f"acct:{username}@{domain}", safe=":@")
    url = f"{scheme_for(domain)}://{domain}/.well-known/webfinger?resource={resource}"
    result = http.fetch(url, accept=WEBFINGER_ACCEPT, max_bytes=64 * 1024)
    return result.json()


def _self_link(jrd: dict[str, Any]) -> str | None:
    for link in jsonld.as_list(jrd.get("links")):
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        kind = str(link.get("type") or "")
        if "activity+json" in kind or "ld+json" in kind:
            href = link.get("href")
            if isinstance(href, str) and _fetchable(href):
                return href
    return None


def resolve_acct(username: str, domain: str | None) -> Account | None:
    """The account ``@username@domain`` names: ours, known, or found through WebFinger and
    fetched (Mastodon's ResolveAccountService). None when it cannot be found."""
    qs = Account.objects.filter(username__iexact=username)
    if domain is None or domain.lower() == settings.LOCAL_DOMAIN.lower():
        return qs.filter(domain__isnull=True, suspended_at__isnull=True).first()
    domain = domain.lower()
    known = qs.filter(domain__iexact=domain).first()
    fetched_at = known.fetched_at if known is not None else None
    if fetched_at is not None and timezone.now() - fetched_at < STALE_AFTER:
        return known
    try:
        link = _self_link(webfinger(username, domain))
    except http.FetchError as exc:
        logger.info("webfinger %s@%s failed: %s", username, domain, exc)
        return known
    if link is None:
        return known
    account = resolve_actor(link, refresh=True)
    if account is None or account.local:
        return known
    if account.username.lower() != username.lower() or (account.domain or "") != domain:
        # The actor lives elsewhere than the handle says (a split domain): Mastodon accepts
        # it only when the actor's own domain confirms the handle; we keep what we found.
        logger.info("%s@%s resolved to %s", username, domain, account.uri)
    return account


# --- Keys of signed requests ----------------------------------------------------------------------


def account_for_key(key_id: str, *, refresh: bool = False) -> Account | None:
    """The account whose key ``key_id`` names, fetched when unknown (or when ``refresh``).

    A ``#main-key`` fragment names the actor document itself; anything else (GoToSocial's
    ``/main-key`` path) is a key document whose ``owner`` is the actor, and that actor's own
    document must list this key."""
    if not _fetchable(key_id):
        return None
    if is_local_uri(key_id):
        return local_account_for_uri(key_id)
    if not refresh:
        cached = _cached_signer(key_id)
        if cached is not None:
            return cached
    known = Account.objects.filter(key_id=key_id).first()
    if known is not None and not refresh:
        _remember_signer(known)
        return known
    actor_uri = key_id.split("#", 1)[0]
    if "#" not in key_id:
        try:
            document = fetch_document(key_id)
        except (http.FetchError, ActorError) as exc:
            logger.info("could not fetch key %s: %s", key_id, exc)
            return known
        if jsonld.has_type(document, ACTOR_TYPES):
            actor_uri = jsonld.id_of(document) or ""
        else:
            owner = document.get("owner")
            actor_uri = owner if isinstance(owner, str) else ""
    if not actor_uri or origin(actor_uri) != origin(key_id):
        return None
    account = resolve_actor(actor_uri, refresh=True)
    if account is None or account.key_id != key_id:
        _signers.pop(key_id, None)
        return None
    _remember_signer(account)
    return account


# Signed requests name their key on every inbox POST and signed fetch: the few columns that
# verifying needs are kept per process for a minute, as deferred Account instances (any other
# field is loaded from the database on access). A rotated key fails verification with the
# cached PEM, and the caller asks again with ``refresh``, which replaces the entry.
_SIGNER_NAMES = {"id", "username", "domain", "uri", "key_id", "public_key", "suspended_at"}
# In the model's column order, which ``Model.from_db`` expects.
SIGNER_FIELDS = tuple(
    f.attname for f in Account._meta.concrete_fields if f.attname in _SIGNER_NAMES
)
SIGNER_TTL = 60.0
SIGNER_CACHE_SIZE = 10_000
_signers: dict[str, tuple[float, tuple[Any, ...]]] = {}


def _remember_signer(account: Account) -> None:
    if len(_signers) >= SIGNER_CACHE_SIZE:
        _signers.clear()
    values = tuple(getattr(account, name) for name in SIGNER_FIELDS)
    _signers[account.key_id] = (time.monotonic() + SIGNER_TTL, values)


def _cached_signer(key_id: str) -> Account | None:
    entry = _signers.get(key_id)
    if entry is None or entry[0] < time.monotonic():
        return None
    return Account.from_db("default", list(SIGNER_FIELDS), list(entry[1]))
