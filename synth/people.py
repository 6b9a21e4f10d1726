"""Buyers and receivers: Chinese names, mobile numbers, nicknames, addresses.

Everything takes a `random.Random` so callers stay deterministic.  The
functions are on the hot path of the 100k-order benchmark, so they use plain
`choice`/`randrange` and f-strings only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .regions import AREAS, Area

T = TypeVar("T")

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
) + ("欧阳", "上官", "司马", "诸葛")

GIVEN_NAMES = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "秀英", "桂英", "秀兰", "玉兰", "建国", "建华", "志强", "海燕",
    "晓红", "晓明", "丽娟", "文博", "浩然", "子涵", "梓轩", "雨桐", "佳琪", "思远", "嘉怡", "俊杰",
    "欣怡", "一诺", "宇轩", "若曦", "诗涵", "晨阳", "雅婷", "志伟", "春梅", "国庆", "红梅", "小龙",
    "梦瑶", "天佑", "家豪", "慧敏", "美玲", "振华", "婷婷", "鹏飞",
)

# Real mobile number segments (China Mobile / Unicom / Telecom), 13x/15x/18x/19x.
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
    "191", "193", "195", "196", "197", "198", "199",
)

_NICK_ADJ = ("快乐的", "爱吃", "不吃", "睡不醒的", "安静的", "奔跑的", "小小", "会飞的", "胖胖",
             "甜甜的", "勇敢的", "佛系")
_NICK_NOUN = ("小鱼", "草莓", "猫咪", "兔子", "橘子", "阿狸", "团子", "月亮", "可乐", "豆豆",
              "芒果", "熊猫", "小笼包", "奶茶")
_NICK_LATIN = ("tb", "momo", "lily", "jack", "sunny", "cici", "kiki", "leo", "amy", "tony")

COMMUNITIES = ("阳光花园", "锦绣华庭", "翠苑小区", "幸福里", "金色家园", "绿地公馆", "万科城",
               "碧桂园", "华润城", "保利花园", "世纪新城", "东方名苑", "滨江花园", "和谐家园")

# Every "building/unit/room" suffix, built once so an address costs one pick.
_UNITS = tuple(f"{b}栋{u}单元{f}{n:02d}室" for b in range(1, 30) for u in range(1, 6)
               for f in range(1, 33) for n in range(1, 5))

# Templates for addresses a courier cannot find without a call (the vague-address rule).
VAGUE_TEMPLATES = ("{mark}附近", "{road}地铁站旁边", "{mark}旁边的小区", "{road}附近的快递站",
                   "{mark}附近，到了打电话")


@dataclass(slots=True)
class Receiver:
    """Who and where a parcel goes; shared by a buyer's repeat orders (treat as read-only,
    use dataclasses.replace to change one; not frozen only because frozen init is slow)."""

    name: str
    phone: str
    area: Area
    town: str
    town_code: str
    detail: str
    vague: bool

    @property
    def province(self) -> str:
        return self.area.province

    @property
    def city(self) -> str:
        return self.area.city

    @property
    def district(self) -> str:
        return self.area.district

    @property
    def zip(self) -> str:
        return self.area.zip

    @property
    def full_address(self) -> str:
        """Province + city + district + street + detail, as JD's fullAddress reads."""
        a = self.area
        return f"{a.province}{a.city}{a.district}{self.town}{self.detail}"


def pick(r: Callable[[], float], seq: Sequence[T]) -> T:
    """seq[random index] drawn from r = rng.random: ~5x faster than rng.choice."""
    return seq[int(r() * len(seq))]


def below(r: Callable[[], float], n: int) -> int:
    """A random int in [0, n) for small n (the float bias is irrelevant here)."""
    return int(r() * n)


def random_name(rng: random.Random) -> str:
    r = rng.random
    return pick(r, SURNAMES) + pick(r, GIVEN_NAMES)


def random_mobile(rng: random.Random) -> str:
    return f"{pick(rng.random, MOBILE_PREFIXES)}{rng.getrandbits(32) % 100_000_000:08d}"


def random_nick(rng: random.Random, platform: str) -> str:
    """A buyer account name in the style of the platform (JD pins differ)."""
    r = rng.random
    roll = r()
    if platform == "jd":
        if roll < 0.5:
            return f"jd_{rng.getrandbits(48):012x}"
        return f"{pick(r, _NICK_LATIN)}{10_000 + below(r, 90_000)}"
    if roll < 0.45:
        return f"{pick(r, _NICK_ADJ)}{pick(r, _NICK_NOUN)}"
    if roll < 0.75:
        return f"{pick(r, _NICK_LATIN)}{100_000 + below(r, 99_900_000)}"
    return f"{pick(r, SURNAMES)}{pick(r, _NICK_NOUN)}{10 + below(r, 9990)}"


def random_detail(rng: random.Random, area: Area) -> str:
    """A precise street address: road, number, compound, building, unit, room."""
    r = rng.random
    return f"{pick(r, area.roads)}{1 + below(r, 998)}号{pick(r, COMMUNITIES)}{pick(r, _UNITS)}"


def vague_detail(rng: random.Random, area: Area) -> str:
    """An address pointing at a landmark instead of a door (contains 附近/旁边)."""
    r = rng.random
    return pick(r, VAGUE_TEMPLATES).format(mark=pick(r, area.landmarks), road=pick(r, area.roads))


def random_receiver(rng: random.Random, vague: bool = False) -> Receiver:
    area = pick(rng.random, AREAS)
    t = below(rng.random, len(area.towns))
    detail = vague_detail(rng, area) if vague else random_detail(rng, area)
    return Receiver(random_name(rng), random_mobile(rng), area, area.towns[t],
                    f"{area.district_code}{t + 1:03d}", detail, vague)


def mask_name(name: str) -> str:
    """Platform-style mask: keep the first character (张**)."""
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def mask_address(r: Receiver) -> str:
    return f"{r.area.province}{r.area.city}{r.area.district}{r.town}****"
