"""The gate: every agent run delivers its five events, in order, to its own user only.

These tests drive the app through its entry points (connect, client messages)
and look only at what the connections received, so they hold whatever import
path or factory the app uses underneath.  The legacy import below is on
purpose: the migration rewrites tests too.
"""

import asyncio
import json
import uuid
from unittest import mock

from chat_backend.api.websocket_routes import connect, handle_client_message
from chat_backend.context import UserContext
from chat_backend.services.chat_service import ChatService
from chat_backend.websocket_core.connection import InMemoryConnection
from chat_backend.websocket_core.manager import AGENT_EVENTS, WebSocketManager

EXPECTED = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]


def new_user(prefix: str = "user") -> UserContext:
    return UserContext(user_id=f"{prefix}-{uuid.uuid4().hex[:8]}")


async def ask(session, text: str) -> dict:
    return await handle_client_message(session, {"type": "user_message", "text": text})


def assert_golden_path(conn: InMemoryConnection, ctx: UserContext) -> None:
    assert conn.types() == EXPECTED, f"{ctx.user_id} received {conn.types()}"
    assert {m["data"]["user_id"] for m in conn.sent} == {ctx.user_id}
    run_ids = {m["data"]["run_id"] for m in conn.sent}
    assert len(run_ids) == 1, f"events from several runs: {run_ids}"


def test_agent_events_constant_lists_the_five_events():
    assert list(AGENT_EVENTS) == EXPECTED


def test_five_events_reach_the_user_in_order():
    async def scenario():
        ctx, conn = new_user(), InMemoryConnection("tab-1")
        session = await connect(ctx, conn)
        result = await ask(session, "quarterly revenue")
        return ctx, conn, result

    ctx, conn, result = asyncio.run(scenario())
    assert_golden_path(conn, ctx)
    assert conn.sent[-1]["data"]["answer"] == result["answer"]


def test_resumed_session_receives_the_five_events():
    async def scenario():
        ctx, conn = new_user("resumed"), InMemoryConnection("tab-1")
        session = ChatService().resume_session(ctx, conn)
        await ask(session, "open tickets")
        return ctx, conn

    ctx, conn = asyncio.run(scenario())
    assert_golden_path(conn, ctx)


def test_concurrent_users_are_isolated():
    async def scenario():
        users = [new_user(f"u{i}") for i in range(8)]
        conns = [InMemoryConnection(u.user_id) for u in users]
        sessions = [await connect(u, c) for u, c in zip(users, conns)]
        await asyncio.gather(*(ask(s, f"question from {s.user_context.user_id}") for s in sessions))
        return users, conns

    users, conns = asyncio.run(scenario())
    for ctx, conn in zip(users, conns):
        assert_golden_path(conn, ctx)
        wire = json.dumps(conn.sent)
        others = [u.user_id for u in users if u is not ctx and u.user_id in wire]
        assert not others, f"{ctx.user_id} received events of {others}"


def test_every_event_is_addressed_to_the_requesting_user():
    original = WebSocketManager.send_to_user
    addressed: list[str] = []

    async def spy(self, user_id, message):
        addressed.append(user_id)
        return await original(self, user_id, message)

    async def scenario():
        ctx, conn = new_user("spied"), InMemoryConnection()
        session = await connect(ctx, conn)
        await ask(session, "weather")
        return ctx, conn

    with mock.patch("chat_backend.websocket_core.manager.WebSocketManager.send_to_user", new=spy):
        ctx, conn = asyncio.run(scenario())
    assert addressed == [ctx.user_id] * len(EXPECTED)
    assert_golden_path(conn, ctx)
