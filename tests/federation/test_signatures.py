"""HTTP Signatures: our signer against our verifier, and our verifier against other people's bytes.

Real RSA keys throughout, no mocks. The known-answer tests replay requests from Mastodon's own
test suite (spec/requests/signature_verification_spec.rb, signed there with the private key
quoted below), so both wire formats are checked against Mastodon's implementation and not only
against ours.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.signatures import (
    ParsedSignature,
    SignatureError,
    check_digest,
    check_freshness,
    header_map,
    key_loads,
    load_private_key,
    load_public_key,
    parse_signature,
    sign_request,
    sign_request_rfc9421,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
KEY_ID = "https://remote.example/users/alice#main-key"
INBOX = "https://local.example/users/bob/inbox"
BODY = b'{"@context":"https://www.w3.org/ns/activitystreams","type":"Follow"}'
AP_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    public: rsa.RSAPublicKey
    private_pem: str
    public_pem: str


def _key_pair() -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private, private.public_key(), private_pem, public_pem)


@pytest.fixture(scope="module")
def alice() -> KeyPair:
    return _key_pair()


@pytest.fixture(scope="module")
def mallory() -> KeyPair:
    return _key_pair()


def _received(url: str, sent: dict[str, str]) -> tuple[str, dict[str, str]]:
    """What the receiving server sees: the request target and the headers as sent."""
    target = url.split("://", 1)[1]
    return target[target.index("/") :], dict(sent)


def _signed_post(key: KeyPair, *, body: bytes = BODY, now: datetime = NOW) -> dict[str, str]:
    return sign_request(
        method="POST",
        url=INBOX,
        body=body,
        key_id=KEY_ID,
        private_key=key.private,
        headers={"Content-Type": AP_TYPE},
        now=now,
    )


def _cavage_header(key: KeyPair, lines: list[tuple[str, str]], **params: str) -> str:
    """A test-side draft-cavage signer, for variants our own signer never produces."""
    signing_string = "\n".join(f"{name}: {value}" for name, value in lines).encode()
    signature = key.private.sign(signing_string, padding.PKCS1v15(), hashes.SHA256())
    fields = {"keyId": KEY_ID, **params, "headers": " ".join(name for name, _ in lines)}
    fields["signature"] = base64.b64encode(signature).decode()
    return ",".join(f'{name}="{value}"' for name, value in fields.items())


def _date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


# --- signing and verifying our own requests ------------------------------------------------


def test_signed_post_round_trips(alice: KeyPair) -> None:
    sent = _signed_post(alice)

    assert sent["Host"] == "local.example"
    assert sent["Date"] == "Sun, 01 Jun 2025 12:00:00 GMT"
    assert sent["Digest"] == "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    assert sent["Content-Type"] == AP_TYPE
    assert sent["Signature"].startswith(f'keyId="{KEY_ID}",algorithm="rsa-sha256",')
    assert 'headers="(request-target) host date digest content-type"' in sent["Signature"]

    target, headers = _received(INBOX, sent)
    parsed = parse_signature(method="POST", target=target, headers=headers)
    check_freshness(parsed, now=NOW)
    check_digest(headers, BODY, parsed=parsed)

    assert parsed.key_id == KEY_ID
    assert parsed.format == "draft-cavage"
    assert parsed.covered == ("(request-target)", "host", "date", "digest", "content-type")
    assert parsed.created == NOW
    assert parsed.verify(alice.public)


def test_signed_get_covers_accept_when_given(alice: KeyPair) -> None:
    url = "https://remote.example:8443/users/carol/outbox?page=true"
    sent = sign_request(
        method="GET",
        url=url,
        body=None,
        key_id=KEY_ID,
        private_key=alice.private,
        headers={"Accept": "application/activity+json"},
        now=NOW,
    )

    assert sent["Host"] == "remote.example:8443"
    assert "Digest" not in sent
    assert 'headers="(request-target) host date accept"' in sent["Signature"]
    target, headers = _received(url, sent)
    assert target == "/users/carol/outbox?page=true"
    parsed = parse_signature(method="GET", target=target, headers=headers)
    check_freshness(parsed, now=NOW)
    check_digest(headers, b"", parsed=parsed)
    assert parsed.verify(alice.public)


def test_signed_get_without_accept_covers_request_target_host_and_date(alice: KeyPair) -> None:
    url = "https://remote.example:443/users/carol"
    sent = sign_request(
        method="GET", url=url, body=None, key_id=KEY_ID, private_key=alice.private, now=NOW
    )

    assert sent["Host"] == "remote.example"  # the default port is left out, as clients send it
    assert 'headers="(request-target) host date"' in sent["Signature"]
    parsed = parse_signature(method="GET", target="/users/carol", headers=sent)
    assert parsed.verify(alice.public)


def test_signature_from_another_key_does_not_verify(alice: KeyPair, mallory: KeyPair) -> None:
    target, headers = _received(INBOX, _signed_post(mallory))

    parsed = parse_signature(method="POST", target=target, headers=headers)

    assert not parsed.verify(alice.public)


def test_tampered_body_is_refused_by_the_digest(alice: KeyPair) -> None:
    target, headers = _received(INBOX, _signed_post(alice))
    parsed = parse_signature(method="POST", target=target, headers=headers)

    with pytest.raises(SignatureError, match="Invalid Digest value"):
        check_digest(headers, BODY.replace(b"Follow", b"Block"), parsed=parsed)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Content-Type", "text/plain"),
        ("Host", "other.example"),
        ("Date", "Sun, 01 Jun 2025 12:00:01 GMT"),
    ],
)
def test_tampered_signed_header_does_not_verify(alice: KeyPair, name: str, value: str) -> None:
    target, headers = _received(INBOX, _signed_post(alice))
    headers[name] = value

    parsed = parse_signature(method="POST", target=target, headers=headers)

    assert not parsed.verify(alice.public)


def test_tampered_path_does_not_verify(alice: KeyPair) -> None:
    _, headers = _received(INBOX, _signed_post(alice))

    parsed = parse_signature(method="POST", target="/inbox", headers=headers)

    assert not parsed.verify(alice.public)


def test_host_is_compared_exactly_as_received(alice: KeyPair) -> None:
    target, headers = _received(INBOX, _signed_post(alice))
    headers["Host"] = "LOCAL.example"

    parsed = parse_signature(method="POST", target=target, headers=headers)

    assert not parsed.verify(alice.public)


def test_header_names_are_matched_without_case(alice: KeyPair) -> None:
    target, sent = _received(INBOX, _signed_post(alice))
    headers = {name.upper(): value for name, value in sent.items()}

    parsed = parse_signature(method="POST", target=target, headers=headers)

    assert parsed.verify(alice.public)
    check_digest(headers, BODY, parsed=parsed)


def test_header_map_joins_repeated_fields() -> None:
    assert header_map([("Accept", "a"), ("accept", "b"), ("Host", "h")]) == {
        "accept": "a, b",
        "host": "h",
    }


# --- freshness -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(hours=13), False),
        (timedelta(hours=12, minutes=1), False),
        # Twelve hours, as documented (Mastodon 4.x code itself allows 5 min + 1 h of skew
        # without `expires`; a delivery delayed in a queue is still genuine).
        (timedelta(hours=11), True),
        (timedelta(minutes=66), True),
        (timedelta(0), True),
        (-timedelta(minutes=30), True),
        (-timedelta(hours=2), False),
    ],
)
def test_date_window(alice: KeyPair, age: timedelta, *, accepted: bool) -> None:
    target, headers = _received(INBOX, _signed_post(alice, now=NOW - age))
    parsed = parse_signature(method="POST", target=target, headers=headers)
    assert parsed.verify(alice.public)

    if accepted:
        check_freshness(parsed, now=NOW)
    else:
        with pytest.raises(SignatureError, match="outside acceptable time window"):
            check_freshness(parsed, now=NOW)


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(hours=11), True),
        (timedelta(hours=12, minutes=59), False),
        (timedelta(hours=13, minutes=1), False),
    ],
)
def test_declared_expiry_never_extends_the_window_past_twelve_hours(
    alice: KeyPair, age: timedelta, *, accepted: bool
) -> None:
    created = NOW - age
    # It asks for 24 h; the creation time still has to be within EXPIRATION_WINDOW_LIMIT.
    expires = created + timedelta(hours=24)
    lines = [
        ("(request-target)", "post /users/bob/inbox"),
        ("host", "local.example"),
        ("(created)", str(int(created.timestamp()))),
        ("(expires)", str(int(expires.timestamp()))),
        ("digest", "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()),
    ]
    headers = {
        "Host": "local.example",
        "Digest": lines[4][1],
        "Signature": _cavage_header(
            alice,
            lines,
            algorithm="hs2019",
            created=lines[2][1],
            expires=lines[3][1],
        ),
    }
    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=headers)
    assert parsed.verify(alice.public)

    if accepted:
        check_freshness(parsed, now=NOW)
    else:
        with pytest.raises(SignatureError, match="expired"):
            check_freshness(parsed, now=NOW)


def test_unsigned_created_and_expires_parameters_are_ignored(alice: KeyPair) -> None:
    """Only signed parameters move the window, or a replayed request could be freshened."""
    sent_at = NOW - timedelta(hours=13)
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    lines = [
        ("(request-target)", "post /users/bob/inbox"),
        ("host", "local.example"),
        ("date", _date(sent_at)),
        ("digest", digest),
    ]
    headers = {
        "Host": "local.example",
        "Date": _date(sent_at),
        "Digest": digest,
        "Signature": _cavage_header(
            alice,
            lines,
            algorithm="hs2019",
            created=str(int(NOW.timestamp())),
            expires=str(int((NOW + timedelta(hours=1)).timestamp())),
        ),
    }
    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=headers)

    assert parsed.verify(alice.public)
    assert parsed.created == sent_at
    assert parsed.expires is None
    with pytest.raises(SignatureError, match="outside acceptable time window"):
        check_freshness(parsed, now=NOW)


def test_expires_in_the_past_is_refused(alice: KeyPair) -> None:
    created = NOW - timedelta(hours=3)
    headers = sign_request_rfc9421(
        method="POST",
        url=INBOX,
        body=BODY,
        key_id=KEY_ID,
        private_key=alice.private,
        now=created,
        expires=timedelta(hours=1),
    )
    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=headers)

    assert parsed.verify(alice.public)
    with pytest.raises(SignatureError, match="expired"):
        check_freshness(parsed, now=NOW)


def test_unparsable_date_is_refused(alice: KeyPair) -> None:
    target, headers = _received(INBOX, _signed_post(alice))
    headers["Date"] = "wrong date"

    with pytest.raises(SignatureError, match="Invalid Date header"):
        parse_signature(method="POST", target=target, headers=headers)


# --- draft-cavage variants -----------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["hs2019", None])
def test_hs2019_is_verified_as_rsa_sha256(alice: KeyPair, algorithm: str | None) -> None:
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    lines = [
        ("(request-target)", "post /users/bob/inbox"),
        ("host", "local.example"),
        ("date", _date(NOW)),
        ("digest", digest),
    ]
    params = {"algorithm": algorithm} if algorithm else {}
    headers = {
        "Host": "local.example",
        "Date": _date(NOW),
        "Digest": digest,
        "Signature": _cavage_header(alice, lines, **params),
    }

    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=headers)
    check_freshness(parsed, now=NOW)
    check_digest(headers, BODY, parsed=parsed)

    assert parsed.algorithm == "hs2019"
    assert parsed.verify(alice.public)


def test_created_pseudo_header_is_refused_for_rsa_sha256(alice: KeyPair) -> None:
    created = str(int(NOW.timestamp()))
    lines = [("(request-target)", "get /users/bob"), ("host", "h"), ("(created)", created)]
    headers = {
        "Host": "h",
        "Signature": _cavage_header(alice, lines, algorithm="rsa-sha256", created=created),
    }

    with pytest.raises(SignatureError, match=r"Invalid pseudo-header \(created\) for rsa-sha256"):
        parse_signature(method="GET", target="/users/bob", headers=headers)


def test_unsigned_digest_is_refused(alice: KeyPair) -> None:
    lines = [
        ("(request-target)", "post /users/bob/inbox"),
        ("host", "local.example"),
        ("date", _date(NOW)),
    ]
    headers = {
        "Host": "local.example",
        "Date": _date(NOW),
        "Digest": "SHA-256=" + base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
        "Signature": _cavage_header(alice, lines, algorithm="rsa-sha256"),
    }

    with pytest.raises(SignatureError, match="Digest header to be signed"):
        parse_signature(method="POST", target="/users/bob/inbox", headers=headers)


def test_body_without_digest_is_refused() -> None:
    with pytest.raises(SignatureError, match="Digest header missing"):
        check_digest({"Content-Type": "application/activity+json"}, BODY)


def test_get_without_signed_host_is_refused(alice: KeyPair) -> None:
    lines = [("(request-target)", "get /users/bob"), ("date", _date(NOW))]
    headers = {"Date": _date(NOW), "Signature": _cavage_header(alice, lines)}

    with pytest.raises(SignatureError, match="Host header to be signed"):
        parse_signature(method="GET", target="/users/bob", headers=headers)


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        ('keyId="k",headers="date', "Error parsing signature parameters"),
        ('algorithm="rsa-sha256",signature="AAAA"', "keyId and signature are required"),
        ('keyId="k",algorithm="ed25519",signature="AAAA"', "Unsupported signature algorithm"),
    ],
)
def test_malformed_signature_headers_are_refused(signature: str, reason: str) -> None:
    headers = {"Host": "h", "Date": _date(NOW), "Signature": signature}

    with pytest.raises(SignatureError, match=reason):
        parse_signature(method="GET", target="/", headers=headers)


def test_unsigned_request_is_refused() -> None:
    with pytest.raises(SignatureError, match="Request not signed"):
        parse_signature(method="GET", target="/", headers={"Host": "h"})


@pytest.mark.parametrize(
    "digest",
    [
        "SHA-512={sha512},SHA-256={sha256}",
        "sha-256={sha256}",
        "SHA-512={sha512}",
        "MD5=abc, SHA-256={sha256}",
    ],
)
def test_digest_accepts_sha256_and_sha512(digest: str) -> None:
    value = digest.format(
        sha256=base64.b64encode(hashlib.sha256(BODY).digest()).decode(),
        sha512=base64.b64encode(hashlib.sha512(BODY).digest()).decode(),
    )

    check_digest({"Digest": value}, BODY)


def test_digest_with_only_unknown_algorithms_is_refused() -> None:
    with pytest.raises(SignatureError, match="SHA-256 or SHA-512 is required"):
        check_digest({"Digest": "MD5=rL0Y20zC+Fzt72VPzMSk2A=="}, BODY)


def test_any_mismatching_offered_digest_is_refused() -> None:
    good = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
    bad = base64.b64encode(hashlib.sha512(b"other").digest()).decode()

    with pytest.raises(SignatureError, match="Computed SHA-512"):
        check_digest({"Digest": f"SHA-256={good},SHA-512={bad}"}, BODY)


def test_content_digest_is_checked() -> None:
    value = f"sha-512=:{base64.b64encode(hashlib.sha512(BODY).digest()).decode()}:"

    check_digest({"Content-Digest": value}, BODY)
    with pytest.raises(SignatureError, match="Invalid Digest value"):
        check_digest({"Content-Digest": value}, BODY + b" ")
    with pytest.raises(SignatureError, match="RFC8941 dictionary"):
        check_digest({"Content-Digest": value.upper()}, BODY)


# --- RFC 9421 ------------------------------------------------------------------------------


def test_rfc9421_post_round_trips(alice: KeyPair) -> None:
    sent = sign_request_rfc9421(
        method="POST",
        url=INBOX,
        body=BODY,
        key_id=KEY_ID,
        private_key=alice.private,
        headers={"Content-Type": AP_TYPE},
        now=NOW,
    )
    assert sent["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest");created={int(NOW.timestamp())}'
        f';keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    assert sent["Content-Digest"].startswith("sha-256=:")

    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=sent)
    check_freshness(parsed, now=NOW + timedelta(minutes=10))
    check_digest(sent, BODY, parsed=parsed)

    assert parsed.format == "rfc9421"
    assert parsed.label == "sig1"
    assert parsed.key_id == KEY_ID
    assert parsed.created == NOW
    assert parsed.verify(alice.public)
    # The verifier rebuilds @target-uri from the scheme it is told and the Host header.
    plain_http = parse_signature(
        method="POST", target="/users/bob/inbox", headers=sent, scheme="http"
    )
    assert not plain_http.verify(alice.public)


def test_rfc9421_created_window(alice: KeyPair) -> None:
    sent = sign_request_rfc9421(
        method="GET",
        url="https://remote.example/users/carol",
        body=None,
        key_id=KEY_ID,
        private_key=alice.private,
        now=NOW - timedelta(hours=13),
    )
    parsed = parse_signature(method="GET", target="/users/carol", headers=sent)
    assert parsed.verify(alice.public)

    check_freshness(parsed, now=NOW - timedelta(hours=2))
    with pytest.raises(SignatureError, match="outside acceptable time window"):
        check_freshness(parsed, now=NOW)


def test_rfc9421_wins_over_draft_cavage(alice: KeyPair, mallory: KeyPair) -> None:
    """Mastodon picks RFC 9421 whenever Signature-Input is present, whatever else is sent."""
    sent = sign_request_rfc9421(
        method="POST", url=INBOX, body=BODY, key_id=KEY_ID, private_key=alice.private, now=NOW
    )
    legacy = _signed_post(mallory)
    headers = {**sent, "Digest": legacy["Digest"]}

    parsed = parse_signature(method="POST", target="/users/bob/inbox", headers=headers)

    assert parsed.format == "rfc9421"
    assert parsed.verify(alice.public)
    check_digest(headers, BODY, parsed=parsed)


def _rfc9421_headers(
    key: KeyPair, components: list[tuple[str, str]], params: str, extra: dict[str, str]
) -> dict[str, str]:
    """A test-side RFC 9421 signer (section 2.5), for shapes our own signer never produces."""
    names = " ".join(f'"{name}"' for name, _ in components)
    signature_params = f"({names}){params}"
    lines = [f'"{name}": {value}' for name, value in components]
    base = "\n".join([*lines, f'"@signature-params": {signature_params}'])
    signature = key.private.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        **extra,
        "Signature-Input": f"sig1={signature_params}",
        "Signature": f"sig1=:{base64.b64encode(signature).decode()}:",
    }


def test_rfc9421_derived_components(alice: KeyPair) -> None:
    created = int(NOW.timestamp())
    digest = f"sha-256=:{base64.b64encode(hashlib.sha256(BODY).digest()).decode()}:"
    components = [
        ("@method", "POST"),
        ("@target-uri", "https://local.example:8443/inbox?x=1&y=%20"),
        ("@authority", "local.example:8443"),
        ("@scheme", "https"),
        ("@path", "/inbox"),
        ("@query", "?x=1&y=%20"),
        ("@request-target", "/inbox?x=1&y=%20"),
        ("content-digest", digest),
        ("date", _date(NOW)),
    ]
    headers = _rfc9421_headers(
        alice,
        components,
        f';created={created};keyid="{KEY_ID}";nonce="a\\"b";tag="fedi"',
        {"Host": "Local.Example:8443", "Content-Digest": digest, "Date": _date(NOW)},
    )

    parsed = parse_signature(method="POST", target="/inbox?x=1&y=%20", headers=headers)

    assert parsed.algorithm is None  # absent alg means RSA v1.5 SHA-256, as Mastodon reads it
    assert parsed.verify(alice.public)


@pytest.mark.parametrize(
    ("signature_input", "reason"),
    [
        ('sig1=("@method" "@target-uri");keyid="k"', "keyid and created are required"),
        ('sig1=("@method" "@target-uri");created=1', "keyid and created are required"),
        ('sig1=("@method" "content-digest");created=1;keyid="k"', "@target-uri derived"),
        ('sig1=("@method" "@target-uri");created=1;keyid="k"', "Content-Digest header to be"),
        (
            'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k";alg="ed25519"',
            "only rsa-v1_5-sha256",
        ),
        (
            'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k", '
            'sig2=("@method");created=1;keyid="k"',
            "Only a single signature",
        ),
        ('sig1=("@method" "@target-uri" "content-digest";created=1', "could not be parsed"),
    ],
)
def test_rfc9421_weak_or_malformed_signatures_are_refused(
    signature_input: str, reason: str
) -> None:
    headers = {
        "Host": "local.example",
        "Content-Digest": "sha-256=:AAAA:",
        "Signature-Input": signature_input,
        "Signature": "sig1=:AAAA:",
    }

    with pytest.raises(SignatureError, match=reason):
        parse_signature(method="POST", target="/inbox", headers=headers)


# --- known answers: requests signed by Mastodon's test suite -------------------------------

# spec/requests/signature_verification_spec.rb in mastodon/mastodon: the actor's private key,
# the requests and their signatures, made at 2023-12-20T10:00:00Z for Host www.example.com.
MASTODON_SPEC_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAqIAYvNFGbZ5g4iiK6feSdXD4bDStFM58A7tHycYXaYtzZQpI
eHXAmaXuZzXIwtrP4N0gIk8JNwZvXj2UPS+S07t0V9wNK94he01LV5EMz/GN4eNn
FmDL64HIEuKLvV8TvgjbUPRD6Y5X0UpKi2ZIFLSb96Q5w0Z/k7ntpVKV52y8kz5F
jr/O/0JuHryZe0yItzJh8kzFfeMf0EXzfSnaKvT7P9jhgC6uTre+jXyvVZjiHDrn
qvvucdI3I7DRfXo1OqARBrLjy+TdseUAjNYJ+OuPRI1URIWQI01DCHqcohVu9+Ar
+BiCjFp3ua+XMuJvrvbD61d1Fvig/9nbBRR+8QIDAQABAoIBAAgySHnFWI6gItR3
fkfiqIm80cHCN3Xk1C6iiVu+3oBOZbHpW9R7vl9e/WOA/9O+LPjiSsQOegtWnVvd
RRjrl7Hj20VDlZKv5Mssm6zOGAxksrcVbqwdj+fUJaNJCL0AyyseH0x/IE9T8rDC
I1GH+3tB3JkhkIN/qjipdX5ab8MswEPu8IC4ViTpdBgWYY/xBcAHPw4xuL0tcwzh
FBlf4DqoEVQo8GdK5GAJ2Ny0S4xbXHUURzx/R4y4CCts7niAiLGqd9jmLU1kUTMk
QcXfQYK6l+unLc7wDYAz7sFEHh04M48VjWwiIZJnlCqmQbLda7uhhu8zkF1DqZTu
ulWDGQECgYEA0TIAc8BQBVab979DHEEmMdgqBwxLY3OIAk0b+r50h7VBGWCDPRsC
STD73fQY3lNet/7/jgSGwwAlAJ5PpMXxXiZAE3bUwPmHzgF7pvIOOLhA8O07tHSO
L2mvQe6NPzjZ+6iAO2U9PkClxcvGvPx2OBvisfHqZLmxC9PIVxzruQECgYEAzjM6
BTUXa6T/qHvLFbN699BXsUOGmHBGaLRapFDBfVvgZrwqYQcZpBBhesLdGTGSqwE7
gWsITPIJ+Ldo+38oGYyVys+w/V67q6ud7hgSDTW3hSvm+GboCjk6gzxlt9hQ0t9X
8vfDOYhEXvVUJNv3mYO60ENqQhILO4bQ0zi+VfECgYBb/nUccfG+pzunU0Cb6Dp3
qOuydcGhVmj1OhuXxLFSDG84Tazo7juvHA9mp7VX76mzmDuhpHPuxN2AzB2SBEoE
cSW0aYld413JRfWukLuYTc6hJHIhBTCRwRQFFnae2s1hUdQySm8INT2xIc+fxBXo
zrp+Ljg5Wz90SAnN5TX0AQKBgDaatDOq0o/r+tPYLHiLtfWoE4Dau+rkWJDjqdk3
lXWn/e3WyHY3Vh/vQpEqxzgju45TXjmwaVtPATr+/usSykCxzP0PMPR3wMT+Rm1F
rIoY/odij+CaB7qlWwxj0x/zRbwB7x1lZSp4HnrzBpxYL+JUUwVRxPLIKndSBTza
GvVRAoGBAIVBcNcRQYF4fvZjDKAb4fdBsEuHmycqtRCsnkGOz6ebbEQznSaZ0tZE
+JuouZaGjyp8uPjNGD5D7mIGbyoZ3KyG4mTXNxDAGBso1hrNDKGBOrGaPhZx8LgO
4VXJ+ybXrATf4jr8ccZYsZdFpOphPzz+j55Mqg5vac5P1XjmsGTb
-----END RSA PRIVATE KEY-----
"""
MASTODON_KEY_ID = "https://remote.domain/users/bob#main-key"
MASTODON_NOW = datetime(2023, 12, 20, 10, 0, 0, tzinfo=UTC)
MASTODON_DATE = "Wed, 20 Dec 2023 10:00:00 GMT"
MASTODON_DIGEST = "SHA-256=ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw="  # of b"Hello world"
MASTODON_SIGNATURES = {
    "get": (
        "Z8ilar3J7bOwqZkMp7sL8sRs4B1FT+UorbmvWoE+A5UeoOJ3KBcUmbsh+k3wQwbP5gMNUrra9rEWabpasZGphLs"
        "bDxfbsWL3Cf0PllAc7c1c7AFEwnewtExI83/qqgEkfWc2z7UDutXc2NfgAx89Ox8DXU/fA2GG0jILjB6UpFyNug"
        "kY9rg6oI31UnvfVi3R7sr3/x8Ea3I9thPvqI2byF6cojknSpDAwYzeKdngX3TAQEGzFHz3SDWwyp3jeMWfwvVVb"
        "M38FxhvAnSumw7YwWW4L7M7h4M68isLimoT3yfCn2ucBVL5Dz8koBpYf/40w7QidClAwCafZQFC29yDOg=="
    ),
    "get_query": (
        "SDMa4r/DQYMXYxVgYO2yEqGWWUXugKjVuz0I8dniQAk+aunzBaF2aPu+4grBfawAshlx1Xytl8lhb0H2MllEz16"
        "/tKY7rUrb70MK0w8ohXgpb0qs3YvQgdj4X24L1x2MnkFfKHR/J+7TBlnivq0HZqXm8EIkPWLv+eQxu8fbowLwHI"
        "VvRd/3t6FzvcfsE0UZKkoMEX02542MhwSif6cu7Ec/clsY9qgKahb9JVGOGS1op9Lvg/9y1mc8KCgD83U5IxVyg"
        "YeYXaVQ6gixA9NgZiTCwEWzHM5ELm7w5hpdLFYxYOHg/3G3fiqJzpzNQAcCD4S4JxfE7hMI0IzVlNLT6A=="
    ),
    "post": (
        "gmhMjgMROGElJU3fpehV2acD5kMHeELi8EFP2UPHOdQ54H0r55AxIpji+J3lPe+N2qSb/4H1KXIh6f0lRu8TGSs"
        "u12OQmg5hiO8VA9flcA/mh9Lpk+qwlQZIPRqKP9xUEfqD+Z7ti5wPzDKrWAUK/7FIqWgcT/mlqB1R1MGkpMFc/q"
        "4CIs2OSNiWgA4K+Kp21oQxzC2kUuYob04gAZ7cyE/FTia5t08uv6lVYFdRsn4XNPn1MsHgFBwBMRG79ng3SyhoG"
        "4PrqBEi5q2IdLq3zfre/M6He3wlCpyO2VJNdGVoTIzeZ0Zz8jUscPV3XtWUchpGclLGSaKaq/JyNZeiYQ=="
    ),
    "rfc9421_get": (
        "WfM6q/qBqhUyqPUDt9metjadJGtLLpmMTBzk/t+R3byKe4/TGAXC6vBB/M6NsD5qv8GCmQGtisCMQxJQO0IGODG"
        "zi+Jv+eqDJ50agMVXNV6nUOzY44c4/XTPoI98qyx1oEMa4Hefy3vSYKq96iDVAc+RDLCMTeGP3wn9wizjD1SNmU"
        "0RZI1bTB+eCkywMP9mM5zXzUOYF+Qkuf+WdEpPR1XUGPlnqfdvPalcKVfaI/VThBjI91D/lmUGoa69x4EBEHM+a"
        "JmW6086e7/dVh+FndKkdGfXslZXFZKi2flTGQZgEWLn948SqAaJQROkJg8B14Sb1NONS1qZBhK3Mum8Pg=="
    ),
    "rfc9421_get_query": (
        "JbC0oqoruKkT5p3bTASZZbHQP+EwUmT6+vBjEBw/KSkLPn+tKjEj0HHIMLA2Rw3bshZyzmsVD8+2UkPcwZYnE3g"
        "zuX0r0/gC8v4dSBfwGe7EBwpekB2xU8yHW4jawxiof2LmErvEocqcnI2uiA4IlJ09uz2Os/ARmf60lj+0Qf1qqz"
        "FeM7KoXJ331BUGMJ4cQ7iS4aO9RG4P8EJ+upe7Ik1LB/q9CZmk/6MFaB2lIemV0pcg2MwctpzMw9GWN1wL10hGx"
        "x+BPT2WCXdlPQmetVSoJ89WVV8S/4lQaCA1IucYUVDvBEFgMM//VJBuw7kg8wSTeAg9oKzbR2otLqv8Lg=="
    ),
    "rfc9421_post": (
        "c4jGY/PnOV4CwyvNnAmY6NLX0sf6EtbKu7kYseNARRZaq128PrP0GNQ4cd3XsX9cbMfJMw1ntI4zuEC81ncW8g+"
        "90OHP02bX0LkT57RweUtN4CSA01hRqSVe/MW32tjGixCiItvWqjNHoIZnZApu1bd+M3zMR+VCEue4/8a0D2eRrv"
        "fQxJUUBXZR1ZTRFlf1LNFDW3U7cuTbAKYr2zWVr7on+h2vA+vzEND9WE8z1SHd6SIFFgP0QRqrCXYx+vsTs3aLu"
        "sTsamRWissoycJGexb64mI9iqiD8SD+uN1xk6iRU3nkUmhUquugjlOFyjxbbLo5ZnYjsECMt/BW+Catxw=="
    ),
}


@pytest.fixture(scope="module")
def mastodon_public_key() -> rsa.RSAPublicKey:
    public_pem = (
        load_private_key(MASTODON_SPEC_KEY)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return load_public_key(public_pem)


def _mastodon_cavage(signed: str, signature: str) -> str:
    return (
        f'keyId="{MASTODON_KEY_ID}",algorithm="rsa-sha256",headers="{signed}",'
        f'signature="{MASTODON_SIGNATURES[signature]}"'
    )


@pytest.mark.parametrize(
    ("target", "signature", "verifies"),
    [
        ("/activitypub/success", "get", True),
        ("/activitypub/success?foo=42", "get_query", True),
        # Mastodon before 4.3 left the query out of (request-target); Mastodon still accepts
        # such signatures, and so do we.
        ("/activitypub/success?foo=42", "get", True),
        ("/activitypub/success?foo=43", "get_query", False),
        ("/activitypub/alternative-path", "get", False),
    ],
)
def test_mastodon_signed_get(
    mastodon_public_key: rsa.RSAPublicKey, target: str, signature: str, *, verifies: bool
) -> None:
    headers = {
        "Host": "www.example.com",
        "Date": MASTODON_DATE,
        "Signature": _mastodon_cavage("date host (request-target)", signature),
    }

    parsed = parse_signature(method="GET", target=target, headers=headers)
    check_freshness(parsed, now=MASTODON_NOW)

    assert parsed.key_id == MASTODON_KEY_ID
    assert parsed.verify(mastodon_public_key) is verifies


def test_mastodon_signed_post(mastodon_public_key: rsa.RSAPublicKey) -> None:
    headers = {
        "Host": "www.example.com",
        "Date": MASTODON_DATE,
        "Digest": MASTODON_DIGEST,
        "Signature": _mastodon_cavage("host date digest (request-target)", "post"),
    }

    parsed = parse_signature(method="POST", target="/activitypub/success", headers=headers)
    check_freshness(parsed, now=MASTODON_NOW)
    check_digest(headers, b"Hello world", parsed=parsed)

    assert parsed.verify(mastodon_public_key)
    with pytest.raises(SignatureError, match="wFNeS\\+K3n/2TKRMFQ2v4iTFOSj\\+uwF7P/Lt98xrZ5Ro="):
        check_digest(headers, b"Hello world!", parsed=parsed)
    with pytest.raises(SignatureError, match="outside acceptable time window"):
        check_freshness(parsed, now=MASTODON_NOW + timedelta(days=2))


@pytest.mark.parametrize(
    ("method", "target", "signature", "verifies"),
    [
        ("GET", "/activitypub/success", "rfc9421_get", True),
        ("GET", "/activitypub/success?foo=42", "rfc9421_get_query", True),
        ("GET", "/activitypub/success?foo=43", "rfc9421_get_query", False),
        ("GET", "/activitypub/alternative-path", "rfc9421_get", False),
        ("HEAD", "/activitypub/success", "rfc9421_get", False),
    ],
)
def test_mastodon_signed_rfc9421_get(
    mastodon_public_key: rsa.RSAPublicKey,
    method: str,
    target: str,
    signature: str,
    *,
    verifies: bool,
) -> None:
    headers = {
        "Host": "www.example.com",
        "Signature-Input": (
            f'sig1=("@method" "@target-uri");created=1703066400;keyid="{MASTODON_KEY_ID}"'
        ),
        "Signature": f"sig1=:{MASTODON_SIGNATURES[signature]}:",
    }

    # Mastodon signed these for @target-uri https://www.example.com/... (its test app is https).
    parsed = parse_signature(method=method, target=target, headers=headers)
    check_freshness(parsed, now=MASTODON_NOW)

    assert parsed.created == MASTODON_NOW
    assert parsed.verify(mastodon_public_key) is verifies


def test_mastodon_signed_rfc9421_post(mastodon_public_key: rsa.RSAPublicKey) -> None:
    headers = {
        "Host": "www.example.com",
        "Content-Digest": "sha-256=:ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=:",
        "Signature-Input": (
            'sig1=("@method" "@target-uri" "content-digest");created=1703066400;'
            f'keyid="{MASTODON_KEY_ID}"'
        ),
        "Signature": f"sig1=:{MASTODON_SIGNATURES['rfc9421_post']}:",
    }

    parsed = parse_signature(method="POST", target="/activitypub/success", headers=headers)
    check_freshness(parsed, now=MASTODON_NOW)
    check_digest(headers, b"Hello world", parsed=parsed)

    assert parsed.verify(mastodon_public_key)
    assert not parse_signature(
        method="POST", target="/activitypub/success", headers=headers, scheme="http"
    ).verify(mastodon_public_key)
    assert not parse_signature(
        method="POST", target="/activitypub/alternative-path", headers=headers
    ).verify(mastodon_public_key)
    with pytest.raises(SignatureError, match="Invalid Digest value"):
        check_digest(headers, b"Hello world!", parsed=parsed)


def test_our_signer_matches_mastodons_bytes() -> None:
    """Same key, same instant, same covered headers: the signature Mastodon's suite expects."""
    private_key = load_private_key(MASTODON_SPEC_KEY)
    sent = sign_request(
        method="GET",
        url="http://www.example.com/activitypub/success?foo=42",
        body=None,
        key_id=MASTODON_KEY_ID,
        private_key=private_key,
        now=MASTODON_NOW,
    )
    # We sign "(request-target) host date" where the spec signed "date host (request-target)",
    # so compare by re-signing Mastodon's order through a parsed copy of our request.
    parsed = parse_signature(
        method="GET",
        target="/activitypub/success?foo=42",
        headers={**sent, "Signature": _mastodon_cavage("date host (request-target)", "get_query")},
    )
    assert sent["Date"] == MASTODON_DATE
    assert sent["Host"] == "www.example.com"
    expected = private_key.sign(parsed.signature_bases[0], padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64encode(expected).decode() == MASTODON_SIGNATURES["get_query"]


# --- key loading ---------------------------------------------------------------------------


@pytest.fixture
def fresh_key() -> KeyPair:
    """A key whose PEMs this process has never parsed, so cache counts start from zero."""
    return _key_pair()


def test_signing_twice_parses_the_pem_once(fresh_key: KeyPair) -> None:
    before = key_loads()

    for _ in range(2):
        sign_request(
            method="POST",
            url=INBOX,
            body=BODY,
            key_id=KEY_ID,
            private_key=load_private_key(fresh_key.private_pem),
            now=NOW,
        )

    assert key_loads() - before == 1


def test_public_keys_are_cached_and_checked(fresh_key: KeyPair) -> None:
    before = key_loads()

    first = load_public_key(fresh_key.public_pem)
    assert load_public_key(fresh_key.public_pem) is first
    assert key_loads() - before == 1
    with pytest.raises(SignatureError, match="Invalid public key"):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


def test_parsed_signature_refuses_non_rsa_keys(alice: KeyPair) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    target, headers = _received(INBOX, _signed_post(alice))
    parsed: ParsedSignature = parse_signature(method="POST", target=target, headers=headers)

    assert not parsed.verify(ed25519.Ed25519PrivateKey.generate().public_key())


def test_verifies_from_a_django_request(alice: KeyPair) -> None:
    from django.test import RequestFactory

    sent = _signed_post(alice)
    request = RequestFactory().post(
        "/users/bob/inbox",
        data=BODY,
        content_type=sent.pop("Content-Type"),
        headers=sent,
        secure=True,
    )

    parsed = parse_signature(
        method=request.method or "",
        target=request.get_full_path(),
        headers=request.headers,
        scheme=request.scheme or "https",
    )
    check_digest(request.headers, request.body, parsed=parsed)

    assert parsed.verify(alice.public)
