"""RSA key pairs for local accounts: what remote servers verify our HTTP Signatures with."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.models import Account


def generate_key_pair() -> tuple[str, str]:
    """A 2048-bit RSA key pair as (private PEM, public PEM), as Mastodon makes them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def ensure_key_pair(account: Account) -> Account:
    """Give a local account its key pair if it has none yet (bulk-seeded accounts skip it at
    creation; federation calls this before the first signature)."""
    if account.domain is None and not account.private_key:
        account.private_key, account.public_key = generate_key_pair()
        account.save(update_fields=["private_key", "public_key"])
    return account
