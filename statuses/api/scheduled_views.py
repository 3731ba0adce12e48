"""/api/v1/scheduled_statuses: statuses waiting for their publication date."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.pagination import page_from, paginated
from statuses import services
from statuses.api.base import StatusesView, datetime_from
from statuses.api.serializers import render_scheduled_status
from statuses.models import ScheduledStatus
from statuses.selectors import scheduled_statuses_page


class ScheduledStatusListView(StatusesView):
    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        rows = scheduled_statuses_page(self.me, page_from(self.params, default=20, maximum=40))
        return paginated(request, [render_scheduled_status(s) for s in rows], rows)


class ScheduledStatusView(StatusesView):
    scopes = {"GET": "read:statuses", "PUT": "write:statuses", "DELETE": "write:statuses"}

    def _own(self, scheduled_id: int) -> ScheduledStatus:
        return ScheduledStatus.objects.get(id=scheduled_id, account_id=self.me.id)

    def get(self, request: Request, scheduled_id: int) -> Response:
        return Response(render_scheduled_status(self._own(scheduled_id)))

    def put(self, request: Request, scheduled_id: int) -> Response:
        scheduled = self._own(scheduled_id)
        when = datetime_from(self.params.get("scheduled_at"))
        if when is None:
            raise UnprocessableEntity("Validation failed: Scheduled at can't be blank")
        services.update_scheduled_status(self.me, scheduled, scheduled_at=when)
        return Response(render_scheduled_status(scheduled))

    def delete(self, request: Request, scheduled_id: int) -> Response:
        services.cancel_scheduled_status(self.me, self._own(scheduled_id))
        return Response({})
