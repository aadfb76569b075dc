"""UnifiedWebSocketManager: the implementation meant to be the single source of truth.

Each instance owns its connection registry.  Two instances never see each
other's connections, so the app must share one instance per user; that is the
job of ``websocket_manager.get_websocket_manager``.
"""

from __future__ import annotations

import logging
from typing import Any

from chat_backend.context import UserContext

log = logging.getLogger(__name__)

MAX_CONNECTIONS_PER_USER = 5


class UnifiedWebSocketManager:
    def __init__(self, user_context: UserContext | None = None) -> None:
        self.user_context = user_context
        self._connections: dict[str, list[Any]] = {}  # user_id -> open connections

    def add_connection(self, user_id: str, connection: Any) -> None:
        conns = self._connections.setdefault(user_id, [])
        if connection in conns:
            return
        if len(conns) >= MAX_CONNECTIONS_PER_USER:
            raise ConnectionError(f"user {user_id} already has {len(conns)} connections")
        conns.append(connection)

    def remove_connection(self, user_id: str, connection: Any) -> bool:
        conns = self._connections.get(user_id, [])
        if connection not in conns:
            return False
        conns.remove(connection)
        if not conns:
            del self._connections[user_id]
        return True

    def get_connections(self, user_id: str) -> list[Any]:
        return list(self._connections.get(user_id, ()))

    def is_connected(self, user_id: str) -> bool:
        return bool(self._connections.get(user_id))

    def connection_count(self) -> int:
        return sum(len(conns) for conns in self._connections.values())

    async def send_to_user(self, user_id: str, message: dict[str, Any]) -> int:
        """Send ``message`` to every connection of ``user_id``; return how many got it."""
        conns = self.get_connections(user_id)
        if not conns:
            log.warning("dropped %r for %s: no connection in manager %#x",
                        message.get("type"), user_id, id(self))
            return 0
        delivered = 0
        for conn in conns:
            try:
                await conn.send_json(message)
                delivered += 1
            except ConnectionError:
                self.remove_connection(user_id, conn)
        return delivered

    async def broadcast(self, message: dict[str, Any]) -> int:
        delivered = 0
        for user_id in list(self._connections):
            delivered += await self.send_to_user(user_id, message)
        return delivered
