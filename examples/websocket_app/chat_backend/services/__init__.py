"""Chat, notification and presence services."""
