"""Direct conversations: /api/v1/conversations, and removing or reading one."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.views import MastodonView
from timelines import conversations, selectors
from timelines.api.serializers import render_conversations


class ConversationsView(MastodonView):
    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        items = selectors.conversations_page(self.me, page=page_from(self.params))
        return paginated(
            request,
            render_conversations(items, self.me),
            items,
            key=lambda item: item.conversation.last_status_id or 0,
        )


class ConversationView(MastodonView):
    scopes = {"DELETE": "write:conversations"}

    def delete(self, request: Request, conversation_id: int) -> Response:
        conversations.remove_conversation(selectors.own_conversation(self.me, conversation_id))
        return Response({})


class ConversationReadView(MastodonView):
    scopes = {"POST": "write:conversations"}

    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = selectors.own_conversation(self.me, conversation_id)
        conversations.mark_conversation_read(conversation)
        item = selectors.conversation_item(self.me, conversation)
        return Response(render_conversations([item], self.me)[0])
