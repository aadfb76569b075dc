"""Server-initiated notifications (quota warnings, truncated prompts)."""

from chat_backend.context import UserContext
from chat_backend.websocket_core.manager import WebSocketManager, create_websocket_manager_sync


async def notify(user_context: UserContext, kind: str, data: dict | None = None) -> int:
    """Push a notification to the user's open connections; return how many got it."""
    ws: WebSocketManager = create_websocket_manager_sync(user_context=user_context)
    message = {"type": "notification", "data": {"user_id": user_context.user_id, "kind": kind, **(data or {})}}
    return await ws.send_to_user(user_context.user_id, message)
