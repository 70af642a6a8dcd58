"""Great-circle distance and the bounding box of a circle on the sphere (pure functions).

The radius is the mean Earth radius Lucene uses for ``geo_distance`` (``arc``), so the embedded engine
and Elasticsearch/OpenSearch agree on what lies within a distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0087714
_EPSILON_DEGREES = 1e-9


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class BoundingBox:
    """Latitude range and one or two longitude ranges (two when the box crosses the antimeridian)."""

    min_latitude: float
    max_latitude: float
    longitude_ranges: tuple[tuple[float, float], ...]


def haversine_km(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(center: Point, radius_km: float) -> BoundingBox:
    """The smallest latitude/longitude box containing every point within ``radius_km`` of ``center``.

    J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude Using Bounding
    Coordinates": the longitude half-width is ``asin(sin(r) / cos(lat))``; a circle reaching a pole
    spans every longitude.
    """
    angular = radius_km / EARTH_RADIUS_KM
    lat = math.radians(center.latitude)
    lon = math.radians(center.longitude)
    min_lat, max_lat = lat - angular, lat + angular
    ranges: tuple[tuple[float, float], ...]
    if min_lat > -math.pi / 2 and max_lat < math.pi / 2:
        delta = math.asin(min(1.0, math.sin(angular) / math.cos(lat)))
        min_lon, max_lon = lon - delta, lon + delta
        if min_lon < -math.pi:
            ranges = ((min_lon + 2 * math.pi, math.pi), (-math.pi, max_lon))
        elif max_lon > math.pi:
            ranges = ((min_lon, math.pi), (-math.pi, max_lon - 2 * math.pi))
        else:
            ranges = ((min_lon, max_lon),)
    else:
        min_lat, max_lat = max(min_lat, -math.pi / 2), min(max_lat, math.pi / 2)
        ranges = ((-math.pi, math.pi),)
    return BoundingBox(
        min_latitude=math.degrees(min_lat) - _EPSILON_DEGREES,
        max_latitude=math.degrees(max_lat) + _EPSILON_DEGREES,
        longitude_ranges=tuple((max(math.degrees(a) - _EPSILON_DEGREES, -180.0),
                                min(math.degrees(b) + _EPSILON_DEGREES, 180.0)) for a, b in ranges),
    )
