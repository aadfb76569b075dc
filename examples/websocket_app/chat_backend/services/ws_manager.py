"""ServiceWebSocketManager: the services team's copy of the manager (2023).

Its registry is a class attribute: shared by its own instances and seen by
nothing else.  Connections opened through the WebSocket endpoint never land
here, so whatever is sent through it reaches no one.
"""

from typing import Any


class ServiceWebSocketManager:
    _connections: dict[str, list[Any]] = {}  # one registry for this class alone

    def __init__(self, user_context=None) -> None:
        self.user_context = user_context

    def add_connection(self, user_id: str, connection: Any) -> None:
        self._connections.setdefault(user_id, []).append(connection)

    def remove_connection(self, user_id: str, connection: Any) -> bool:
        conns = self._connections.get(user_id, [])
        if connection in conns:
            conns.remove(connection)
            return True
        return False

    def is_connected(self, user_id: str) -> bool:
        return bool(self._connections.get(user_id))

    async def send_to_user(self, user_id: str, message: dict[str, Any]) -> int:
        for conn in self._connections.get(user_id, []):
            await conn.send_json(message)
        return len(self._connections.get(user_id, []))

    async def send_message(self, user_id: str, event_type: str, data: dict[str, Any]) -> int:
        return await self.send_to_user(user_id, {"type": event_type, "data": data})
