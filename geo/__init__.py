"""China geography for routing: regions, provinces, cities, address parsing, distances.

Data (``china.json``): 34 provincial-level divisions, their cities and districts with centre
coordinates; see ``DATA.md`` for sources and the region split.
"""

from .address import ParsedAddress
from .atlas import Place
from .lookup import (
    Geo,
    GeoError,
    default_geo,
    haversine_km,
    normalize_city,
    normalize_province,
    parse_address,
)

__all__ = [
    "Geo",
    "GeoError",
    "ParsedAddress",
    "Place",
    "default_geo",
    "haversine_km",
    "normalize_city",
    "normalize_province",
    "parse_address",
]
