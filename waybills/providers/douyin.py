"""Douyin e-waybills (抖音电子面单): ``logistics.newCreateOrder`` (up to 50 orders), print data
from ``logistics.waybillApply``, cancel with ``logistics.cancelOrder``.

The answer carries 三段码 (``sort_code``), 大头笔 (``short_address_name``) and 集包地 per order,
and per-order errors in ``err_infos``.  ``pack_id`` is the parcel's stable key: Douyin answers a
repeated request for the same order and pack with the number it gave (reference §1.4).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from ...connectors import douyin as dy
from ...connectors.http import PlatformError, RequestRejected
from .base import Parcel, Provider, Taken, failed

CREATE_API = "logistics.newCreateOrder"
APPLY_API = "logistics.waybillApply"
CANCEL_API = "logistics.cancelOrder"
SHOP_KEY_API = "logistics.getShopKey"


class DouyinProvider(Provider):
    platform = "douyin"
    component = "douyin"
    batch_size = 50

    def take(self, parcels: list[Parcel]) -> list[Taken]:
        try:
            data = self.call(CREATE_API, self.request(parcels))["data"]
        except PlatformError as exc:
            return failed(parcels, exc)
        by_key = {(str(e["order_id"]), str(e.get("pack_id") or "")): e
                  for e in data.get("ebill_infos") or []}
        errors = {str(e["order_id"]): e for e in data.get("err_infos") or []}
        out = []
        for p in parcels:
            e = by_key.get((p.order.platform_order_no, p.key))
            if e is None:
                err = errors.get(p.order.platform_order_no, {})
                out.append(Taken(p.key, error_code=str(err.get("err_code") or "") or None,
                                 error=str(err.get("err_msg") or "no ebill_info for the order")))
                continue
            out.append(Taken(p.key, waybill_code=str(e["track_no"]), sort_code=e.get("sort_code"),
                             short_address=e.get("short_address_name"),
                             package_center=e.get("package_center_name")))
        self._apply([t for t in out if t.ok])
        return out

    def request(self, parcels: list[Parcel]) -> dict[str, Any]:
        s, a = self.sender, self.account
        body: dict[str, Any] = {
            "logistics_code": a.carrier,
            "sender_info": {"address": {"province_name": s.province, "city_name": s.city,
                                        "district_name": s.district or "",
                                        "street_name": s.town or "", "detail_address": s.address},
                            "contact": {"name": s.name, "mobile": s.mobile or s.phone or ""}},
            "order_infos": [self.info(p) for p in parcels],
            "user_id": int(self.client.shop.shop_id) if self.client.shop.shop_id.isdigit()
            else 0}
        return body

    def info(self, p: Parcel) -> dict[str, Any]:
        r = p.order.receiver
        info: dict[str, Any] = {
            "order_id": p.order.platform_order_no, "pack_id": p.key,
            "receiver_info": {"address": {"province_name": r.province or "",
                                          "city_name": r.city or "",
                                          "district_name": r.district or "",
                                          "street_name": r.town or "",
                                          "detail_address": r.address or ""},
                              "contact": {"name": r.name or "", "mobile": r.phone or ""}},
            "items": [{"item_name": i["name"], "item_count": i["count"]} for i in p.items]}
        if self.account.branch_code:
            info["net_info"] = {"net_code": self.account.branch_code}
        return info

    def _apply(self, taken: list[Taken]) -> None:
        """Print data for numbers just taken; a failure leaves them to be applied at printing."""
        if not taken:
            return
        applies = [{"logistics_code": self.account.carrier, "track_no": t.waybill_code}
                   for t in taken]
        try:
            data = self.call(APPLY_API, {"waybill_applies": applies})["data"]
        except PlatformError as exc:
            for t in taken:
                t.extra["print_error"] = str(exc)
            return
        infos = {str(i["track_no"]): i for i in data.get("waybill_infos") or []}
        for t in taken:
            i = infos.get(t.waybill_code or "")
            if i:
                t.print_data = {"encryptedData": i.get("print_data"), "signature": i.get("sign"),
                                "encrypted": True}

    def fetch_print_data(self, codes: dict[str, str]) -> dict[str, dict[str, Any]]:
        taken = [Taken(code, waybill_code=code) for code in codes]
        self._apply(taken)
        return {t.waybill_code or "": t.print_data for t in taken if t.print_data}

    def cancel(self, waybill_code: str) -> None:
        data = self.call(CANCEL_API, {"logistics_code": self.account.carrier,
                                      "track_no": waybill_code})["data"]
        if not (data.get("cancel_result") or {}).get("success"):
            raise RequestRejected(f"{CANCEL_API} refused to cancel {waybill_code}",
                                  api=CANCEL_API)

    def shop_key_params(self) -> str:
        """The signed query string for ``logistics.getShopKey`` that the Douyin component sends
        itself (``params`` in its print content, reference §2)."""
        shop = self.client.shop
        ts = str(int(datetime.now(UTC).timestamp()))
        body = "{}"
        return urlencode({"access_token": self.client.token, "app_key": shop.app_key,
                          "method": SHOP_KEY_API, "param_json": body, "timestamp": ts, "v": "2",
                          "sign": dy.sign(shop.app_key, self.client.secret, SHOP_KEY_API,
                                          body, ts)})
