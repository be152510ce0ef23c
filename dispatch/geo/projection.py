"""Local metric projection and great-circle distance.

At street and district scale (a few tens of kilometres) a local tangent plane
around a reference point is accurate to well under 0.1 %: x grows eastwards,
y northwards, both in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: WGS-84 semi-major axis (m) and first eccentricity squared.
WGS84_A_M = 6_378_137.0
WGS84_E2 = 6.694_379_990_14e-3
#: Mean Earth radius (IUGG) used by the spherical haversine formula.
EARTH_MEAN_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def _radii_of_curvature(lat_deg: float) -> tuple[float, float]:
    """Meridional and prime-vertical radii of curvature (m) at a latitude."""
    sin_lat = math.sin(math.radians(lat_deg))
    w2 = 1.0 - WGS84_E2 * sin_lat * sin_lat
    meridional = WGS84_A_M * (1.0 - WGS84_E2) / (w2 * math.sqrt(w2))
    prime_vertical = WGS84_A_M / math.sqrt(w2)
    return meridional, prime_vertical


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection on the ellipsoid's tangent plane at (lat0, lon0)."""

    lat0: float
    lon0: float
    m_per_deg_lat: float = field(init=False)
    m_per_deg_lon: float = field(init=False)

    def __post_init__(self) -> None:
        if not (-89.0 < self.lat0 < 89.0) or not (-180.0 <= self.lon0 <= 180.0):
            raise ValueError(f"bad reference point lat={self.lat0} lon={self.lon0}")
        meridional, prime_vertical = _radii_of_curvature(self.lat0)
        rad = math.pi / 180.0
        object.__setattr__(self, "m_per_deg_lat", meridional * rad)
        object.__setattr__(self, "m_per_deg_lon", prime_vertical * math.cos(self.lat0 * rad) * rad)

    @overload
    def to_xy(self, lon: float, lat: float) -> tuple[float, float]: ...
    @overload
    def to_xy(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...

    def to_xy(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """Project lon/lat degrees to x/y metres (scalars in, scalars out)."""
        if isinstance(lon, float | int) and isinstance(lat, float | int):
            return (
                (lon - self.lon0) * self.m_per_deg_lon,
                (lat - self.lat0) * self.m_per_deg_lat,
            )
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        return (lon_a - self.lon0) * self.m_per_deg_lon, (lat_a - self.lat0) * self.m_per_deg_lat

    @overload
    def to_lonlat(self, x: float, y: float) -> tuple[float, float]: ...
    @overload
    def to_lonlat(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]: ...

    def to_lonlat(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """Inverse of :meth:`to_xy`: x/y metres to lon/lat degrees."""
        if isinstance(x, float | int) and isinstance(y, float | int):
            return self.lon0 + x / self.m_per_deg_lon, self.lat0 + y / self.m_per_deg_lat
        x_a = np.asarray(x, dtype=np.float64)
        y_a = np.asarray(y, dtype=np.float64)
        return self.lon0 + x_a / self.m_per_deg_lon, self.lat0 + y_a / self.m_per_deg_lat

    def xy_array(self, lonlat: ArrayLike) -> FloatArray:
        """Project an (N, 2) array of [lon, lat] rows to an (N, 2) array of [x, y]."""
        pts = np.asarray(lonlat, dtype=np.float64)
        out = np.empty_like(pts)
        out[:, 0] = (pts[:, 0] - self.lon0) * self.m_per_deg_lon
        out[:, 1] = (pts[:, 1] - self.lat0) * self.m_per_deg_lat
        return out

    def lonlat_array(self, xy: ArrayLike) -> FloatArray:
        """Inverse of :meth:`xy_array`."""
        pts = np.asarray(xy, dtype=np.float64)
        out = np.empty_like(pts)
        out[:, 0] = self.lon0 + pts[:, 0] / self.m_per_deg_lon
        out[:, 1] = self.lat0 + pts[:, 1] / self.m_per_deg_lat
        return out


@overload
def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float: ...
@overload
def haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> FloatArray: ...


def haversine_m(
    lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike
) -> float | FloatArray:
    """Great-circle distance in metres on the mean-radius sphere (vectorised)."""
    if type(lon1) is float and type(lat1) is float and type(lon2) is float and (
            type(lat2) is float):
        return _haversine_scalar_m(lon1, lat1, lon2, lat2)  # one fix: no numpy overhead
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    dist: FloatArray = 2.0 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    if dist.ndim == 0:
        return float(dist)
    return dist


def _haversine_scalar_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """:func:`haversine_m` for plain floats (the per-fix filter's case)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlmb = math.radians(lon2 - lon1)
    h = math.sin((phi2 - phi1) / 2.0) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(
        dlmb / 2.0) ** 2
    return 2.0 * EARTH_MEAN_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, h))))
