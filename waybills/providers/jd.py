"""JD 无界电子面单 for POP shops: ``jingdong.ldop.alpha.waybill.receive`` (one order a call),
大头笔 from ``jingdong.ldop.alpha.vendor.bigshot.query``, print data from
``jingdong.printing.printData.pullData`` (ciphertext for the JD component), cancel with
``jingdong.ldop.alpha.waybill.api.unbind``.

Field names follow the reference (fulfilment.md §1.3, partly [C*]); the response envelope
``resultInfo{statusCode, statusMessage, data}`` and the batch size of ``pullData`` are [U].
``vendorOrderCode`` carries the parcel's stable key: a repeated request for it is answered with
the number already given [U].
"""

from __future__ import annotations

from typing import Any

from ...connectors.http import PlatformError, RequestRejected
from ...model import Receiver
from ..config import Sender
from .base import Parcel, Provider, Taken, compact, failed

RECEIVE_API = "jingdong.ldop.alpha.waybill.receive"
BIGSHOT_API = "jingdong.ldop.alpha.vendor.bigshot.query"
UNBIND_API = "jingdong.ldop.alpha.waybill.api.unbind"
PULL_API = "jingdong.printing.printData.pullData"


def _place(name: str | None, mobile: str | None, province: str | None, city: str | None,
           district: str | None, detail: str | None) -> dict[str, Any]:
    return {"provinceName": province or "", "cityName": city or "",
            "countryName": district or "", "address": detail or "", "contact": name or "",
            "mobile": mobile or ""}


def from_address(s: Sender) -> dict[str, Any]:
    return _place(s.name, s.mobile or s.phone, s.province, s.city, s.district,
                  f"{s.town or ''}{s.address}")


def to_address(r: Receiver) -> dict[str, Any]:
    return _place(r.name, r.phone, r.province, r.city, r.district,
                  f"{r.town or ''}{r.address or ''}")


def result_of(answer: Any, api: str) -> Any:
    """``data`` of a 无界 answer; raises with the platform's message when ``statusCode`` != 0."""
    key = api.replace(".", "_") + "_responce"
    info = (answer.get(key) or {}).get("resultInfo") or {}
    if str(info.get("statusCode")) != "0":
        raise RequestRejected(str(info.get("statusMessage") or info), api=api,
                              code=str(info.get("statusCode")))
    return info.get("data") or {}


class JdProvider(Provider):
    platform = "jd"
    component = "jd"
    batch_size = 10

    def take(self, parcels: list[Parcel]) -> list[Taken]:
        out = [self._one(p) for p in parcels]
        got = [t for t in out if t.ok]
        if got:
            try:
                prints = self._pull([t.waybill_code or "" for t in got],
                                    {t.waybill_code: t.extra["order_no"] for t in got})
            except PlatformError as exc:
                # the numbers are taken and kept; printing pulls their data again
                for t in got:
                    t.extra["print_error"] = str(exc)
                return out
            for t in got:
                t.print_data = prints.get(t.waybill_code or "")
        return out

    def _one(self, p: Parcel) -> Taken:
        a = self.account
        content = {
            "waybillType": 1, "waybillCount": 1, "providerId": a.provider_id,
            "providerCode": a.carrier, "branchCode": a.branch_code or "",
            "settlementCode": a.customer_code or "", "salePlatform": a.sale_platform,
            "platformOrderNo": p.order.platform_order_no, "vendorCode": a.vendor_code or "",
            "vendorOrderCode": p.key, "fromAddress": from_address(self.sender),
            "toAddress": to_address(p.order.receiver),
            "weight": round((p.weight_g or 0) / 1000, 3), "volume": 0,
            "payType": 0, "shouldPayMoney": 0, "goodsName": p.items[0]["name"]}
        try:
            data = result_of(self.call(RECEIVE_API, {"content": compact(content)}), RECEIVE_API)
            codes = data.get("waybillCodeList") or []
            if not codes:
                return Taken(p.key, error="no waybillCodeList in the answer")
            code = str(codes[0])
            shot = result_of(self.call(BIGSHOT_API, {"waybillCode": code,
                                                     "providerCode": a.carrier}), BIGSHOT_API)
        except PlatformError as exc:
            return failed([p], exc)[0]
        sort = "-".join(str(x) for x in (shot.get("bigShotCode"), shot.get("secondSectionCode"),
                                         shot.get("thirdSectionCode")) if x)
        return Taken(p.key, waybill_code=code, sort_code=sort or None,
                     short_address=shot.get("bigShotName"),
                     package_center=shot.get("gatherCenterName"),
                     extra={"order_no": p.order.platform_order_no})

    def fetch_print_data(self, codes: dict[str, str]) -> dict[str, dict[str, Any]]:
        return self._pull(list(codes), dict(codes)) if codes else {}

    def _pull(self, codes: list[str], orders: dict[Any, str]) -> dict[str, dict[str, Any]]:
        param = {"objectId": codes[0], "cpCode": self.account.carrier, "parameters": {},
                 "wayBillInfos": [{"orderNo": orders[c], "popFlag": 1, "wayBillCode": c}
                                  for c in codes]}
        answer = self.call(PULL_API, {"param1": param})
        body = answer["jingdong_printing_printData_pullData_responce"]["returnType"]
        if str(body.get("code")) != "1":
            raise RequestRejected(str(body.get("message")), api=PULL_API, code=str(body["code"]))
        return {str(d["wayBillNo"]): {"printData": d.get("perPrintData"), "encrypted": True}
                for d in body.get("prePrintDatas") or [] if str(d.get("code", "1")) == "1"}

    def cancel(self, waybill_code: str) -> None:
        result_of(self.call(UNBIND_API, {"providerCode": self.account.carrier,
                                         "waybillCode": waybill_code}), UNBIND_API)

