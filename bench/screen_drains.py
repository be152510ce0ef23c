"""Command screens that read and drop their stream, in a process of their own.

python bench/screen_drains.py WS_URL COUNT: opens COUNT ``/ws/screen`` sockets at WS_URL
(token included), prints ``ready`` and reads until it is terminated. bench_screens runs
the screens it does not measure here, so that the measuring process's own event loop is
not busy decoding a hundred streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from websockets.asyncio.client import ClientConnection, connect

OPEN_TIMEOUT_S = 60.0


async def main(url: str, count: int) -> None:
    sockets = [await connect(url, max_queue=None, ping_interval=None, max_size=None,
                             open_timeout=OPEN_TIMEOUT_S) for _ in range(count)]

    async def drain(ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    print("ready", flush=True)
    await asyncio.gather(*(drain(ws) for ws in sockets))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
