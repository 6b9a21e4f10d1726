"""The leader's schedules (APScheduler 3, BackgroundScheduler): pulls, settlement, checks.

* one pull per shop every ``interval_minutes`` (default 5).  Until platform connectors are
  installed a pull ingests the files waiting in an inbox folder (the foundation's ingestion) and
  moves each to ``done/`` (or ``failed/`` when no mapping recognises it);
* the nightly settlement pull at ``settlement_time`` in the shops' timezone, through
  ``orderhub.finance`` when installed;
* timed checks: queue lag and dead-letter warnings.
"""

from __future__ import annotations

import importlib
import logging
import shutil
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from .config import ServiceConfig

log = logging.getLogger("orderhub.service.jobs")


def build_scheduler(service: Any) -> BackgroundScheduler:
    ws = service.workspace
    cfg: ServiceConfig = ws.config.service
    tz = ws.config.timezone
    scheduler = BackgroundScheduler(timezone=tz, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    pulls = list(cfg.shops)
    if cfg.inbox and not any(p.inbox in (None, cfg.inbox) for p in pulls):
        from .config import ShopPull

        pulls.append(ShopPull(shop="default", inbox=cfg.inbox,
                              interval_minutes=cfg.pull_interval_minutes))
    for pull in pulls:
        inbox = pull.inbox or cfg.inbox
        if inbox is None:
            log.warning("shop %s has no inbox and no platform connector; not pulled", pull.shop)
            continue
        scheduler.add_job(pull_folder, "interval", minutes=pull.interval_minutes,
                          args=(ws, ws.path(inbox), pull.shop, pull.source),
                          id=f"pull:{pull.shop}", name=f"pull {pull.shop}",
                          next_run_time=_now(tz))
    hour, minute = (int(x) for x in cfg.settlement_time.split(":"))
    scheduler.add_job(settlement, "cron", hour=hour, minute=minute, args=(ws,),
                      id="settlement", name="nightly settlement")
    scheduler.add_job(service.timed_checks, "interval", seconds=cfg.check_interval_seconds,
                      id="checks", name="timed checks")
    return scheduler


def _now(tz: str) -> Any:
    from datetime import datetime

    from ..connectors.transforms import zone

    return datetime.now(zone(tz))


def pull_folder(ws: Any, inbox: Path, shop: str, source: str | None = None) -> int:
    """Ingest every file waiting in ``inbox``; returns how many files were taken."""
    from ..connectors.ingest import SourceUnknown, ingest
    from ..connectors.mapping import mappings

    if not inbox.is_dir():
        return 0
    files = sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in files:
        try:
            summary = ingest(ws.store, [path], source=source, shop_id=shop, catalog=ws.catalog,
                             mappings=mappings(ws.mapping_dirs))
        except SourceUnknown as exc:
            log.error("pull %s: %s", shop, exc.render() if hasattr(exc, "render") else exc)
            _move(path, inbox / "failed")
            continue
        log.info("pull %s: %s: %d new, %d updated, %d rejected", shop, path.name, summary.new,
                 summary.updated, summary.rejected,
                 extra={"event": "pull", "shop": shop, "file": path.name, "new": summary.new,
                        "updated": summary.updated, "rejected": summary.rejected})
        _move(path, inbox / "done")
    return len(files)


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    shutil.move(str(path), folder / path.name)


def settlement(ws: Any) -> None:
    """The nightly settlement pull for yesterday, if the finance module is installed."""
    try:
        finance = importlib.import_module("orderhub.finance")
    except ImportError:
        log.info("settlement: orderhub.finance is not installed; skipped")
        return
    run = getattr(finance, "nightly", None) or getattr(finance, "run_nightly", None)
    if run is None:
        log.warning("settlement: orderhub.finance has no nightly(workspace) entry point")
        return
    run(ws)
    log.info("settlement: done", extra={"event": "settlement"})
