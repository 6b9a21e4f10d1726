"""``orderhub dry-run``: sample orders on top of a store, the readable table, the examples."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderhub.cli import main

REPO = Path(__file__).resolve().parent.parent
PHONE = "13700000007"


def trade(no: str, created: str, phone: str = PHONE, address: str = "世纪大道100号") -> dict:
    """One Taobao trade as ``taobao.trades.sold.increment.get`` returns it."""
    return {
        "tid_str": no, "tid": int(no), "status": "WAIT_SELLER_SEND_GOODS",
        "seller_nick": "示例旗舰店", "created": created, "pay_time": created, "modified": created,
        "buyer_nick": "买家丁", "receiver_name": "赵六", "receiver_mobile": phone,
        "receiver_state": "上海市", "receiver_city": "上海市", "receiver_district": "浦东新区",
        "receiver_address": address, "total_fee": "50.00", "payment": "50.00",
        "post_fee": "0.00", "discount_fee": "0.00",
        "orders": {"order": [{"oid_str": no, "title": "袜子", "num": 1, "price": "50.00",
                              "outer_sku_id": "SK-03"}]},
    }


def write_trades(path: Path, trades: list[dict]) -> Path:
    body = {"trades_sold_increment_get_response": {"trades": {"trade": trades}}}
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return path


def run(ws: Path, *args: str, db: str | None = None):
    pre = ["--workspace", str(ws)] + (["--db", db] if db else [])
    return CliRunner().invoke(main, [*pre, *args], catch_exceptions=False)


def json_lines(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {x["platform_order_no"]: x for x in map(json.loads, result.stdout.splitlines())}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ws_db(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A workspace folder and its database URL (SQLite in the folder, or a PG schema)."""
    if request.param == "sqlite":
        (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
        yield tmp_path, None
    else:
        from conftest import pg_schema_url

        yield from ((tmp_path, url) for url in pg_schema_url())


def test_orders_in_both_file_and_store_count_once(ws_db, tmp_path):
    ws, db = ws_db
    first_two = [trade("5012345678900001", "2024-06-18 09:00:00"),
                 trade("5012345678900002", "2024-06-18 10:00:00")]
    assert run(ws, "ingest", str(write_trades(tmp_path / "stored.json", first_two)),
               db=db).exit_code == 0
    sample = write_trades(tmp_path / "sample.json",
                          [*first_two, trade("5012345678900003", "2024-06-18 11:00:00")])
    result = run(ws, "dry-run", "--orders", str(sample), "--at", "2024-06-18 12:00",
                 "--format", "json", db=db)
    assert result.exit_code == 0, result.output
    rows = json_lines(result)
    assert len(rows) == 3
    # each order counts the orders before it: only the third is over the limit
    limited = {no: {f["rule"]: f for f in row["fired"]}.get("purchase_limit")
               for no, row in rows.items()}
    assert [no for no, hit in limited.items() if hit] == ["5012345678900003"]
    assert limited["5012345678900003"]["why"] == [
        "orders_today(receiver.phone) = 2, needs >= 2 → yes"]


def test_a_changed_phone_in_the_file_replaces_the_stored_version(ws_db, tmp_path):
    """The file's version of a stored order is the one judged and counted."""
    ws, db = ws_db
    stored = [trade("5012345678900001", "2024-06-18 09:00:00"),
              trade("5012345678900002", "2024-06-18 10:00:00")]
    assert run(ws, "ingest", str(write_trades(tmp_path / "stored.json", stored)),
               db=db).exit_code == 0
    moved = trade("5012345678900002", "2024-06-18 10:00:00", phone="13600000006")
    moved["modified"] = "2024-06-18 10:30:00"
    sample = write_trades(tmp_path / "sample.json",
                          [moved, trade("5012345678900003", "2024-06-18 11:00:00")])
    result = run(ws, "dry-run", "--orders", str(sample), "--at", "2024-06-18 12:00",
                 "--why-not", "purchase_limit", "--all", "--format", "json", db=db)
    why = {r["platform_order_no"]: r["why_not"] for r in map(json.loads,
                                                              result.stdout.splitlines())}
    assert why["5012345678900003"] == ["orders_today(receiver.phone) = 1, needs >= 2 → no"]
    assert why["5012345678900002"] == ["orders_today(receiver.phone) = 0, needs >= 2 → no"]


def test_a_record_repeated_in_the_file_counts_once(tmp_path):
    orders = [trade("5012345678900001", "2024-06-18 09:00:00"),
              trade("5012345678900002", "2024-06-18 10:00:00")]
    sample = write_trades(tmp_path / "sample.json", [*orders, orders[0]])
    result = run(tmp_path, "dry-run", "--orders", str(sample), "--at", "2024-06-18 12:00",
                 "--format", "json")
    assert all(not row["fired"] for row in json_lines(result).values())


def test_table_lists_only_orders_with_hits_unless_all(tmp_path):
    quiet = [trade(f"501234567890000{i}", f"2024-06-18 0{i}:00:00", phone=f"1370000000{i}")
             for i in range(1, 4)]
    vague = trade("5012345678900009", "2024-06-18 09:30:00", phone="13500000005",
                  address="文三路地铁站附近")
    sample = write_trades(tmp_path / "sample.json", [*quiet, vague])
    result = run(tmp_path, "dry-run", "--orders", str(sample), "--at", "2024-06-18 12:00")
    assert result.exit_code == 0, result.output
    assert "taobao:5012345678900009" in result.stdout
    assert "taobao:5012345678900001" not in result.stdout
    assert "3 without hits not listed; --all lists them" in result.stdout
    assert "4 orders, 1 hits, 1 of 4 rules fired" in result.stdout
    hits = result.stdout[result.stdout.index("hits per rule"):]
    assert "vague_address" in hits and "purchase_limit" in hits
    everything = run(tmp_path, "dry-run", "--orders", str(sample), "--at", "2024-06-18 12:00",
                     "--all")
    for i in range(1, 4):
        assert f"taobao:501234567890000{i}" in everything.stdout


def test_examples_from_the_repository_root_with_a_shell_glob(tmp_path):
    """`orderhub dry-run --orders examples/orders/*.json --at ...`: no workspace, packaged
    rules; each planted case fires, and nothing is written into the repository."""
    files = sorted(str(p.relative_to(REPO)) for p in (REPO / "examples" / "orders").glob("*.json"))
    cwd = os.getcwd()
    before = set(REPO.iterdir())
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, ["dry-run", "--orders", *files, "--at",
                                           "2025-11-26 09:00", "--format", "json"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    rows = json_lines(result)
    assert "route" not in next(iter(rows.values()))  # the packaged flows are not "own" flows

    def fired(no: str) -> set[str]:
        return {f["rule"] for f in rows[no]["fired"]}

    assert "high_risk_refund" in fired("2601573729663813588")  # refund after 10m00s
    assert "high_risk_refund" not in fired("4744319385258851338")  # after 10m01s
    assert "vague_address" in fired("3516558023263706861")
    # 4 orders of one phone that day: the 3rd and the 4th are over the limit, not the first two
    same_phone = ["3826112925724742383", "3608578043225616161", "4179731235213966705",
                  "4782883504150158585"]
    assert sum("purchase_limit" in fired(no) for no in same_phone) == 2
    assert set(REPO.iterdir()) == before


def test_help_teaches_with_an_example():
    result = CliRunner().invoke(main, ["dry-run", "--help"])
    assert 'orderhub dry-run --orders examples/orders/*.json --at "2025-11-26 09:00"' \
        in result.output


def test_three_orders_of_one_phone_across_two_days_hold_only_the_right_one(tmp_path):
    """History means "before this order" in a batch dry-run: the first order never sees the
    later two, whatever the clock (--at is a week later)."""
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "repeat.rules").write_text(
        'rule repeat_buyer "两天内第三单"\n'
        "  when orders_by_phone(receiver.phone, within=2d) >= 2\n"
        "  then hold waybill\nend\n", encoding="utf-8")
    sample = write_trades(tmp_path / "sample.json", [
        trade("5012345678900001", "2024-06-17 09:00:00"),
        trade("5012345678900002", "2024-06-17 21:00:00"),
        trade("5012345678900003", "2024-06-18 08:00:00")])
    result = run(tmp_path, "dry-run", "--orders", str(sample), "--at", "2024-06-25 12:00",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    held = {no: [a["kind"] for f in row["fired"] for a in f["actions"]]
            for no, row in json_lines(result).items()}
    assert held == {"5012345678900001": [], "5012345678900002": [],
                    "5012345678900003": ["hold"]}
