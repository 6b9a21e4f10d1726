"""Print address-parsing and lookup throughput of orderhub.geo.

Run: python bench/geo.py  (speed goal: > 50,000 addresses/s on one core)
"""

from __future__ import annotations

import time

from orderhub.geo import default_geo

ADDRESSES = [
    "广东省广州市天河区天河路385号", "广州天河区体育西路", "上海市浦东新区张江路",
    "北京朝阳区建国路88号", "重庆市渝中区解放碑", "内蒙古呼和浩特市新城区",
    "新疆维吾尔自治区乌鲁木齐市天山区", "恩施州利川市", "杭州市西湖区文三路90号",
    "江苏省苏州市昆山市前进路", "上海 上海市 徐汇区 漕溪北路", "湖北省仙桃市干河街道",
    "中国广东省深圳市南山区科技园", "asdf!!!", "浙江省宁波市慈溪市", "四川省成都市武侯区",
]


def rate(fn, items: list, seconds: float = 1.0) -> float:
    """Calls per second of fn over items, repeated for about ``seconds``."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for item in items:
            fn(item)
        n += len(items)
    return n / (time.perf_counter() - start)


def main() -> None:
    t0 = time.perf_counter()
    geo = default_geo()
    load_ms = (time.perf_counter() - t0) * 1000
    pairs = [("广东", "广州"), ("广东省", None), (None, "乌鲁木齐"), ("上海市", "上海市"),
             ("新疆", "喀什"), ("内蒙古自治区", "呼和浩特市")]
    print(f"load (data + parser tables): {load_ms:.0f} ms")
    print(f"parse_address: {rate(geo.parse_address, ADDRESSES):,.0f} addresses/s")
    print(f"region_of:     {rate(lambda p: geo.region_of(*p), pairs):,.0f} lookups/s")
    print(f"coords:        {rate(lambda p: geo.coords(*p), pairs):,.0f} lookups/s")
    cities = [("广州", "深圳"), ("上海", "北京")]
    per_s = rate(lambda p: geo.distance_km(geo.city(p[0]), geo.city(p[1])), cities)
    print(f"distance_km:   {per_s:,.0f} pairs/s")
    print(f"region_of_address: {rate(geo.region_of_address, ADDRESSES):,.0f} addresses/s")


if __name__ == "__main__":
    main()
