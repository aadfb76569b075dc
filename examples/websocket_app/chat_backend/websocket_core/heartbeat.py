"""Keep-alive pings."""

from . import manager
from .manager import get_websocket_manager_factory

HEARTBEAT_TYPE = "heartbeat"


async def ping(ws: manager.WebSocketManager, user_id: str) -> int:
    """Ping a user's connections through a manager the caller already holds."""
    return await ws.send_to_user(user_id, {"type": HEARTBEAT_TYPE, "data": {"user_id": user_id}})


async def send_heartbeat(user_context) -> int:
    """Ping when the caller holds no manager (the client's "ping" message)."""
    return await ping(get_websocket_manager_factory().create(user_context), user_context.user_id)
