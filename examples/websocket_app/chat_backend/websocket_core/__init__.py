"""WebSocket layer: connections, the manager, heartbeats."""

from .manager import AGENT_EVENTS, WebSocketManager
from .unified_manager import UnifiedWebSocketManager

__all__ = ["AGENT_EVENTS", "UnifiedWebSocketManager", "WebSocketManager"]
