"""LocalProjection and haversine_m."""

import math

import numpy as np
import pytest

from dispatch.geo.projection import LocalProjection, haversine_m

LAT0, LON0 = 39.03, 117.42
KM = 1000.0


def test_scalar_round_trip_returns_floats() -> None:
    proj = LocalProjection(LAT0, LON0)
    x, y = proj.to_xy(117.43, 39.04)
    assert isinstance(x, float) and isinstance(y, float)
    lon, lat = proj.to_lonlat(x, y)
    assert lon == pytest.approx(117.43, abs=1e-12)
    assert lat == pytest.approx(39.04, abs=1e-12)


def test_array_round_trip() -> None:
    proj = LocalProjection(LAT0, LON0)
    lons = np.array([117.40, 117.42, 117.45])
    lats = np.array([39.00, 39.03, 39.06])
    x, y = proj.to_xy(lons, lats)
    assert x.shape == (3,) and y.shape == (3,)
    back_lon, back_lat = proj.to_lonlat(x, y)
    np.testing.assert_allclose(back_lon, lons, atol=1e-12)
    np.testing.assert_allclose(back_lat, lats, atol=1e-12)
    np.testing.assert_allclose(
        proj.lonlat_array(proj.xy_array(np.column_stack([lons, lats]))),
        np.column_stack([lons, lats]),
        atol=1e-12,
    )


def test_origin_maps_to_zero() -> None:
    assert LocalProjection(LAT0, LON0).to_xy(LON0, LAT0) == (0.0, 0.0)


@pytest.mark.parametrize(("dx", "dy"), [(KM, 0.0), (0.0, KM), (3 * KM, -4 * KM)])
def test_projected_distance_matches_haversine(dx: float, dy: float) -> None:
    proj = LocalProjection(LAT0, LON0)
    lon, lat = proj.to_lonlat(dx, dy)
    # The projection uses the WGS-84 ellipsoid, haversine a sphere: they differ by < 0.5 %.
    assert haversine_m(LON0, LAT0, lon, lat) == pytest.approx(math.hypot(dx, dy), rel=5e-3)


def test_haversine_known_values() -> None:
    one_degree_lat = haversine_m(117.0, 39.0, 117.0, 40.0)
    assert one_degree_lat == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(117.0, 39.0, 117.0, 39.0) == 0.0
    dists = haversine_m(
        np.array([117.0, 117.0]),
        np.array([39.0, 39.0]),
        np.array([117.0, 118.0]),
        np.array([40.0, 39.0]),
    )
    assert dists.shape == (2,)
    assert dists[1] == pytest.approx(111_195 * math.cos(math.radians(39.0)), rel=2e-3)


def test_rejects_polar_reference() -> None:
    with pytest.raises(ValueError):
        LocalProjection(90.0, 0.0)
