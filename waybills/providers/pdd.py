"""PDD e-waybills (拼多多电子面单): ``pdd.waybill.get`` / ``pdd.waybill.cancel`` /
``pdd.waybill.search``.

The Cainiao request shape with ``wp_code`` for ``cp_code`` and no oaid/caid (reference
fulfilment.md §1.2); up to 10 orders a call.  Whether ``recipient`` may carry PDD ciphertext is
[U]: the order's receiver goes as delivered.
"""

from __future__ import annotations

from typing import Any

from .base import Parcel
from .cainiao import CainiaoProvider

GET_API = "pdd.waybill.get"
CANCEL_API = "pdd.waybill.cancel"
SEARCH_API = "pdd.waybill.search"
STANDARD_TEMPLATE = "https://file-link.pinduoduo.com/yunda_std"


class PddProvider(CainiaoProvider):
    platform = "pdd"
    component = "pdd"
    code_field = "wp_code"
    channel = "PDD"
    get_api, cancel_api, search_api = GET_API, CANCEL_API, SEARCH_API

    def dto(self, p: Parcel) -> dict[str, Any]:
        dto = super().dto(p)
        dto["recipient"].pop("oaid", None)
        dto["recipient"].pop("tid", None)
        dto["template_url"] = self.account.template_url or STANDARD_TEMPLATE
        return dto

    def modules(self, answer: Any) -> list[dict[str, Any]]:
        return list(answer["pdd_waybill_get_response"].get("modules") or [])

    def cancel_result(self, answer: Any) -> bool:
        return bool(answer["pdd_waybill_cancel_response"].get("cancel_result"))

    def search(self) -> list[dict[str, Any]]:
        answer = self.call(self.search_api, {self.code_field: self.account.carrier})
        return list(answer["pdd_waybill_search_response"]
                    .get("waybill_apply_subscription_cols") or [])
