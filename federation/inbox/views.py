"""POST /users/NAME/inbox and /inbox (the shared inbox).

Everything is refused with nothing stored unless: the body is at most 1 MB of JSON; the request
carries a valid HTTP Signature (draft-cavage or RFC 9421) made within the time window, over a
matching digest, by a key whose owner is the activity's ``actor``; and the sender's domain is
not blocked. An accepted activity is stored (once per activity id) and answered 202; a worker
processes it (``processing``).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Account
from federation import actors, jsonld, signatures
from federation.delivery import domain_signed_in
from federation.inbox import processing
from moderation.policies import is_domain_blocked

logger = logging.getLogger(__name__)


class RefusedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _read_body(request: HttpRequest) -> bytes:
    limit = settings.FEDERATION_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RefusedError(413, "Payload too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise RefusedError(413, "Payload too large")
    return body


def verified_signer(request: HttpRequest, body: bytes) -> Account:
    """The account whose key signed this request, or RefusedError(401)."""
    try:
        parsed = signatures.parse_signature(
            method=request.method or "POST",
            target=request.get_full_path(),
            headers=request.headers,
            scheme=request.scheme or "https",
        )
        signatures.check_freshness(parsed)
        signatures.check_digest(request.headers, body, parsed=parsed)
    except signatures.SignatureError as exc:
        raise RefusedError(401, exc.reason) from exc
    signer = actors.account_for_key(parsed.key_id)
    if signer is None or not signer.public_key:
        raise RefusedError(401, f"Could not find the key {parsed.key_id}")
    if not parsed.verify(signatures.load_public_key(signer.public_key)):
        # The key may have been rotated: fetch it again, once.
        signer = actors.account_for_key(parsed.key_id, refresh=True)
        if signer is None or not parsed.verify(signatures.load_public_key(signer.public_key)):
            raise RefusedError(401, "Verification failed")
    if signer.local:
        raise RefusedError(401, "A local key cannot sign for a remote server")
    return signer


def _activity(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RefusedError(400, "The body is not JSON") from exc
    if not isinstance(data, dict) or not jsonld.types(data):
        raise RefusedError(400, "The body is not an activity")
    return data


def _recipient(username: str | None) -> Account | None:
    if username is None:
        return None
    account = Account.objects.filter(
        username__iexact=username, domain__isnull=True, suspended_at__isnull=True
    ).first()
    if account is None:
        raise RefusedError(404, "Record not found")
    return account


def accept(request: HttpRequest, username: str | None) -> int | None:
    """Verify and store one POSTed activity: the stored item's id, None when it was received
    before."""
    recipient = _recipient(username)
    body = _read_body(request)
    signer = verified_signer(request, body)
    if is_domain_blocked(signer.domain or ""):
        raise RefusedError(403, "Your domain is blocked")
    activity = _activity(body)
    if jsonld.id_of(activity.get("actor")) != signer.uri:
        raise RefusedError(401, "The activity's actor did not sign it")
    domain_signed_in(signer.domain or "")
    activity_id = jsonld.id_of(activity) or ""
    return processing.store(
        activity_id=activity_id[:2048],
        activity_type=jsonld.types(activity)[0][:64],
        signer_id=signer.id,
        recipient_id=recipient.id if recipient is not None else None,
        body=body.decode("utf-8", errors="replace"),
    )


@csrf_exempt
@require_POST
def inbox(request: HttpRequest, username: str | None = None) -> HttpResponse:
    try:
        item = accept(request, username)
    except RefusedError as exc:
        if exc.status == 401:
            key = request.headers.get("Signature", "")[:120]
            logger.info("inbox refused a request (%s): %s", key, exc.message)
        return _error(exc.status, exc.message)
    if item is not None:
        processing.wake()
    return HttpResponse(status=202)
