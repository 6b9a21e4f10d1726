"""Cainiao (TOP) e-waybills for Taobao/Tmall orders: ``cainiao.waybill.ii.get`` / ``.cancel`` /
``.search``.

Up to 10 ``trade_order_info_dtos`` per call, each echoed back by ``object_id``; the receiver
goes as the order's ``oaid`` + ``tid`` when it has one (ciphertext orders), else as delivered.
With ``need_encrypt`` the print data is ``encryptedData`` only the Cainiao print component can
render (reference fulfilment.md §0); the sort code then lives inside it and orderhub stores none.
"""

from __future__ import annotations

from typing import Any

from ...connectors.http import RequestRejected
from .base import (
    Parcel,
    Provider,
    Taken,
    address,
    compact,
    isolate,
    print_data_of,
    routing_of,
    sender_json,
)

GET_API = "cainiao.waybill.ii.get"
CANCEL_API = "cainiao.waybill.ii.cancel"
SEARCH_API = "cainiao.waybill.ii.search"
REQUEST_PARAM = "param_waybill_cloud_print_apply_new_request"
STANDARD_TEMPLATE = "http://cloudprint.cainiao.com/template/standard/101"


class CainiaoProvider(Provider):
    platform = "taobao"
    component = "cainiao"
    batch_size = 10
    code_field = "cp_code"
    channel = "TB"
    get_api, cancel_api, search_api = GET_API, CANCEL_API, SEARCH_API

    def take(self, parcels: list[Parcel]) -> list[Taken]:
        return isolate(parcels, self._take)

    def request(self, parcels: list[Parcel]) -> dict[str, Any]:
        a = self.account
        body: dict[str, Any] = {
            self.code_field: a.carrier, "need_encrypt": a.need_encrypt,
            "sender": sender_json(self.sender),
            "trade_order_info_dtos": [self.dto(p) for p in parcels]}
        if a.branch_code:
            body["shipping_branch_code"] = a.branch_code
        if a.customer_code:
            body["customer_code"] = a.customer_code
        return body

    def dto(self, p: Parcel) -> dict[str, Any]:
        o = p.order
        r = o.receiver
        recipient: dict[str, Any] = {"address": address(r), "name": r.name or "",
                                     "mobile": r.phone or ""}
        oaid = (o.raw or {}).get("oaid") if isinstance(o.raw, dict) else None
        if oaid:
            recipient.update(oaid=oaid, tid=o.platform_order_no)
        return {"object_id": p.key,
                "order_info": {"order_channels_type": self.channel,
                               "trade_order_list": [o.platform_order_no]},
                "package_info": {"id": p.key, "items": p.items,
                                 **({"weight": p.weight_g} if p.weight_g else {})},
                "recipient": recipient,
                "template_url": self.account.template_url or STANDARD_TEMPLATE,
                "user_id": self.client.shop.shop_id}

    def _take(self, parcels: list[Parcel]) -> list[Taken]:
        answer = self.call(self.get_api, {REQUEST_PARAM: compact(self.request(parcels))})
        modules = self.modules(answer)
        by_key = {str(m.get("object_id")): m for m in modules}
        out = []
        for p in parcels:
            m = by_key.get(p.key)
            if m is None or not m.get("waybill_code"):
                out.append(Taken(p.key, error="no waybill in the answer for this object_id"))
                continue
            data = print_data_of(m.get("print_data"))
            route = routing_of(data)
            out.append(Taken(p.key, waybill_code=str(m["waybill_code"]),
                             parent_waybill_code=m.get("parent_waybill_code") or None,
                             print_data=data, sort_code=route["sort_code"],
                             short_address=route["short_address"],
                             package_center=route["package_center"]))
        return out

    def modules(self, answer: Any) -> list[dict[str, Any]]:
        body = answer["cainiao_waybill_ii_get_response"]["modules"]
        return list(body.get("waybill_cloud_print_response") or [])

    def cancel(self, waybill_code: str) -> None:
        answer = self.call(self.cancel_api, {self.code_field: self.account.carrier,
                                             "waybill_code": waybill_code})
        if not self.cancel_result(answer):
            raise RequestRejected(f"{self.cancel_api} refused to cancel {waybill_code}",
                                  api=self.cancel_api)

    def cancel_result(self, answer: Any) -> bool:
        return bool(answer["cainiao_waybill_ii_cancel_response"].get("cancel_result"))

    def search(self) -> list[dict[str, Any]]:
        """Subscriptions and branch balances (订购及使用情况) of the account's carrier."""
        answer = self.call(self.search_api, {self.code_field: self.account.carrier})
        body = answer["cainiao_waybill_ii_search_response"]
        return list((body.get("waybill_apply_subscription_cols") or {})
                    .get("waybill_apply_subscription_info") or [])
