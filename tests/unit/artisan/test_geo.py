"""Great-circle distances against known values, and the bounding box that must never lose a match."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from a4co.seed.towns import TOWNS
from services.artisan.domain.geo import EARTH_RADIUS_KM, bounding_box, haversine_km


def between(town_a: str, town_b: str) -> float:
    a, b = TOWNS[town_a], TOWNS[town_b]
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def test_ubeda_to_baeza_is_about_nine_kilometres() -> None:
    # The two Renaissance towns are 8.8-9.0 km apart as the crow flies (centre to centre).
    assert between("Úbeda", "Baeza") == pytest.approx(8.8, abs=0.3)


def test_known_distances_in_the_province() -> None:
    assert between("Jaén", "Úbeda") == pytest.approx(44.6, abs=1.0)
    assert between("Baeza", "Cazorla") == pytest.approx(
        42.3, abs=1.0
    )  # the contract's example: left out of 25 km
    assert between("Jaén", "Jaén") == 0.0


def test_geometry_of_the_sphere() -> None:
    one_degree = 2 * math.pi * EARTH_RADIUS_KM / 360
    assert haversine_km(0, 0, 1, 0) == pytest.approx(one_degree)
    assert haversine_km(0, 0, 0, 1) == pytest.approx(one_degree)  # along the equator too
    assert haversine_km(60, 0, 60, 1) == pytest.approx(one_degree / 2, rel=1e-4)  # cos 60° = 1/2
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)  # antipodes
    assert haversine_km(89.9, 0, 89.9, 180) == pytest.approx(2 * 0.1 * one_degree, rel=1e-3)  # over the pole
    assert haversine_km(0, 179.9, 0, -179.9) == pytest.approx(0.2 * one_degree)  # across the antimeridian


def test_the_box_of_a_small_radius() -> None:
    box = bounding_box(37.9936, -3.4708, 25)
    assert box.min_lat == pytest.approx(37.9936 - 25 / 111.195, abs=1e-3)
    ((west, east),) = box.longitudes
    assert east - west > 2 * 25 / 111.195  # wider in degrees of longitude away from the equator


def test_boxes_across_the_antimeridian_and_over_a_pole() -> None:
    assert len(bounding_box(0, 179.5, 100).longitudes) == 2
    assert len(bounding_box(0, -179.5, 100).longitudes) == 2
    assert bounding_box(89.5, 10, 100).longitudes == ((-180.0, 180.0),)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-85, 85),
    lon=st.floats(-180, 180),
    radius=st.floats(0.1, 200),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 0.999),
)
def test_every_point_within_the_radius_is_inside_the_box(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    # The point at `fraction` of the radius in direction `bearing` (destination formula on the sphere).
    angular = radius * fraction / EARTH_RADIUS_KM
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi1) * math.cos(angular) + math.cos(phi1) * math.sin(angular) * math.cos(bearing)
    )
    lambda2 = lambda1 + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(phi1),
        math.cos(angular) - math.sin(phi1) * math.sin(phi2),
    )
    p_lat, p_lon = math.degrees(phi2), (math.degrees(lambda2) + 540) % 360 - 180
    assert haversine_km(lat, lon, p_lat, p_lon) == pytest.approx(radius * fraction, abs=1e-6)
    box = bounding_box(lat, lon, radius)
    assert box.min_lat - 1e-9 <= p_lat <= box.max_lat + 1e-9
    assert any(west - 1e-9 <= p_lon <= east + 1e-9 for west, east in box.longitudes)
