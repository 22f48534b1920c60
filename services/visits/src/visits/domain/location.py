"""The optional location check-in (到岗签到): where the visitor was, against the enterprise's address coordinates.

Pure. Coordinates are WGS-84 degrees, what a phone's browser (navigator.geolocation) and GPS give; a position
copied from a Chinese web map is GCJ-02 (or BD-09), several hundred metres off, and must be converted first."""
from __future__ import annotations

from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt
from typing import Optional

EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
DEFAULT_RADIUS_M = 500


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float


def distance_m(a: Location, b: Location) -> float:
    """Great-circle distance (haversine) in metres: within a metre at the few hundred metres that matter here."""
    p1, p2 = radians(a.lat), radians(b.lat)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(b.lng - a.lng) / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


@dataclass(frozen=True)
class CheckIn:
    at: Location
    enterprise_at: Optional[Location]  # None: the enterprise has no coordinates yet, so nothing can be judged
    radius_m: int

    @property
    def distance_m(self) -> Optional[int]:
        return None if self.enterprise_at is None else round(distance_m(self.at, self.enterprise_at))

    @property
    def within_radius(self) -> Optional[bool]:
        d = self.distance_m
        return None if d is None else d <= self.radius_m

    def shown(self) -> dict:
        return {"lat": self.at.lat, "lng": self.at.lng, "distance_m": self.distance_m, "radius_m": self.radius_m,
                "within_radius": self.within_radius,
                "enterprise_location": None if self.enterprise_at is None else
                {"lat": self.enterprise_at.lat, "lng": self.enterprise_at.lng}}
