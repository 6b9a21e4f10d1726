"""The weekly digest: scheduled on its configured day and hour in shop time, and delivered by
the service's outbox to a WeCom stand-in on loopback with the week's figures."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from orderhub.config import Workspace
from orderhub.kpi.digest import send_weekly_digest
from orderhub.service.jobs import build_scheduler
from orderhub.service.outbox import Outbox

sys.path.insert(0, str(Path(__file__).parent))
import kpi_support as support  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _workspace(tmp_path: Path, peer_url: str) -> Path:
    ws = sup.write_workspace(tmp_path / "ws", f"sqlite:///{tmp_path / 'k.db'}",
                             channels={"wecom": {"base_url": peer_url,
                                                 "key_env": "TEST_WECOM_KEY"}})
    config = json.loads((ws / "orderhub.yaml").read_text(encoding="utf-8"))
    config["kpi"] = {"ship_deadline_hours": {"jd": 20},
                     "digest": {"enabled": True, "day": "mon", "time": "09:30"}}
    (ws / "orderhub.yaml").write_text(json.dumps(config), encoding="utf-8")
    return ws


def test_digest_is_scheduled_on_its_day_and_hour_in_shop_time(tmp_path: Path) -> None:
    ws = Workspace.load(_workspace(tmp_path, "http://127.0.0.1:9"))
    scheduler = build_scheduler(SimpleNamespace(workspace=ws, timed_checks=lambda: None))
    job = scheduler.get_job("kpi_digest")
    assert job is not None
    after = datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)  # a Thursday
    fire = job.trigger.get_next_fire_time(None, after)
    assert fire == datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI)  # Monday 09:30 shop time


def test_digest_is_not_scheduled_unless_enabled(tmp_path: Path) -> None:
    ws_dir = _workspace(tmp_path, "http://127.0.0.1:9")
    config = json.loads((ws_dir / "orderhub.yaml").read_text(encoding="utf-8"))
    config["kpi"]["digest"]["enabled"] = False
    (ws_dir / "orderhub.yaml").write_text(json.dumps(config), encoding="utf-8")
    scheduler = build_scheduler(SimpleNamespace(workspace=Workspace.load(ws_dir),
                                                timed_checks=lambda: None))
    assert scheduler.get_job("kpi_digest") is None


def test_digest_reaches_the_wecom_group_with_the_weeks_figures(tmp_path: Path) -> None:
    with sup.Peer() as peer:
        ws_dir = _workspace(tmp_path, peer.url)
        ws = Workspace.load(ws_dir)
        support.seed_week(ws.store.engine)
        monday = datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI)  # the job's fire time
        send_weekly_digest(ws, monday)
        send_weekly_digest(ws, monday)  # the job ran twice: still one message for the week
        proc = sup.spawn(ws_dir, "run", "--no-schedules", "--exit-when-idle", "0.5",
                         env={"TEST_WECOM_KEY": "wk-digest-1"})
        assert proc.wait(timeout=60) == 0
        assert Outbox(ws.store.engine).backlog()["sent"] == 1
        assert len(peer.requests) == 1
        path, _, body, _ = peer.requests[0]
        assert path == "/cgi-bin/webhook/send?key=wk-digest-1"
        assert body["msgtype"] == "markdown"
        text = body["markdown"]["content"]
    assert text.startswith("## 运营周报 2026-W48（2026-11-23 ~ 2026-11-29）")
    assert '发货单量：<font color="info">6</font>（+6）' in text
    assert '付款→发货 中位数：<font color="info">17 小时</font>' in text
    assert '按时发货率：<font color="info">66.7%</font>' in text
    assert '异常 SLA 内响应率：<font color="info">50.0%</font>' in text
    assert '人效（单/人/天）：<font color="info">1.2</font>' in text
    assert "1. alice：3 单" in text and "2. bob：2 单" in text
    assert "1. dave：2 件，中位 32.5 分钟" in text
