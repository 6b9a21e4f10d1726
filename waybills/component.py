"""The platforms' print components (打印组件), spoken to over local WebSocket.

Encrypted print data may only be rendered by the platform's own component on the packer's PC
(reference fulfilment.md §0, §2).  This module builds each component's messages, passing the
ciphertext through untouched, and reads its results:

- cainiao: ws://localhost:13528 (wss 13529); ``{cmd: "print", requestID, version, task}``;
  results in ``notifyPrintResult`` per document.
- pdd: ws://localhost:5000 (18653); the same envelope plus ``ERPId``/``ISVName``, content key
  ``templateUrl``; the result is ``PrintResultNotify`` (no ``requestID``).
- douyin: ws://localhost:13888 (wss 13999); content ``params`` is a signed query string for
  ``logistics.getShopKey``; ``notifyPrintResult``.
- jd: ws://localhost:9113; ``{key, version: "2", orderType: "PRINT", parameters}``; the reply
  with ``code`` "2" and ``status`` "500" means printed.

The browser page uses ``static/print-component.js`` (the same shapes); :class:`ComponentClient`
is the Python side, for tests and ``orderhub waybills print --component``.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import Sender
from .store import WaybillRow

PORTS: dict[str, tuple[str, str | None]] = {
    "cainiao": ("ws://localhost:13528", "wss://localhost:13529"),
    "pdd": ("ws://localhost:5000", "wss://localhost:18653"),
    "douyin": ("ws://localhost:13888", "wss://localhost:13999"),
    "jd": ("ws://localhost:9113", None),
}
COMPONENT_OF = {"taobao": "cainiao", "pdd": "pdd", "douyin": "douyin", "jd": "jd"}
SECRET_VERSION = "waybill_print_secret_version_1"


@dataclass
class PrintJob:
    """One print task for one component: the message to send and the waybills in it."""

    component: str
    task_id: str
    message: dict[str, Any]
    codes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return PORTS[self.component][0]


def request_id() -> str:
    return uuid.uuid4().hex[:16]


def get_printers(kind: str) -> dict[str, Any]:
    if kind == "jd":
        return {"key": request_id(), "version": "2", "orderType": "GET_Printers",
                "parameters": {}}
    return {"cmd": "getPrinters", "requestID": request_id(), "version": "1.0"}


def _address(s: Sender) -> dict[str, Any]:
    return {"province": s.province, "city": s.city, "district": s.district or "",
            "town": s.town or "", "detail": s.address}


def content(kind: str, row: WaybillRow, sender: Sender, *, shop_key_params: str = "",
            user_id: str = "") -> dict[str, Any]:
    """One waybill's content for ``kind``'s component; the ciphertext goes as delivered."""
    data = row.print_data or {}
    if kind == "cainiao":
        if not data.get("encryptedData"):  # plain mode
            return {"data": data.get("data"), "templateURL": data.get("templateURL")}
        return {"encryptedData": data["encryptedData"], "signature": data.get("signature"),
                "templateURL": data.get("templateURL"), "ver": data.get("ver") or SECRET_VERSION,
                "addData": {"sender": {"address": _address(sender), "name": sender.name,
                                       "mobile": sender.mobile or "",
                                       "phone": sender.phone or ""}}}
    if kind == "pdd":
        return {"encryptedData": data.get("encryptedData"), "signature": data.get("signature"),
                "templateUrl": data.get("templateURL"), "userid": user_id,
                "ver": data.get("ver") or "3",
                "addData": {"sender": {"address": _address(sender), "name": sender.name,
                                       "mobile": sender.mobile or "",
                                       "phone": sender.phone or ""}}}
    if kind == "douyin":
        return {"params": shop_key_params, "encryptedData": data.get("encryptedData"),
                "signature": data.get("signature"), "templateURL": data.get("templateURL"),
                "addData": {"senderInfo": {
                    "address": {"provinceName": sender.province, "cityName": sender.city,
                                "districtName": sender.district or "",
                                "streetName": sender.town or "",
                                "detailAddress": sender.address},
                    "contact": {"name": sender.name, "mobile": sender.mobile or ""}}},
                "config": {"packageNumber": "1/1"}}
    if kind == "jd":
        return {"tempUrl": data.get("templateURL") or "", "printData": data.get("printData"),
                "addData": {"sender": {"name": sender.name, "mobile": sender.mobile or "",
                                       "phone": sender.phone or "",
                                       "address": f"{sender.province}{sender.city}"
                                                  f"{sender.district or ''}{sender.address}"}}}
    raise ValueError(f"unknown print component {kind!r}")


def print_job(kind: str, rows: Sequence[WaybillRow], contents: Sequence[dict[str, Any]], *,
              printer: str = "", preview: bool = False) -> PrintJob:
    """The ``print`` message for ``kind`` with one document per waybill."""
    task = f"T{uuid.uuid4().hex[:14]}"
    codes = [r.waybill_code or "" for r in rows]
    if kind == "jd":
        message: dict[str, Any] = {
            "key": task, "version": "2", "orderType": "PRE_View" if preview else "PRINT",
            "parameters": {"printName": printer, "contents": list(contents)}}
        return PrintJob(kind, task, message, codes)
    message = {"cmd": "print", "requestID": request_id(), "version": "1.0", "task": {
        "taskID": task, "preview": preview, "printer": printer, "previewType": "pdf",
        "firstDocumentNumber": 1, "totalDocumentCount": len(rows),
        "notifyType": ["render", "print"],
        "documents": [{"documentID": code, "contents": [c]}
                      for code, c in zip(codes, contents, strict=True)]}}
    if kind == "pdd":
        message.update(ERPId="orderhub", ISVName="orderhub")
    return PrintJob(kind, task, message, codes)


@dataclass
class PrintOutcome:
    """What a component said about a task: documents printed and failed (with reasons)."""

    task_id: str
    printed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    final: bool = False


def read_result(message: dict[str, Any], job: PrintJob) -> PrintOutcome | None:
    """The outcome a component message reports for ``job``; None when it is about something
    else (an acceptance reply, another task, a ``render`` notice)."""
    cmd = message.get("cmd")
    if job.component == "jd":
        if message.get("key") != job.task_id or str(message.get("code")) != "2":
            return None
        ok = message.get("success") in (True, "true") and str(message.get("status")) == "500"
        return PrintOutcome(job.task_id, job.codes if ok else [],
                            {} if ok else {c: str(message.get("message")) for c in job.codes},
                            True)
    if cmd == "PrintResultNotify" and message.get("taskID") == job.task_id:
        if message.get("taskStatus") == "printed":
            return PrintOutcome(job.task_id, list(job.codes), final=True)
        first = int(message.get("firstFailedDocSN") or 1)
        return PrintOutcome(job.task_id, job.codes[:first - 1],
                            {c: "failed" for c in job.codes[first - 1:]}, True)
    if cmd in ("notifyPrintResult", "notifyDocResult") and message.get("taskID") == job.task_id:
        out = PrintOutcome(job.task_id)
        for s in message.get("printStatus") or []:
            doc = str(s.get("documentID"))
            if s.get("status") == "success":
                out.printed.append(doc)
            else:
                out.failed[doc] = str(s.get("msg") or s.get("status"))
        out.final = message.get("taskStatus") in ("printed", "failed")
        return out
    return None


class ComponentClient:
    """A blocking client for one component (``websockets``' sync client)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        from websockets.sync.client import connect

        self.url = url
        self.timeout = timeout
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(connect(url, open_timeout=timeout, max_size=None))

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> ComponentClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def send(self, message: dict[str, Any]) -> None:
        self._ws.send(json.dumps(message, ensure_ascii=False))

    def receive(self) -> dict[str, Any]:
        return json.loads(self._ws.recv(timeout=self.timeout))  # type: ignore[no-any-return]

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send and wait for the reply with the same ``requestID`` (JD: ``key``)."""
        rid_key = "key" if "key" in message else "requestID"
        self.send(message)
        while True:
            reply = self.receive()
            if reply.get(rid_key) == message[rid_key]:
                return reply

    def printers(self, kind: str) -> dict[str, Any]:
        return self.request(get_printers(kind))

    def print(self, job: PrintJob) -> PrintOutcome:
        """Send the job; return once the component reports every document (or the task)."""
        self.send(job.message)
        outcome = PrintOutcome(job.task_id)
        while True:
            message = self.receive()
            if message.get("cmd") == "print" and message.get("status") == "failed":
                return PrintOutcome(job.task_id, [], {c: str(message.get("msg"))
                                                      for c in job.codes}, True)
            got = read_result(message, job)
            if got is None:
                continue
            outcome.printed += [c for c in got.printed if c not in outcome.printed]
            outcome.failed.update(got.failed)
            if got.final or len(outcome.printed) + len(outcome.failed) >= len(job.codes):
                outcome.final = True
                return outcome
