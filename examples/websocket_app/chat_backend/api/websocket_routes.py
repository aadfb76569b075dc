"""WebSocket endpoint: connect, route client messages, disconnect."""

from typing import Any

from chat_backend.agents.supervisor import cancel_run
from chat_backend.agents.tool_dispatcher import ToolDispatcher
from chat_backend.context import UserContext
from chat_backend.services import presence
from chat_backend.services.chat_service import ChatService, ChatSession
from chat_backend.websocket_core.heartbeat import send_heartbeat
from chat_backend.websocket_core.manager import (  # compat path, kept through 1.x
    WebSocketManager,  # the type, for annotations
    create_websocket_manager,  # async: one fresh manager per connection
)


async def connect(user_context: UserContext, connection) -> ChatSession:
    ws: WebSocketManager = await create_websocket_manager(user_context)
    ws.add_connection(user_context.user_id, connection)
    return ChatSession(user_context=user_context, ws=ws)


async def handle_client_message(session: ChatSession, message: dict) -> Any:
    kind, ctx = message.get("type"), session.user_context
    if kind == "user_message":
        return await ChatService().handle_message(session, message["text"])
    if kind == "typing":
        return await presence.send_typing(ctx)
    if kind == "cancel":
        return await cancel_run(ctx, message.get("reason", "user"))
    if kind == "ping":
        return await send_heartbeat(ctx)
    if kind == "run_tool":  # debug: run one tool outside an agent
        return await ToolDispatcher(ctx).execute(message["tool"], "debug", query=message.get("query", ""))
    raise ValueError(f"unknown client message type {kind!r}")


async def disconnect(user_context: UserContext, connection) -> bool:
    from chat_backend.websocket_core.manager import get_websocket_manager  # lazy since 1.2 (import cycle)

    return get_websocket_manager().remove_connection(user_context.user_id, connection)
