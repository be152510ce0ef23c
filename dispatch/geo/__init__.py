"""Geometry for grid governance: projection, synthetic layouts, validation, lookup."""

from .district import generate_district
from .index import GridIndex
from .projection import LocalProjection, haversine_m
from .street import Grid, GridKind, Station, StreetLayout, generate_street
from .validate import Problem, validate_grids

__all__ = [
    "Grid",
    "GridIndex",
    "GridKind",
    "LocalProjection",
    "Problem",
    "Station",
    "StreetLayout",
    "generate_district",
    "generate_street",
    "haversine_m",
    "validate_grids",
]
