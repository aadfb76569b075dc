"""Base class for agents: the one place agent events are built and sent."""

from typing import TYPE_CHECKING, Any

from chat_backend.context import UserContext
from chat_backend.websocket_core.manager import AGENT_EVENTS as GOLDEN_PATH_EVENTS

if TYPE_CHECKING:
    from chat_backend.websocket_core.manager import WebSocketManager


class BaseAgent:
    name = "base"

    def __init__(self, ws: "WebSocketManager") -> None:
        self.ws = ws

    async def emit(self, user_context: UserContext, event_type: str, **data: Any) -> int:
        if event_type not in GOLDEN_PATH_EVENTS:
            raise ValueError(f"not an agent event: {event_type!r}")
        payload = {"agent": self.name, "user_id": user_context.user_id, **data}
        return await self.ws.send_to_user(user_context.user_id, {"type": event_type, "data": payload})
