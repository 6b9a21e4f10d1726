"""The loaded China atlas: provinces, cities and districts from ``china.json``.

Kept separate from :class:`~orderhub.geo.lookup.Geo` so that every Geo (default or with
workspace-configured regions) shares one copy of the raw records and the parser's tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MUNICIPAL_KINDS = frozenset({"municipality", "sar"})


@dataclass(frozen=True, slots=True)
class Place:
    """A province-level division, a city, or a district, with its region and centre."""

    name: str
    short: str
    province: str
    region: str
    lat: float
    lon: float
    kind: str = "prefecture"  # province | municipality | sar | prefecture | county | district
    city: str | None = None  # for districts: the city they belong to

    @property
    def coords(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True, slots=True)
class ProvinceRecord:
    code: str
    name: str
    short: str
    region: str
    capital: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class CityRecord:
    code: str
    name: str
    short: str
    province: str
    kind: str
    lat: float
    lon: float
    aliases: tuple[str, ...]
    districts: dict[str, tuple[float, float]]


class Atlas:
    """Raw records plus name indexes; immutable after construction."""

    def __init__(self, data: dict) -> None:
        self.default_regions: dict[str, list[str]] = data["regions"]
        self.provinces: dict[str, ProvinceRecord] = {}
        for p in data["provinces"]:
            rec = ProvinceRecord(p["code"], p["name"], p["short"], p["region"], p["capital"],
                                 p["lat"], p["lon"])
            self.provinces[rec.name] = rec
        self.cities: dict[str, CityRecord] = {}
        for c in data["cities"]:
            aliases = tuple(c["aliases"])
            short = aliases[0] if aliases else c["name"]
            if c["kind"] in MUNICIPAL_KINDS:
                short = self.provinces[c["province"]].short
            self.cities[c["name"]] = CityRecord(
                c["code"], c["name"], short, c["province"], c["kind"], c["lat"], c["lon"],
                aliases, {d[0]: (d[1], d[2]) for d in c["districts"]},
            )
        self.province_names: dict[str, str] = {}
        for rec in self.provinces.values():
            for key in (rec.name, rec.short):
                self.province_names[key] = rec.name
        for extra, full in PROVINCE_EXTRA_ALIASES.items():
            self.province_names.setdefault(extra, full)
        # city name or alias -> candidate full names (aliases can repeat across provinces)
        self.city_names: dict[str, list[str]] = {}
        for city in self.cities.values():
            keys = [city.name, *city.aliases]
            if city.kind in MUNICIPAL_KINDS:
                keys.append(self.provinces[city.province].short)
            for key in dict.fromkeys(keys):
                self.city_names.setdefault(key, []).append(city.name)
        self.cities_by_province: dict[str, list[CityRecord]] = {}
        for city in self.cities.values():
            self.cities_by_province.setdefault(city.province, []).append(city)

    def municipal_city(self, province: str) -> CityRecord | None:
        """The city record standing for a municipality or SAR (北京市 -> 北京市)."""
        rec = self.cities.get(province)
        return rec if rec is not None and rec.kind in MUNICIPAL_KINDS else None


# Informal spellings seen in exports, mapped to official names.
PROVINCE_EXTRA_ALIASES = {
    "内蒙": "内蒙古自治区", "内蒙古省": "内蒙古自治区", "广西省": "广西壮族自治区",
    "新疆省": "新疆维吾尔自治区", "宁夏省": "宁夏回族自治区", "西藏省": "西藏自治区",
    "香港省": "香港特别行政区", "澳门省": "澳门特别行政区", "香港市": "香港特别行政区",
    "澳门市": "澳门特别行政区", "台湾": "台湾省", "广西自治区": "广西壮族自治区",
    "宁夏自治区": "宁夏回族自治区", "新疆自治区": "新疆维吾尔自治区",
}


@lru_cache(maxsize=1)
def load_atlas() -> Atlas:
    """Read the packaged ``china.json`` once per process."""
    text = resources.files(__package__).joinpath("china.json").read_text(encoding="utf-8")
    return Atlas(json.loads(text))
