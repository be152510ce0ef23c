"""Late uploads: idempotent, any order, hours late; every filter verdict and its metric."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import MINUTE_MS, TZ, inside, now_ms, with_service

HOUR_MS = 60 * MINUTE_MS
METRIC = re.compile(r'dispatch_location_pings_total\{source="(\w+)",verdict="(\w+)"\} (\S+)')


@pytest.fixture
def settings_overrides(ingest_client: dict[str, bool]) -> dict[str, bool]:
    return ingest_client


def metric_counts(live: LiveServer) -> dict[tuple[str, str], float]:
    with live.client() as http:
        text = http.get("/metrics").text
    return {(m[1], m[2]): float(m[3]) for m in METRIC.finditer(text)}


def test_duplicates_out_of_order_and_hours_late_are_stored_once_in_order(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    t0 = now_ms() - 5 * HOUR_MS
    items = [{"seq": n, "lat": lat + n * 1e-5, "lon": lon, "ts": t0 + n * 5_000}
             for n in range(20)]
    shuffled = items[10:] + items[:10][::-1]
    with live.client(tokens("gw001")) as http:
        first = http.post("/api/v1/locations", json={"items": shuffled})
        again = http.post("/api/v1/locations", json={"items": items[5:15]})
    assert first.status_code == 200, first.text
    assert first.json()["stored"] == 20 and first.json()["verdicts"] == {"ok": 20}
    assert again.json()["stored"] == 0 and again.json()["verdicts"] == {"duplicate": 10}
    track = with_service(settings, lambda c: c.location.track_between(
        "gw001", t0, t0 + HOUR_MS))
    assert track.ts.tolist() == [i["ts"] for i in items]
    assert track.lat.tolist() == pytest.approx([i["lat"] for i in items], abs=1e-7)


def test_a_late_upload_across_midnight_lands_in_both_days(
        live: LiveServer, seeded: OrgData, settings: Settings,
        tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    today = datetime.now(ZoneInfo(TZ)).date()
    midnight = int(datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(TZ))
                   .timestamp() * 1000)
    items = [{"seq": n, "lat": lat, "lon": lon + n * 1e-5, "ts": midnight - 10_000 + n * 5_000}
             for n in range(4)]
    with live.client(tokens("gw001")) as http:
        assert http.post("/api/v1/locations", json={"items": items}).json()["stored"] == 4
    days = with_service(settings, lambda c: c.location.store.track(
        "gw001", [c.location.days.of(midnight - 1), c.location.days.of(midnight)]))
    assert days.ts.tolist() == [i["ts"] for i in items]


def test_every_filter_verdict_is_counted(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "001")
    t = now_ms() - 10 * MINUTE_MS
    items = [
        {"lat": lat, "lon": lon, "ts": t},                              # ok
        {"lat": 0.0, "lon": 0.0, "ts": t + 1_000},                      # invalid (0, 0)
        {"lat": lat, "lon": lon, "ts": t + 3 * HOUR_MS},                # future
        {"lat": lat, "lon": lon, "ts": t - 49 * HOUR_MS},               # too old
        {"lat": lat, "lon": lon, "ts": t + 5_000, "acc": 500.0},        # inaccurate
        {"lat": lat, "lon": lon, "ts": t},                              # duplicate
        {"lat": lat + 0.05, "lon": lon, "ts": t + 10_000},              # jump (5.5 km in 10 s)
        {"lat": "north", "lon": lon, "ts": t + 15_000},                 # unreadable: invalid
    ]
    before = metric_counts(live)
    with live.client(tokens("gw001")) as http:
        r = http.post("/api/v1/locations", json={"items": items})
    body = r.json()
    assert body["verdicts"] == {"ok": 1, "invalid": 2, "future": 1, "too_old": 1,
                                "inaccurate": 1, "duplicate": 1, "jump": 1}
    assert body["stored"] == 3  # ok, inaccurate and jump are kept (only ok is mapped)
    assert body["errors"] == [{"index": 7, "code": "invalid_field",
                               "message": "items[7].lat must be a number",
                               "field": "items[7].lat"}]
    after = metric_counts(live)
    for verdict, n in body["verdicts"].items():
        assert after[("http", verdict)] - before.get(("http", verdict), 0.0) == n, verdict


def test_only_the_own_location_and_only_grid_workers(
        live: LiveServer, seeded: OrgData, tokens: Callable[[str], str]) -> None:
    lon, lat = inside(seeded, "002")
    one = {"lat": lat, "lon": lon, "ts": now_ms()}
    with live.client(tokens("gw001")) as http:
        r = http.post("/api/v1/locations", json={"items": [{**one, "worker": "gw002"}]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_your_location"
        r = http.post("/api/v1/locations", json={"worker": "gw002", "items": [one]})
        assert r.status_code == 403
        r = http.post("/api/v1/locations", json={"items": [one] * 1001})
        assert r.status_code == 400 and r.json()["error"]["code"] == "too_many_items"
        r = http.post("/api/v1/locations", json={"pings": []})
        assert r.status_code == 400 and r.json()["error"]["field"] == "items"
    with live.client(tokens("disp1")) as http:
        assert http.post("/api/v1/locations", json={"items": [one]}).status_code == 403
