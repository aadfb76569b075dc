"""An in-memory stand-in for a WebSocket: it records every JSON message sent to it."""

import json
from typing import Any


class InMemoryConnection:
    def __init__(self, label: str = "") -> None:
        self.label = label
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    async def send_json(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise ConnectionError(f"connection {self.label!r} is closed")
        # Round-trip through JSON, as the wire would: non-serialisable payloads fail here.
        self.sent.append(json.loads(json.dumps(message)))

    async def close(self) -> None:
        self.closed = True

    def types(self) -> list[str]:
        return [m["type"] for m in self.sent]
