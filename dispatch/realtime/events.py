"""Screen events: every change the command screens see, with a growing ``seq``.

An event is appended to a Redis stream (entry id ``<seq>-0``, bounded length) and
published on the screen channel in one atomic step, so a screen can resume from any
``seq`` it saw (replayed from the stream while it is kept) and live screens in every
web process get it at once. Lua scripts that change state and must emit in the same
step include :data:`EMIT_LUA` and call ``emit(...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from redis.asyncio.client import Pipeline

from dispatch.keys import Keys
from dispatch.scripts import LuaScript, RedisOrPipe, ScriptCall, Scripts

#: Default number of events kept for replay (``DISPATCH_EVENTS_KEEP``): a positions event
#: of a whole street is ~12 KB, so this bounds the stream to tens of MB.
STREAM_MAXLEN = 5_000

# A Lua function for scripts that emit a screen event in the same atomic step.
# emit(stream, seq_key, channel, maxlen, json_object) -> seq
# json_object is an encoded JSON object; "seq" is added as its first field.
EMIT_LUA = """
local function emit(stream, seq_key, channel, maxlen, json_object)
  local seq = redis.call('INCR', seq_key)
  local body = '{"seq":' .. seq .. ',' .. string.sub(json_object, 2)
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, seq .. '-0', 'e', body)
  redis.call('PUBLISH', channel, body)
  return seq
end
"""

# KEYS[1] events stream, KEYS[2] seq counter, KEYS[3] screen channel (not a key; passed
#   here so the script names everything it touches)
# ARGV[1] maxlen, ARGV[2] the event as a JSON object
# Returns the event's seq.
EMIT = LuaScript(
    "emit_event",
    EMIT_LUA + "\nreturn emit(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])\n",
)


def emit_keys(keys: Keys) -> list[str]:
    """The KEYS a script passes to ``emit``: stream, seq counter, channel."""
    return [keys.events_stream(), keys.events_seq(), keys.screen_channel()]


@dataclass(frozen=True, slots=True)
class EmitCall(ScriptCall[int]):
    script: ClassVar[LuaScript] = EMIT
    stream: str
    seq: str
    channel: str
    maxlen: int
    event: str  # a JSON object

    def to_keys(self) -> list[str]:
        return [self.stream, self.seq, self.channel]

    def to_argv(self) -> list[Any]:
        return [self.maxlen, self.event]

    def from_reply(self, reply: Any) -> int:
        return int(reply)


class Events:
    def __init__(self, scripts: Scripts, keys: Keys, maxlen: int = STREAM_MAXLEN) -> None:
        self.scripts = scripts
        self.keys = keys
        self.maxlen = maxlen

    def _call(self, event: dict[str, Any]) -> EmitCall:
        k = self.keys
        return EmitCall(k.events_stream(), k.events_seq(), k.screen_channel(), self.maxlen,
                        orjson.dumps(event).decode())

    async def emit(self, event: dict[str, Any], *,
                   pipeline: Pipeline | None = None) -> int | None:
        """Append and publish ``event`` (a dict with a ``type``); returns its seq (None when
        queued in ``pipeline``)."""
        if pipeline is not None:
            await self.scripts.queue(self._call(event), pipeline)
            return None
        return await self.scripts.run(self._call(event))

    async def since(self, client: RedisOrPipe, seq: int, count: int) -> list[dict[str, Any]] | None:
        """Events after ``seq`` (oldest first), or None when some were already trimmed."""
        first = await client.xrange(self.keys.events_stream(), count=1)
        oldest = int(first[0][0].split("-")[0]) if first else await self.last_seq(client) + 1
        if oldest > seq + 1:
            return None
        entries = await client.xrange(self.keys.events_stream(), min=f"({seq}-0", count=count)
        return [orjson.loads(fields["e"]) for _id, fields in entries]

    async def last_seq(self, client: RedisOrPipe) -> int:
        return int(await client.get(self.keys.events_seq()) or 0)
