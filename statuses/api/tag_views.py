"""/api/v1/tags/:name and /api/v1/followed_tags."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from statuses import services
from statuses.api.base import StatusesView
from statuses.api.serializers import render_tag
from statuses.models import Tag
from statuses.selectors import followed_tag_ids, followed_tags_page, tag_histories


def _render_one(tag: Tag, view: StatusesView) -> dict[str, object]:
    viewer = view.viewer
    following = tag.pk in followed_tag_ids(viewer, [tag.pk]) if viewer is not None else None
    return render_tag(tag, history=tag_histories([tag.pk])[tag.pk], following=following)


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
        histories = tag_histories([r.tag_id for r in rows])
        data = [render_tag(r.tag, history=histories[r.tag_id], following=True) for r in rows]
        return paginated(request, data, rows)
