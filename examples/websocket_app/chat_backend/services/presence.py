"""Who is online, and typing indicators."""

try:  # 1.5+ layout
    from ..websocket_core.manager import WebSocketManager
except ImportError:  # pragma: no cover - pre-1.5 layout
    from ..websocket_core.unified_manager import UnifiedWebSocketManager as WebSocketManager

from .ws_manager import ServiceWebSocketManager


def is_online(ws: WebSocketManager, user_id: str) -> bool:
    return ws.is_connected(user_id)


async def send_typing(user_context) -> int:
    """Tell the user's other tabs that they are typing."""
    ws = ServiceWebSocketManager(user_context=user_context)
    return await ws.send_message(user_context.user_id, "typing", {"user_id": user_context.user_id})
