"""/api/v1/polls: view a poll, vote on it."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from fedisocial.api.params import to_int, to_list
from statuses import services
from statuses.api.base import StatusesView
from statuses.api.serializers import render_poll
from statuses.models import Poll, Status
from statuses.policies import can_view
from statuses.selectors import relationships_map


def _visible_poll(poll_id: int, viewer: Account | None) -> Poll:
    """A poll is as visible as its status."""
    poll = Poll.objects.filter(id=poll_id).first()
    if poll is None:
        raise Poll.DoesNotExist
    status = (
        Status.objects.select_related("account")
        .filter(id=poll.status_id, deleted_at__isnull=True)
        .first()
    )
    if status is None or not can_view(status, viewer):
        raise Poll.DoesNotExist
    poll.status = status
    return poll


def _render(poll: Poll, viewer: Account | None) -> dict[str, object]:
    return render_poll(poll, relationships_map([poll.status], viewer), viewer)


class PollView(StatusesView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, poll_id: int) -> Response:
        return Response(_render(_visible_poll(poll_id, self.viewer), self.viewer))


class PollVotesView(StatusesView):
    scopes = {"POST": "write:statuses"}

    def post(self, request: Request, poll_id: int) -> Response:
        poll = _visible_poll(poll_id, self.me)
        choices = []
        for raw in to_list(self.params.get("choices")):
            number = to_int(raw)
            choices.append(-1 if number is None else number)  # -1: "does not exist"
        services.vote(self.me, poll, choices=choices)
        return Response(_render(_visible_poll(poll_id, self.me), self.me))
