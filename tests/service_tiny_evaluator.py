"""A tiny evaluator for the service tests, loaded by path (``service.evaluator``).

Its "rule files" are ``rules/*.tiny``: lines ``name = value`` (``#`` comments) with names
``tag`` (text stamped on every action), ``message_every`` (a message for every Nth event id,
0: none), ``message_kind`` (wecom, sms, wms, logistics) and ``slow`` (seconds per event).
A bad line raises a positioned SourceError, like a real rule file would.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from orderhub.errors import SourceError, SourceErrors, SourceSpan
from orderhub.service.evaluator import Evaluation, Message, OrderAction, Versions

KNOWN = {"tag": str, "message_every": int, "message_kind": str, "slow": float}


class TinyEvaluator:
    def __init__(self, settings: dict[str, Any], version: str) -> None:
        self.settings = settings
        self.versions = Versions(rules=version, flows=None)

    def evaluate(self, order: Any, event: Any, ctx: Any) -> Evaluation:
        s = self.settings
        if s.get("slow"):
            time.sleep(s["slow"])
        out = Evaluation(versions=self.versions)
        out.actions.append(OrderAction("tag", f"tag:{event.id}",
                                  {"tag": s.get("tag", ""), "event": event.type}))
        every = s.get("message_every", 0)
        if every and event.id % every == 0:
            kind = s.get("message_kind", "wms")
            text = f"订单 {order.platform_order_no} {event.type} ({s.get('tag', '')})"
            payload = {"content": text, "text": text, "phone": order.receiver.phone,
                       "order": order.platform_order_no, "event": event.id}
            out.messages.append(Message(kind, f"msg:{event.id}", payload))
        return out


def load(workspace: Any) -> TinyEvaluator:
    folder = Path(workspace.path(workspace.config.rules))
    settings: dict[str, Any] = {}
    errors: list[SourceError] = []
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.tiny")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        digest.update(text.encode())
        for no, line in enumerate(text.splitlines(), 1):
            body = line.split("#", 1)[0]
            if not body.strip():
                continue
            name, sep, value = body.partition("=")
            col = len(line) - len(line.lstrip()) + 1
            if not sep:
                errors.append(SourceError("expected `name = value`",
                                          SourceSpan(str(path), no, col), source=text))
                continue
            key = name.strip()
            if key not in KNOWN:
                errors.append(SourceError(f"unknown setting {key!r}",
                                          SourceSpan(str(path), no, col), source=text))
                continue
            try:
                settings[key] = KNOWN[key](value.strip())
            except ValueError:
                vcol = line.index("=") + 2 + (len(value) - len(value.lstrip()))
                errors.append(SourceError(f"{key} wants a {KNOWN[key].__name__}",
                                          SourceSpan(str(path), no, vcol), source=text))
    if errors:
        raise SourceErrors(errors)
    return TinyEvaluator(settings, digest.hexdigest()[:10])
