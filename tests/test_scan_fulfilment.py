"""Scan to ship at the fulfilment API (SQLite and PostgreSQL): EAN-13 barcodes from the catalog,
item verification with wrong and extra items counted, held orders refused and logged, one
shipment per idempotency key, exceptions with cleaned photos, approvals acting on the order."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.catalog import Catalog, ean13_ok  # noqa: E402
from orderhub.errors import NotFound, RecordError  # noqa: E402
from orderhub.fulfilment import approvals, exceptions, holds, scan, tasks, timeline  # noqa: E402
from orderhub.fulfilment.errors import FulfilmentError, ShipRefused  # noqa: E402
from orderhub.fulfilment.media import media_of  # noqa: E402
from orderhub.fulfilment.schema import shipments  # noqa: E402
from orderhub.service.schema import outbox  # noqa: E402

MUG_EAN = "6901234567892"
CUP_EAN = "6900000000014"


def _ws(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    ws = fs.workspace(tmp_path / "ws", db_url)
    with (ws.root / "catalog.csv").open("a", encoding="utf-8") as f:
        f.write(f"{fs.SKU},马克杯 350ml,家居日用,false,0.4,99.00,{MUG_EAN}\n")
    return ws


def test_ean13_check_digits_and_a_catalog_with_a_wrong_one(tmp_path: Path) -> None:
    assert ean13_ok(MUG_EAN) and ean13_ok("4006381333931")
    assert not ean13_ok("6901234567891") and not ean13_ok("690123456789") \
        and not ean13_ok("69012345678９2")
    bad = tmp_path / "catalog.csv"
    bad.write_text("sku,title,barcode\nA,甲,6901234567892\nB,乙,6901234567891\n",
                   encoding="gbk")
    with pytest.raises(RecordError) as err:
        Catalog.load(bad)
    assert "row 3, field barcode" in err.value.render() and "should be 2" in str(err.value)
    good = Catalog.load(Path(__file__).resolve().parent.parent / "examples" / "catalog.csv")
    assert len(good.barcodes()) == len(good)


def test_scan_verify_and_ship_once_per_key(tmp_path: Path, db_url: str) -> None:
    ws = _ws(tmp_path, db_url)
    ws.store.upsert([fs.order("S1", quantity=2)])
    found = scan.lookup(ws, "S1", "packer")
    assert not found.holds and found.units == 2 and found.lines[0].barcode == MUG_EAN
    assert scan.check_item(ws, "taobao:S1", CUP_EAN, [], "packer").result == "wrong_item"
    assert scan.check_item(ws, "taobao:S1", MUG_EAN, [], "packer").ok
    assert scan.check_item(ws, "taobao:S1", MUG_EAN, [MUG_EAN, MUG_EAN],
                           "packer").result == "extra_item"
    assert scan.prevented(ws) == 2
    with pytest.raises(ShipRefused, match="1 of 2"):
        scan.ship_scanned(ws, "k1", "taobao:S1", [MUG_EAN], "packer", carrier="ZTO",
                          tracking_no="ZT1", warehouse="SH")
    with pytest.raises(FulfilmentError, match="tracking"):
        scan.ship_scanned(ws, "k1", "taobao:S1", [MUG_EAN] * 2, "packer", warehouse="SH")
    first = scan.ship_scanned(ws, "k1", "taobao:S1", [MUG_EAN] * 2, "packer", carrier="ZTO",
                              tracking_no="ZT1", warehouse="SH", weight_kg=0.9)
    again = scan.ship_scanned(ws, "k1", "taobao:S1", [MUG_EAN] * 2, "packer", carrier="ZTO",
                              tracking_no="ZT1", warehouse="SH")
    assert not first["replayed"] and again["replayed"] and again["id"] == first["id"]
    with ws.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(shipments)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(outbox).where(
            outbox.c.kind == "platform_ship")).scalar_one() == 1
    whats = [e.what for e in timeline.timeline(ws, "taobao:S1")]
    assert any("错货" in w for w in whats) and any("验货完成 2 件" in w for w in whats)


def test_a_held_order_is_refused_with_its_reason_and_logged(tmp_path: Path,
                                                            db_url: str) -> None:
    ws = _ws(tmp_path, db_url)
    ws.store.upsert([fs.order("H1")])
    holds.hold(ws, "taobao:H1", "买家要求改地址", "cs1")
    found = scan.lookup(ws, "taobao:H1", "packer")
    assert found.holds == ["买家要求改地址"]
    with pytest.raises(ShipRefused, match="on hold"):
        scan.ship_scanned(ws, "k2", "taobao:H1", [MUG_EAN], "packer", carrier="ZTO",
                          tracking_no="ZT2", warehouse="SH")
    assert any("拦截：买家要求改地址" in e.what for e in timeline.timeline(ws, "taobao:H1"))
    with pytest.raises(NotFound):
        scan.lookup(ws, "NOPE-404", "packer")
    with ws.store.engine.connect() as conn:
        assert scan.waybill_of(conn, "NOPE") is None  # no such waybill number


def test_an_exception_photo_is_cleaned_and_a_cs_task_opened(tmp_path: Path,
                                                            db_url: str) -> None:
    ws = _ws(tmp_path, db_url)
    ws.store.upsert([fs.order("E1")])
    photo = Image.new("RGB", (4000, 3000), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    raw = io.BytesIO()
    photo.save(raw, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(raw.getvalue())).getexif().get_ifd(0x8825)
    done = exceptions.report(ws, "taobao:E1", "damaged", "packer", note="外箱压坏",
                             photos=[("a.jpg", raw.getvalue())])
    stored = Image.open(io.BytesIO(media_of(ws).get(done.photos[0])))
    assert max(stored.size) == 1600 and not stored.getexif() and "exif" not in stored.info
    (task,) = tasks.list_tasks(ws, order="taobao:E1")
    assert task.queue == "cs" and "破损" in task.title and task.data["photos"] == done.photos
    with pytest.raises(FulfilmentError, match="not an image"):
        exceptions.report(ws, "taobao:E1", "other", "packer", photos=[("x.jpg", b"nope")])


def test_an_approval_releases_the_hold_and_names_the_supervisor(tmp_path: Path,
                                                                db_url: str) -> None:
    ws = _ws(tmp_path, db_url)
    ws.store.upsert([fs.order("A1"), fs.order("A2")])
    holds.hold(ws, "taobao:A1", "地址待确认", "cs1")
    asked = approvals.request(ws, "taobao:A1", "ship_held", "买家已电话确认", "packer")
    decided = approvals.decide(ws, asked.id, True, "boss", "同意发货")
    assert decided.status == "approved" and decided.decided_by == "boss"
    assert not holds.list_holds(ws, order="taobao:A1")
    with pytest.raises(FulfilmentError, match="approved already"):
        approvals.decide(ws, asked.id, False, "boss", "改主意")
    reship = approvals.request(ws, "taobao:A2", "reship", "破损补发", "packer")
    approvals.decide(ws, reship.id, True, "boss", "补发一个")
    assert any("补发" in t.title for t in tasks.list_tasks(ws, order="taobao:A2"))
    assert any("批准拦截放行" in e.what and e.who == "person boss"
               for e in timeline.timeline(ws, "taobao:A1"))
