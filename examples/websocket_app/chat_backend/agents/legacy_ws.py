"""LegacyWebSocketManager: the agents team's manager from before the WebSocket core existed.

Connections live in a module-level dict that only this class reads.
"""

from typing import Any

_REGISTRY: dict[str, list[Any]] = {}  # user_id -> connections, for this module only


class LegacyWebSocketManager:
    def __init__(self, user_context=None) -> None:
        self.user_context = user_context

    def add_connection(self, user_id: str, connection: Any) -> None:
        _REGISTRY.setdefault(user_id, []).append(connection)

    def remove_connection(self, user_id: str, connection: Any) -> bool:
        conns = _REGISTRY.get(user_id, [])
        if connection in conns:
            conns.remove(connection)
            return True
        return False

    def get_connections(self, user_id: str) -> list[Any]:
        return list(_REGISTRY.get(user_id, ()))

    async def send_message(self, user_id: str, event_type: str, data: dict[str, Any]) -> int:
        conns = self.get_connections(user_id)
        for conn in conns:
            await conn.send_json({"type": event_type, "data": data})
        return len(conns)

    async def broadcast(self, message: dict[str, Any]) -> int:
        sent = 0
        for conns in _REGISTRY.values():
            for conn in conns:
                await conn.send_json(message)
                sent += 1
        return sent
