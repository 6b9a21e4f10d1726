"""Printing through a platform's print component: a local WebSocket server stands in for it."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.server import ServerConnection, serve

from orderhub.simulator import Simulator
from orderhub.waybills.service import Waybills

_spec = importlib.util.spec_from_file_location(
    "waybills_support", Path(__file__).with_name("waybills_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(support)  # type: ignore[union-attr]


class FakeComponent:
    """Answers like the Cainiao (or Douyin) component: accepts the task, then notifies the
    result of each document; ``fail`` lists documents it reports failed."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.server = serve(self.handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def handle(self, ws: ServerConnection) -> None:
        for raw in ws:
            msg = json.loads(raw)
            self.received.append(msg)
            if msg["cmd"] == "getPrinters":
                ws.send(json.dumps({"cmd": "getPrinters", "requestID": msg["requestID"],
                                    "status": "success", "defaultPrinter": "KM-118",
                                    "printers": [{"name": "KM-118"}]}))
                continue
            task = msg["task"]
            ws.send(json.dumps({"cmd": "print", "requestID": msg["requestID"],
                                "taskID": task["taskID"], "status": "success"}))
            ws.send(json.dumps({"cmd": "notifyPrintResult", "printer": "KM-118",
                                "taskID": task["taskID"], "taskStatus": "rendered",
                                "printStatus": []}))
            ws.send(json.dumps({
                "cmd": "notifyPrintResult", "printer": "KM-118", "taskID": task["taskID"],
                "taskStatus": "printed" if not self.fail else "failed",
                "printStatus": [{"documentID": d["documentID"],
                                 "status": "failed" if d["documentID"] in self.fail
                                 else "success", "msg": "缺纸", "detail": ""}
                                for d in task["documents"]]}))

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def component() -> Iterator[FakeComponent]:
    c = FakeComponent()
    yield c
    c.close()


def test_cainiao_print_job_reaches_the_component_and_marks_orders_printed(
        store, component: FakeComponent) -> None:
    with Simulator(orders=1) as sim:
        support.store_routed(store, support.make_orders(3, ("taobao",)))
        wb = Waybills(store, support.waybills_config(), sim.shops())
        issued = {r.waybill_code: r for r in wb.take("SH", wave="W").issued}
        outcomes = wb.print_with_components("W", urls={"cainiao": component.url})
    [msg] = component.received
    assert msg["cmd"] == "print" and msg["version"] == "1.0" and msg["requestID"]
    task = msg["task"]
    assert task["taskID"] == outcomes[0].task_id
    assert task["totalDocumentCount"] == 3 and task["firstDocumentNumber"] == 1
    assert task["notifyType"] == ["render", "print"]
    for doc in task["documents"]:
        row = issued[doc["documentID"]]
        [content] = doc["contents"]
        stored = row.print_data or {}
        assert content["encryptedData"] == stored["encryptedData"]  # passed through untouched
        assert content["signature"] == stored["signature"]
        assert content["ver"] == "waybill_print_secret_version_1"
        assert content["templateURL"].startswith("http://cloudprint.cainiao.com/template/")
        assert content["addData"]["sender"]["name"] == "王华东"
        assert sim.waybills.unseal(content["encryptedData"])["waybillCode"] == row.waybill_code
    assert sorted(outcomes[0].printed) == sorted(issued)
    assert all(r.printed_at is not None for r in wb.list())


def test_documents_the_component_reports_failed_stay_unprinted(store) -> None:
    with Simulator(orders=1) as sim:
        support.store_routed(store, support.make_orders(2, ("douyin",)))
        wb = Waybills(store, support.waybills_config(), sim.shops())
        codes = sorted(r.waybill_code or "" for r in wb.take("SH", wave="W").issued)
        fake = FakeComponent(fail={codes[0]})
        try:
            [outcome] = wb.print_with_components("W", urls={"douyin": fake.url})
        finally:
            fake.close()
    content = fake.received[0]["task"]["documents"][0]["contents"][0]
    assert "method=logistics.getShopKey" in content["params"] and "sign=" in content["params"]
    assert outcome.failed == {codes[0]: "缺纸"}
    printed = {r.waybill_code: r.printed_at for r in wb.list()}
    assert printed[codes[0]] is None and printed[codes[1]] is not None


def test_printers_are_listed(component: FakeComponent) -> None:
    from orderhub.waybills.component import ComponentClient

    with ComponentClient(component.url) as client:
        answer = client.printers("cainiao")
    assert answer["defaultPrinter"] == "KM-118"


CHROMIUM = "/usr/bin/chromium"


def test_the_browser_module_prints_through_the_component(store) -> None:  # type: ignore[no-untyped-def]
    """static/print-component.js in Chromium sends the job unchanged and reads the result."""
    import base64
    import dataclasses
    import shutil

    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"SKIPPING BROWSER TEST: {CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    module = (Path(__file__).parent.parent / "waybills" / "static" / "print-component.js")
    source = base64.b64encode(module.read_bytes()).decode()
    fake = FakeComponent()
    try:
        with Simulator(orders=1) as sim:
            support.store_routed(store, support.make_orders(2, ("taobao",)))
            wb = Waybills(store, support.waybills_config(), sim.shops())
            wb.take("SH", wave="W")
            [job] = wb.print_jobs("W")
        with sync_playwright() as pw:
            try:
                browser = pw.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--headless=new"])
            except Exception as exc:  # noqa: BLE001 - any launch failure is a reason to skip
                pytest.skip(f"SKIPPING BROWSER TEST: Chromium cannot be launched: {exc}")
            page = browser.new_page()
            outcome = page.evaluate(
                """async ([source, url, job]) => {
                    const m = await import("data:text/javascript;base64," + source);
                    const c = new m.PrintComponent("cainiao", {url});
                    await c.connect();
                    const printers = await c.getPrinters();
                    const outcome = await c.print(job);
                    c.close();
                    return {printers, outcome};
                }""", [source, fake.url, dataclasses.asdict(job)])
            browser.close()
    finally:
        fake.close()
    assert outcome["printers"]["defaultPrinter"] == "KM-118"
    assert sorted(outcome["outcome"]["printed"]) == sorted(job.codes)
    sent = [m for m in fake.received if m["cmd"] == "print"]
    assert sent == [job.message]  # exactly what orderhub built, ciphertext included
    assert wb.record_print(_outcome(outcome["outcome"])) == 2
    assert all(r.printed_at is not None for r in wb.list())


def _outcome(data: dict[str, Any]) -> Any:
    from orderhub.waybills.component import PrintOutcome

    return PrintOutcome(data["task_id"], data["printed"], data["failed"], data["final"])
