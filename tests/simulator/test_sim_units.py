"""The simulator's pure parts: photos, the walk, the catalogue mix, options, figures."""

from __future__ import annotations

import asyncio
import io
import math
import random
import struct
import zlib
from collections import Counter

import pytest

from clients.simulator import stats as S
from clients.simulator.catalogue import Catalogue
from clients.simulator.config import DEFAULT_LOAD_DURATION_S, parse_args
from clients.simulator.display import FiguresPrinter, figures, plain_line
from clients.simulator.images import PNG_SIGNATURE, photo_png
from clients.simulator.stats import Latency, PingLedger, Stats
from clients.simulator.street import Street
from clients.simulator.street_mode import pick_members
from clients.simulator.walker import WALK_SPEED_MPS, Walker
from dispatch.org.model import OrgData

SIM_STEP_S = 5.0
ONE_HOUR_S = 3600.0
#: Live figures every run must show.
EXPECTED_FIELDS = ("pings/s", "acks", "reports", "offers received", "accept p50", "errors",
                   "reconnects", "screen events/s")


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png.startswith(PNG_SIGNATURE)
    pos, found = len(PNG_SIGNATURE), []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
        found.append((kind, data))
        pos += 12 + length
    return found


def test_photo_is_a_valid_png_and_each_is_different() -> None:
    rng = random.Random(1)
    first, second = photo_png(rng), photo_png(rng)
    chunks = _chunks(first)
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (depth, colour) == (8, 2)
    assert len(zlib.decompress(chunks[1][1])) == height * (1 + 3 * width)
    assert first != second


def _street(org: OrgData) -> Street:
    return Street.from_geojson(org.grids)


def test_walker_walks_at_walking_speed_inside_its_grid(street: OrgData) -> None:
    grid = _street(street).of_worker("gw001")
    assert grid is not None
    walker = Walker(grid, random.Random(2), wanderer=False)
    fixes = [walker.step(SIM_STEP_S) for _ in range(int(ONE_HOUR_S / SIM_STEP_S))]
    inside = sum(f.inside for f in fixes) / len(fixes)
    moving = [f.speed for f in fixes if f.speed > 0]
    assert inside > 0.97
    assert abs(sum(moving) / len(moving) - WALK_SPEED_MPS) < 0.4
    assert any(not f.signal for f in fixes), "an hour without a dead spot"
    assert all(0 <= f.heading < 360 and 0 < f.batt <= 1 for f in fixes)


def test_a_wanderer_leaves_the_grid_and_comes_back(street: OrgData) -> None:
    grid = _street(street).of_worker("gw050")
    assert grid is not None
    walker = Walker(grid, random.Random(3), wanderer=True)
    inside = [walker.step(SIM_STEP_S).inside for _ in range(int(3 * ONE_HOUR_S / SIM_STEP_S))]
    assert not all(inside)
    assert inside.count(True) > inside.count(False)


def test_ping_has_the_contract_fields(street: OrgData) -> None:
    grid = _street(street).of_worker("gw001")
    assert grid is not None
    ping = Walker(grid, random.Random(4)).step(SIM_STEP_S).ping(7, 1_700_000_000_000)
    assert set(ping) == {"seq", "ts", "lat", "lon", "acc", "speed", "heading", "batt"}
    assert ping["seq"] == 7 and isinstance(ping["ts"], int)
    assert 0 <= ping["batt"] <= 100


def _catalogue() -> Catalogue:
    return Catalogue.from_json({
        "categories": [{"code": "SR", "name": "市容"}, {"code": "ZA", "name": "治安"}],
        "items": [
            {"code": "SR01", "category": "SR", "tier": "complex", "department": "hw"},
            {"code": "SR02", "category": "SR", "tier": "complex", "department": "hw"},
            {"code": "SR03", "category": "SR", "tier": "complex", "department": "cgj"},
            {"code": "ZA01", "category": "ZA", "tier": "complex", "department": "pcs"},
            {"code": "ZA20", "category": "ZA", "tier": "hard", "department": "centre"},
        ]})


def test_catalogue_mix_follows_category_weights() -> None:
    rng = random.Random(5)
    cat = _catalogue()
    picked = Counter(cat.choose(rng).category for _ in range(4000))
    assert picked["SR"] > 2 * picked["ZA"] > 0
    assert cat.department_for("ZA", rng) == "pcs"
    sent = Counter(cat.department_for("SR", rng) for _ in range(300))
    assert sent["hw"] > sent["cgj"] > 0


def test_members_are_spread_over_departments() -> None:
    departments = [{"id": "a", "members": ["a1", "a2", "a3"]}, {"id": "b", "members": ["b1"]},
                   {"id": "c", "members": ["c1", "c2"]}]
    assert pick_members(departments, 4) == [("a1", "a"), ("b1", "b"), ("c1", "c"), ("a2", "a")]
    assert len(pick_members(departments, 100)) == 6


def test_options() -> None:
    street = parse_args(["--url", "http://h:1/", "--speed", "30", "--workers", "5"])
    assert street.url == "http://h:1" and street.ws_base == "ws://h:1"
    assert street.speed == 30 and street.workers == 5 and not street.load_mode
    assert street.duration_s is None
    load = parse_args(["--phones", "100", "--reports-per-s", "5"])
    assert load.load_mode and load.duration_s == DEFAULT_LOAD_DURATION_S
    with pytest.raises(SystemExit):
        parse_args(["--bad-share", "2"])


def test_latency_percentiles() -> None:
    lat = Latency(random.Random(6), keep=1000)
    for ms in range(1, 101):
        lat.add(float(ms))
    assert lat.percentile(50) == pytest.approx(50, abs=1)
    assert lat.percentile(99) == pytest.approx(99, abs=1)
    assert Latency(random.Random(7)).percentile(50) is None


def test_ping_ledger_matches_each_ping_once() -> None:
    ledger = PingLedger()
    ledger.record("gw001", 1000, at=0.0)
    assert ledger.seen("gw002", 1000) is None
    waited = ledger.seen("gw001", 1000)
    assert waited is not None and waited > 0
    assert ledger.seen("gw001", 1000) is None


def test_figures_have_every_field_and_rates() -> None:
    stats = Stats()
    stats.add(S.PINGS, 50)
    stats.add(S.REPORTS, 3)
    stats.time(S.ACCEPT_MS, 12.5)
    shown = dict(figures(stats, Counter(), 2.0))
    for name in EXPECTED_FIELDS:
        assert name in shown
    assert shown["pings/s"] == "25.0"
    assert shown["accept p50"] == "12.5 s"
    line = plain_line(stats, Counter(), 2.0)
    assert "ping/s=25.0" in line and "rep=3" in line and "err=0" in line
    assert len(line) <= 80


def test_printer_prints_a_plain_line_per_second_when_not_a_terminal() -> None:
    stats = Stats()
    stats.add(S.REPORTS, 4)
    out = io.StringIO()

    async def go() -> None:
        ticks: asyncio.Queue[None] = asyncio.Queue()
        waiting = asyncio.Semaphore(0)

        async def tick() -> None:  # a second passes whenever the test says so
            waiting.release()
            await ticks.get()

        task = asyncio.create_task(FiguresPrinter(stats, out=out, tick=tick).run())
        for _ in range(2):  # two seconds pass
            await waiting.acquire()
            ticks.put_nowait(None)
        await waiting.acquire()  # the printer has printed both and waits for the third
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(go())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    for short in ("ping/s=", "ack=", "rep=", "acc=", "err=", "recon=", "scr/s="):
        assert short in lines[0]
    assert all(len(line) <= 80 for line in lines)
    assert "rep=4" in lines[-1]
    assert math.isfinite(stats.elapsed())
