"""The supervisor agent: the golden path behind every chat message."""

import uuid

import chat_backend.websocket_core.manager as m
from chat_backend.context import UserContext

from ..websocket_core.manager import WebSocketManagerFactory
from .base_agent import BaseAgent
from .tool_dispatcher import ToolDispatcher


class SupervisorAgent(BaseAgent):
    name = "supervisor"

    def __init__(self, ws: m.WebSocketManager) -> None:
        super().__init__(ws)

    async def run(self, user_context: UserContext, text: str) -> dict:
        run_id = uuid.uuid4().hex[:12]
        await self.emit(user_context, "agent_started", run_id=run_id, message=text)
        tool = "summarise_logs" if text.startswith("/logs") else "search"
        await self.emit(user_context, "agent_thinking", run_id=run_id, thought=f"calling {tool}")
        result = await ToolDispatcher(user_context, self.ws).execute(tool, run_id, query=text)
        await self.emit(user_context, "agent_completed", run_id=run_id, answer=result["answer"])
        return {"run_id": run_id, **result}


async def cancel_run(user_context: UserContext, reason: str) -> int:
    ws = WebSocketManagerFactory().create_isolated_manager(user_context)
    message = {"type": "agent_cancelled", "data": {"user_id": user_context.user_id, "reason": reason}}
    return await ws.send_to_user(user_context.user_id, message)
