"""Agents that answer chat messages and report progress over the WebSocket."""
