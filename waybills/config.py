"""The ``waybills:`` section of ``orderhub.yaml``: per warehouse, who sends and which accounts.

A warehouse prints with one e-waybill account per source platform (Taobao/Tmall orders on
Cainiao, PDD orders on PDD, JD on 无界, Douyin on Douyin: reference fulfilment.md §0).  An
account names the shop whose app signs the calls (``shop:``, a name from ``shops:``), the
carrier code in the platform's own vocabulary and, for franchised carriers, the branch::

    waybills:
      warehouses:
        SH:
          sender: {name: 王华东, mobile: "13800000002", province: 上海市, city: 上海市,
                   district: 青浦区, address: 华新镇华志路1号}
          accounts:
            - {platform: taobao, shop: tmall-flagship, carrier: YTO, branch_code: "201000"}
            - {platform: pdd, shop: pdd-main, carrier: YUNDA}
            - {platform: jd, shop: jd-pop, carrier: YUNDA, provider_id: 1327,
               vendor_code: "10086321", branch_code: "201000"}
            - {platform: douyin, shop: dy-main, carrier: zhongtong, branch_code: "021001"}
          locations: locations.csv      # sku,location for pick lists (optional)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

WaybillPlatform = Literal["taobao", "pdd", "jd", "douyin"]


class Sender(BaseModel):
    """寄件人: printed on every label and sent with every number taken."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    mobile: str | None = None
    phone: str | None = None
    province: str
    city: str
    district: str | None = None
    town: str | None = None
    address: str = Field(min_length=1, description="street and number (detail)")


class Account(BaseModel):
    """One e-waybill account (a carrier subscription, with its branch) on one platform."""

    model_config = ConfigDict(extra="forbid")

    platform: WaybillPlatform = Field(description="source platform of the orders it serves")
    shop: str = Field(min_length=1, description="shop name in `shops:` whose app signs calls")
    carrier: str = Field(min_length=1, description="cp_code / wp_code / providerCode / "
                                                    "logistics_code, e.g. YTO, YUNDA, zhongtong")
    branch_code: str | None = Field(None, description="网点 code (加盟 carriers)")
    customer_code: str | None = Field(None, description="月结卡号 / JD settlementCode (直营)")
    template_url: str | None = Field(None, description="standard template URL of the label")
    need_encrypt: bool = Field(True, description="Cainiao/PDD: ask for encrypted print data")
    provider_id: int | None = Field(None, description="JD 无界 providerId, e.g. 1327 (YUNDA)")
    vendor_code: str | None = Field(None, description="JD 商家编码 (POP vender id)")
    sale_platform: str = Field("0010001", description="JD salePlatform")
    concurrency: int = Field(8, ge=1, le=64, description="calls in flight at once")


class WarehouseWaybills(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: Sender
    accounts: list[Account] = Field(default_factory=list)
    locations: str | None = Field(None, description="CSV sku,location for pick lists")
    label_size: Literal["100x180", "76x130"] = "100x180"


class WaybillsConfig(BaseModel):
    """``waybills:`` in orderhub.yaml."""

    model_config = ConfigDict(extra="forbid")

    warehouses: dict[str, WarehouseWaybills] = Field(default_factory=dict)
