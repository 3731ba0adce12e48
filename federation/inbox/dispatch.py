"""Which handler takes which activity type, and what every handler may rely on.

A handler gets the activity (already parsed JSON), the account that signed the request (the
verified key's owner, which is also the activity's ``actor``) and the local account whose inbox
received it (None for the shared inbox). It checks what is specific to its type, returns early
on anything it does not handle, and calls the domain services as the API does. Unknown types
are logged and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from accounts.models import Account
from federation import jsonld
from federation.uris import origin

logger = logging.getLogger(__name__)


class HandlerError(Exception):
    """The activity is refused (wrong origin, missing object...): recorded, never retried."""


class Handler:
    """Base of the per-type handlers (``handlers/<verb>.py``)."""

    activity_type: ClassVar[str] = ""

    def __init__(self, activity: dict[str, Any], *, signer: Account, recipient: Account | None):
        self.activity = activity
        self.signer = signer
        self.recipient = recipient

    def handle(self) -> None:
        raise NotImplementedError

    # Helpers shared by handlers.

    @property
    def object(self) -> Any:
        return self.activity.get("object")

    @property
    def object_id(self) -> str | None:
        return jsonld.id_of(self.object)

    def same_origin_as_signer(self, uri: str | None) -> bool:
        """Whether ``uri`` is on the signer's origin: the only objects it may create, change
        or delete."""
        return bool(uri) and origin(uri or "") == origin(self.signer.uri)

    @property
    def activity_id(self) -> str:
        return str(self.activity.get("id") or "")[:2048]

    def local_object_account(self) -> Account:
        """The local account the activity's object names (a Follow's or a Block's target)."""
        from federation.actors import local_account_for_uri

        uri = self.object_id
        target = local_account_for_uri(uri) if uri else None
        if target is None:
            raise HandlerError(f"{uri!r} is not an account of ours")
        return target

    def undone_already(self) -> bool:
        """Its Undo arrived first (Mastodon's delete_arrived_first?): nothing to do."""
        from statuses.remote import deleted_first

        return bool(self.activity_id) and deleted_first(self.signer, self.activity_id)

    def require_same_origin(self, uri: str | None) -> str:
        if not uri or not self.same_origin_as_signer(uri):
            raise HandlerError(f"{uri!r} is not on the origin of {self.signer.uri}")
        return uri


HANDLERS: dict[str, type[Handler]] = {}


def handles(activity_type: str) -> Callable[[type[Handler]], type[Handler]]:
    """Class decorator: register a handler for ``activity_type``."""

    def register(cls: type[Handler]) -> type[Handler]:
        cls.activity_type = activity_type
        HANDLERS[activity_type] = cls
        return cls

    return register


def handler_for(activity: dict[str, Any]) -> type[Handler] | None:
    import federation.inbox.handlers  # noqa: F401 - registers every handler

    for kind in jsonld.types(activity):
        found = HANDLERS.get(kind)
        if found is not None:
            return found
    return None


def dispatch(activity: dict[str, Any], *, signer: Account, recipient: Account | None) -> bool:
    """Run the handler for the activity's type; False when there is none (dropped)."""
    handler = handler_for(activity)
    if handler is None:
        logger.info("no handler for %s from %s", jsonld.types(activity), signer.uri)
        return False
    handler(activity, signer=signer, recipient=recipient).handle()
    return True
