"""What a grid worker's phone needs to track all day with Traccar Client or OwnTracks.

For each app: the server URL (the configured public URL, never the address the server
listens on), the device id or login, and a QR code the app scans (drawn with segno), so
nobody types a URL on a phone:

- Traccar Client reads a scanned URL's origin and path as its server URL and takes its
  query parameters as settings (``id``, ``accuracy``, ``interval``, ``distance``,
  ``heartbeat``, ``buffer``).
- OwnTracks imports an ``owntracks:///config?inline=<base64 JSON>`` link: HTTP mode, the
  URL, the login (the password is typed once), move monitoring, and the worker's grid as
  a region, so its enter/leave transitions are recorded against the grid.
"""

from __future__ import annotations

import base64
import math
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import segno
import shapely  # type: ignore[import-untyped,unused-ignore]

from dispatch.geo.projection import haversine_m

OSMAND_PATH = "/osmand"
OWNTRACKS_PATH = "/owntracks"
#: The patrol settings the apps are given (a fix every 30 s or 20 m, a heartbeat every 5 min).
INTERVAL_S = 30
DISTANCE_M = 20
HEARTBEAT_S = 300
OWNTRACKS_MODE_HTTP = 3
OWNTRACKS_MONITORING_MOVE = 2
QR_ERROR = "m"
QR_SCALE = 4
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::1", "[::1]"})


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as an SVG data URI (for an ``<img>``)."""
    return str(segno.make(text, error=QR_ERROR).svg_data_uri(scale=QR_SCALE))


def is_local(url: str) -> bool:
    """Whether a phone could not reach ``url`` (this machine's own address)."""
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def traccar_setup(base: str, device: str) -> dict[str, Any]:
    url = base + OSMAND_PATH
    config = f"{url}?" + urlencode({"id": device, "accuracy": "high", "interval": INTERVAL_S,
                                    "distance": DISTANCE_M, "heartbeat": HEARTBEAT_S,
                                    "buffer": "true"})
    return {"url": url, "device_id": device, "config_url": config, "qr": qr_svg(config)}


def grid_region(feature: dict[str, Any]) -> dict[str, Any]:
    """The grid as an OwnTracks region: a circle around it (name, centre, radius m)."""
    polygon = shapely.geometry.shape(feature["geometry"])
    centre = polygon.centroid
    edge = polygon.exterior if hasattr(polygon, "exterior") else polygon.convex_hull.exterior
    radius = max(haversine_m(centre.x, centre.y, x, y) for x, y in edge.coords)
    return {"desc": str(feature["properties"].get("name") or feature["properties"]["id"]),
            "lat": round(float(centre.y), 6), "lon": round(float(centre.x), 6),
            "rad": math.ceil(radius)}


def owntracks_setup(base: str, username: str, grid: dict[str, Any] | None,
                    created_s: int) -> dict[str, Any]:
    url = base + OWNTRACKS_PATH
    config: dict[str, Any] = {
        "_type": "configuration", "mode": OWNTRACKS_MODE_HTTP, "url": url, "auth": True,
        "username": username, "deviceId": "phone", "tid": username[-2:].upper(),
        "monitoring": OWNTRACKS_MONITORING_MOVE, "locatorInterval": INTERVAL_S,
        "locatorDisplacement": DISTANCE_M,
    }
    if grid is not None:
        config["waypoints"] = [{"_type": "waypoint", **grid_region(grid), "tst": created_s}]
    inline = base64.b64encode(orjson.dumps(config)).decode()
    link = f"owntracks:///config?inline={inline}"
    return {"url": url, "username": username, "config": config, "config_url": link,
            "qr": qr_svg(link)}
