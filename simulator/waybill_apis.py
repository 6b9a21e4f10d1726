"""The simulated e-waybill APIs, one mixin per gateway (Cainiao on TOP, PDD, JD 无界, Douyin).

Each gateway class lists its mixin first; the numbers live in the :class:`.WaybillDesk` that
:class:`~.server.Simulator` hands every gateway as ``desk``.  Signatures and tokens are checked
by the gateway pipeline before any of these run.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from .gateway import Call, Rejection
from .waybill_desk import Ticket, WaybillDesk

DOUYIN_ROUTES = ("/logistics/newCreateOrder", "/logistics/waybillApply",
                 "/logistics/cancelOrder")


def _json(value: Any, name: str) -> Any:
    if isinstance(value, dict | list):
        return value
    try:
        return json.loads(value or "")
    except ValueError:
        raise Rejection("parameter", f"{name} is not JSON") from None


class _Desk:
    desk: WaybillDesk

    def ensure_desk(self) -> WaybillDesk:
        desk = getattr(self, "desk", None)
        if desk is None:
            desk = self.desk = WaybillDesk()
        return desk


class CloudPrintApis(_Desk):
    """``cainiao.waybill.ii.*`` and ``pdd.waybill.*``: the same request, different names."""

    platform: ClassVar[str]

    def _get(self, call: Call, code_field: str) -> list[dict[str, Any]]:
        desk = self.ensure_desk()
        desk.before()
        req = _json(call.params.get("param_waybill_cloud_print_apply_new_request"),
                    "param_waybill_cloud_print_apply_new_request")
        carrier = req.get(code_field)
        dtos = req.get("trade_order_info_dtos") or []
        if not carrier:
            raise Rejection("parameter", f"{code_field} is required")
        if not 1 <= len(dtos) <= 10:
            raise Rejection("parameter", "trade_order_info_dtos: 1 to 10 entries")
        for d in dtos:
            addr = ((d.get("recipient") or {}).get("address") or {})
            if not addr.get("detail") or not addr.get("province"):
                raise Rejection("parameter", f"object_id {d.get('object_id')}: 收件人地址不能为空")
        sender = req.get("sender") or {}
        modules = []
        for d in dtos:
            orders = ",".join((d.get("order_info") or {}).get("trade_order_list") or [])
            key = f"{orders}#{(d.get('package_info') or {}).get('id') or d.get('object_id')}"
            recipient = d["recipient"]
            t = desk.take(self.platform, carrier, key, orders, recipient["address"])
            payload = desk.print_payload(t, recipient, sender)
            if req.get("need_encrypt", True):
                sealed = desk.seal(payload)
                data = {"encryptedData": sealed, "signature": desk.signature(sealed),
                        "templateURL": d.get("template_url"),
                        "ver": "waybill_print_secret_version_1"}
            else:
                data = {"data": payload, "signature": desk.signature(t.code),
                        "templateURL": d.get("template_url")}
            modules.append({"object_id": d.get("object_id"), "waybill_code": t.code,
                            "parent_waybill_code": "", code_field: carrier,
                            "print_data": json.dumps(data, ensure_ascii=False)})
        desk.after()
        return modules

    def _cancel(self, call: Call) -> bool:
        desk = self.ensure_desk()
        desk.before()
        reason = desk.cancel(self.platform, str(call.params.get("waybill_code", "")))
        if reason:
            raise Rejection("parameter", reason)
        return True

    def _search(self, call: Call, code_field: str) -> list[dict[str, Any]]:
        desk = self.ensure_desk()
        carriers = sorted({t.carrier for t in desk.issued.values()
                           if t.platform == self.platform}) or ["YTO"]
        wanted = call.params.get(code_field)
        return [{code_field: c, "cp_type": 2, "branch_account_cols": [{
            "branch_code": "201000", "branch_name": "模拟网点", "branch_status": 0,
            "quantity": 100000 - sum(1 for t in desk.issued.values() if t.carrier == c),
            "allocated_quantity": sum(1 for t in desk.issued.values() if t.carrier == c),
            "cancel_quantity": sum(1 for t in desk.issued.values()
                                   if t.carrier == c and t.cancelled)}]}
                for c in carriers if not wanted or c == wanted]


class CainiaoApis(CloudPrintApis):
    def api_cainiao_waybill_ii_get(self, call: Call, entry: dict[str, Any]) -> Any:
        modules = self._get(call, "cp_code")
        return {"cainiao_waybill_ii_get_response": {
            "modules": {"waybill_cloud_print_response": modules}}}

    def api_cainiao_waybill_ii_cancel(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"cainiao_waybill_ii_cancel_response": {"cancel_result": self._cancel(call)}}

    def api_cainiao_waybill_ii_search(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"cainiao_waybill_ii_search_response": {"waybill_apply_subscription_cols": {
            "waybill_apply_subscription_info": self._search(call, "cp_code")}}}


class PddWaybillApis(CloudPrintApis):
    def api_pdd_waybill_get(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"pdd_waybill_get_response": {"modules": self._get(call, "wp_code")}}

    def api_pdd_waybill_cancel(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"pdd_waybill_cancel_response": {"cancel_result": self._cancel(call)}}

    def api_pdd_waybill_search(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"pdd_waybill_search_response": {
            "waybill_apply_subscription_cols": self._search(call, "wp_code")}}


def _jd(api: str, data: Any = None, status: int = 0, message: str = "成功") -> Any:
    return {api.replace(".", "_") + "_responce": {"code": "0", "resultInfo": {
        "statusCode": status, "statusMessage": message, "data": data}}}


class AlphaApis(_Desk):
    """JD 无界电子面单 and ``jingdong.printing.printData.pullData``."""

    platform: ClassVar[str]

    def api_jingdong_ldop_alpha_waybill_receive(self, call: Call, entry: dict[str, Any]) -> Any:
        desk = self.ensure_desk()
        desk.before()
        api = "jingdong.ldop.alpha.waybill.receive"
        c = _json(call.business.get("content"), "content")
        missing = [k for k in ("providerCode", "platformOrderNo", "vendorOrderCode",
                               "toAddress", "fromAddress") if not c.get(k)]
        if missing:
            return _jd(api, None, 1, f"参数错误: {', '.join(missing)}")
        to = c["toAddress"]
        if not to.get("address") or not to.get("provinceName"):
            return _jd(api, None, 1, "收件人地址不能为空")
        t = desk.take(self.platform, c["providerCode"], str(c["vendorOrderCode"]),
                      str(c["platformOrderNo"]), {"province": to.get("provinceName"),
                                                  "city": to.get("cityName"),
                                                  "district": to.get("countryName")})
        desk.after()
        return _jd(api, {"platformOrderNo": c["platformOrderNo"], "waybillCodeList": [t.code]})

    def api_jingdong_ldop_alpha_vendor_bigshot_query(self, call: Call,
                                                     entry: dict[str, Any]) -> Any:
        desk = self.ensure_desk()
        desk.before()
        api = "jingdong.ldop.alpha.vendor.bigshot.query"
        t = desk.by_code.get(str(call.business.get("waybillCode")))
        if t is None:
            return _jd(api, None, 1, "运单号不存在")
        r = t.routing()
        return _jd(api, {"bigShotName": r["short_address"], "bigShotCode": r["big_shot_code"],
                         "gatherCenterName": r["package_center"], "gatherCenterCode": "",
                         "secondSectionCode": r["second"], "thirdSectionCode": r["third"]})

    def api_jingdong_ldop_alpha_waybill_api_unbind(self, call: Call,
                                                   entry: dict[str, Any]) -> Any:
        desk = self.ensure_desk()
        desk.before()
        reason = desk.cancel(self.platform, str(call.business.get("waybillCode")))
        return _jd("jingdong.ldop.alpha.waybill.api.unbind", None, 1 if reason else 0,
                   reason or "成功")

    def api_jingdong_printing_printData_pullData(self, call: Call,  # noqa: N802
                                                 entry: dict[str, Any]) -> Any:
        desk = self.ensure_desk()
        desk.before()
        if desk.refused("jingdong.printing.printData.pullData"):
            raise Rejection("server", "打印数据服务繁忙")
        p = call.business.get("param1") or {}
        out = []
        for info in p.get("wayBillInfos") or []:
            t = desk.by_code.get(str(info.get("wayBillCode")))
            if t is None:
                out.append({"wayBillNo": info.get("wayBillCode"), "code": "2",
                            "msg": "运单号不存在"})
                continue
            sealed = desk.seal(desk.print_payload(t, {}, {}))
            out.append({"wayBillNo": t.code, "perPrintData": sealed, "code": "1", "msg": ""})
        return {"jingdong_printing_printData_pullData_responce": {"returnType": {
            "code": "1", "message": "成功", "objectId": p.get("objectId"),
            "prePrintDatas": out}}}


class LogisticsApis(_Desk):
    """Douyin ``logistics.newCreateOrder`` / ``waybillApply`` / ``cancelOrder``."""

    platform: ClassVar[str]

    def ok(self, data: Any) -> Any:
        raise NotImplementedError

    def api_logistics_newCreateOrder(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        desk = self.ensure_desk()
        desk.before()
        b = call.business
        infos = b.get("order_infos") or []
        if not b.get("logistics_code") or not 1 <= len(infos) <= 50:
            raise Rejection("parameter", "logistics_code and 1 to 50 order_infos are required")
        ebills, errors = [], []
        for i in infos:
            addr = (i.get("receiver_info") or {}).get("address") or {}
            if not addr.get("detail_address") or not addr.get("province_name"):
                errors.append({"order_id": i.get("order_id"), "err_code": 40003,
                               "err_msg": "收件人地址不能为空"})
                continue
            t = desk.take(self.platform, b["logistics_code"],
                          f"{i.get('order_id')}#{i.get('pack_id') or ''}", str(i.get("order_id")),
                          {"province": addr.get("province_name"), "city": addr.get("city_name"),
                           "district": addr.get("district_name")})
            ebills.append(self._ebill(t, i))
        desk.after()
        return self.ok({"ebill_infos": ebills, "err_infos": errors})

    @staticmethod
    def _ebill(t: Ticket, info: dict[str, Any]) -> dict[str, Any]:
        r = t.routing()
        return {"order_id": info.get("order_id"), "pack_id": info.get("pack_id"),
                "track_no": t.code, "sort_code": r["sort_code"],
                "package_center_code": "", "package_center_name": r["package_center"],
                "short_address_code": r["big_shot_code"], "short_address_name": r["short_address"],
                "sub_waybill_codes": ""}

    def api_logistics_waybillApply(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        desk = self.ensure_desk()
        desk.before()
        if desk.refused("logistics.waybillApply"):
            raise Rejection("server", "面单服务繁忙")
        infos, errors = [], []
        for a in call.business.get("waybill_applies") or []:
            t = desk.by_code.get(str(a.get("track_no")))
            if t is None or t.cancelled:
                errors.append({"track_no": a.get("track_no"), "err_code": 10801,
                               "err_msg": "运单号不存在或已取消"})
                continue
            sealed = desk.seal(desk.print_payload(t, {}, {}))
            infos.append({"order_id": t.order_no, "track_no": t.code, "print_data": sealed,
                          "sign": desk.signature(sealed)})
        return self.ok({"waybill_infos": infos, "err_infos": errors})

    def api_logistics_cancelOrder(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        desk = self.ensure_desk()
        desk.before()
        reason = desk.cancel(self.platform, str(call.business.get("track_no")))
        if reason:
            raise Rejection("parameter", reason)
        return self.ok({"cancel_result": {"success": True}})
