"""Geo: province/city lookup, regions (default or workspace-configured), coordinates, distance."""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache

from .address import AddressParser, ParsedAddress
from .atlas import Atlas, CityRecord, Place, load_atlas

EARTH_RADIUS_KM = 6371.0088
_MUNICIPAL_CITY_FILLERS = frozenset({"市辖区", "市辖县", "县", "城区", "郊县"})

LatLon = tuple[float, float]


class GeoError(ValueError):
    """Bad geography input in configuration (unknown province, duplicate assignment...)."""


def haversine_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@lru_cache(maxsize=1)
def _parser() -> AddressParser:
    return AddressParser(load_atlas())


class Geo:
    """China geography with one province -> region assignment.

    Use :func:`default_geo` for the standard split; :meth:`with_regions` derives a Geo whose
    regions follow a workspace config. Instances are immutable and cheap to share.
    """

    def __init__(self, atlas: Atlas | None = None,
                 regions: Mapping[str, str] | None = None) -> None:
        self._atlas = atlas or load_atlas()
        self._parser = _parser() if atlas is None else AddressParser(self._atlas)
        self._region = dict(regions) if regions is not None else {
            p.name: p.region for p in self._atlas.provinces.values()}
        self._provinces = {
            p.name: Place(p.name, p.short, p.name, self._region[p.name], p.lat, p.lon, "province")
            for p in self._atlas.provinces.values()}
        self._cities = {c.name: self._city_place(c) for c in self._atlas.cities.values()}

    def _city_place(self, c: CityRecord) -> Place:
        return Place(c.name, c.short, c.province, self._region[c.province], c.lat, c.lon, c.kind)

    # -- regions ---------------------------------------------------------------------------
    @property
    def regions(self) -> dict[str, list[str]]:
        """Region name -> full province names, in data order."""
        out: dict[str, list[str]] = {}
        for province, region in self._region.items():
            out.setdefault(region, []).append(province)
        return out

    def with_regions(self, mapping: Mapping[str, Sequence[str]],
                     source: str | None = None) -> Geo:
        """A Geo whose listed provinces move to the given regions; others keep their default.

        ``mapping`` is region name -> provinces (full or short names). ``source`` (e.g. the
        config file path) prefixes error messages.
        """
        where = f"{source}: " if source else ""
        assigned = dict(self._region)
        seen: dict[str, str] = {}
        for region, provinces in mapping.items():
            if not isinstance(region, str) or not region.strip():
                raise GeoError(f"{where}region name must be a non-empty string, got {region!r}")
            if isinstance(provinces, str) or not isinstance(provinces, Sequence):
                raise GeoError(f"{where}region {region!r}: expected a list of provinces, "
                               f"got {provinces!r}")
            for raw in provinces:
                full = self.normalize_province(raw) if isinstance(raw, str) else None
                if full is None:
                    raise GeoError(f"{where}region {region!r}: unknown province {raw!r}"
                                   f"{self._suggest(raw)}")
                if full in seen and seen[full] != region:
                    raise GeoError(f"{where}province {full!r} is listed under both "
                                   f"{seen[full]!r} and {region!r}")
                seen[full] = region
                assigned[full] = region
        return Geo(self._atlas, assigned)

    def _suggest(self, raw: object) -> str:
        if not isinstance(raw, str):
            return ""
        # official full and short names only: informal aliases (广西省) make poor suggestions
        names = [n for p in self._atlas.provinces.values() for n in (p.name, p.short)]
        target = raw.strip()

        def score(name: str) -> tuple[float, int]:
            # ties on similarity (江酥: 江苏 vs 浙江) go to the longer shared prefix
            ratio = difflib.SequenceMatcher(None, target, name).ratio()
            return ratio, len(os.path.commonprefix([target, name]))

        best = max(names, key=score)
        if score(best)[0] < 0.3:
            return ""
        close = [best]
        return f"; did you mean {self._atlas.province_names[close[0]]!r}?"

    def region_of(self, province: str | None, city: str | None = None) -> str | None:
        """Region of a province (full or short name), else of the city's province."""
        full = self.normalize_province(province)
        if full is None and city:
            place = self.city(city)
            full = place.province if place else None
        return self._region.get(full) if full else None

    def region_of_address(self, text: str) -> str | None:
        """Region of a free-text address, via :meth:`parse_address`."""
        return self.region_of(self.parse_address(text).province)

    # -- names -----------------------------------------------------------------------------
    def normalize_province(self, name: str | None) -> str | None:
        """Canonical full name (广东 / 广东省 -> 广东省); None when unknown."""
        if not isinstance(name, str):
            return None
        key = name.strip()
        return self._atlas.province_names.get(key) if key else None

    def normalize_city(self, name: str | None, province: str | None = None) -> str | None:
        """Canonical full city name (广州 -> 广州市, 恩施 -> 恩施土家族苗族自治州)."""
        place = self.city(name, province)
        return place.name if place else None

    def province(self, name: str | None) -> Place | None:
        full = self.normalize_province(name)
        return self._provinces[full] if full else None

    def city(self, name: str | None, province: str | None = None) -> Place | None:
        """City by full name or alias; ``province`` disambiguates and resolves 市辖区-style
        placeholders that exports put in the city field of municipalities."""
        if not isinstance(name, str):
            return None
        key = name.strip()
        prov = self.normalize_province(province) if province else None
        if prov is not None and key in _MUNICIPAL_CITY_FILLERS:
            municipal = self._atlas.municipal_city(prov)
            return self._cities[municipal.name] if municipal else None
        candidates = self._atlas.city_names.get(key)
        if not candidates:
            return None
        if prov is not None:
            candidates = [c for c in candidates if self._cities[c].province == prov]
        return self._cities[candidates[0]] if len(candidates) == 1 else None

    def district(self, name: str | None, city: str | None,
                 province: str | None = None) -> Place | None:
        """A district (区/县/县级市/旗) of a known city, with its own centre."""
        c = self.city(city, province)
        if c is None or not isinstance(name, str):
            return None
        rec = self._atlas.cities[c.name]
        ll = rec.districts.get(name.strip())
        if ll is None:
            return None
        return Place(name.strip(), name.strip(), c.province, c.region, ll[0], ll[1], "district",
                     c.name)

    def cities(self, province: str | None = None) -> list[Place]:
        """All cities, or those of one province."""
        full = self.normalize_province(province) if province else None
        return [c for c in self._cities.values() if full is None or c.province == full]

    def provinces(self) -> list[Place]:
        return list(self._provinces.values())

    # -- coordinates and distance ----------------------------------------------------------
    def coords(self, province: str | None, city: str | None = None,
               district: str | None = None) -> LatLon | None:
        """District centre, else city centre, else province capital; None if all unknown."""
        c = self.city(city, province) if city else None
        if c is None and province and city is None:
            full = self.normalize_province(province)
            municipal = self._atlas.municipal_city(full) if full else None
            c = self._cities[municipal.name] if municipal else None
        if c is not None:
            if district:
                d = self.district(district, c.name, c.province)
                if d is not None:
                    return d.coords
            return c.coords
        p = self.province(province)
        if p is None:
            return None
        capital = self._cities.get(self._atlas.provinces[p.name].capital)
        return capital.coords if capital else p.coords

    def coords_of(self, place: object) -> LatLon | None:
        """Coordinates of a Place, (lat, lon), ParsedAddress, or free-text address/name."""
        if isinstance(place, Place):
            return place.coords
        if isinstance(place, tuple) and len(place) == 2 and all(
                isinstance(v, int | float) for v in place):
            return (float(place[0]), float(place[1]))
        if isinstance(place, ParsedAddress):
            return self.coords(place.province, place.city, place.district)
        if isinstance(place, str):
            parsed = self.parse_address(place)
            return self.coords(parsed.province, parsed.city, parsed.district)
        return None

    def distance_km(self, place_a: object, place_b: object) -> float | None:
        """Great-circle km between two places (see :meth:`coords_of`); None if either unknown."""
        a, b = self.coords_of(place_a), self.coords_of(place_b)
        return haversine_km(a, b) if a and b else None

    # -- addresses -------------------------------------------------------------------------
    def parse_address(self, text: str) -> ParsedAddress:
        return self._parser.parse(text)


@lru_cache(maxsize=1)
def default_geo() -> Geo:
    """The process-wide Geo with the standard e-commerce regions (loaded once)."""
    return Geo()


def parse_address(text: str) -> ParsedAddress:
    return default_geo().parse_address(text)


def normalize_province(name: str | None) -> str | None:
    return default_geo().normalize_province(name)


def normalize_city(name: str | None, province: str | None = None) -> str | None:
    return default_geo().normalize_city(name, province)
