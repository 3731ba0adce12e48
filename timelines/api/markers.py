"""Markers: /api/v1/markers, the read positions in the home and notifications timelines."""

from __future__ import annotations

from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_int, to_str_list
from fedisocial.api.views import MastodonView
from timelines import feeds, selectors
from timelines.api.serializers import render_markers


class Conflict(APIException):
    status_code = 409
    default_detail = "Conflict during update, please try again"


class MarkersView(MastodonView):
    scopes = {"GET": "read:statuses", "POST": "write:statuses"}

    def get(self, request: Request) -> Response:
        requested = to_str_list(self.params.get("timeline"))
        wanted = [t for t in requested if t in feeds.MARKER_TIMELINES]
        return Response(render_markers(selectors.markers_for(self.me, wanted)))

    def post(self, request: Request) -> Response:
        positions: dict[str, int] = {}
        for timeline in feeds.MARKER_TIMELINES:
            value = self.params.get(timeline)
            if not isinstance(value, dict) or value.get("last_read_id") in (None, ""):
                continue
            last_read_id = to_int(value["last_read_id"])
            if last_read_id is None or last_read_id < 0:
                raise UnprocessableEntity("Validation failed: Last read can't be blank")
            positions[timeline] = last_read_id
        try:
            markers = feeds.save_markers(account=self.me, positions=positions)
        except feeds.MarkerConflictError as exc:
            raise Conflict() from exc
        return Response(render_markers(markers))
