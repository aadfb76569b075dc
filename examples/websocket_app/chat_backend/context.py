"""Who a request is for: passed to every factory and agent."""

from dataclasses import dataclass


@dataclass(frozen=True)
class UserContext:
    user_id: str
    thread_id: str = "default"
