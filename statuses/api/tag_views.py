"""/api/v1/tags/:name and /api/v1/followed_tags."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from statuses import services
from statuses.api.base import StatusesView
from statuses.api.tag_entities import render_tag_entities, render_tag_entity
from statuses.models import Tag
from statuses.selectors import followed_tags_page


def _render_one(tag: Tag, view: StatusesView) -> dict[str, object]:
    return render_tag_entity(tag, view.viewer)


class TagView(StatusesView):
    """Public; a hashtag nobody has used yet still answers, with an empty history."""

    scopes = {}
    public_methods = ("GET",)
    app_methods = ("GET",)

    def get(self, request: Request, name: str) -> Response:
        return Response(_render_one(services.find_or_build_tag(name), self))


class TagFollowView(StatusesView):
    scopes = {"POST": "write:follows"}

    def post(self, request: Request, name: str) -> Response:
        return Response(_render_one(services.follow_tag(self.me, name=name), self))


class TagUnfollowView(StatusesView):
    scopes = {"POST": "write:follows"}

    def post(self, request: Request, name: str) -> Response:
        return Response(_render_one(services.unfollow_tag(self.me, name=name), self))


class FollowedTagsView(StatusesView):
    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        rows = followed_tags_page(self.me, page_from(self.params, default=100, maximum=200))
        data = render_tag_entities([r.tag for r in rows], self.me)
        return paginated(request, data, rows)
