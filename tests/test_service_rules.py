"""The service with the real rules engine and flows: decisions, SMS via the outbox, hot reload."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace, init_workspace  # noqa: E402
from orderhub.model import Order  # noqa: E402
from orderhub.service import Service  # noqa: E402
from orderhub.service.schema import decisions, outbox  # noqa: E402


def _vague(orders: list[Order]) -> list[Order]:
    return [Order.model_validate({**o.model_dump(), "receiver": {
        **o.receiver.model_dump(), "address": "广东省广州市天河区体育西路地铁站附近"}})
        for o in orders]


def test_rules_and_flows_decide_and_a_bad_edit_never_goes_live(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    (root / "orderhub.yaml").write_text(
        (root / "orderhub.yaml").read_text(encoding="utf-8")
        + f"database: sqlite:///{tmp_path / 'r.db'}\nservice:\n  watch: false\n",
        encoding="utf-8")
    ws = Workspace.load(root)
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    v1 = svc.reloader.live.versions
    assert v1.rules and v1.flows
    ws.store.upsert(_vague(sup.make_orders(5)))
    while svc.step():
        pass
    engine = ws.store.engine
    with engine.connect() as conn:
        rows = conn.execute(select(decisions)).all()
        sms = conn.execute(select(outbox).where(outbox.c.kind == "sms")).all()
    assert len(rows) == 10 and all(r.outcome == "ok" for r in rows)
    assert {(r.rules_version, r.flows_version) for r in rows} == {(v1.rules, v1.flows)}
    assert any(a["kind"] == "flag" for r in rows for a in r.actions)
    assert any(a["kind"] == "route" for r in rows for a in r.actions)
    # one SMS per phone and day even though created and paid both evaluated the rule
    assert len(sms) == 5 and "不够具体" in sms[0].payload["text"]

    # an edit that breaks an embedded example is refused; the old set stays live
    risk = root / "rules" / "risk.rules"
    good = risk.read_text(encoding="utf-8")
    risk.write_text(good.replace("orders_today(receiver.phone) >= 2",
                                 "orders_today(receiver.phone) >= 1"), encoding="utf-8")
    result = svc.reloader.reload("test")
    assert not result.ok and "risk.rules:" in result.errors[0]
    assert "今天第2单" in result.errors[0]
    assert svc.reloader.live.versions == v1
    ws.store.upsert(_vague(sup.make_orders(3, start=100)))
    while svc.step():
        pass
    # a good edit goes live and the next orders carry its version
    risk.write_text(good.replace("同一收件手机今天已下过2单", "同一收件手机当天已下过2单"),
                    encoding="utf-8")
    result = svc.reloader.reload("test")
    assert result.ok and result.changed
    v2 = svc.reloader.live.versions
    assert v2.rules != v1.rules and v2.flows == v1.flows
    ws.store.upsert(_vague(sup.make_orders(2, start=200)))
    while svc.step():
        pass
    with engine.connect() as conn:
        got = [r.rules_version for r in conn.execute(
            select(decisions.c.rules_version).order_by(decisions.c.event_id))]
    assert got == [v1.rules] * 16 + [v2.rules] * 4
    svc.shutdown()
