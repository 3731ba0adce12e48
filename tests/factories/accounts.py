"""Factories for accounts: valid with no arguments; tests set only what they assert on."""

from __future__ import annotations

import factory

from accounts.models import Account, Application, User


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    username = factory.Sequence(lambda n: f"user{n}")


class RemoteAccountFactory(AccountFactory):
    domain = "remote.example"
    uri = factory.LazyAttribute(lambda a: f"https://{a.domain}/users/{a.username}")
    url = factory.LazyAttribute(lambda a: f"https://{a.domain}/@{a.username}")
    inbox_url = factory.LazyAttribute(lambda a: f"https://{a.domain}/users/{a.username}/inbox")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    account = factory.SubFactory(AccountFactory)
    confirmed_at = factory.Faker("date_time", tzinfo=__import__("datetime").UTC)
    password = factory.PostGenerationMethodCall("set_password", "password123")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    name = factory.Sequence(lambda n: f"App {n}")
    client_type = Application.CLIENT_CONFIDENTIAL
    authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    redirect_uris = "urn:ietf:wg:oauth:2.0:oob"
    scopes = "read write follow push"
