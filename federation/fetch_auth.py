"""Who is fetching: HTTP Signatures on GETs, and authorized fetch ("secure mode").

Other servers sign their GETs with the key of an actor: the account on whose behalf they fetch
(a follower's server fetching a followers-only status for that follower), or their instance
actor. The signature is verified exactly as the inbox verifies a POST
(``federation.inbox.views.verified_signer``: parse, freshness, key ownership, one refetch of a
rotated key), then the signing *account* is the viewer the visibility policy answers for, as
Mastodon's ``SignatureAuthentication#current_account`` does. Only that account counts: a
request signed by another server's instance actor sees what an anonymous visitor sees, since
Mastodon's StatusPolicy asks about the signer alone, never "any account of that domain".

With ``AUTHORIZED_FETCH`` off a bad signature, or one from a blocked domain, is answered as an
unsigned request (Mastodon's ``signed_request_account`` is nil then); with it on, JSON GETs need
a valid signature: 401 without one, 403 for a blocked domain (refused before its key is fetched).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.models import Account
from federation import signatures
from federation.inbox.views import RefusedError, verified_signer
from federation.uris import domain_of
from moderation.policies import is_domain_blocked

__all__ = ["RefusedError", "authorized_fetch", "fetcher", "is_signed", "signed_fetcher"]


def authorized_fetch() -> bool:
    return bool(settings.AUTHORIZED_FETCH)


def is_signed(request: HttpRequest) -> bool:
    return "Signature" in request.headers or "Signature-Input" in request.headers


def _key_id(request: HttpRequest) -> str:
    try:
        parsed = signatures.parse_signature(
            method=request.method or "GET",
            target=request.get_full_path(),
            headers=request.headers,
            scheme=request.scheme or "https",
        )
    except signatures.SignatureError as exc:
        raise RefusedError(401, exc.reason) from exc
    return parsed.key_id


def signed_fetcher(request: HttpRequest) -> Account | None:
    """The remote account whose key signed this GET; None when it is not signed.

    Raises ``RefusedError``: 401 for a signature that does not verify, 403 when the key's or
    the signer's domain is blocked. A blocked domain is refused before its key is looked up, so
    a blocked server cannot make us fetch from it."""
    if not is_signed(request):
        return None
    key_domain = domain_of(_key_id(request))
    if key_domain and is_domain_blocked(key_domain):
        raise RefusedError(403, "Your domain is blocked")
    signer = verified_signer(request, b"")
    if is_domain_blocked(signer.domain or ""):
        raise RefusedError(403, "Your domain is blocked")
    return signer


def fetcher(request: HttpRequest, *, required: bool = True) -> Account | None:
    """The account a JSON GET is answered for (None: anonymous).

    Under authorized fetch a ``required`` signature must be present and valid (else
    ``RefusedError`` 401/403). Otherwise a missing or failing signature just means anonymous."""
    try:
        signer = signed_fetcher(request)
    except RefusedError:
        if required and authorized_fetch():
            raise
        return None
    if signer is None and required and authorized_fetch():
        raise RefusedError(401, "Request not signed")
    return signer
