"""The clock's Lua twin against the Python rule: ``FIRE_DUE`` does what ``Planner.fire``
says, and its summary is ``Case.summary``, for every timer, light and state.

Each case is written straight into Redis in one of the combinations, its timer fired by
the script, and everything the script did (the hash, the timeline entry, every message
on every channel, the screen event) compared with what the Python planner makes of the
same case.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from dispatch.bootstrap import Container, bootstrap
from dispatch.cases.lua import SUMMARY_LUA
from dispatch.cases.model import Case
from dispatch.cases.parts import Part, PartState, encode_parts
from dispatch.cases.plan import Planner
from dispatch.cases.states import CaseState
from dispatch.cases.timers import Timer, TimerKind
from dispatch.rules import Light
from dispatch.scripts import LuaScript, ScriptCall
from dispatch.settings import Settings

T = 1_800_000_000_000
MIN = 60_000
YELLOW, RED, ESC1, ESC2 = T + 90 * MIN, T + 120 * MIN, T + 180 * MIN, T + 360 * MIN
LATE_AFTER_MS = 2000
GEN = 2
MARKER = "parity:marker"
LEADS = {"hw": "lead05", "cgj": None}  # hw has a lead, cgj none (the desk hears instead)


def case_hash(cid: str, state: CaseState, light: Light, *, assignee: str | None,
              department: str | None, notify: str, clock: bool = True) -> dict[str, str]:
    raw = {
        "id": cid, "item": "SR01", "item_name": "暴露垃圾", "category": "SR", "grid": "001",
        "station": "S01", "state": state.value, "tier": "complex", "reporter": "gw001",
        "lat": "39.0312345", "lon": "117.4212345", "severity": "normal", "created": str(T),
        "updated": str(T), "light": light.value, "escalation_level": "0",
        "rework_count": "1", "rule": "r1", "rule_version": "v1", "ver": "3", "gen": str(GEN),
    }
    if clock:
        raw.update({"deadline": str(RED), "yellow_at": str(YELLOW),
                    "esc_at": f"{ESC1},{ESC2}", "start": str(T), "limit_s": "7200",
                    "clock": "clock", "yellow_share": "0.75", "esc_after": "3600,14400",
                    "esc_notify": notify})
    if assignee:
        raw["assignee"] = assignee
    if department:
        raw["department"] = department
    return raw


@dataclass(frozen=True)
class Combination:
    state: CaseState
    light: Light
    timer: tuple[TimerKind, int, int]  # kind, level, due
    assignee: str | None
    department: str | None
    notify: str
    late_ms: int
    gen: int = GEN


def combinations() -> Iterator[Combination]:
    timers = [(TimerKind.YELLOW, 0, YELLOW), (TimerKind.RED, 0, RED),
              (TimerKind.ESCALATE, 1, ESC1), (TimerKind.ESCALATE, 2, ESC2)]
    for state, light, timer, (assignee, department) in itertools.product(
            CaseState, Light, timers,
            [("dm073", "hw"), (None, "hw"), ("gw001", None), (None, None), (None, "cgj")]):
        yield Combination(state, light, timer, assignee, department, "lead,dispatcher", 0)
    running = [CaseState.DISPATCHED, CaseState.ACCEPTED, CaseState.TRIAGE]
    for state, notify, late, (assignee, department) in itertools.product(
            running, ["lead,leadership", "dispatcher,lead", "leadership", ""],
            [LATE_AFTER_MS, LATE_AFTER_MS + 1],
            [("dm073", "hw"), (None, "hw"), (None, None), (None, "cgj")]):
        for level, due in ((1, ESC1), (2, ESC2)):
            yield Combination(state, Light.RED, (TimerKind.ESCALATE, level, due), assignee,
                              department, notify, late)
    yield Combination(CaseState.ACCEPTED, Light.GREEN, (TimerKind.RED, 0, RED), "dm073", "hw",
                      "lead", 0, gen=GEN + 1)  # a timer of an older clock


async def fire_one(c: Container, pubsub: Any, cid: str, combo: Combination
                   ) -> tuple[list[bool], dict[str, str], list[Any], list[tuple[str, Any]],
                              list[Any]]:
    k = c.keys
    raw = case_hash(cid, combo.state, combo.light, assignee=combo.assignee,
                    department=combo.department, notify=combo.notify)
    kind, level, due = combo.timer
    timer = Timer(cid, kind, level, combo.gen)
    await c.redis.hset(k.case(cid), mapping=raw)
    await c.redis.zadd(k.case_timers(), {timer.member: due})
    last_seq = int(await c.redis.get(k.events_seq()) or 0)
    fired = await c.cases.store.fire_due(due + combo.late_ms, 10, LATE_AFTER_MS)
    await c.redis.publish(MARKER, "done")
    messages = []
    while True:
        m = await pubsub.get_message(timeout=5)
        if m is None:
            continue
        if m["channel"] == MARKER:
            break
        if m["channel"] == k.screen_channel():
            continue  # the screen event: compared as stored in the stream
        messages.append((m["channel"], orjson.loads(m["data"])))
    after = await c.redis.hgetall(k.case(cid))
    timeline = [orjson.loads(e) for e in await c.redis.lrange(k.case_timeline(cid), 0, -1)]
    events = await c.events.since(c.redis, last_seq, 10) or []
    return [f.fired for f in fired], after, timeline, messages, events


def expected(c: Container, cid: str, combo: Combination) -> tuple[
        list[bool], dict[str, str], list[Any], list[tuple[str, Any]], list[Any]]:
    raw = case_hash(cid, combo.state, combo.light, assignee=combo.assignee,
                    department=combo.department, notify=combo.notify)
    case = Case.from_hash(raw)
    kind, level, due = combo.timer
    timer = Timer(cid, kind, level, combo.gen)
    if not case.runs_on(timer.gen):
        return [False], raw, [], [], []
    plan = Planner(c.keys).fire(case, timer, due, due + combo.late_ms,
                                late_after_ms=LATE_AFTER_MS,
                                lead=LEADS.get(case.department or ""))
    body = orjson.loads(plan.to_json())
    assert plan.after is not None
    messages = [(channel, orjson.loads(message)) for channel, message in body["publish"]]
    event = orjson.loads(body["emit"])
    return ([True], dict(plan.after.raw), [orjson.loads(e) for e in plan.timeline], messages,
            [event])


def test_the_clock_script_fires_as_the_planner_says(settings: Settings) -> None:
    async def go() -> list[str]:
        c = bootstrap(settings)
        pubsub = c.redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.psubscribe(c.keys.push_pattern(), MARKER)
        await c.redis.hset(c.keys.org_departments(), mapping={
            d: orjson.dumps({"id": d, "lead": lead}) for d, lead in LEADS.items()})
        failures = []
        try:
            for n, combo in enumerate(combinations()):
                cid = f"C{n + 1}"
                got = await fire_one(c, pubsub, cid, combo)
                fired, after, timeline, messages, events = got
                want = expected(c, cid, combo)
                events = [{k: v for k, v in e.items() if k != "seq"} for e in events]
                parts = ("fired", "hash", "timeline", "messages", "event")
                mine = (fired, after, timeline, sorted_messages(messages), events)
                theirs = (want[0], want[1], want[2], sorted_messages(want[3]), want[4])
                for part, a, b in zip(parts, mine, theirs, strict=True):
                    if a != b:
                        failures.append(f"{combo} {part}: script {a} != planner {b}")
        finally:
            await pubsub.aclose()
            await c.aclose()
        return failures

    failures = asyncio.run(go())
    assert failures == [], "\n".join(failures[:3])


def sorted_messages(found: list[tuple[str, Any]]) -> list[tuple[str, bytes]]:
    return sorted((channel, orjson.dumps(m, option=orjson.OPT_SORT_KEYS)) for channel, m in found)


@dataclass(frozen=True, slots=True)
class SummaryCall(ScriptCall[dict[str, Any]]):
    """The script's summary of a stored case at ``now``."""

    script = LuaScript("test_case_summary", SUMMARY_LUA
                       + "\nreturn encode(summary(KEYS[1], tonumber(ARGV[1])))\n")
    case: str
    now_ms: int

    def to_keys(self) -> list[str]:
        return [self.case]

    def to_argv(self) -> list[Any]:
        return [self.now_ms]

    def from_reply(self, reply: Any) -> dict[str, Any]:
        return dict(orjson.loads(reply))


def test_the_scripts_summary_is_the_case_summary(settings: Settings) -> None:
    async def go() -> list[str]:
        c = bootstrap(settings)
        failures = []
        try:
            for n, (state, light, clock, now, holder) in enumerate(itertools.product(
                    CaseState, Light, (True, False), (T, YELLOW - 1, YELLOW, RED - 1, RED, ESC2),
                    (None, "dm073"))):
                cid = f"S{n}"
                raw = case_hash(cid, state, light, assignee=holder, department="hw",
                                notify="lead", clock=clock)
                if n % 3 == 0:
                    raw["light"] = ""  # a stored light may be missing
                if n % 2 == 1:  # assisting departments: one open, one reported
                    raw["parts"] = encode_parts((
                        Part("zhzf", PartState.ACCEPTED, "dm025", RED, YELLOW, "green", T),
                        Part("cgj", PartState.RESOLVED, None, YELLOW, T, "yellow", T, RED)))
                await c.redis.hset(c.keys.case(cid), mapping=raw)
                got = await c.scripts.run(SummaryCall(c.keys.case(cid), now))
                want = Case.from_hash(raw).summary(now)
                if got != want:
                    failures.append(f"{state} {light} clock={clock} at {now}: {got} != {want}")
        finally:
            await c.aclose()
        return failures

    failures = asyncio.run(go())
    assert failures == [], "\n".join(failures[:3])
