"""An HTTP phone's fix is sent again once after a transport failure (a kept-alive
connection the server closed as it was reused), as the apps do; a real socket server
drops the first connection unanswered."""

from __future__ import annotations

import asyncio

from clients.simulator import stats as S
from clients.simulator.api import Api, Reply
from clients.simulator.stats import Stats

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]"


async def against_flaky_server(resend: int) -> tuple[Reply, Stats, int]:
    """One POST to a server that drops its first connection; (reply, stats, connections)."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        if connections > 1:
            writer.write(ANSWER)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stats = Stats()
    api = Api(f"http://127.0.0.1:{port}", stats)
    try:
        reply = await api.post("owntracks", "/owntracks", None, {"_type": "location"},
                               resend=resend)
    finally:
        await api.aclose()
        server.close()
        await server.wait_closed()
    return reply, stats, connections


def test_a_fix_is_sent_again_after_a_transport_failure() -> None:
    reply, stats, connections = asyncio.run(against_flaky_server(resend=1))
    assert reply.ok and reply.body == [] and connections == 2
    assert stats[S.ERRORS] == 0


def test_without_a_resend_the_failure_is_an_error() -> None:
    reply, stats, connections = asyncio.run(against_flaky_server(resend=0))
    assert reply.status == 0 and connections == 1
    assert stats.errors["owntracks transport"] == 1
