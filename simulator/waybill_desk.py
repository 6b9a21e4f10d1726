"""The simulated e-waybill systems' shared state: numbers given, cancels, sealed print data.

Every platform's waybill APIs (:mod:`.waybill_apis`) take numbers here.  A repeated request for
the same order and package key gets the number already given (Douyin documents this for
``pack_id``; Cainiao/PDD ``package_info.id`` and JD ``vendorOrderCode`` are treated alike [U]),
so a client that resends the same request after a timeout gets no second number, and one that
invents a new key each time would.  Print data is "encrypted" with a key only this desk (and the
stand-in print component in the tests) knows.

Faults for waybill APIs only: ``latency`` seconds before each answer (benchmarks), ``late``
answers that are held back ``late_seconds`` *after* the number was taken (a client timeout that
happened after the platform did the work), and ``refuse[api]`` calls of an API answered with a
server error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SHORT = {"北京": "京", "天津": "津", "上海": "沪", "重庆": "渝", "河北": "冀", "山西": "晋",
         "辽宁": "辽", "吉林": "吉", "黑龙": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖",
         "福建": "闽", "江西": "赣", "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘",
         "广东": "粤", "海南": "琼", "四川": "川", "贵州": "贵", "云南": "云", "陕西": "陕",
         "甘肃": "甘", "青海": "青", "台湾": "台", "内蒙": "蒙", "广西": "桂", "西藏": "藏",
         "宁夏": "宁", "新疆": "新", "香港": "港", "澳门": "澳"}
PREFIX = {"YTO": "YT", "ZTO": "78", "zhongtong": "78", "YUNDA": "43", "yunda": "43",
          "STO": "77", "SF": "SF", "shunfeng": "SF", "EMS": "98", "JD": "JD"}


@dataclass
class Ticket:
    """One number given by a simulated waybill system."""

    platform: str
    carrier: str
    code: str
    order_no: str
    key: str
    province: str
    city: str
    district: str
    cancelled: bool = False

    def routing(self) -> dict[str, str]:
        """大头笔, 集包地 and 三段码, derived from the receiver's place (stable per place)."""
        h = zlib.crc32(f"{self.province}|{self.city}|{self.district}".encode())
        short = SHORT.get(self.province[:2], self.province[:1] or "?")
        place = (self.district or self.city or "").removesuffix("区").removesuffix("县")
        return {"short_address": f"{short} {place}".strip(),
                "package_center": f"{(self.city or self.province).removesuffix('市')}转运中心",
                "sort_code": f"{300 + h % 600}-{chr(65 + h // 7 % 26)}{h // 11 % 90 + 10:02d}"
                             f"-{h // 13 % 90 + 10:02d}",
                "big_shot_code": f"{300 + h % 600}",
                "second": f"{chr(65 + h // 7 % 26)}{h // 11 % 90 + 10:02d}",
                "third": f"{h // 13 % 90 + 10:02d}"}


@dataclass
class WaybillDesk:
    latency: float = 0.0
    late: int = 0
    late_seconds: float = 1.0
    issued: dict[tuple[str, str], Ticket] = field(default_factory=dict)
    by_code: dict[str, Ticket] = field(default_factory=dict)
    cancels: Counter[str] = field(default_factory=Counter)
    refuse: Counter[str] = field(default_factory=Counter)
    secret: bytes = field(default_factory=lambda: os.urandom(16))

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self.take_calls = 0  # calls that took numbers (answered or not)

    # -- numbers ---------------------------------------------------------------------------

    def take(self, platform: str, carrier: str, key: str, order_no: str,
             place: dict[str, Any]) -> Ticket:
        """The number for ``key`` on ``platform``: the one given before, or a new one."""
        with self._lock:
            old = self.issued.get((platform, key))
            if old is not None and not old.cancelled:
                return old
            self._seq += 1
            code = f"{PREFIX.get(carrier, '66')}{int(time.time()) % 10**6:06d}{self._seq:07d}"
            ticket = Ticket(platform, carrier, code, order_no, key,
                            str(place.get("province") or ""), str(place.get("city") or ""),
                            str(place.get("district") or ""))
            self.issued[(platform, key)] = ticket
            self.by_code[code] = ticket
            return ticket

    def cancel(self, platform: str, code: str) -> str | None:
        """Cancel ``code``; returns the platform's reason when it cannot."""
        with self._lock:
            self.cancels[code] += 1
            ticket = self.by_code.get(code)
            if ticket is None or ticket.platform != platform:
                return f"waybill {code} not found"
            if ticket.cancelled:
                return f"waybill {code} already cancelled"
            ticket.cancelled = True
            return None

    def numbers_for(self, platform: str, order_no: str) -> list[str]:
        """Every number ever given for an order (cancelled ones too)."""
        with self._lock:
            return [t.code for t in self.issued.values()
                    if t.platform == platform and t.order_no == order_no]

    # -- faults ----------------------------------------------------------------------------

    def before(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    def refused(self, api: str) -> bool:
        """Whether to refuse this call of ``api`` (``refuse[api]`` calls are refused)."""
        with self._lock:
            if self.refuse.get(api, 0) > 0:
                self.refuse[api] -= 1
                return True
        return False

    def after(self) -> None:
        """Hold the answer back when a ``late`` fault is pending (the work is already done)."""
        with self._lock:
            self.take_calls += 1
            if self.late <= 0:
                return
            self.late -= 1
        time.sleep(self.late_seconds)

    # -- print data ------------------------------------------------------------------------

    def seal(self, payload: dict[str, Any]) -> str:
        """Opaque ``encryptedData``: only :meth:`unseal` (the component) reads it."""
        nonce = os.urandom(8)
        data = json.dumps(payload, ensure_ascii=False).encode()
        stream = b""
        block = 0
        while len(stream) < len(data):
            stream += hashlib.sha256(self.secret + nonce + block.to_bytes(4, "big")).digest()
            block += 1
        return base64.b64encode(nonce + bytes(a ^ b for a, b in zip(data, stream, strict=False))
                                ).decode()

    def unseal(self, text: str) -> dict[str, Any]:
        raw = base64.b64decode(text)
        nonce, body = raw[:8], raw[8:]
        stream = b""
        block = 0
        while len(stream) < len(body):
            stream += hashlib.sha256(self.secret + nonce + block.to_bytes(4, "big")).digest()
            block += 1
        return json.loads(bytes(a ^ b for a, b in zip(body, stream, strict=False)))  # type: ignore[no-any-return]

    def signature(self, text: str) -> str:
        return hashlib.md5(self.secret + text.encode()).hexdigest()

    def print_payload(self, t: Ticket, receiver: dict[str, Any], sender: dict[str, Any]
                      ) -> dict[str, Any]:
        """Cainiao-style label data (``routingInfo``) [U: plaintext keys unconfirmed]."""
        r = t.routing()
        return {"waybillCode": t.code, "cpCode": t.carrier, "recipient": receiver,
                "sender": sender,
                "routingInfo": {"sortation": {"name": r["short_address"]},
                                "consolidation": {"name": r["package_center"]},
                                "routeCode": r["sort_code"]}}
