"""Benchmark: the bytes a patrolling phone downloads per hour to keep its map's track fresh.

Starts its own redis-server and a uvicorn process, then plays an hour of patrol as the field
app sees it: a fix every 5 s going up, the track refreshed 3 s after fixes reach the server
(at most once per 3 s) and every 30 s anyway. The same refreshes are made twice against the
same stored track: the whole day's track each time (the baseline: the app before `since`),
and the whole day once, then only the fixes after the last one held (`?since=`). Two days:
the first patrol of the day, and the afternoon's after a 4-hour morning patrol.

Run from the repository root:  python bench/bench_track_refresh.py  [--minutes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bench_ingest import _env, dispatch_app, phase, redis_server, seed, uvicorn  # noqa: E402

from dispatch.geo.walk import patrol_walk  # noqa: E402
from dispatch.org.preset import street_preset  # noqa: E402
from dispatch.settings import Settings  # noqa: E402

MS = 1000
FIX_S = 5
#: The field app's refresh policy (dispatch/web/app/worker/patrol.js).
AFTER_FIXES_S = 3
EVERY_S = 30
MINUTES = 60
MORNING_H = 4
TZ = "Asia/Shanghai"
SCRYPT_N = 16


def local_ms(day: date, hour: int) -> int:
    return int(datetime.combine(day, time(hour), tzinfo=ZoneInfo(TZ)).timestamp() * MS)


def wire_bytes(response: httpx.Response) -> tuple[int, int]:
    """(body, body + status line and headers) as the phone receives them."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n") + sum(
        len(k) + len(v) + 4 for k, v in response.headers.raw) + 2
    return len(response.content), len(response.content) + head


@dataclass
class Mode:
    name: str
    requests: int = 0
    body: int = 0
    wire: int = 0
    since: int | None = None

    def add(self, response: httpx.Response) -> None:
        response.raise_for_status()
        body, wire = wire_bytes(response)
        self.requests += 1
        self.body += body
        self.wire += wire


def walk(grid: str, start_ms: int, seconds: int, seed_n: int) -> list[dict[str, float]]:
    feature = next(f for f in street_preset().grids["features"]
                   if str(f["properties"]["id"]) == grid)
    lonlat = patrol_walk(feature["geometry"], duration_s=seconds, fix_interval_s=FIX_S,
                         seed=seed_n)
    return [{"seq": i, "ts": start_ms + i * FIX_S * MS, "lat": float(lat), "lon": float(lon),
             "acc": 6.0} for i, (lon, lat) in enumerate(lonlat)]


def play(http: httpx.Client, worker: str, day: date, fixes: list[dict[str, float]]
         ) -> tuple[Mode, Mode]:
    """An hour of fixes going up one by one; the refreshes of both modes after each."""
    path = f"/api/v1/workers/{worker}/track"
    whole, since = Mode("whole day each time"), Mode("since the last fix")
    last_refresh = -AFTER_FIXES_S
    for step, fix in enumerate(fixes):
        t = step * FIX_S
        r = http.post("/api/v1/locations", json={"items": [fix]})
        r.raise_for_status()
        due = [t + AFTER_FIXES_S] if t + AFTER_FIXES_S >= last_refresh + AFTER_FIXES_S else []
        due += [n for n in range(t, t + FIX_S) if n % EVERY_S == 0 and n > 0]
        for when in due:
            last_refresh = when
            whole.add(http.get(path, params={"date": day.isoformat()}))
            params = {"date": day.isoformat()}
            if since.since is not None:
                params["since"] = str(since.since)
            found = http.get(path, params=params)
            since.add(found)
            end = found.json()["properties"]["end_ts"]
            since.since = end if end is not None else (since.since or 0)
    return whole, since


def row(label: str, mode: Mode, hours: float) -> str:
    return (f"  {label:<22}{mode.requests:>9,}{mode.body / hours / 1024:>14,.1f}"
            f"{mode.wire / hours / 1024:>16,.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=MINUTES)
    args = parser.parse_args()
    hours = args.minutes / 60
    day = date.today() - timedelta(days=1)  # a whole past day: no fix is in the future
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as (url, _):
        settings = Settings.from_env({}, redis_url=url, data_dir=Path(tmp) / "data",
                                     scrypt_n=SCRYPT_N, tz=TZ)
        phase("seeding the street")
        tokens = asyncio.run(seed(settings, 0))
        with uvicorn(dispatch_app(), _env(url, Path(tmp) / "data")) as server:
            base = f"http://127.0.0.1:{server.port}"
            results = []
            for label, worker, grid, morning_h in (("first patrol of the day", "gw001", "001", 0),
                                                   (f"after a {MORNING_H} h morning patrol",
                                                    "gw002", "002", MORNING_H)):
                with httpx.Client(base_url=base, timeout=30,
                                  headers={"Authorization": f"Bearer {tokens[worker]}"}) as http:
                    if morning_h:
                        morning = walk(grid, local_ms(day, 8), morning_h * 3600, 1)
                        for i in range(0, len(morning), 500):
                            http.post("/api/v1/locations", json={"items": morning[i:i + 500]})
                    phase(f"{label}: {args.minutes} min of patrol, a fix every {FIX_S} s")
                    fixes = walk(grid, local_ms(day, 14), args.minutes * 60, 2)
                    results.append((label, *play(http, worker, day, fixes)))
    print()
    print("Track refresh of the field app, per hour of patrol (fix every 5 s; refresh 3 s after"
          " fixes, every 30 s anyway)")
    print(f"  {'':<22}{'requests':>9}{'body KiB/h':>14}{'on wire KiB/h':>16}")
    for label, whole, since in results:
        print(f"{label}:")
        print(row(whole.name, whole, hours))
        print(row(since.name, since, hours))
        print(f"  ratio (whole / since): {whole.wire / since.wire:,.1f}x on the wire, "
              f"{whole.body / since.body:,.1f}x of body")


if __name__ == "__main__":
    main()
