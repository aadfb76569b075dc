"""Runtime settings read from the environment.

The WebSocket URL is read under two names, the current one and its pre-1.5
spelling.  The "_FALLBACK" key is a different setting (the secondary
endpoint) that only looks similar.
"""

import os

DEFAULT_WS_URL = "ws://localhost:8000/ws"


def websocket_url() -> str:
    """The URL clients should open: current key first, then the old one."""
    return (
        os.environ.get("NEXT_PUBLIC_WS_URL")
        or os.getenv("NEXT_PUBLIC_WEBSOCKET_URL")
        or DEFAULT_WS_URL
    )


def websocket_fallback_url() -> str | None:
    """The secondary endpoint, if one is configured."""
    return os.getenv("NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK")


def settings() -> dict:
    """What the frontend bootstrap endpoint sends to the browser."""
    return {
        "APP_ENV": os.getenv("APP_ENV", "dev"),
        "NEXT_PUBLIC_WS_URL": websocket_url(),
        "NEXT_PUBLIC_WEBSOCKET_URL": websocket_url(),  # still read by old frontends
        "NEXT_PUBLIC_WEBSOCKET_URL_FALLBACK": websocket_fallback_url(),
    }
