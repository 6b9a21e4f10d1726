"""PDF labels: the barcode scans back to the waybill code, the Chinese is real text."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from orderhub.simulator import Simulator
from orderhub.waybills.labels import UNASSIGNED, pick_lines
from orderhub.waybills.service import Waybills

_spec = importlib.util.spec_from_file_location(
    "waybills_support", Path(__file__).with_name("waybills_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(support)  # type: ignore[union-attr]

TOOLS = [t for t in ("pdftoppm", "pdftotext", "zbarimg") if shutil.which(t) is None]
needs_tools = pytest.mark.skipif(
    bool(TOOLS), reason=f"SKIPPING: {', '.join(TOOLS)} missing (apt: poppler-utils zbar-tools)")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def _scan(pdf: Path, tmp: Path, page: int = 1) -> set[str]:
    prefix = tmp / f"page{page}"
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page),
                    str(pdf), str(prefix)], check=True)
    png = next(tmp.glob(f"page{page}*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Scode128.enable", str(png)],
                         capture_output=True, text=True)
    return set(out.stdout.split())


@needs_tools
@pytest.mark.parametrize("size", ["100x180", "76x130"])
def test_label_scans_back_and_its_chinese_is_text(store, tmp_path: Path, size: str) -> None:
    with Simulator(orders=1) as sim:
        support.store_routed(store, support.make_orders(1, ("douyin", "jd")))
        wb = Waybills(store, support.waybills_config(), sim.shops())
        result = wb.take("SH", wave="W")
        out = tmp_path / "wave.pdf"
        info = wb.print_pdf("W", out, size=size)
    assert info["count"] == 2
    rows = sorted(result.issued, key=lambda r: r.id)
    printed = {r.waybill_code: r for r in wb.list()}
    for page, row in enumerate(wb.list(), start=1):
        assert _scan(out, tmp_path, page) == {row.waybill_code}
        assert printed[row.waybill_code].printed_at is not None
    text = _text(out)
    for row in rows:
        assert row.short_address and row.short_address in text
        assert row.sort_code and row.sort_code in text
    assert "王华东" in text and "华新镇华志路1号" in text  # the sender
    assert "中通快递" in text and "韵达快递" in text  # Douyin zhongtong, JD YUNDA by name
    assert "纯棉加厚毛巾" in text and "收" in text and "寄" in text
    slips = _text(Path(info["packing_slips"]))
    assert "发货清单" in slips and "jd:7000000" in slips


@needs_tools
def test_pick_list_sorted_by_location_then_sku(store, tmp_path: Path) -> None:
    orders = support.make_orders(6, ("pdd",))
    locations = {"HJ-TOWEL-001": "B-01-02", "CC-MILK-1L": "A-03-01"}
    lines = pick_lines(orders, locations)
    assert [(p.location, p.sku) for p in lines] == [
        ("A-03-01", "CC-MILK-1L"), ("B-01-02", "HJ-TOWEL-001"), (UNASSIGNED, "BJ-TEA-250")]
    towels = sum(i.quantity for o in orders for i in o.items if i.sku == "HJ-TOWEL-001")
    assert lines[1].quantity == towels
    (tmp_path / "locations.csv").write_bytes("sku,location\nHJ-TOWEL-001,B-01-02\n"
                                             "CC-MILK-1L,A-03-01\n".encode("gbk"))
    with Simulator(orders=1) as sim:
        support.store_routed(store, orders)
        config = support.waybills_config()
        config.warehouses["SH"].locations = "locations.csv"
        wb = Waybills(store, config, sim.shops(), root=tmp_path)
        wb.take("SH", wave="W")
        info = wb.print_pdf("W", tmp_path / "w.pdf")
    text = _text(Path(info["pick_list"]))
    assert "拣货单" in text
    assert text.index("A-03-01") < text.index("B-01-02") < text.index(UNASSIGNED)
