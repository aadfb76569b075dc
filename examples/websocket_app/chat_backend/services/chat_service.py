"""Chat sessions: one user, one manager holding their connection, agents run on it."""

from dataclasses import dataclass

import chat_backend.websocket_core.manager
from chat_backend.agents.supervisor import SupervisorAgent
from chat_backend.context import UserContext
from chat_backend.services import notifications, presence
from chat_backend.websocket_core.manager import WebSocketManagerFactory

MAX_PROMPT_CHARS = 2000


@dataclass
class ChatSession:
    user_context: UserContext
    ws: chat_backend.websocket_core.manager.WebSocketManager

    def __post_init__(self) -> None:
        if not isinstance(self.ws, chat_backend.websocket_core.manager.WebSocketManager):
            raise TypeError(f"ChatSession needs a WebSocketManager, got {type(self.ws).__name__}")


class ChatService:
    async def handle_message(self, session: ChatSession, text: str) -> dict:
        ctx = session.user_context
        if not presence.is_online(session.ws, ctx.user_id):
            raise ConnectionError(f"user {ctx.user_id} has no open connection")
        if len(text) > MAX_PROMPT_CHARS:
            await notifications.notify(ctx, "prompt_truncated", {"limit": MAX_PROMPT_CHARS})
            text = text[:MAX_PROMPT_CHARS]
        return await SupervisorAgent(session.ws).run(ctx, text)

    def resume_session(self, user_context: UserContext, connection) -> ChatSession:
        """A client reconnecting with a session token (sync: called from the auth hook)."""
        ws = WebSocketManagerFactory.create_manager(user_context)
        ws.add_connection(user_context.user_id, connection)
        return ChatSession(user_context, ws)
