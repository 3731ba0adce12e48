"""/api/v1/statuses: posting, reading, editing, deleting and acting on statuses.

Views stay thin: parameters in, one service or selector, one entity out. Every status returned
went through ``statuses.policies`` (directly or through a selector).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import render_account
from fedisocial.api.errors import Forbidden, UnprocessableEntity
from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_bool, to_str_list
from statuses import services
from statuses.api.base import (
    NotFoundWithMessage,
    StatusesView,
    datetime_from,
    poll_from,
    reloaded,
    to_ids,
    to_text,
)
from statuses.api.serializers import (
    render_context,
    render_one,
    render_scheduled_status,
    render_status,
    render_status_edit,
    render_status_source,
    render_statuses,
)
from statuses.models import ScheduledStatus, Status
from statuses.selectors import (
    RelationshipsMap,
    favourites_of,
    reblogs_of,
    status_context,
    status_edits,
    visible_status,
    visible_statuses,
)

MAX_IDS = 20  # GET /api/v1/statuses?id[]= (Mastodon's DEFAULT_STATUSES_LIMIT)


def _owned_status(status_id: int, account: Any) -> Status:
    """One of the viewer's own statuses (anyone else's is "not found", as in Mastodon)."""
    status = visible_status(status_id, account)
    if status.account_id != account.id or status.reblog_id is not None:
        raise Status.DoesNotExist
    return status


class StatusListView(StatusesView):
    """GET: several statuses by ``id[]``; POST: post a status (or schedule one)."""

    scopes = {"GET": "read:statuses", "POST": "write:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request) -> Response:
        ids = to_ids(self.params.get("id"))
        if len(ids) > MAX_IDS:
            raise UnprocessableEntity(f"Validation failed: at most {MAX_IDS} ids at once")
        statuses = visible_statuses(ids, self.viewer, hide_filtered=True)
        return Response(render_statuses(statuses, self.viewer))

    def post(self, request: Request) -> Response:
        params = self.params
        in_reply_to = None
        if to_text(params.get("in_reply_to_id")):
            in_reply_to = _reply_target(to_text(params.get("in_reply_to_id")))
        token = request.auth
        result = services.post_status(
            self.me,
            text=to_text(params.get("status")),
            spoiler_text=to_text(params.get("spoiler_text")),
            sensitive=to_bool(params.get("sensitive"), None),
            visibility=to_text(params.get("visibility")) or None,
            in_reply_to=in_reply_to,
            language=to_text(params.get("language")) or None,
            poll=poll_from(params),
            media_ids=to_str_list(params.get("media_ids")),
            scheduled_at=datetime_from(params.get("scheduled_at")),
            application=getattr(token, "application", None),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        if isinstance(result, ScheduledStatus):
            return Response(render_scheduled_status(result))
        # Already in the rendering shape, with the author's counters as the post left them.
        if result.in_reply_to_id is None:
            # Nobody has favourited, boosted, bookmarked or pinned a status that did not exist
            # a moment ago, nor voted in its poll, and its conversation is new (so not muted):
            # its viewer flags are known without reading them. A reply joins a conversation
            # the author may have muted, so it reads them.
            return Response(render_status(result, viewer=self.viewer, flags=RelationshipsMap()))
        return Response(render_one(result, self.viewer))


def _reply_target(raw_id: str | None) -> Status:
    """The status replied to, by id; visibility is the service's to check."""
    try:
        status_id = int(raw_id or "")
    except ValueError:
        status_id = 0
    status = (
        Status.objects.select_related("account", "reblog", "reblog__account")
        .filter(id=status_id, deleted_at__isnull=True)
        .first()
    )
    if status is None:
        raise NotFoundWithMessage(services.ReplyTargetNotFoundError.message)
    return status


class StatusView(StatusesView):
    """GET, PUT (edit) and DELETE one status."""

    scopes = {"GET": "read:statuses", "PUT": "write:statuses", "DELETE": "write:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        """``filtered`` as in a thread (where clients show one status); never hidden here:
        the client asked for this very status."""
        status = visible_status(status_id, self.viewer)
        return Response(render_one(status, self.viewer, context="thread"))

    def put(self, request: Request, status_id: int) -> Response:
        status = _owned_status(status_id, self.me)
        params = self.params
        services.update_status(
            self.me,
            status,
            text=to_text(params.get("status")),
            spoiler_text=to_text(params.get("spoiler_text")),
            sensitive=to_bool(params.get("sensitive"), None),
            language=to_text(params.get("language")) or None,
            poll=poll_from(params),
            media_ids=to_str_list(params.get("media_ids")),
        )
        return Response(render_one(reloaded(status), self.viewer))

    def delete(self, request: Request, status_id: int) -> Response:
        status = _owned_status(status_id, self.me)
        data = render_one(status, self.viewer, with_source=True)
        services.remove_status(self.me, status)
        return Response(data)


class StatusContextView(StatusesView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        status = visible_status(status_id, self.viewer)
        ancestors, descendants = status_context(status, self.viewer)
        return Response(render_context(ancestors, descendants, status=status, viewer=self.viewer))


class StatusHistoryView(StatusesView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        status = visible_status(status_id, self.viewer)
        return Response([render_status_edit(edit) for edit in status_edits(status)])


class StatusSourceView(StatusesView):
    scopes = {"GET": "read:statuses"}
    app_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        return Response(render_status_source(visible_status(status_id, self.viewer)))


class StatusTranslateView(StatusesView):
    """No translation service is configured on this server, so Mastodon's answer for a status
    one may see is 403 (TranslateStatusService#permitted? is false); the instance's
    ``configuration.translation.enabled`` is false, so clients do not offer it."""

    scopes = {"POST": "read:statuses"}
    app_methods = ("POST",)

    def post(self, request: Request, status_id: int) -> Response:
        visible_status(status_id, self.viewer)
        raise Forbidden()


class StatusRebloggedByView(StatusesView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        status = visible_status(status_id, self.viewer)
        boosts = reblogs_of(status, self.viewer, page_from(self.params, default=40, maximum=80))
        return paginated(request, [render_account(b.account) for b in boosts], boosts)


class StatusFavouritedByView(StatusesView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, status_id: int) -> Response:
        status = visible_status(status_id, self.viewer)
        rows = favourites_of(status, self.viewer, page_from(self.params, default=40, maximum=80))
        return paginated(request, [render_account(f.account) for f in rows], rows)


class StatusActionView(StatusesView):
    """POST /api/v1/statuses/:id/<action>: act, then return the status with fresh flags."""

    def act(self, status: Status) -> Status:
        raise NotImplementedError

    def post(self, request: Request, status_id: int) -> Response:
        status = visible_status(status_id, self.viewer)
        return Response(render_one(reloaded(self.act(status)), self.viewer))


class ReblogView(StatusActionView):
    scopes = {"POST": "write:statuses"}

    def act(self, status: Status) -> Status:
        visibility = to_text(self.params.get("visibility")) or None
        return services.reblog_status(self.me, status, visibility=visibility)


class UnreblogView(StatusActionView):
    scopes = {"POST": "write:statuses"}

    def act(self, status: Status) -> Status:
        return services.unreblog_status(self.me, status)


class FavouriteView(StatusActionView):
    scopes = {"POST": "write:favourites"}

    def act(self, status: Status) -> Status:
        services.favourite_status(self.me, status)
        return status


class UnfavouriteView(StatusActionView):
    scopes = {"POST": "write:favourites"}

    def act(self, status: Status) -> Status:
        services.unfavourite_status(self.me, status)
        return status


class BookmarkView(StatusActionView):
    scopes = {"POST": "write:bookmarks"}

    def act(self, status: Status) -> Status:
        services.bookmark_status(self.me, status)
        return status


class UnbookmarkView(StatusActionView):
    scopes = {"POST": "write:bookmarks"}

    def act(self, status: Status) -> Status:
        services.unbookmark_status(self.me, status)
        return status


class PinView(StatusActionView):
    scopes = {"POST": "write:accounts"}

    def act(self, status: Status) -> Status:
        services.pin_status(self.me, status)
        return status


class UnpinView(StatusActionView):
    scopes = {"POST": "write:accounts"}

    def act(self, status: Status) -> Status:
        return services.unpin_status(self.me, status)


class MuteView(StatusActionView):
    scopes = {"POST": "write:mutes"}

    def act(self, status: Status) -> Status:
        return services.mute_conversation(self.me, status)


class UnmuteView(StatusActionView):
    scopes = {"POST": "write:mutes"}

    def act(self, status: Status) -> Status:
        return services.unmute_conversation(self.me, status)
