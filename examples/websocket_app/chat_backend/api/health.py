"""Health check, also the container's entry point (python -m chat_backend.api.health)."""

import importlib
import json
import os, chat_backend.websocket_core.manager

from chat_backend import config


def health() -> dict:
    core = importlib.import_module("chat_backend.websocket_core.manager")
    return {
        "status": "ok",
        "env": os.getenv("APP_ENV", "dev"),
        "manager": chat_backend.websocket_core.manager.WebSocketManager.__name__,
        "events": list(core.AGENT_EVENTS),
        "ws_url": config.websocket_url(),
        "ws_fallback_url": config.websocket_fallback_url(),
    }


if __name__ == "__main__":
    print(json.dumps(health(), indent=2))
