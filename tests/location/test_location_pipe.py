"""The ingest's own Redis connection: batched writes, script loading, reconnecting."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from dispatch.location.pipe import ScriptPipe, encode_command
from dispatch.scripts import LuaScript
from tests.waiting import until

ECHO = LuaScript("test_echo", "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) * 2}")
FAIL = LuaScript("test_fail", "return redis.error_reply('BOOM ' .. ARGV[1])")


def test_encode_command() -> None:
    assert encode_command(["SET", "k", 7, 2.5, b"\x00\xff"]) == (
        b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n7\r\n$3\r\n2.5\r\n$2\r\n\x00\xff\r\n")
    with pytest.raises(TypeError):
        encode_command(["SET", None])


def test_calls_in_one_turn_share_a_write_and_survive_flushes_and_drops(
        redis_url: str, rdb: redis.Redis) -> None:
    async def go() -> None:
        pipe = ScriptPipe(redis_url)
        try:
            replies = await asyncio.gather(*(pipe.call(ECHO, [f"k{n}"], ["x", n])
                                             for n in range(200)))
            assert replies[7] == ["k7", "x", 14] and len(replies) == 200
            rdb.script_flush()  # NOSCRIPT: loaded again on the fly
            assert await pipe.call(ECHO, ["a"], ["b", 1]) == ["a", "b", 2]
            with pytest.raises(ResponseError, match="BOOM now"):
                await pipe.call(FAIL, ["a"], ["now"])
            rdb.client_kill_filter(_type="normal", skipme=True)  # the connection drops
            await until(lambda: not pipe.connected, "the pipe to see the drop")
            with contextlib.suppress(RedisConnectionError):  # this call may see the drop
                await pipe.call(ECHO, ["a"], ["b", 2])
            assert await pipe.call(ECHO, ["a"], ["b", 3]) == ["a", "b", 6]
        finally:
            await pipe.aclose()

    asyncio.run(go())


def test_a_new_event_loop_gets_a_new_connection(redis_url: str) -> None:
    pipe = ScriptPipe(redis_url)

    async def once(n: int) -> list[object]:
        reply: list[object] = await pipe.call(ECHO, ["k"], ["v", n])
        return reply

    assert asyncio.run(once(1)) == ["k", "v", 2]
    assert asyncio.run(once(2)) == ["k", "v", 4]
    asyncio.run(pipe.aclose())
