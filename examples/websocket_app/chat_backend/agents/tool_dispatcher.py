"""Runs tools for agents and reports tool_executing / tool_completed."""

import asyncio
from typing import Any

from chat_backend.agents.legacy_ws import LegacyWebSocketManager
from chat_backend.context import UserContext
from chat_backend.websocket_core import manager
from chat_backend.websocket_core.unified_manager import UnifiedWebSocketManager


def _search(query: str) -> dict:
    return {"answer": f"3 documents match {query!r}", "hits": 3}


def _summarise_logs(query: str) -> dict:
    return {"answer": "no errors in the last hour", "lines": 1200}


TOOLS = {"search": (_search, False), "summarise_logs": (_summarise_logs, True)}  # name -> (fn, slow)


class ToolDispatcher:
    def __init__(self, user_context: UserContext, ws: manager.WebSocketManager | None = None) -> None:
        self.user_context = user_context
        # Without a manager (scripts, the "run_tool" debug message) it builds its own.
        self.ws = ws if ws is not None else UnifiedWebSocketManager(user_context=user_context)

    async def execute(self, tool: str, run_id: str, **args: Any) -> dict:
        fn, slow = TOOLS[tool]
        await self._emit("tool_executing", run_id, tool=tool, args=args)
        await asyncio.sleep(0)  # tools are I/O bound: other users' runs interleave here
        if slow:
            await report_progress(self.user_context, tool, 50)
        result = fn(**args)
        await self._emit("tool_completed", run_id, tool=tool, result=result)
        return result

    async def _emit(self, event_type: str, run_id: str, **data: Any) -> int:
        user_id = self.user_context.user_id
        payload = {"agent": "tool_dispatcher", "user_id": user_id, "run_id": run_id, **data}
        return await self.ws.send_to_user(user_id, {"type": event_type, "data": payload})


async def report_progress(user_context: UserContext, tool: str, percent: int) -> int:
    ws = LegacyWebSocketManager(user_context=user_context)
    return await ws.send_message(user_context.user_id, "tool_progress", {"tool": tool, "percent": percent})
