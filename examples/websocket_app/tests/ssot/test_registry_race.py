"""The bug itself: two factories, two registries, and the event goes nowhere.

The endpoint registers a connection on the manager its factory built; other
code sends through a manager that another factory built.  With one registry
the message arrives; with several it is silently dropped.
"""

import asyncio
import uuid

from chat_backend.api.websocket_routes import connect, disconnect
from chat_backend.context import UserContext
from chat_backend.services.notifications import notify
from chat_backend.websocket_core.connection import InMemoryConnection


def new_user(prefix: str) -> UserContext:
    return UserContext(user_id=f"{prefix}-{uuid.uuid4().hex[:8]}")


def test_notification_reaches_connections_registered_by_the_endpoint():
    async def one_user(i: int):
        ctx, conn = new_user(f"race{i}"), InMemoryConnection()
        await connect(ctx, conn)                               # registered via the endpoint's factory
        delivered = await notify(ctx, "quota_warning", {"used": 95})  # sent via the notifier's factory
        return ctx, conn, delivered

    async def scenario():
        return await asyncio.gather(*(one_user(i) for i in range(10)))

    results = asyncio.run(scenario())
    lost = [ctx.user_id for ctx, conn, _ in results if conn.types() != ["notification"]]
    assert not lost, (f"{len(lost)}/{len(results)} notifications lost: connect() and notify() "
                      f"used managers with different connection registries")


def test_disconnect_unregisters_the_connection_connect_registered():
    async def scenario():
        ctx, conn = new_user("bye"), InMemoryConnection()
        session = await connect(ctx, conn)
        removed = await disconnect(ctx, conn)
        late = await session.ws.send_to_user(ctx.user_id, {"type": "agent_started", "data": {}})
        return removed, late, conn.sent

    removed, late, sent = asyncio.run(scenario())
    assert removed, "disconnect() looked for the connection in another registry and found nothing"
    assert (late, sent) == (0, []), "the connection still receives events after disconnect()"
