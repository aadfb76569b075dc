"""DEPRECATED compatibility layer (since 1.5, removed in 2.0).

Keeps the pre-1.5 import path working and the factories that predate
``get_websocket_manager(user_context)``.  Each factory below builds a fresh
manager with its own connection registry, so a connection registered through
one of them is invisible to the others: that is the lost-event bug.
"""

import warnings

from chat_backend.context import UserContext

from .unified_manager import UnifiedWebSocketManager
from .websocket_manager import AGENT_EVENTS, WebSocketManager

__all__ = [
    "AGENT_EVENTS",
    "UnifiedWebSocketManager",
    "WebSocketManager",
    "WebSocketManagerFactory",
    "create_websocket_manager",
    "create_websocket_manager_sync",
    "get_websocket_manager",
    "get_websocket_manager_factory",
]

warnings.warn(
    "chat_backend.websocket_core.manager is deprecated since 1.5; "
    "import from chat_backend.websocket_core.websocket_manager",
    DeprecationWarning,
    stacklevel=2,
)

_process_manager: UnifiedWebSocketManager | None = None
_factory: "WebSocketManagerFactory | None" = None


def get_websocket_manager() -> WebSocketManager:
    """Pre-1.3: one process-wide manager, created on first use (zero arguments)."""
    global _process_manager
    if _process_manager is None:
        _process_manager = UnifiedWebSocketManager()
    return _process_manager


async def create_websocket_manager(user_context: UserContext) -> WebSocketManager:
    """1.3: async factory, one fresh manager per call."""
    return UnifiedWebSocketManager(user_context=user_context)


def create_websocket_manager_sync(user_context: UserContext | None = None) -> WebSocketManager:
    """1.3: the same for sync callers."""
    return UnifiedWebSocketManager(user_context=user_context)


class WebSocketManagerFactory:
    """1.4: the factory object."""

    @classmethod
    def create_manager(cls, user_context: UserContext) -> WebSocketManager:
        return UnifiedWebSocketManager(user_context=user_context)

    def create_isolated_manager(self, user_context: UserContext) -> WebSocketManager:
        return UnifiedWebSocketManager(user_context=user_context)

    def create(self, user_context: UserContext) -> WebSocketManager:
        return self.create_isolated_manager(user_context)


def get_websocket_manager_factory() -> WebSocketManagerFactory:
    global _factory
    if _factory is None:
        _factory = WebSocketManagerFactory()
    return _factory
