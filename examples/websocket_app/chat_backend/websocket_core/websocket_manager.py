"""The canonical import path for the WebSocket manager, and the one factory.

    from chat_backend.websocket_core.websocket_manager import WebSocketManager, get_websocket_manager
"""

from __future__ import annotations

import threading

from chat_backend.context import UserContext

from .unified_manager import UnifiedWebSocketManager as WebSocketManager

__all__ = ["AGENT_EVENTS", "SYSTEM_USER_ID", "WebSocketManager", "get_websocket_manager"]

# The five events every agent run must deliver, in this order.
AGENT_EVENTS = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")

SYSTEM_USER_ID = "__system__"
SUPPORTED_MODES = ("isolated",)

_managers: dict[str, WebSocketManager] = {}  # THE registry: user_id -> that user's manager
_lock = threading.Lock()


def get_websocket_manager(user_context: UserContext | None = None, mode: str = "isolated") -> WebSocketManager:
    """Return the manager shared by everything that talks to ``user_context``'s user.

    Call it with the request's user context.  ``user_context=None`` (what old
    zero-argument callers amount to) gets the process-wide system manager,
    which holds no user's connections.
    """
    if mode not in SUPPORTED_MODES:
        raise ValueError(f"unsupported mode {mode!r}; supported: {', '.join(SUPPORTED_MODES)}")
    key = user_context.user_id if user_context is not None else SYSTEM_USER_ID
    with _lock:
        ws = _managers.get(key)
        if ws is None:
            ws = _managers[key] = WebSocketManager(user_context=user_context)
        return ws
