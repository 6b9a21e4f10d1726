"""The starter mapping ``orderhub migrate plan`` writes for an analyst to complete.

Which column is which field is guessed from the column names (Chinese and English: 订单号,
下单时间, 收货人, 手机, order_no ...) and checked against the column's profiled type; every
guess carries a comment with the evidence.  The status table lists every value found in the
status column with its row count; a value is only filled in from a status map the analyst gave,
never guessed (an empty ``~`` is rejected as unknown until someone decides).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from ..connectors.cleaning import DEFAULT_BLANKS
from ..model import OrderStatus
from .profile import ColumnProfile, FileProfile

# field -> (keywords, how it is read).  Longer and exact matches win; a field takes one column.
FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "platform_order_no": (("订单号", "订单编号", "单号", "订单id", "订单no", "order_no", "orderno",
                           "order_id", "orderid", "order_sn", "tid"),
                          "{from: %s, as: order_no, required: true}"),
    "platform": (("平台", "渠道", "来源", "platform", "channel"), "{from: %s, as: platform}"),
    "shop_id": (("店铺", "店铺名称", "店名", "shop", "store"), "%s"),
    "created_at": (("下单时间", "创建时间", "订单时间", "成交时间", "下单日期", "订单日期",
                    "created", "order_time", "order_date", "create_time"),
                   "{from: %s, as: legacy_datetime, required: true}"),
    "paid_at": (("付款时间", "支付时间", "付款日期", "pay_time", "paid_at", "payment_time"),
                "{from: %s, as: legacy_datetime}"),
    "shipped_at": (("发货时间", "发货日期", "ship_time", "shipped_at"),
                   "{from: %s, as: legacy_datetime}"),
    "completed_at": (("完成时间", "成交完成时间", "签收时间", "finish_time", "completed_at"),
                     "{from: %s, as: legacy_datetime}"),
    "buyer_nick": (("买家昵称", "买家", "会员名", "昵称", "客户", "buyer", "customer"), "%s"),
    "receiver.name": (("收货人", "收件人", "收货人姓名", "联系人", "姓名", "receiver", "consignee",
                       "name"), "%s"),
    "receiver.phone": (("手机", "电话", "手机号", "联系电话", "联系方式", "phone", "mobile", "tel"),
                       "{from: %s, as: clean_phone}"),
    "receiver.province": (("省", "省份", "province"), "%s"),
    "receiver.city": (("城市", "市", "city"), "%s"),
    "receiver.district": (("区县", "区", "district", "county"), "%s"),
    "receiver.address": (("地址", "收货地址", "详细地址", "address"), "%s"),
    "goods_total": (("商品金额", "商品总价", "货款", "goods_total"),
                    "{from: %s, as: amount, default: 0}"),
    "discount": (("优惠", "折扣", "优惠金额", "discount"), "{from: %s, as: amount, default: 0}"),
    "post_fee": (("运费", "邮费", "freight", "shipping", "post_fee"),
                 "{from: %s, as: amount, default: 0}"),
    "payment": (("金额", "实付", "实付金额", "实收", "支付金额", "订单金额", "payment", "amount",
                 "total"), "{from: %s, as: amount, default: 0}"),
    "platform_status": (("状态", "订单状态", "status"), "%s"),
    "tracking_no": (("运单号", "快递单号", "物流单号", "tracking", "waybill"),
                    "{from: %s, as: order_no}"),
    "buyer_message": (("买家留言", "留言", "buyer_message"), "%s"),
    "seller_memo": (("备注", "卖家备注", "memo", "remark", "note"), "%s"),
    "items.title": (("商品名称", "商品", "宝贝", "品名", "商品标题", "product", "title", "item"),
                    "%s"),
    "items.sku": (("商家编码", "sku", "货号", "编码", "商品编码"), "%s"),
    "items.unit_price": (("单价", "价格", "price", "unit_price"),
                         "{from: %s, as: amount, default: 0}"),
    "items.quantity": (("数量", "件数", "qty", "quantity"), "{from: %s, as: int, default: 1}"),
}
_KIND_FIT = {"created_at": "datetime", "paid_at": "datetime", "shipped_at": "datetime",
             "completed_at": "datetime", "receiver.phone": "phone", "payment": "amount",
             "post_fee": "amount", "goods_total": "amount", "discount": "amount",
             "items.unit_price": "amount", "items.quantity": "integer"}
_PLAIN = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`~][^:#,\[\]{}]*$")


def guess_fields(profile: FileProfile) -> dict[str, ColumnProfile]:
    """Field -> column, from the column names; a column whose type contradicts the field
    (a 下单时间 that holds no dates) is not taken."""
    scored = []
    for col in profile.columns:
        name = re.sub(r"[\s_（）()]", "", col.name).lower()
        for target, (words, _) in FIELDS.items():
            for word in words:
                key = word.replace("_", "")
                if key in name:
                    fit = _KIND_FIT.get(target)
                    if fit and col.filled and col.kind != fit:
                        continue
                    scored.append((len(key) + (100 if key == name else 0), target, col))
    out: dict[str, ColumnProfile] = {}
    used: set[str] = set()
    for _, target, col in sorted(scored, key=lambda t: -t[0]):
        if target not in out and col.name not in used:
            out[target] = col
            used.add(col.name)
    return out


def yaml_str(text: str) -> str:
    """A YAML scalar for ``text``: plain when that is unambiguous, else double-quoted."""
    if _PLAIN.match(text) and text.strip() == text and text.lower() not in (
            "true", "false", "null", "yes", "no", "on", "off", "y", "n") \
            and not re.match(r"^[\d.+-]", text):
        return text
    return json.dumps(text, ensure_ascii=False)


def starter_mapping(profile: FileProfile, status_map: dict[str, OrderStatus] | None = None,
                    *, name: str | None = None) -> str:
    """The text of a starter mapping YAML for the profiled file."""
    fields = guess_fields(profile)
    stem = name or re.sub(r"[^\w-]+", "-", Path(profile.file).stem).strip("-").lower() or "legacy"
    lines = [
        f"# Starter mapping for {Path(profile.file).name}, written by `orderhub migrate plan` on "
        f"{date.today().isoformat()}.",
        f"# {profile.rows} rows, {len(profile.columns)} columns, encoding {profile.encoding}"
        + (f"; broken rows (wrong number of cells): {_short(profile.broken_rows)}"
           if profile.broken_rows else "") + ".",
        "# Complete it: check each guessed `from:` column (the comment shows what the column",
        "# holds), fill every `~` in the status table (or pass --status-map FILE.xlsx), then:",
        f"#   orderhub migrate check {Path(profile.file).name} --mapping {stem}.yaml",
        f"name: {yaml_str(stem)}",
        "platform: other          # for rows without a platform; taobao, jd, pdd or douyin if "
        "all rows are from one",
        "kind: legacy",
        f"description: {yaml_str('legacy export ' + Path(profile.file).name)}",
        "timezone: Asia/Shanghai  # the timezone the old system wrote times in",
        "",
        "clean:",
        "  whitespace: true       # trim, collapse runs of spaces (also full-width ones)",
        "  fullwidth: true        # full-width digits and letters to half-width",
        f"  blanks: {json.dumps(list(DEFAULT_BLANKS), ensure_ascii=False)}"
        "  # cells meaning 'no value'",
        "",
        "order:",
    ]
    for target in FIELDS:
        if target.startswith("items."):
            continue
        lines += _field_lines(target, fields.get(target), "  ")
    item_targets = [t for t in FIELDS if t.startswith("items.")]
    if any(t in fields for t in item_targets):
        lines += ["", "items:", "  fields:"]
        for target in item_targets:
            lines += _field_lines(target, fields.get(target), "    ", short=target[6:])
    used = {c.name for c in fields.values()}
    unused = [c.name for c in profile.columns if c.name not in used]
    if unused:
        lines += ["", f"# columns not mapped (they stay in each order's raw record): "
                      f"{', '.join(unused)}"]
    lines += ["", *_status_lines(fields.get("platform_status"), status_map)]
    return "\n".join(lines) + "\n"


def _field_lines(target: str, col: ColumnProfile | None, indent: str,
                 short: str | None = None) -> list[str]:
    key = short or target
    template = FIELDS[target][1]
    if col is None:
        if target in ("platform_order_no", "created_at"):
            return [f"{indent}# REQUIRED, no column found: name the column that holds it",
                    f"{indent}{key}: {template % yaml_str('?')}"]
        return []
    evidence = (f"{col.name}: {col.kind} ({col.kind_share:.0%}), {col.blanks} blank, "
                f"{col.distinct} distinct, e.g. {', '.join(col.samples(3))}")
    if col.shapes and col.kind in ("datetime", "phone", "amount"):
        evidence += f"; written as {', '.join(s for s, _ in col.shapes.most_common(6))}"
    return [f"{indent}# {evidence}", f"{indent}{key}: {template % yaml_str(col.name)}"]


def _status_lines(col: ColumnProfile | None, status_map: dict[str, OrderStatus] | None
                  ) -> list[str]:
    choices = ", ".join(s.value for s in OrderStatus)
    if col is None:
        return ["status:", "  # no status column found: name it, and list its values below",
                "  from: \"?\"", "  map: {}"]
    lines = ["status:", f"  from: {yaml_str(col.name)}"]
    if status_map is not None:
        lines.append("  # filled from the status map given; entries still ~ are not in it")
    lines += [f"  # every value found in {col.name}, with its rows; each is one of:",
              f"  #   {choices}", "  # (or keep the table in Excel: `table: status-map.xlsx`)",
              "  map:"]
    for value, count in sorted(col.values.items(), key=lambda kv: -kv[1]):
        new = (status_map or {}).get(value)
        lines.append(f"    {yaml_str(value)}: {new.value if new else '~'}  # {count} rows")
    if col.blanks:
        lines.append(f"    # and {col.blanks} blank (rejected: status is required)")
    return lines


def _short(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:10])) + (" ..." if len(rows) > 10 else "")
