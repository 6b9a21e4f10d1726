"""The leader's schedules (APScheduler 3, BackgroundScheduler): pulls, settlement, checks.

* one platform pull per shop of ``shops:`` in ``orderhub.yaml`` every ``interval_minutes``
  (default 5), through the connectors (:func:`orderhub.connectors.pull.pull_shop`, which keeps
  each shop's cursor); a shop whose pull fails is logged and tried again next interval;
* file drops, when configured (``service.inbox`` / ``service.shops``): the files waiting in an
  inbox folder are ingested (the foundation's ingestion) and moved to ``done/`` (or
  ``failed/`` when no mapping recognises it);
* the nightly settlement pull at ``settlement_time`` in the shops' timezone, through
  ``orderhub.finance`` when installed;
* timed checks: queue lag and dead-letter warnings;
* the weekly KPI digest (``kpi.digest``) to the WeCom group, on its day and hour.
"""

from __future__ import annotations

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
    for shop in ws.config.shops:
        _redact_shop_secrets(shop)
        scheduler.add_job(pull_platform, "interval", minutes=shop.interval_minutes,
                          args=(ws, shop), id=f"pull:{shop.name}", name=f"pull {shop.name}",
                          next_run_time=_now(tz))
    pulls = list(cfg.shops)
    if cfg.inbox and not any(p.inbox in (None, cfg.inbox) for p in pulls):
        from .config import ShopPull

        pulls.append(ShopPull(shop="default", inbox=cfg.inbox,
                              interval_minutes=cfg.pull_interval_minutes))
    for pull in pulls:
        inbox = pull.inbox or cfg.inbox
        if inbox is None:
            log.warning("file drops for shop %s: no inbox folder; not pulled", pull.shop)
            continue
        scheduler.add_job(pull_folder, "interval", minutes=pull.interval_minutes,
                          args=(ws, ws.path(inbox), pull.shop, pull.source),
                          id=f"files:{pull.shop}", name=f"file drops {pull.shop}",
                          next_run_time=_now(tz))
    hour, minute = (int(x) for x in cfg.settlement_time.split(":"))
    scheduler.add_job(settlement, "cron", hour=hour, minute=minute, args=(ws,),
                      id="settlement", name="nightly settlement")
    scheduler.add_job(service.timed_checks, "interval", seconds=cfg.check_interval_seconds,
                      id="checks", name="timed checks")
    if any(s.stock_push.enabled for s in ws.config.shops):
        from .stock_sync import sync_stock

        scheduler.add_job(sync_stock, "interval", seconds=cfg.stock_push_seconds, args=(ws,),
                          id="stock_push", name="stock to the platforms' listings")
    digest = ws.config.kpi.digest
    if digest.enabled:
        d_hour, d_minute = (int(x) for x in digest.time.split(":"))
        scheduler.add_job(weekly_digest, "cron", day_of_week=digest.day, hour=d_hour,
                          minute=d_minute, args=(ws,), id="kpi_digest",
                          name="weekly KPI digest (WeCom)")
    return scheduler


def weekly_digest(ws: Any) -> None:
    """Last week's KPIs to the WeCom group (orderhub.kpi.digest); a failure is logged."""
    from ..kpi.digest import send_weekly_digest

    try:
        send_weekly_digest(ws)
    except Exception as exc:  # noqa: BLE001 - a failed digest must not stop the scheduler
        log.error("weekly digest: %s: %s", type(exc).__name__, exc,
                  extra={"event": "kpi_digest_failed"})
        return
    log.info("weekly digest queued", extra={"event": "kpi_digest"})


def _redact_shop_secrets(shop: Any) -> None:
    """A shop's app secret and tokens (from the environment) never reach a log line."""
    import os

    from .logs import register_secret

    for env in (shop.secret_env, shop.token_env, shop.refresh_token_env):
        if env and os.environ.get(env):
            register_secret(os.environ[env])


def _now(tz: str) -> Any:
    from datetime import datetime

    from ..connectors.transforms import zone

    return datetime.now(zone(tz))


def pull_platform(ws: Any, shop: Any) -> Any:
    """Pull one shop's orders changed since its cursor; a failure is logged, not raised (the
    next interval tries again, from the same cursor)."""
    from ..connectors.pull import pull_shop
    from ..errors import OrderhubError

    try:
        summary = pull_shop(ws, shop)
    except OrderhubError as exc:
        log.error("pull %s: %s", shop.name, exc,
                  extra={"event": "pull_failed", "shop": shop.name, "error": str(exc)})
        return None
    log.info("pull %s: %d new, %d updated, %d rejected", shop.name, summary.new,
             summary.updated, summary.rejected,
             extra={"event": "pull", "shop": shop.name, "new": summary.new,
                    "updated": summary.updated, "rejected": summary.rejected})
    return summary


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
    """Reconcile yesterday (shops' timezone) with ``orderhub.finance.nightly_reconcile``; it
    writes the day's reports under ``finance.reports``."""
    from datetime import datetime, timedelta

    from ..connectors.transforms import zone
    from ..finance.fetch import fetch_bills
    from ..finance.nightly import nightly_reconcile

    day = (datetime.now(zone(ws.config.timezone)) - timedelta(days=1)).date()
    try:
        result = nightly_reconcile(ws, day, pull=fetch_bills)
    except Exception as exc:  # noqa: BLE001 - a failed night must not stop the scheduler
        log.error("settlement %s: %s: %s", day, type(exc).__name__, exc,
                  extra={"event": "settlement_failed", "day": day.isoformat()})
        return
    log.info("settlement %s: done", day, extra={"event": "settlement", "day": day.isoformat(),
                                                "result": type(result).__name__})
