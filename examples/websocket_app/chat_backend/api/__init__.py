"""Entry points: WebSocket handlers and the health check."""
