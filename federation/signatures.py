"""HTTP Signatures for ActivityPub server-to-server requests, as Mastodon 4.5 speaks them.

Two wire formats are in use in the fediverse, and a server has to read both:

- draft-cavage-http-signatures-12: one ``Signature`` header (``keyId``, ``algorithm``,
  ``headers``, ``signature``) and a ``Digest`` header for the body. Every implementation sends
  this; Mastodon signs with it (``app/lib/http_signature_draft.rb``, ``app/lib/request.rb``).
- RFC 9421 HTTP Message Signatures: ``Signature-Input`` + ``Signature`` structured fields (RFC
  8941) and ``Content-Digest`` (RFC 9530). Mastodon verifies it since 4.4 (on by default in 4.5,
  ``app/lib/signed_request.rb``) and picks it whenever ``Signature-Input`` is present.

Verification is split in steps because the caller has to fetch the signer's key over the
network between them, and the cheap refusals should come before that fetch (Mastodon's order):

    parsed = parse_signature(method=..., target=..., headers=request.headers)
    check_freshness(parsed)                          # Date / created window
    check_digest(request.headers, body, parsed=parsed)
    key = load_public_key(fetch_key_pem(parsed.key_id))   # network, the caller's business
    if not parsed.verify(key): ...                   # refetch once if the key may have rotated

Every refusal raises ``SignatureError`` whose ``reason`` is fit for a log line and a 401 body;
the wording follows Mastodon's where it has one, so operators can compare both servers' logs.

The module is pure: no database, no network, no Django. Parsing a PEM costs tens of
milliseconds, so keys are parsed once per process (``load_private_key`` / ``load_public_key``)
and ``key_loads()`` counts real parses for benchmarks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Literal
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

__all__ = [
    "CLOCK_SKEW_MARGIN",
    "EXPIRATION_WINDOW_LIMIT",
    "ParsedSignature",
    "SignatureError",
    "check_digest",
    "check_freshness",
    "header_map",
    "key_loads",
    "load_private_key",
    "load_public_key",
    "parse_signature",
    "sign_request",
    "sign_request_rfc9421",
]

# The time window (our federation contract, which is Mastodon's documented one): a signature
# created (its ``created`` parameter, else the Date header) up to EXPIRATION_WINDOW_LIMIT ago,
# and up to CLOCK_SKEW_MARGIN in the future, is fresh, unless it declares an ``expires`` that
# has passed by more than CLOCK_SKEW_MARGIN. Mastodon 4.x itself is stricter for requests
# without ``expires`` (5 minutes plus the skew): a delayed but genuine delivery from a slow
# queue is still accepted here, and replays stay bounded by the window and by activity ids
# being processed once.
EXPIRATION_WINDOW_LIMIT = timedelta(hours=12)
CLOCK_SKEW_MARGIN = timedelta(hours=1)

REQUEST_TARGET = "(request-target)"
RFC9421_ALGORITHM = "rsa-v1_5-sha256"
_CAVAGE_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_KEY_CACHE_SIZE = 1024


class SignatureError(Exception):
    """A request signature (or its body digest) was refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- headers -------------------------------------------------------------------------------


def header_map(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased, for lookups that ignore case as HTTP does.

    Takes Django's ``request.headers``, a plain dict or a list of pairs. A field given several
    times is joined with ", ", which is how both signature specs combine repeated fields.
    """
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


# --- keys ----------------------------------------------------------------------------------

_loads_lock = threading.Lock()
_loads = 0


def _count_load() -> None:
    global _loads
    with _loads_lock:
        _loads += 1


def key_loads() -> int:
    """How many PEMs this process has actually parsed (cache misses), for benchmarks."""
    return _loads


@lru_cache(maxsize=_KEY_CACHE_SIZE)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Parse a local actor's private key once per process (a parse costs ~60 ms).

    A bad key is a configuration error, not a remote one, hence ValueError.
    """
    _count_load()
    key = serialization.load_pem_private_key(pem.strip().encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("ActivityPub actor keys must be RSA keys")
    return key


@lru_cache(maxsize=_KEY_CACHE_SIZE)
def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Parse a remote actor's ``publicKeyPem`` once per process.

    Accepts SubjectPublicKeyInfo (``BEGIN PUBLIC KEY``, what Mastodon publishes) and PKCS#1
    (``BEGIN RSA PUBLIC KEY``). The PEM comes from another server, so a bad one is a
    SignatureError like any other refusal.
    """
    _count_load()
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"Invalid public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("Unsupported public key type (only RSA keys are supported)")
    return key


# --- RFC 8941 structured fields (just what signatures and digests need) ---------------------


class _Token(str):
    """An sf-token, kept apart from sf-string because they serialize differently."""

    __slots__ = ()


BareItem = str | int | float | bool | bytes
Params = dict[str, BareItem]


@dataclass(frozen=True, slots=True)
class _Item:
    value: BareItem
    params: Params


@dataclass(frozen=True, slots=True)
class _InnerList:
    items: tuple[_Item, ...]
    params: Params


class _SFError(ValueError):
    pass


_KEY_FIRST = frozenset("abcdefghijklmnopqrstuvwxyz*")
_KEY_CHARS = _KEY_FIRST | frozenset("0123456789_-.")
_TCHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:/"
)
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class _SFParser:
    """RFC 8941 section 4.2 parsing of a Dictionary, strict where the RFC says to fail."""

    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise _SFError("non-ASCII characters")
        self.s = text
        self.i = 0

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _take(self) -> str:
        c = self._peek()
        if not c:
            raise _SFError("unexpected end of input")
        self.i += 1
        return c

    def _skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def dictionary(self) -> dict[str, _Item | _InnerList]:
        out: dict[str, _Item | _InnerList] = {}
        self._skip(" ")
        if not self._peek():
            return out
        while True:
            key = self._key()
            if self._peek() == "=":
                self.i += 1
                out[key] = self._item_or_inner_list()
            else:
                out[key] = _Item(True, self._params())
            self._skip(" \t")
            if not self._peek():
                return out
            if self._take() != ",":
                raise _SFError(f"expected ',' at {self.i - 1}")
            self._skip(" \t")
            if not self._peek():
                raise _SFError("trailing comma")

    def _key(self) -> str:
        if not self._peek() or self._peek() not in _KEY_FIRST:
            raise _SFError(f"invalid key at {self.i}")
        start = self.i
        while self._peek() and self._peek() in _KEY_CHARS:
            self.i += 1
        return self.s[start : self.i]

    def _item_or_inner_list(self) -> _Item | _InnerList:
        if self._peek() != "(":
            return self._item()
        self.i += 1
        items: list[_Item] = []
        while True:
            self._skip(" ")
            if self._peek() == ")":
                self.i += 1
                return _InnerList(tuple(items), self._params())
            items.append(self._item())
            if self._peek() not in (" ", ")") or not self._peek():
                raise _SFError(f"invalid inner list at {self.i}")

    def _item(self) -> _Item:
        return _Item(self._bare_item(), self._params())

    def _params(self) -> Params:
        params: Params = {}
        while self._peek() == ";":
            self.i += 1
            self._skip(" ")
            key = self._key()
            value: BareItem = True
            if self._peek() == "=":
                self.i += 1
                value = self._bare_item()
            params[key] = value
        return params

    def _bare_item(self) -> BareItem:
        c = self._peek()
        if c == "-" or c.isdigit():
            return self._number()
        if c == '"':
            return self._string()
        if c == ":":
            return self._bytes()
        if c == "?":
            return self._boolean()
        if c == "*" or (c.isascii() and c.isalpha()):
            return self._token()
        raise _SFError(f"invalid item at {self.i}")

    def _number(self) -> int | float:
        sign = 1
        if self._peek() == "-":
            self.i += 1
            sign = -1
        if not self._peek().isdigit():
            raise _SFError("invalid number")
        start = self.i
        decimal = False
        while self._peek():
            c = self._peek()
            if c.isdigit():
                self.i += 1
            elif c == "." and not decimal:
                if self.i - start > 12:
                    raise _SFError("decimal too long")
                decimal = True
                self.i += 1
            else:
                break
            if self.i - start > (16 if decimal else 15):
                raise _SFError("number too long")
        text = self.s[start : self.i]
        if not decimal:
            return sign * int(text)
        if text.endswith(".") or len(text.split(".")[1]) > 3:
            raise _SFError("invalid decimal")
        return sign * float(text)

    def _string(self) -> str:
        self.i += 1
        out: list[str] = []
        while True:
            c = self._take()
            if c == "\\":
                escaped = self._take()
                if escaped not in '"\\':
                    raise _SFError("invalid escape in string")
                out.append(escaped)
            elif c == '"':
                return "".join(out)
            elif not " " <= c <= "~":
                raise _SFError("invalid character in string")
            else:
                out.append(c)

    def _token(self) -> _Token:
        start = self.i
        self.i += 1
        while self._peek() and self._peek() in _TCHARS:
            self.i += 1
        return _Token(self.s[start : self.i])

    def _bytes(self) -> bytes:
        self.i += 1
        end = self.s.find(":", self.i)
        if end < 0:
            raise _SFError("unterminated byte sequence")
        text = self.s[self.i : end]
        self.i = end + 1
        if not set(text) <= _B64_CHARS:
            raise _SFError("invalid byte sequence")
        try:
            # RFC 8941 asks parsers not to fail on missing padding.
            return base64.b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
        except binascii.Error as exc:
            raise _SFError("invalid byte sequence") from exc

    def _boolean(self) -> bool:
        self.i += 1
        c = self._take()
        if c not in "01":
            raise _SFError("invalid boolean")
        return c == "1"


def _parse_sf_dictionary(text: str) -> dict[str, _Item | _InnerList]:
    return _SFParser(text).dictionary()


def _serialize_bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{round(value, 3):.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, _Token):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return ":" + base64.b64encode(value).decode("ascii") + ":"


def _serialize_params(params: Params) -> str:
    return "".join(
        f";{key}" if value is True else f";{key}={_serialize_bare(value)}"
        for key, value in params.items()
    )


def _serialize_inner_list(inner: _InnerList) -> str:
    items = " ".join(_serialize_bare(i.value) + _serialize_params(i.params) for i in inner.items)
    return f"({items}){_serialize_params(inner.params)}"


# --- shared helpers ------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Decode base64 as Ruby's lenient ``Base64.decode64`` would accept it, padding or not."""
    cleaned = "".join(text.split()).rstrip("=")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError(f"{what} is not valid base64") from exc


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


def _split_url(url: str) -> tuple[str, str, str]:
    """(scheme, authority, request target) of an outgoing URL, as the HTTP client sends them.

    The authority keeps a non-default port (that is what the Host header carries) and uses the
    IDNA form of the host. Characters an HTTP client would percent-encode are encoded here too,
    so the signed ``(request-target)`` is byte for byte the one on the wire.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = parts.port
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    target = quote(parts.path or "/", safe="/:@!$&'()*+,;=-._~%")
    if parts.query:
        target += "?" + quote(parts.query, safe="/?:@!$&'()*+,;=-._~%")
    return scheme, authority, target


def _normalised_authority(host: str, scheme: str) -> str:
    """RFC 9421 section 2.2.3: the authority lower-cased, without the scheme's default port."""
    authority = host.strip().lower()
    default = f":{_DEFAULT_PORTS.get(scheme.lower(), 0)}"
    return authority.removesuffix(default) if authority.endswith(default) else authority


def _rsa_sign(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _parse_http_date(value: str) -> datetime:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise SignatureError(f"Invalid Date header: {value!r}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _timestamp(value: object, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SignatureError(f"Invalid {name} parameter")
    try:
        seconds = float(value)
        return datetime.fromtimestamp(int(seconds), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise SignatureError(f"Invalid {name} parameter: {value!r}") from exc


# --- signing -------------------------------------------------------------------------------


def _without(headers: Mapping[str, str] | None, *names: str) -> dict[str, str]:
    drop = {n.lower() for n in names}
    return {k: v for k, v in (headers or {}).items() if k.lower() not in drop}


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """Headers for a draft-cavage signed request, as Mastodon's ``HttpSignatureDraft`` signs.

    Returns the caller's ``headers`` plus ``Host``, ``Date``, ``Digest`` (with a body) and
    ``Signature``; send all of them. Signed: ``(request-target) host date``, then
    ``digest content-type`` for a body (content-type when given) or ``accept`` for a bodyless
    request that sets one, so a GET's negotiated format cannot be swapped. ``algorithm`` is
    ``rsa-sha256`` because that is what every receiver knows (hs2019 hides the algorithm).
    """
    _, authority, target = _split_url(url)
    given = header_map(headers or {})
    out = _without(headers, "host", "date", "digest", "signature")
    signed: list[tuple[str, str]] = [
        (REQUEST_TARGET, f"{method.lower()} {target}"),
        ("host", authority),
        ("date", format_datetime(_aware_now(now).astimezone(UTC), usegmt=True)),
    ]
    if body is not None:
        signed.append(("digest", "SHA-256=" + _b64(hashlib.sha256(body).digest())))
        if "content-type" in given:
            signed.append(("content-type", given["content-type"]))
    elif "accept" in given:
        signed.append(("accept", given["accept"]))
    signing_string = "\n".join(f"{name}: {value}" for name, value in signed)
    signature = _b64(_rsa_sign(private_key, signing_string.encode("utf-8")))
    out["Host"] = authority
    out["Date"] = signed[2][1]
    if body is not None:
        out["Digest"] = signed[3][1]
    names = " ".join(name for name, _ in signed)
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{names}",signature="{signature}"'
    )
    return out


def sign_request_rfc9421(
    *,
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
    expires: timedelta | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Headers for an RFC 9421 signed request that Mastodon 4.5 accepts.

    Covers exactly what Mastodon requires, ``@method`` and ``@target-uri`` plus
    ``content-digest`` for a body, with ``created``, ``keyid`` and an explicit
    ``alg="rsa-v1_5-sha256"`` (the only algorithm Mastodon verifies). Most of the fediverse
    does not read RFC 9421 yet, so deliveries should keep using ``sign_request``.
    """
    scheme, authority, target = _split_url(url)
    moment = _aware_now(now)
    out = _without(
        headers, "host", "date", "content-digest", "signature", "signature-input", "digest"
    )
    out["Host"] = authority
    out["Date"] = format_datetime(moment.astimezone(UTC), usegmt=True)
    values = {"@method": method.upper(), "@target-uri": f"{scheme}://{authority}{target}"}
    if body is not None:
        values["content-digest"] = f"sha-256=:{_b64(hashlib.sha256(body).digest())}:"
        out["Content-Digest"] = values["content-digest"]
    params: Params = {"created": int(moment.timestamp()), "keyid": key_id}
    if expires is not None:
        params["expires"] = int((moment + expires).timestamp())
    params["alg"] = RFC9421_ALGORITHM
    inner = _InnerList(tuple(_Item(name, {}) for name in values), params)
    base = _rfc9421_base(inner, list(values.values()))
    signature = _rsa_sign(private_key, base)
    out["Signature-Input"] = f"{label}={_serialize_inner_list(inner)}"
    out["Signature"] = f"{label}=:{_b64(signature)}:"
    return out


def _rfc9421_base(inner: _InnerList, values: list[str]) -> bytes:
    lines = [
        f"{_serialize_bare(item.value)}{_serialize_params(item.params)}: {value}"
        for item, value in zip(inner.items, values, strict=True)
    ]
    lines.append(f'"@signature-params": {_serialize_inner_list(inner)}')
    return "\n".join(lines).encode("utf-8")


# --- verifying -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    """A request signature read and checked for shape, waiting for the signer's key.

    ``covered`` lists what the signature covers as the sender named it (``(request-target)``,
    ``host``... for draft-cavage; ``@method``, ``content-digest``... for RFC 9421).
    ``created`` is the signature's creation time (its ``created`` parameter, else the Date
    header, as Mastodon reads it) and ``expires`` its declared expiry, if any.
    """

    format: Literal["draft-cavage", "rfc9421"]
    key_id: str
    algorithm: str | None
    covered: tuple[str, ...]
    created: datetime | None
    expires: datetime | None
    signature: bytes = field(repr=False)
    # What was signed, rebuilt from the request; draft-cavage may have a second candidate.
    signature_bases: tuple[bytes, ...] = field(repr=False)
    label: str | None = None

    @property
    def signed_headers(self) -> frozenset[str]:
        """The plain header fields covered (pseudo-headers and derived components left out)."""
        return frozenset(c for c in self.covered if not c.startswith(("(", "@")))

    def verify(self, public_key: PublicKeyTypes) -> bool:
        """Whether the signature was made by ``public_key`` (RSASSA-PKCS1-v1_5 with SHA-256).

        hs2019 is verified the same way: its algorithm comes from the key, and Mastodon,
        GoToSocial and Misskey all sign hs2019 with RSA PKCS#1 v1.5 SHA-256.
        """
        if not isinstance(public_key, rsa.RSAPublicKey):
            return False
        for base in self.signature_bases:
            try:
                public_key.verify(self.signature, base, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                continue
            return True
        return False


def parse_signature(
    *, method: str, target: str, headers: Mapping[str, str], scheme: str = "https"
) -> ParsedSignature:
    """Read a request's signature and rebuild what it signed, refusing weak signatures.

    ``target`` is the path and query exactly as received; ``headers`` may be Django's
    ``request.headers`` or any mapping (names are matched without case). ``scheme`` is only
    used by RFC 9421's ``@target-uri``/``@scheme``: pass ``request.scheme``. The Host header
    is used exactly as received. As in Mastodon, an RFC 9421 signature (``Signature-Input``)
    wins over a draft-cavage one. No key is needed yet: the result says which key to fetch.
    """
    fields = header_map(headers)
    if "signature-input" in fields:
        return _parse_rfc9421(method=method, target=target, headers=fields, scheme=scheme)
    if "signature" not in fields:
        raise SignatureError("Request not signed")
    return _parse_cavage(method=method, target=target, headers=fields)


_CAVAGE_PARAM = re.compile(
    r"""[ \t]*([0-9A-Za-z!#$%&'*+.^_`|~-]+)[ \t]*=[ \t]*
        (?:"((?:[^"\\]|\\.)*)"|([0-9A-Za-z!#$%&'*+.^_`|~-]+))[ \t]*""",
    re.VERBOSE | re.DOTALL,
)


def _cavage_params(value: str) -> dict[str, str]:
    """Parse ``key="value",key=token`` pairs as Mastodon's SignatureParser does.

    Like Mastodon it tolerates the stray ``Signature `` prefix old node-http-signature sent.
    """
    text = value.strip().removeprefix("Signature ")
    params: dict[str, str] = {}
    pos = 0
    while True:
        match = _CAVAGE_PARAM.match(text, pos)
        if match is None:
            raise SignatureError("Error parsing signature parameters")
        quoted, token = match.group(2), match.group(3)
        params[match.group(1)] = (
            re.sub(r"\\(.)", r"\1", quoted, flags=re.DOTALL) if quoted is not None else token
        )
        pos = match.end()
        if pos == len(text):
            return params
        if text[pos] != ",":
            raise SignatureError("Error parsing signature parameters")
        pos += 1


def _parse_cavage(*, method: str, target: str, headers: Mapping[str, str]) -> ParsedSignature:
    params = _cavage_params(headers["signature"])
    key_id, signature = params.get("keyId"), params.get("signature")
    if not key_id or not signature:
        raise SignatureError("Incompatible request signature. keyId and signature are required")
    # Mastodon: an absent algorithm means hs2019, and then the default covered list is
    # (created) rather than draft-cavage's date.
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _CAVAGE_ALGORITHMS:
        raise SignatureError(
            "Unsupported signature algorithm (only rsa-sha256 and hs2019 are supported)"
        )
    default_covered = "(created)" if algorithm == "hs2019" else "date"
    covered = tuple(params.get("headers", default_covered).lower().split())
    _check_cavage_strength(method, covered)

    # Mastodon reads the created/expires parameters whether or not (created)/(expires) are
    # signed; an unsigned one could be rewritten to replay a request, so only signed ones count.
    created: datetime | None = None
    expires: datetime | None = None
    if algorithm == "hs2019" and params.get("created") and "(created)" in covered:
        created = _timestamp(params["created"], "created")
    elif headers.get("date"):
        created = _parse_http_date(headers["date"])
    if params.get("expires") and "(expires)" in covered:
        expires = _timestamp(params["expires"], "expires")

    def line(name: str, request_target: str) -> str:
        if name == REQUEST_TARGET:
            return f"{REQUEST_TARGET}: {method.lower()} {request_target}"
        if name in ("(created)", "(expires)"):
            param = name[1:-1]
            if algorithm != "hs2019":
                raise SignatureError(f"Invalid pseudo-header {name} for rsa-sha256")
            if not params.get(param):
                raise SignatureError(
                    f"Pseudo-header {name} used but corresponding argument missing"
                )
            return f"{name}: {params[param]}"
        if name not in headers:
            raise SignatureError(f"Signed header {name} is missing from the request")
        return f"{name}: {headers[name].strip()}"

    bases = ["\n".join(line(name, target) for name in covered)]
    # Mastodon also accepts a (request-target) signed without the query string, because
    # Mastodon before 4.3 left it out (SignedRequest::HttpSignature#verified?).
    path_only = target.split("?", 1)[0]
    if REQUEST_TARGET in covered and path_only != target:
        bases.append("\n".join(line(name, path_only) for name in covered))
    return ParsedSignature(
        format="draft-cavage",
        key_id=key_id,
        algorithm=algorithm,
        covered=covered,
        created=created,
        expires=expires,
        signature=_b64decode(signature, "Signature"),
        signature_bases=tuple(b.encode("utf-8") for b in bases),
    )


def _check_cavage_strength(method: str, covered: tuple[str, ...]) -> None:
    """Mastodon's verify_signature_strength!: what a draft-cavage signature must cover."""
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError(
            "Mastodon requires the Date header or (created) pseudo-header to be signed"
        )
    if REQUEST_TARGET not in covered and "digest" not in covered:
        raise SignatureError(
            "Mastodon requires the Digest header or (request-target) pseudo-header to be signed"
        )
    verb = method.upper()
    if verb in ("GET", "HEAD") and "host" not in covered:
        raise SignatureError(
            "Mastodon requires the Host header to be signed when doing a GET request"
        )
    if verb == "POST" and "digest" not in covered:
        raise SignatureError(
            "Mastodon requires the Digest header to be signed when doing a POST request"
        )


def _parse_rfc9421(
    *, method: str, target: str, headers: Mapping[str, str], scheme: str
) -> ParsedSignature:
    try:
        inputs = _parse_sf_dictionary(headers["signature-input"])
        signatures = _parse_sf_dictionary(headers.get("signature", ""))
    except _SFError as exc:
        raise SignatureError(f"Signature-Input or Signature could not be parsed: {exc}") from exc
    if len(inputs) != 1:
        raise SignatureError("Only a single signature is supported")
    label, inner = next(iter(inputs.items()))
    if not isinstance(inner, _InnerList):
        raise SignatureError("Signature-Input must list the covered components")
    value = signatures.get(label)
    if not isinstance(value, _Item) or not isinstance(value.value, bytes):
        raise SignatureError(f"Signature header has no byte sequence labelled {label}")

    key_id, created_param = inner.params.get("keyid"), inner.params.get("created")
    if not isinstance(key_id, str) or not key_id or created_param is None:
        raise SignatureError("Incompatible request signature. keyid and created are required")
    alg = inner.params.get("alg")
    if alg is not None and alg != RFC9421_ALGORITHM:
        raise SignatureError(
            f"Unsupported signature algorithm (only {RFC9421_ALGORITHM} is supported)"
        )
    if not isinstance(created_param, int) or isinstance(created_param, bool):
        raise SignatureError("The created parameter must be an integer")
    created = _timestamp(created_param, "created")
    expires_param = inner.params.get("expires")
    expires = None if expires_param is None else _timestamp(expires_param, "expires")

    covered: list[str] = []
    for item in inner.items:
        if not isinstance(item.value, str) or isinstance(item.value, _Token):
            raise SignatureError("Covered components must be strings")
        if item.params:
            raise SignatureError(f"Unsupported component parameters on {item.value}")
        covered.append(item.value.lower())
    if len(set(covered)) != len(covered) or "@signature-params" in covered:
        raise SignatureError("Invalid covered components in Signature-Input")
    if "@method" not in covered or "@target-uri" not in covered:
        raise SignatureError(
            "Mastodon requires the @method and @target-uri derived components to be signed"
        )
    if method.upper() == "POST" and "content-digest" not in covered:
        raise SignatureError(
            "Mastodon requires the Content-Digest header to be signed when doing a POST request"
        )

    values = [
        _component_value(name, method=method, target=target, headers=headers, scheme=scheme)
        for name in covered
    ]
    return ParsedSignature(
        format="rfc9421",
        key_id=key_id,
        algorithm=str(alg) if alg is not None else None,
        covered=tuple(covered),
        created=created,
        expires=expires,
        signature=value.value,
        signature_bases=(_rfc9421_base(inner, values),),
        label=label,
    )


def _component_value(
    name: str, *, method: str, target: str, headers: Mapping[str, str], scheme: str
) -> str:
    """The value of one covered component (RFC 9421 sections 2.1 and 2.2)."""
    if not name.startswith("@"):
        if name not in headers:
            raise SignatureError(f"Signed header {name} is missing from the request")
        return headers[name].strip()
    if name == "@method":
        return method
    if name == "@request-target":
        return target
    path, _, query = target.partition("?")
    if name == "@path":
        return path or "/"
    if name == "@query":
        return f"?{query}"
    if name == "@scheme":
        return scheme.lower()
    if "host" not in headers:
        raise SignatureError("Host header missing")
    authority = _normalised_authority(headers["host"], scheme)
    if name == "@authority":
        return authority
    if name == "@target-uri":
        return f"{scheme.lower()}://{authority}{target}"
    raise SignatureError(f"Unsupported derived component {name}")


def check_freshness(parsed: ParsedSignature, *, now: datetime | None = None) -> None:
    """Refuse a signature outside the time window (see EXPIRATION_WINDOW_LIMIT)."""
    moment = _aware_now(now)
    created, expires = parsed.created, parsed.expires
    if created is None and expires is None:
        raise SignatureError("Signed request has neither a Date header nor a created parameter")
    if created is not None:
        if created > moment + CLOCK_SKEW_MARGIN:
            raise SignatureError(
                "Signed request date outside acceptable time window (created in the future)"
            )
        if moment - created > EXPIRATION_WINDOW_LIMIT:
            raise SignatureError("Signed request date outside acceptable time window (expired)")
    if expires is not None and moment > expires + CLOCK_SKEW_MARGIN:
        raise SignatureError("Signed request date outside acceptable time window (expired)")


def check_digest(
    headers: Mapping[str, str], body: bytes, *, parsed: ParsedSignature | None = None
) -> None:
    """Refuse a body that does not match its ``Digest`` / ``Content-Digest`` header.

    A body needs a digest; with ``parsed`` the digest must also be one the signature covers
    (otherwise anyone could replace the body and its digest). Every supported algorithm
    offered (SHA-256, SHA-512) must match; comparisons are constant-time.
    """
    fields = header_map(headers)
    present = [name for name in ("digest", "content-digest") if name in fields]
    if parsed is not None:
        present = [name for name in present if name in parsed.signed_headers]
    if not present:
        if body:
            raise SignatureError(
                "Digest header missing" if parsed is None else "Digest header missing or not signed"
            )
        return
    for name in present:
        offered = (
            _cavage_digests(fields[name]) if name == "digest" else _content_digests(fields[name])
        )
        _compare_digests(name, offered, body)


def _cavage_digests(value: str) -> dict[str, bytes]:
    """``Digest: SHA-256=<b64>,SHA-512=<b64>`` (RFC 3230), algorithm names without case."""
    offered: dict[str, bytes] = {}
    for part in value.split(","):
        algorithm, sep, encoded = part.strip().partition("=")
        if not sep:
            raise SignatureError(f"Invalid Digest header: {value!r}")
        algorithm = algorithm.lower()
        if algorithm in _DIGESTS:
            offered[algorithm] = _b64decode(encoded, f"Digest {algorithm}")
        else:
            offered.setdefault(algorithm, b"")
    return offered


def _content_digests(value: str) -> dict[str, bytes]:
    """``Content-Digest: sha-256=:<b64>:`` (RFC 9530, a structured-field dictionary)."""
    try:
        members = _parse_sf_dictionary(value)
    except _SFError as exc:
        raise SignatureError(
            "Content-Digest could not be parsed. It does not contain a valid RFC8941 dictionary."
        ) from exc
    offered: dict[str, bytes] = {}
    for algorithm, member in members.items():
        digest = member.value if isinstance(member, _Item) else None
        if isinstance(digest, bytes):
            offered[algorithm] = digest
        elif algorithm in _DIGESTS:
            raise SignatureError(f"Invalid Content-Digest value for {algorithm}")
        else:
            offered[algorithm] = b""
    return offered


def _compare_digests(header: str, offered: Mapping[str, bytes], body: bytes) -> None:
    supported = [algorithm for algorithm in offered if algorithm in _DIGESTS]
    if not supported:
        raise SignatureError(
            f"Unsupported {header} algorithms ({', '.join(offered) or 'none'}); "
            "SHA-256 or SHA-512 is required"
        )
    for algorithm in supported:
        computed = _DIGESTS[algorithm](body).digest()
        if not hmac.compare_digest(computed, offered[algorithm]):
            raise SignatureError(
                f"Invalid Digest value. Computed {algorithm.upper()} digest: {_b64(computed)}; "
                f"given: {_b64(offered[algorithm])}"
            )
