"""Every sample request of Traccar's OsmAnd decoder test: decoded as Traccar decodes it,
and replayed against the server, which answers as Traccar does and stores the same fix."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
import redis

from dispatch.keys import Keys
from dispatch.location.apps import AppReport, osmand_json_reports, osmand_report
from dispatch.org.model import OrgData
from dispatch.settings import Settings
from tests.conftest import LiveServer
from tests.location.fixtures import MINUTE_MS, now_ms, with_service
from tests.location.traccar_samples import DEVICE_OWNERS, JSON, SAMPLES, Expected, Sample

T = 1_800_000_000_000
#: The samples date from 2013 to 2025: keep fixes of any age for these tests.
TWENTY_YEARS_H = 20 * 366 * 24


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"loc_max_age_h": TWENTY_YEARS_H}


def decode(sample: Sample, now: int) -> list[AppReport]:
    if sample.content_type == JSON:
        return osmand_json_reports(orjson.loads(sample.body), now)
    return [osmand_report(dict(parse_qsl(sample.target.lstrip("?"))), now)]


def close(a: float | None, b: float | None, tol: float) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, abs_tol=tol)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_each_sample_decodes_as_traccar_decodes_it(sample: Sample) -> None:
    [report] = decode(sample, T)
    want = sample.expected
    assert report.device == want.device
    assert report.ts == (want.ts if want.ts is not None else T)
    assert report.attributes == want.attributes
    assert close(report.altitude, want.altitude, 1e-9) and report.batt == want.batt
    if want.charge is not None:
        assert report.charge is want.charge
    if want.no_fix is not None:
        assert report.fix is None and report.no_fix == want.no_fix
        return
    fix = report.fix
    assert fix is not None and report.no_fix is None
    assert (fix.lat, fix.lon) == pytest.approx((want.lat, want.lon), abs=1e-12)
    assert close(fix.speed, want.speed, 1e-9) and close(fix.heading, want.heading, 1e-9)
    assert close(fix.acc, want.acc, 1e-9) and fix.batt == want.batt


def _stored(settings: Settings, worker: str, ts: int | None) -> dict[str, Any] | None:
    """The worker's stored fix at ``ts`` (None: the newest of the last minutes)."""
    t = now_ms()
    lo, hi = (ts, ts) if ts is not None else (t - 5 * MINUTE_MS, t + MINUTE_MS)
    track = with_service(settings, lambda c: c.location.track_between(worker, lo, hi))
    if not len(track):
        return None
    return {k: getattr(track, k)[-1].item() for k in
            ("ts", "lat", "lon", "acc", "speed", "heading", "batt")}


def _known(value: float) -> float | None:
    return None if value != value else value


def _metric(text: str, reason: str) -> float:
    found = re.search(rf'dispatch_location_nofix_total{{reason="{reason}",source="osmand"}} '
                      r"([0-9.]+)", text) or re.search(
        rf'dispatch_location_nofix_total{{source="osmand",reason="{reason}"}} ([0-9.]+)', text)
    return float(found.group(1)) if found else 0.0


def _check_stored(got: dict[str, Any] | None, want: Expected) -> None:
    assert got is not None, "nothing stored"
    if want.ts is not None:
        assert got["ts"] == want.ts
    assert (got["lat"], got["lon"]) == pytest.approx((want.lat, want.lon), abs=1e-7)
    assert close(_known(got["speed"]), want.speed, 0.006)  # stored in cm/s
    assert close(_known(got["heading"]), want.heading, 0.051)  # in 0.1 degree
    assert close(_known(got["acc"]), want.acc, 0.051)  # in dm
    assert close(_known(got["batt"]), want.batt, 0.5)  # whole percent


def test_every_sample_replayed_against_the_server(
        live: LiveServer, seeded: OrgData, settings: Settings, rdb: redis.Redis) -> None:
    rdb.hset(Keys(settings.street).devices(), mapping=DEVICE_OWNERS)
    passed = []
    seen: set[tuple[str, int]] = set()
    with live.client() as http:
        before = http.get("/metrics").text
        for sample in SAMPLES:
            headers = {"Content-Type": sample.content_type} if sample.content_type else {}
            r = http.request(sample.method, "/osmand" + sample.target, headers=headers,
                             content=sample.body.encode() or None)
            want = sample.expected
            if want.device is None:  # Traccar answers it with an error too
                assert r.status_code == 404, r.text
                assert r.json()["error"]["code"] == "unknown_device"
                passed.append(sample.name)
                continue
            assert r.status_code == 200, (sample.name, r.text)
            worker = DEVICE_OWNERS[want.device]
            if want.no_fix is not None:
                assert r.json()["no_fix"] == want.no_fix
                assert _stored(settings, worker, want.ts) is None
            elif want.ts is not None and (worker, want.ts) in seen:
                # the same device and time as an earlier sample: stored once, as Traccar
                # would keep one position per time
                assert r.json()["verdicts"] == {"duplicate": 1}
            else:
                _check_stored(_stored(settings, worker, want.ts), want)
            if want.ts is not None and want.no_fix is None:
                seen.add((worker, want.ts))
            passed.append(sample.name)
        after = http.get("/metrics").text
    assert _metric(after, "network_only") == _metric(before, "network_only") + 1
    assert len(passed) == len(SAMPLES) == 15
