"""/api/v1/apps: registering OAuth clients, and checking a token's app."""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from oauth2_provider.generators import generate_client_secret
from oauthlib.uri_validate import is_absolute_uri
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Application
from accounts.scopes import invalid_scopes, parse_scopes
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_str_list
from fedisocial.api.views import MastodonView

NAME_MAX = 60
WEBSITE_MAX = 2000

# --- The instance's VAPID key (Web Push), which Mastodon also returns with apps ----------------


@functools.cache
def _vapid_public_key(path: Path) -> str:
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            os.write(fd, pem)
            os.close(fd)
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # atomic: a concurrent process keeps whichever came first
        finally:
            os.unlink(tmp)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(point).decode("ascii")


def vapid_public_key() -> str:
    """The instance's P-256 Web Push public key (uncompressed point, URL-safe base64).

    ``settings.VAPID_PUBLIC_KEY`` when set; otherwise a key pair generated once and kept in
    ``DATA_DIR/vapid_private_key.pem``."""
    configured = getattr(settings, "VAPID_PUBLIC_KEY", "")
    if configured:
        return configured
    return _vapid_public_key(Path(settings.DATA_DIR) / "vapid_private_key.pem")


# --- Entities ------------------------------------------------------------------------------------


def serialize_application(app: Application) -> dict[str, Any]:
    """Mastodon's Application entity."""
    uris = app.redirect_uris.split()
    return {
        "id": str(app.id),
        "name": app.name,
        "website": app.website or None,
        "scopes": parse_scopes(app.scopes),
        "redirect_uri": app.redirect_uris,
        "redirect_uris": uris,
        "vapid_key": vapid_public_key(),
    }


def serialize_credential_application(app: Application, client_secret: str) -> dict[str, Any]:
    """CredentialApplication: the entity plus the credentials (the secret is stored hashed, so
    the caller passes the one just generated)."""
    return {
        **serialize_application(app),
        "client_id": app.client_id,
        "client_secret": client_secret,
        "client_secret_expires_at": 0,
    }


# --- Validation, shared with the create_app command -----------------------------------------------


def _redirect_uri_problem(uri: str) -> str | None:
    if "#" in uri:
        return "Redirect URI cannot contain a fragment."
    if not is_absolute_uri(uri):
        return "Redirect URI must be an absolute URI."
    return None


def clean_app_fields(
    *, name: Any, redirect_uris: Any, scopes: Any, website: Any
) -> tuple[dict[str, str], list[str]]:
    """Normalised fields for an Application, and the list of problems (Rails-style)."""
    problems: list[str] = []
    name = str(name or "").strip()
    if not name:
        problems.append("Application name can't be blank")
    elif len(name) > NAME_MAX:
        problems.append(f"Application name is too long (maximum is {NAME_MAX} characters)")

    uris: list[str] = []
    for item in to_str_list(redirect_uris):
        uris += [u for u in item.split() if u not in uris]
    if not uris:
        problems.append("Redirect URI can't be blank")
    for uri in uris:
        problem = _redirect_uri_problem(uri)
        if problem and problem not in problems:
            problems.append(problem)

    if isinstance(scopes, list):
        scopes = " ".join(str(s) for s in scopes)
    scope_list = parse_scopes(str(scopes or "")) or ["read"]
    if invalid_scopes(scope_list):
        problems.append("Scopes doesn't match configured on the server.")

    website = str(website or "").strip()
    if website:
        parts = urlsplit(website)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            problems.append("Website is not a valid URL")
        elif len(website) > WEBSITE_MAX:
            problems.append(f"Website is too long (maximum is {WEBSITE_MAX} characters)")

    fields = {
        "name": name,
        "redirect_uris": "\n".join(uris),
        "scopes": " ".join(scope_list),
        "website": website,
    }
    return fields, problems


def create_application(
    *,
    name: str,
    redirect_uris: str,
    scopes: str,
    website: str = "",
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[Application, str]:
    """A confidential client allowed Mastodon's grants. Returns it and its raw secret (stored
    hashed)."""
    raw_secret = client_secret or generate_client_secret()
    app = Application(
        name=name,
        redirect_uris=redirect_uris,
        scopes=scopes,
        website=website,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        client_secret=raw_secret,
        hash_client_secret=True,
    )
    if client_id:
        app.client_id = client_id
    app.save()
    return app, raw_secret


# --- Views ---------------------------------------------------------------------------------------


class AppsView(MastodonView):
    """POST /api/v1/apps: public; a stale Authorization header is ignored, as Mastodon does."""

    authentication_classes: list[Any] = []
    public_methods = ("POST",)

    def post(self, request: Request) -> Response:
        params = self.params
        fields, problems = clean_app_fields(
            name=params.get("client_name"),
            redirect_uris=params.get("redirect_uris"),
            scopes=params.get("scopes"),
            website=params.get("website"),
        )
        if problems:
            raise UnprocessableEntity("Validation failed: " + ", ".join(problems))
        app, secret = create_application(**fields)
        return Response(serialize_credential_application(app, secret))


class AppCredentialsView(MastodonView):
    """GET /api/v1/apps/verify_credentials: any valid token, app or user, no scope needed."""

    app_methods = ("GET",)

    def get(self, request: Request) -> Response:
        app = request.auth.application
        if app is None:
            raise UnprocessableEntity("This token has no application")
        return Response(serialize_application(app))
