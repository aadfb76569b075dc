"""chat_backend: a small asyncio chat backend whose WebSocket layer grew several heads."""

__version__ = "1.9.0"
