"""Every local account gets an RSA key pair that signs and verifies (federation's HTTP
Signatures rest on it)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from accounts.keys import ensure_key_pair
from accounts.services import create_local_account
from tests.factories.accounts import AccountFactory

pytestmark = pytest.mark.django_db


def _signs_and_verifies(private_pem: str, public_pem: str) -> None:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    public = serialization.load_pem_public_key(public_pem.encode())
    signature = private.sign(b"payload", padding.PKCS1v15(), hashes.SHA256())
    public.verify(signature, b"payload", padding.PKCS1v15(), hashes.SHA256())


def test_new_local_account_has_a_working_key_pair():
    account, _ = create_local_account(username="keyed", email="keyed@example.com")
    assert account.public_key.startswith("-----BEGIN PUBLIC KEY-----")
    _signs_and_verifies(account.private_key, account.public_key)


def test_bulk_seeded_account_gets_its_keys_lazily_once():
    account = AccountFactory()
    assert account.private_key == ""
    ensure_key_pair(account)
    first = account.private_key
    _signs_and_verifies(account.private_key, account.public_key)
    ensure_key_pair(account)
    assert account.private_key == first
