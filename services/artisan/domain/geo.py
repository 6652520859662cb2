"""Great-circle distances and the bounding box that prefilters a radius search. Pure.

Distances are haversine distances on a sphere of the Earth's mean radius (IUGG, 6371.0088 km): within
0.5% of the WGS 84 ellipsoid's geodesic, which is far below the precision of a workshop's address.
The bounding box (J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude Using
Bounding Coordinates") contains every point within the radius, so an index on latitude and longitude
narrows the candidates before the exact distance decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EARTH_RADIUS_KM", "BoundingBox", "bounding_box", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS 84 points (degrees)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class BoundingBox:
    min_lat: float
    max_lat: float
    longitudes: tuple[tuple[float, float], ...]
    """One range, or two when the box crosses the antimeridian (±180°)."""


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """The smallest latitude/longitude box holding every point within `radius_km` of (lat, lon)."""
    angular = radius_km / EARTH_RADIUS_KM
    d_lat = math.degrees(angular)
    min_lat, max_lat = lat - d_lat, lat + d_lat
    if min_lat <= -90 or max_lat >= 90:  # the circle holds a pole: every longitude
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), ((-180.0, 180.0),))
    d_lon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    west, east = lon - d_lon, lon + d_lon
    if west < -180:
        return BoundingBox(min_lat, max_lat, ((west + 360, 180.0), (-180.0, east)))
    if east > 180:
        return BoundingBox(min_lat, max_lat, ((west, 180.0), (-180.0, east - 360)))
    return BoundingBox(min_lat, max_lat, ((west, east),))
