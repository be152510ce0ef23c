"""The district preset: 26 streets whose 1,248 grids tile the district with no gap or
overlap, seeded by ``dispatch seed --preset district`` and served as one deployment."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape

from dispatch.geo.validate import validate_grids
from dispatch.org.district_preset import CENTRE, STREETS, district_bounds, district_preset
from dispatch.settings import Settings
from tests.conftest import running

SEED_PASSWORD = "district-pass-1"
#: Area left over or counted twice, in square degrees (far below one square metre).
AREA_TOLERANCE = 1e-12


def test_the_grids_tile_the_district_with_no_gap_or_overlap() -> None:
    streets = district_preset()
    grids = [shape(f["geometry"]) for s in streets for f in s.grids["features"]]
    district = shape(district_bounds())
    union = shapely.union_all(grids)
    assert len(streets) == len(STREETS) == 26 and len(grids) == 1248
    assert abs(union.area - district.area) < AREA_TOLERANCE  # no gap
    assert abs(sum(g.area for g in grids) - union.area) < AREA_TOLERANCE  # no overlap
    assert union.symmetric_difference(district).area < AREA_TOLERANCE
    for s in streets:  # and each street's own grids, as a street's file is checked
        stations = {st.id for st in s.stations}
        assert validate_grids(s.grids, source=s.street.code, known_stations=stations,
                              boundary=s.grids["boundary"]) == []


def test_every_user_name_is_unique_across_the_district() -> None:
    names = [p.user.username for s in district_preset() for p in s.people]
    assert len(names) == len(set(names))


def test_seeded_district_is_served_with_its_figures(settings: Settings) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCH_", "REDIS_"))}
    env.update(REDIS_URL=settings.redis_url or "", DISPATCH_DATA=str(settings.data_dir),
               DISPATCH_SCRYPT_N=str(settings.scrypt_n), PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-m", "dispatch", "seed", "--preset", "district",
                           "--password", SEED_PASSWORD], env=env, capture_output=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "seeded 26 streets, 1248 grids" in done.stdout.decode()
    assert "hashing passwords: " in done.stderr.decode()  # the progress counter
    codes = ",".join(code for code, _ in STREETS)
    with running(dataclasses.replace(settings, streets=codes, district=CENTRE)) as live:
        token = live.login("district.disp1", SEED_PASSWORD)
        with live.client(token) as c:
            district = c.get("/api/v1/district").json()
            yuyang = c.get("/api/v1/grids", params={"street": "yuyang"}).json()
        street_token = live.login("yuyang.disp1", SEED_PASSWORD)
        with live.client(street_token) as c:
            own = c.get("/api/v1/district").json()
    assert [r["street"] for r in district["streets"]] == [code for code, _ in STREETS]
    assert len(yuyang["features"]) == 48
    assert [r["street"] for r in own["streets"]] == ["yuyang"]
