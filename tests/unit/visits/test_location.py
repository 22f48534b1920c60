"""The check-in rule (visits.domain.location): distance in metres, within the county's radius, no judgement
without the enterprise's coordinates."""
from __future__ import annotations

import pytest

from visits.domain.location import DEFAULT_RADIUS_M, CheckIn, Location, distance_m

# 三原县 town centre, roughly; one degree of latitude is 111.2 km, one of longitude here cos(34.6°) as much.
CENTRE = Location(34.6170, 108.9400)


def test_distance_along_a_meridian_and_a_parallel():
    assert distance_m(CENTRE, Location(CENTRE.lat + 0.001, CENTRE.lng)) == pytest.approx(111.19, abs=0.05)
    assert distance_m(CENTRE, Location(CENTRE.lat, CENTRE.lng + 0.001)) == pytest.approx(91.51, abs=0.05)
    assert distance_m(CENTRE, CENTRE) == 0
    # Xi'an to Sanyuan, about 40 km: the formula holds at any distance.
    assert distance_m(Location(34.2658, 108.9541), CENTRE) == pytest.approx(39_070, rel=0.005)


def test_within_the_radius_and_outside_it():
    near = CheckIn(Location(CENTRE.lat + 0.004, CENTRE.lng), CENTRE, DEFAULT_RADIUS_M)  # ≈ 445 m
    far = CheckIn(Location(CENTRE.lat + 0.005, CENTRE.lng), CENTRE, DEFAULT_RADIUS_M)  # ≈ 556 m
    assert (near.distance_m, near.within_radius) == (445, True)
    assert (far.distance_m, far.within_radius) == (556, False)
    assert CheckIn(far.at, CENTRE, 600).within_radius is True
    assert DEFAULT_RADIUS_M == 500


def test_without_the_enterprises_coordinates_nothing_is_judged():
    c = CheckIn(CENTRE, None, 500)
    assert c.distance_m is None and c.within_radius is None
    assert c.shown() == {"lat": CENTRE.lat, "lng": CENTRE.lng, "distance_m": None, "radius_m": 500,
                         "within_radius": None, "enterprise_location": None}
