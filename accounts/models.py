"""Accounts (local and remote), their users, relationships and OAuth applications."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from fedisocial.ids import generate_id


class AccountQuerySet(models.QuerySet["Account"]):
    def local(self) -> AccountQuerySet:
        return self.filter(domain__isnull=True)

    def remote(self) -> AccountQuerySet:
        return self.filter(domain__isnull=False)

    def active(self) -> AccountQuerySet:
        return self.filter(suspended_at__isnull=True)


class Account(models.Model):
    """A person or bot, on this server (``domain`` is null) or on another one.

    Remote accounts live in the same table so that federation adds no second account model.
    """

    id = models.BigIntegerField(primary_key=True, default=generate_id, editable=False)
    username = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, null=True, blank=True)
    display_name = models.CharField(max_length=255, blank=True, default="")
    note = models.TextField(blank=True, default="", help_text="Rendered, sanitised HTML")
    note_source = models.TextField(blank=True, default="", help_text="The bio as typed")
    fields = models.JSONField(default=list, blank=True, help_text="[{name, value, verified_at}]")
    locked = models.BooleanField(default=False)
    bot = models.BooleanField(default=False)
    group = models.BooleanField(default=False)
    discoverable = models.BooleanField(null=True, default=None)
    indexable = models.BooleanField(default=False)
    hide_collections = models.BooleanField(null=True, default=None)
    memorial = models.BooleanField(default=False)
    moved_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    also_known_as = models.JSONField(default=list, blank=True)
    avatar_remote_url = models.URLField(max_length=2048, blank=True, default="")
    header_remote_url = models.URLField(max_length=2048, blank=True, default="")

    # Federation: for a remote account these come from its actor document.
    uri = models.CharField(max_length=2048, blank=True, default="", db_index=True)
    url = models.CharField(max_length=2048, blank=True, default="")
    inbox_url = models.CharField(max_length=2048, blank=True, default="")
    shared_inbox_url = models.CharField(max_length=2048, blank=True, default="")
    outbox_url = models.CharField(max_length=2048, blank=True, default="")
    followers_url = models.CharField(max_length=2048, blank=True, default="")
    following_url = models.CharField(max_length=2048, blank=True, default="")
    featured_url = models.CharField(max_length=2048, blank=True, default="")
    actor_type = models.CharField(max_length=32, blank=True, default="Person")
    public_key = models.TextField(blank=True, default="")
    # The id of ``public_key`` (``<uri>#main-key`` as Mastodon names it, or a key document's
    # URL): how a signed request names its signer.
    key_id = models.CharField(max_length=2048, blank=True, default="", db_index=True)
    private_key = models.TextField(blank=True, default="")
    fetched_at = models.DateTimeField(null=True, blank=True)

    # Denormalised counters, kept by the services that change them.
    statuses_count = models.IntegerField(default=0)
    followers_count = models.IntegerField(default=0)
    following_count = models.IntegerField(default=0)
    last_status_at = models.DateTimeField(null=True, blank=True)

    suspended_at = models.DateTimeField(null=True, blank=True)
    silenced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"), Lower("domain"), name="account_username_domain_uniq"
            ),
            models.UniqueConstraint(
                Lower("username"),
                condition=models.Q(domain__isnull=True),
                name="account_local_username_uniq",
            ),
        ]
        indexes = [models.Index(fields=["domain", "username"])]

    def __str__(self) -> str:
        return self.acct

    @property
    def local(self) -> bool:
        return self.domain is None

    @property
    def acct(self) -> str:
        """``bob`` for a local account, ``bob@example.com`` (port included) for a remote one."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        """For Django's ``createsuperuser``: creates the Account too, as an owner."""
        from accounts.services import create_local_account

        username = str(extra.pop("username", email.split("@")[0]))
        _, user = create_local_account(
            username=username, email=email, password=password, role=User.Role.OWNER
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A local login. Its public face is ``account``."""

    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MODERATOR = "moderator"
        USER = "user"

    email = models.EmailField(unique=True)
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="user")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    locale = models.CharField(max_length=16, blank=True, default="en")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_token = models.CharField(max_length=64, blank=True, default="")
    approved = models.BooleanField(default=True)
    registration_reason = models.TextField(blank=True, default="")
    created_by_application = models.ForeignKey(
        "accounts.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    # Preferences (/api/v1/preferences) and posting defaults (source[privacy], ...).
    default_privacy = models.CharField(max_length=16, default="public")
    default_sensitive = models.BooleanField(default=False)
    default_language = models.CharField(max_length=16, null=True, blank=True)
    expand_media = models.CharField(max_length=16, default="default")
    expand_spoilers = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    @property
    def is_staff(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.ADMIN, self.Role.MODERATOR}

    @property
    def is_functional(self) -> bool:
        """May sign in and use the API: confirmed (when required), approved and not disabled."""
        return self.is_active and self.approved and self.confirmed_at is not None


class Application(AbstractApplication):
    """An OAuth client. Unlike django-oauth-toolkit's default, one client may use the
    authorization-code, client-credentials and password grants, as a Mastodon app can."""

    scopes = models.TextField(default="read")
    website = models.CharField(max_length=2048, blank=True, default="")

    MASTODON_GRANTS = {
        AbstractApplication.GRANT_AUTHORIZATION_CODE,
        AbstractApplication.GRANT_CLIENT_CREDENTIALS,
        AbstractApplication.GRANT_PASSWORD,
    }

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def allows_grant_type(self, *grant_types: str) -> bool:
        return bool(self.MASTODON_GRANTS.intersection(grant_types))

    def redirect_uri_allowed(self, uri: str) -> bool:
        # Apps register custom schemes (tusky://, elk://...) and the out-of-band URN: exact match.
        return uri in self.redirect_uris.split()

    def get_allowed_schemes(self) -> list[str]:
        schemes = {u.split(":", 1)[0].lower() for u in self.redirect_uris.split() if ":" in u}
        return sorted(schemes | {"http", "https"})


class Follow(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="following_set")
    target_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="followers_set"
    )
    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    languages = models.JSONField(null=True, blank=True)
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target_account"], name="follow_uniq")
        ]
        indexes = [
            models.Index(fields=["target_account", "account"]),
            # Accept, Reject and Undo name a follow by its activity id.
            models.Index(fields=["uri"], name="follow_uri_idx", condition=~models.Q(uri="")),
        ]


class FollowRequest(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="follow_requests_received"
    )
    show_reblogs = models.BooleanField(default=True)
    notify = models.BooleanField(default=False)
    languages = models.JSONField(null=True, blank=True)
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target_account"], name="follow_request_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["uri"], name="follow_request_uri_idx", condition=~models.Q(uri=""))
        ]


class Block(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    uri = models.CharField(max_length=2048, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target_account"], name="block_uniq")
        ]
        indexes = [
            models.Index(fields=["target_account", "account"]),
            models.Index(fields=["uri"], name="block_uri_idx", condition=~models.Q(uri="")),
        ]


class Mute(models.Model):
    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    hide_notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target_account"], name="mute_uniq")
        ]


class AccountDomainBlock(models.Model):
    """A user hiding a whole remote domain (/api/v1/domain_blocks)."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "domain"], name="account_domain_block_uniq")
        ]


class AccountNote(models.Model):
    """A private note one account keeps about another (the relationship's ``note``)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    comment = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target_account"], name="account_note_uniq")
        ]


class AccountPin(models.Model):
    """An endorsement: a followed account featured on one's profile."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "target_account"], name="account_pin_uniq")
        ]


class FeaturedTag(models.Model):
    """A hashtag an account shows on its profile (Mastodon's FeaturedTag), at most
    ``accounts.services.MAX_FEATURED_TAGS`` per account.

    ``statuses_count`` and ``last_status_at`` are written when the tag is featured; the API
    answers with the live figures, counted in the same query that lists the tags
    (``accounts.selectors.featured_tags``), so a new or deleted status never leaves them stale.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="featured_tags")
    tag = models.ForeignKey("statuses.Tag", on_delete=models.CASCADE, related_name="+")
    statuses_count = models.IntegerField(default=0)
    last_status_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "tag"], name="featured_tag_uniq")]


class SuggestionDismissal(models.Model):
    """An account the user removed from its follow suggestions (DELETE /api/v1/suggestions/:id);
    it is never suggested to that user again."""

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    target_account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target_account"], name="suggestion_dismissal_uniq"
            )
        ]
