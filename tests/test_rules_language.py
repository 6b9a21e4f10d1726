"""The expression language: every type and operator, null semantics, errors people can fix."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orderhub.dsl import EvalContext, ExprType, MemoryHistory, compile_expression, dict_record
from orderhub.errors import SourceError
from orderhub.model import Order

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 6, 18, 10, 0, tzinfo=TZ)

ORDER = Order(
    platform="jd", platform_order_no="J1", status="paid", created_at=T0, paid_at=None,
    payment=Decimal("150.50"), buyer_message="请尽快发货",
    receiver={"phone": "13800000000", "province": "广东省", "address": "体育西路地铁站附近",
              "name": "张三"},
    items=[{"title": "冰鲜三文鱼", "quantity": 2, "unit_price": "60", "sku": "FISH-1",
            "attributes": {"cold_chain": True}},
           {"title": "柠檬", "quantity": 1, "unit_price": "5", "sku": "LEMON"}],
    refund={"status": "requested", "requested_at": T0 + timedelta(minutes=9, seconds=59)},
)
BARE = Order(platform="pdd", platform_order_no="P1", status="paid", created_at=T0)


def ev(text: str, order: Order = ORDER, **variables):
    expr = compile_expression(text, variables={k: ExprType.ANY for k in variables})
    return expr(EvalContext(order=order, now=T0 + timedelta(hours=2), variables=variables,
                            history=MemoryHistory([order])))


@pytest.mark.parametrize(("text", "value"), [
    ("payment > 100", True),
    ("payment == 150.50", True),
    ("payment >= ¥150.5 and payment < 151元", True),
    ("payment * 2 - 1", Decimal("300.00")),
    ("7 % 4 + 10 / 4", Decimal("5.5")),
    ("'订单' + platform_order_no", "订单J1"),
    ("created_at + 1h > created_at", True),
    ("refund.requested_at - created_at", timedelta(minutes=9, seconds=59)),
    ("refund.requested_at - created_at < 10m and 2h == 120m and 1d == 24小时", True),
    ("1h30m == 90分钟", True),
    ("created_at >= 2024-06-18 and created_at < 2024-06-19", True),
    ("created_at == 2024-06-18 10:00", True),
    ("created_at == 2024-06-18T02:00:00Z", True),
    ("date(created_at) == 2024-06-18 and today() == 2024-06-18", True),
    ("time_of(created_at) >= 09:30 and time_of(created_at) < 18:00", True),
    ("hour(created_at) == 10 and weekday(created_at) == 2", True),
    ("now() - created_at == 2h", True),
    ("receiver.province in ['广东省', '广西壮族自治区']", True),
    ("receiver.province not in ['广东省']", False),
    ("'广东' in receiver.province", True),
    ("receiver.address contains '附近'", True),
    ("receiver.address contains any ['附近', '旁边']", True),
    ("receiver.address contains all ['附近', '旁边']", False),
    ("receiver.phone starts with '138' and receiver.phone ends with '0000'", True),
    ("receiver.phone matches '^1[3-9][0-9]{9}$'", True),
    ("any item in items: item.cold_chain", True),
    ("all item in items: item.cold_chain", False),
    ("(count item in items: item.quantity >= 2) == 1", True),
    ("sum item in items: item.quantity", 3),
    ("(sum item in items: item.unit_price * item.quantity) == 125", True),
    ("any item in items: item.sku starts with 'FISH' and item.attributes.cold_chain == true",
     True),
    ("items[0].title == '冰鲜三文鱼' and items[5] is null", True),
    ("item_count == 3 and length(items) == 2 and length('三文鱼') == 3", True),
    ("lower('ABC') == 'abc' and upper(trim(' a ')) == 'A'", True),
    ("normalize_phone('+86 138-0000-0000') == receiver.phone", True),
    ("coalesce(paid_at, created_at) == created_at", True),
    ("minutes(refund.requested_at - created_at) > 9.9", True),
    ("orders_today(receiver.phone) == 0 and orders_by_phone(receiver.phone, within=1h) == 0",
     True),
    ("orders_today(receiver.phone, upto_now=true) == 1 and "
     "orders_by_phone(receiver.phone, within=3h, upto_now=true) == 1", True),
    ("not (payment > 1000) and (true or false) and not false", True),
    ("platform == 'jd' and status == 'paid' and refund.status == 'requested'", True),
    ("[1, 2, 3] contains 2", True),
    ("abs(-3) == 3 and -payment < 0", True),
])
def test_values(text, value):
    assert ev(text) == value


@pytest.mark.parametrize("text", [
    "refund.requested_at - created_at <= 10m",
    "refund.requested_at > created_at",
    "refund.status == 'requested'",
    "receiver.address contains '附近'",
    "receiver.address contains any ['附近']",
    "receiver.phone starts with '1'",
    "receiver.phone matches '1'",
    "receiver.province in ['广东省']",
    "receiver.province not in ['广东省']",
    "paid_at < now()",
    "paid_at - created_at < 1h",
    "hour(paid_at) > 1",
    "any item in items: item.cold_chain",
    "payment / 0 > 1",
])
def test_a_comparison_involving_null_is_false_never_a_crash(text):
    assert ev(text, BARE) is False


def test_null_tests_and_negation():
    assert ev("refund is null", BARE) is True
    assert ev("refund == null", BARE) is True
    assert ev("refund.requested_at is not null", BARE) is False
    assert ev("not (refund.requested_at - created_at <= 10m)", BARE) is True
    assert ev("coalesce(receiver.name, '无名')", BARE) == "无名"
    assert ev("refund.requested_at - created_at", BARE) is None


def test_variables_from_the_caller():
    expr = compile_expression("region == '华南' and receiver.province in provinces",
                              variables={"region": ExprType.STRING,
                                         "provinces": ExprType.list_of(ExprType.STRING)},
                              expect=ExprType.BOOL)
    ctx = EvalContext(order=ORDER, variables={"region": "华南", "provinces": ["广东省"]})
    assert expr(ctx) is True
    assert expr(EvalContext(order=ORDER, variables={})) is False
    assert expr.type == ExprType.BOOL and expr.source.startswith("region")


def test_generated_code_is_python_and_never_walks_a_tree():
    expr = compile_expression("refund.requested_at - created_at <= 10m", expect=ExprType.BOOL)
    assert "def _expr(o, ctx):" in expr.python_source
    assert "o.refund" in expr.python_source and "is not None" in expr.python_source


def test_dict_records_use_key_access_and_parse_iso_only_when_read():
    schema = dict_record("Row", {"created_at": ("datetime", "iso"),
                                 "refund_at": ("datetime", "iso", "nullable")})
    expr = compile_expression("refund_at - created_at <= 10m", schema=schema,
                              expect=ExprType.BOOL)
    assert 'o.get(\'refund_at\')' in expr.python_source
    row = {"created_at": "2024-06-18T10:00:00+08:00", "refund_at": "2024-06-18T10:10:00+08:00"}
    assert expr.evaluate(row, None) is True
    assert expr.evaluate({"created_at": "not parsed", "refund_at": None}, None) is False


# ---- errors ------------------------------------------------------------------------------


def error_of(text: str, **kw) -> SourceError:
    with pytest.raises(SourceError) as info:
        compile_expression(text, expect=ExprType.BOOL, **kw)
    return info.value


def test_misspelled_field_points_at_it_with_a_suggestion():
    err = error_of("receiver.phon == '1'", filename="flows/no-such-file.yaml", line=12, column=15)
    assert str(err.span) == "flows/no-such-file.yaml:12:24"
    assert err.hint == "did you mean 'phone'?"
    rendered = err.render()
    lines = rendered.splitlines()
    assert lines[1].strip() == "receiver.phon == '1'"
    assert lines[2].index("^") == lines[1].index("phon")


def test_misspelled_function_and_enum_value():
    assert error_of("orders_todya(receiver.phone) >= 3").hint == "did you mean 'orders_today'?"
    err = error_of("platform == 'taobo'")
    assert "not a value of platform" in err.message and "'taobao'" in err.hint


@pytest.mark.parametrize(("text", "words"), [
    ("refund.requested_at - created_at <= 10", "cannot compare duration with number"),
    ("payment and true", "'and' needs true/false"),
    ("payment", "expected true/false"),
    ("receiver.address contains any '附近'", "needs a list"),
    ("lower(payment) == 'x'", "'text' must be text"),
    ("created_at + 5 > now()", "cannot compute"),
    ("receiver.phone matches '[unclosed'", "bad pattern"),
    ("any item in payment: item", "needs a list"),
    ("[1, 'a'] contains 1", "a list mixes"),
])
def test_type_errors(text, words):
    assert words in error_of(text).message + " " + (error_of(text).hint or "")


@pytest.mark.parametrize(("text", "words"), [
    ("payment >", "expected a value"),
    ("payment = 1", "'=='"),
    ("(payment > 1", "')'"),
])
def test_syntax_errors_say_what_was_expected(text, words):
    err = error_of(text)
    assert err.message.startswith("syntax error")
    assert words in err.hint


def test_chinese_text_and_wide_characters_keep_the_caret_aligned():
    err = error_of("receiver.address contains '附近' and receiver.城市 == '广州'")
    assert "unknown field '城市'" in err.message
    line, caret = err.render().splitlines()[1:3]
    # two cells per wide character before the caret
    prefix = line[: line.index("城市")]
    width = sum(2 if ord(c) > 0x2E80 else 1 for c in prefix)
    assert caret.index("^") == width
