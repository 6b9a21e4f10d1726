"""Express carriers and their tracking-number shapes."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Carrier:
    """code: the lowercase company code Douyin uses; name: the Chinese name on waybills."""

    code: str
    name: str
    prefix: str
    digits: int

    def tracking_no(self, rng: random.Random) -> str:
        return f"{self.prefix}{rng.randrange(10 ** self.digits):0{self.digits}d}"


SF = Carrier("shunfeng", "顺丰速运", "SF", 13)
ZTO = Carrier("zhongtong", "中通快递", "78", 12)
YTO = Carrier("yuantong", "圆通速递", "YT", 13)
YUNDA = Carrier("yunda", "韵达快递", "46", 13)
STO = Carrier("shentong", "申通快递", "77", 13)
JDL = Carrier("jd", "京东物流", "JDVA", 11)

CARRIERS = (SF, ZTO, YTO, YUNDA, STO, JDL)
EVERYDAY = (ZTO, ZTO, YTO, YUNDA, STO, SF)


def pick_carrier(rng: random.Random, platform: str, cold_chain: bool) -> Carrier:
    """Cold-chain parcels go SF; JD shops mostly ship with JD Logistics."""
    if cold_chain:
        return SF
    if platform == "jd" and rng.random() < 0.8:
        return JDL
    return rng.choice(EVERYDAY)
