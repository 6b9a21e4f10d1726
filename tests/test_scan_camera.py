"""The phone camera path of 扫描发货, in Debian's Chromium against a real ``orderhub web``:
Chromium's fake camera plays a Y4M video of an order's Code128 barcode (drawn with the
waybill labels' encoder), the page's camera mode reads it, and the order opens.

Headless Chromium on Linux has no ``BarcodeDetector`` (the shape-detection API is built only
for macOS, Android and ChromeOS), so this exercises the vendored ZXing fallback reading the
live video; where a Chromium does have the detector, the same test goes through it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

_spec = importlib.util.spec_from_file_location(
    "web_support", Path(__file__).with_name("web_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.model import Order  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402
from orderhub.waybills.labels import _code128_modules  # noqa: E402

pytestmark = pytest.mark.browser
ORDER_NO = "CAM20251111"
WIDTH, HEIGHT = 640, 480


def barcode_image(code: str, module_px: int = 3) -> Image.Image:
    """A white frame with ``code`` as Code128 across its middle, quiet zones around it."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    modules = _code128_modules(code)
    x = (WIDTH - sum(w for _, w in modules) * module_px) // 2
    assert x > 10 * module_px, "the barcode does not fit the frame with its quiet zones"
    for is_bar, w in modules:
        if is_bar:
            draw.rectangle([x, 140, x + w * module_px - 1, 340], fill=0)
        x += w * module_px
    return image


def write_y4m(path: Path, image: Image.Image, frames: int = 15) -> Path:
    """A Y4M video (YUV 4:2:0) of ``image``: a one-line header, then per frame ``FRAME``, the
    luma plane and two grey chroma planes.  Chromium's fake camera loops it."""
    luma = image.convert("L").tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F15:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            f.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture()
def camera_browser(tmp_path: Path) -> Iterator[Any]:
    video = write_y4m(tmp_path / "barcode.y4m", barcode_image(ORDER_NO))
    with sup.chromium("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={video}") as b:
        yield b


def camera_order() -> Order:
    at = datetime(2025, 11, 11, 10, 0, tzinfo=UTC)
    return Order.model_validate({
        "platform": "taobao", "platform_order_no": ORDER_NO, "status": "paid",
        "created_at": at, "paid_at": at, "modified_at": at, "payment": "99.00",
        "goods_total": "99.00",
        "receiver": {"name": "王五", "phone": "13600002222", "province": "浙江省",
                     "city": "杭州市", "district": "西湖区", "address": "文三路 9 号"},
        "items": [{"sku": "MUG-350", "title": "马克杯 350ml", "quantity": 2,
                   "unit_price": "49.50"}],
    })


def test_the_camera_reads_an_order_barcode_and_opens_the_order(
        tmp_path: Path, camera_browser: Any) -> None:
    root = tmp_path / "shop"
    db_url = f"sqlite:///{tmp_path / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    OrderStore.open(db_url).upsert([camera_order()])
    with sup.console(root, db_url) as base:
        context = camera_browser.new_context(
            base_url=base, viewport={"width": 390, "height": 844}, is_mobile=True,
            has_touch=True, permissions=["camera"])
        page = context.new_page()
        page.goto("/login")
        page.fill("input[name=username]", sup.USERS["warehouse"])
        page.fill("input[name=password]", sup.PASSWORD)
        page.click("button[type=submit]")
        page.goto("/scan")
        detector = page.evaluate("'BarcodeDetector' in window")
        page.click("#camera")
        page.wait_for_selector("#step-items:not([hidden])", timeout=30_000)
        assert page.inner_text("#order-label") == f"taobao:{ORDER_NO}"
        assert page.locator("#camera-box").is_hidden()  # the camera stops once it has read
        if not detector:  # the fallback did the reading
            assert page.evaluate("typeof window.ZXing") == "object"
        page.screenshot(path=str(tmp_path / "camera-scan.png"))
        context.close()
