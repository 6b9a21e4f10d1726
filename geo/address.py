"""Free-text Chinese address parsing: province, city, district, detail.

Longest-match over precompiled dictionaries indexed by first character, so a parse costs a
handful of dict lookups. Order of stages: province (or a city that implies one), city, district.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from .atlas import MUNICIPAL_KINDS, Atlas

# A short name (广州, 朝阳) followed by one of these is part of a longer name, not the place itself:
# 朝阳区 is not 朝阳市, 北京路 is a street in Guangzhou.
_SHORT_BLOCKERS = frozenset("区县旗镇乡路街村道巷弄里")
_ADMIN_SUFFIXES = ("省", "市", "区", "县", "旗", "州", "盟", "自治区", "地区", "特别行政区")
_SEPARATORS = " \t\r\n\u3000,，、/|-_:：;；()（）[]【】"
# Tokens after a municipality name that only repeat it (上海 上海市 浦东新区 / 北京市 市辖区).
_MUNICIPAL_FILLERS = ("市辖区", "市辖县", "县", "城区", "郊县")
_FALLBACK_DISTRICT = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:区|县|市|旗)")
_NOT_DISTRICT_TAILS = ("小区", "社区", "园区", "校区", "景区", "营区", "厂区", "片区", "街区",
                       "商区", "超市", "城市", "菜市", "门市", "集市", "夜市", "街市", "湖区")
_NOT_DISTRICT_CHARS = frozenset("路街道号村镇乡巷弄楼栋室单元座")
_COUNTRY_PREFIXES = ("中华人民共和国", "中国大陆", "中国")


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """Result of :func:`parse_address`; unknown parts are None, never guessed."""

    province: str | None
    city: str | None
    district: str | None
    detail: str | None


_EMPTY = ParsedAddress(None, None, None, None)


class _Table:
    """Longest-match dictionary: key -> value, with the key lengths present per first char."""

    __slots__ = ("values", "lengths")

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.lengths: dict[str, tuple[int, ...]] = {}

    def add(self, key: str, value: object) -> None:
        if not key:
            return
        self.values.setdefault(key, value)
        lens = set(self.lengths.get(key[0], ()))
        lens.add(len(key))
        self.lengths[key[0]] = tuple(sorted(lens, reverse=True))

    def match(self, text: str, pos: int,
              continues: Callable[[object, int], bool] | None = None
              ) -> tuple[str, object] | None:
        """Longest key at ``text[pos:]`` that is not a short name glued to a longer word.

        ``continues(value, end)``: whether what follows a short name is a known part below
        it, which makes the name a name after all (哈尔滨道里区: 道里区 is a district of 哈尔滨,
        so 道 does not make 哈尔滨道 a street)."""
        if pos >= len(text):
            return None
        lengths = self.lengths.get(text[pos])
        if not lengths:
            return None
        values = self.values
        for n in lengths:
            key = text[pos:pos + n]
            value = values.get(key)
            if value is None:
                continue
            end = pos + n
            if end < len(text) and text[end] in _SHORT_BLOCKERS and not key.endswith(
                    _ADMIN_SUFFIXES) and not (continues is not None and continues(value, end)):
                continue
            return key, value
        return None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SEPARATORS:
        pos += 1
    return pos


class AddressParser:
    """Tables built once from an :class:`Atlas`; :meth:`parse` is then allocation-light."""

    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        # Top level: provinces beat cities on an exact tie (海南 -> 海南省, not 海南藏族自治州).
        self.top = _Table()
        for key, full in atlas.province_names.items():
            self.top.add(key, ("P", full))
        for key, names in atlas.city_names.items():
            if len(names) == 1:
                self.top.add(key, ("C", names[0]))
        self.city_tables: dict[str, _Table] = {}
        self.province_districts: dict[str, _Table] = {}
        district_owners: dict[str, list[str]] = {}
        for province, cities in atlas.cities_by_province.items():
            table, dtable = _Table(), _Table()
            owners: dict[str, list[str]] = {}
            for rec in cities:
                for key in (rec.name, *rec.aliases):
                    table.add(key, rec.name)
                for d in rec.districts:
                    owners.setdefault(d, []).append(rec.name)
                    district_owners.setdefault(d, []).append(rec.name)
            for d, names in owners.items():
                if len(names) == 1:
                    dtable.add(d, (names[0], d))
            self.city_tables[province] = table
            self.province_districts[province] = dtable
        self.district_tables: dict[str, _Table] = {}
        for rec in atlas.cities.values():
            t = _Table()
            for d in rec.districts:
                t.add(d, d)
            self.district_tables[rec.name] = t
        # A bare district at the start ("浦东新区张江路") identifies its city only if unique.
        self.global_districts = _Table()
        for d, names in district_owners.items():
            if len(names) == 1 and len(d) >= 3:
                self.global_districts.add(d, (names[0], d))

    def parse(self, text: object) -> ParsedAddress:
        """Split ``text`` into province / city / district / detail; never raises."""
        if not isinstance(text, str) or not text:
            return _EMPTY
        try:
            return self._parse(text)
        except Exception:  # noqa: BLE001 - a parser of user text must never take a batch down
            return ParsedAddress(None, None, None, text.strip() or None)

    def _parse(self, text: str) -> ParsedAddress:
        atlas = self.atlas
        pos = _skip(text, 0)
        for prefix in _COUNTRY_PREFIXES:
            if text.startswith(prefix, pos):
                pos = _skip(text, pos + len(prefix))
                break
        province = city = district = None
        hit = self.top.match(text, pos, lambda v, end: self._below_top(text, end, v))
        if hit is not None:
            key, value = hit
            kind, name = cast(tuple[str, str], value)
            pos = _skip(text, pos + len(key))
            if kind == "P":
                province = name
            else:
                city = name
                province = atlas.cities[name].province
        if province is not None and city is None:
            city, district, pos = self._city_after_province(text, pos, province)
        if province is None:
            found = self.global_districts.match(text, pos)
            if found is not None:
                key, value = found
                city, district = cast(tuple[str, str], value)
                province = atlas.cities[city].province
                pos = _skip(text, pos + len(key))
        if city is not None and district is None:
            again = self.city_tables[atlas.cities[city].province].match(text, pos)
            if again is not None and again[1] == city:  # 广州市广州市天河区: skip the repeat
                pos = _skip(text, pos + len(again[0]))
            district, pos = self._district(text, pos, city)
        detail = text[pos:].strip() or None
        return ParsedAddress(province, city, district, detail)

    def _below_top(self, text: str, end: int, value: object) -> bool:
        """A known city (of a province) or district (of a city) starts at ``end``."""
        kind, name = cast(tuple[str, str], value)
        if kind == "C":
            return self._district_at(text, end, name)
        return (self.city_tables[name].match(text, end) is not None
                or self.province_districts[name].match(text, end) is not None)

    def _district_at(self, text: str, end: int, city: object) -> bool:
        table = self.district_tables.get(str(city))
        return table is not None and table.match(text, end) is not None

    def _city_after_province(self, text: str, pos: int,
                             province: str) -> tuple[str | None, str | None, int]:
        atlas = self.atlas
        municipal = atlas.municipal_city(province)
        if municipal is not None:
            # 上海 上海市 浦东新区 / 北京市市辖区朝阳区: consume the repeated name.
            hit = self.city_tables[province].match(text, pos)
            if hit is not None:
                pos = _skip(text, pos + len(hit[0]))
            for filler in _MUNICIPAL_FILLERS:
                if text.startswith(filler, pos) and not self.district_tables[
                        municipal.name].match(text, pos):
                    pos = _skip(text, pos + len(filler))
                    break
            return municipal.name, None, pos
        hit = self.city_tables[province].match(
            text, pos, lambda city, end: self._district_at(text, end, city))
        if hit is not None:
            return hit[1], None, _skip(text, pos + len(hit[0]))  # type: ignore[return-value]
        found = self.province_districts[province].match(text, pos)
        if found is not None:
            key, value = found
            city, district = cast(tuple[str, str], value)
            return city, district, _skip(text, pos + len(key))
        return None, None, pos

    def _district(self, text: str, pos: int, city: str) -> tuple[str | None, int]:
        hit = self.district_tables[city].match(text, pos)
        if hit is not None:
            return hit[0], _skip(text, pos + len(hit[0]))
        m = _FALLBACK_DISTRICT.match(text, pos)
        if m is None:
            return None, pos
        token = m.group(0)
        if (len(token) < 2 or token.endswith(_NOT_DISTRICT_TAILS)
                or any(ch in _NOT_DISTRICT_CHARS for ch in token)
                or self.atlas.cities.get(city) is None
                or self.atlas.cities[city].kind not in MUNICIPAL_KINDS | {"prefecture"}):
            return None, pos
        return token, _skip(text, m.end())
