"""``orderhub run``, ``worker``, ``reload``, ``status`` and ``outbox list|retry``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import click

from ..cli import App, exit_with, pass_app
from ._output import FORMAT_OPTION, echo_json, local, note, shown, table

LOG_FORMAT = click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
                          show_default=True, help="json: one JSON object per log line.")
IDLE_EXIT = click.option("--exit-when-idle", "idle_exit", type=float, metavar="SECONDS",
                         help="Stop after this long with nothing to do (batch jobs, benches).")


def _serve(app: App, mode: str, log_format: str, idle_exit: float | None,
           no_schedules: bool, web: str | None = None) -> None:
    from ..service.logs import setup_logging
    from ..service.runner import Service

    setup_logging(log_format)
    console = None
    if web is not None:  # the staff console on a thread of this process
        from ..web.server import serve_in_thread

        cfg = app.workspace.config.web
        host, _, port = (web or f"{cfg.host}:{cfg.port}").rpartition(":")
        console = serve_in_thread(app.workspace, host or cfg.host, int(port))
        note(f"orderhub console on http://{host or cfg.host}:{port}/")
    try:
        Service(app.workspace, mode=mode, schedules=not no_schedules).run(idle_exit=idle_exit)
    finally:
        if console is not None:
            console.should_exit = True


@click.command("run")
@LOG_FORMAT
@IDLE_EXIT
@click.option("--no-schedules", is_flag=True, help="Do not run pulls, settlement and checks.")
@click.option("--web", "web", is_flag=False, flag_value="", default=None, metavar="[HOST:PORT]",
              help="Also serve the staff console (default address: web.host:web.port).")
@pass_app
def run_command(app: App, log_format: str, idle_exit: float | None, no_schedules: bool,
                web: str | None) -> None:
    """Run the service in one process: scheduled pulls, settlement, checks, the event consumer
    (rules, then flows), the outbox dispatcher and hot reload of rules/ and flows/.

    SIGTERM or Ctrl-C finishes the batch in hand and stops; the next start resumes.

    \b
    Examples:
      orderhub run
      orderhub run --exit-when-idle 3 --no-schedules
      orderhub run --log-format json
    """
    _serve(app, "run", log_format, idle_exit, no_schedules, web)


@click.command("worker")
@LOG_FORMAT
@IDLE_EXIT
@click.option("--no-schedules", is_flag=True, help="Never take the schedule leadership.")
@pass_app
def worker_command(app: App, log_format: str, idle_exit: float | None,
                   no_schedules: bool) -> None:
    """Run one worker on a shared PostgreSQL database; start as many as you like, anywhere.

    Workers share events through leases (FOR UPDATE SKIP LOCKED); one of them, elected through
    a PostgreSQL advisory lock, runs the schedules, and another takes over if it dies.

    \b
    Examples:
      orderhub --db postgresql://orderhub@db.internal/orderhub worker
      orderhub worker --no-schedules --log-format json
    """
    _serve(app, "worker", log_format, idle_exit, no_schedules)


@click.command("reload")
@click.option("--wait", type=float, default=10, show_default=True, metavar="SECONDS",
              help="Wait this long for the running nodes to report; 0: do not wait.")
@FORMAT_OPTION
@pass_app
def reload_command(app: App, wait: float, fmt: str) -> None:
    """Ask every running node to reload rules/ and flows/ (as SIGHUP does for one process).

    A reload checks everything and runs the embedded examples; only a set that passes goes live.
    Exits 1 when a node reports a failed reload (its previous set stays live).

    \b
    Examples:
      orderhub reload
      orderhub reload --wait 10 --format json
    """
    from ..service import state

    engine = app.store.engine
    seq = state.request_reload(engine)
    if wait <= 0:
        note(f"reload requested (#{seq})")
        return
    deadline = time.monotonic() + wait
    while True:
        live = [n for n in state.nodes(engine) if n["alive"]]
        pending = [n for n in live if n.get("reload_seq_seen", 0) < seq]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    results = [{"node": n["node"], "seen": n.get("reload_seq_seen", 0) >= seq,
                "last_reload": n.get("last_reload")} for n in live]
    if fmt == "json":
        echo_json({"request": seq, "nodes": results})
    elif not live:
        note(f"reload requested (#{seq}); no node is running, it applies at the next start")
    for r in results if fmt != "json" else []:
        last = r["last_reload"] or {}
        if not r["seen"]:
            note(f"{r['node']}: has not picked up the request yet")
        elif last.get("ok"):
            v = last.get("versions") or {}
            note(f"{r['node']}: ok, live rules={v.get('rules')} flows={v.get('flows')}")
        else:
            note(f"{r['node']}: FAILED, previous set stays live\n" + "\n".join(
                last.get("errors") or []))
    if any(r["seen"] and not (r["last_reload"] or {}).get("ok") for r in results):
        exit_with(1)


@click.command("status")
@FORMAT_OPTION
@pass_app
def status_command(app: App, fmt: str) -> None:
    """Live rule and flow versions per node, last reload, queue lag, outbox backlog, counters.

    \b
    Examples:
      orderhub status
      orderhub status --format json
    """
    from ..service import state

    ws = app.workspace
    info = state.status(app.store.engine, ws.config.service.consumer)
    info["outbox_unconfigured"] = _unconfigured(app)
    if fmt == "json":
        echo_json(info)
        return
    tz = ws.config.timezone
    table("nodes", ["node", "mode", "state", "leader", "rules", "flows", "live since",
                    "last reload", "events"],
          [_node_row(n, tz) for n in info["nodes"] if n["alive"] or not n.get("stopped")][-20:]
          or [["(none running)", "", "", "", "", "", "", "", ""]])
    q = info["queue"]
    click.echo(f"queue ({info['consumer']}): {q['unprocessed']} unprocessed, oldest "
               f"{q['oldest_age_seconds']:.0f}s, {q['failed']} failed")
    click.echo("outbox: " + ", ".join(f"{k} {v}" for k, v in info["outbox"].items()))
    for kind, item in info["outbox_unconfigured"].items():
        click.echo(f"outbox: {item['waiting']} {kind} message(s) waiting: {item['reason']}")
    counters = info["counters"]
    click.echo("counters: " + (", ".join(f"{k} {v}" for k, v in sorted(counters.items()))
                               or "(none yet)"))
    for node in info["live"]:
        last = node.get("last_reload") or {}
        if last and not last.get("ok"):
            click.echo(f"\n{node['node']}: last reload FAILED ({last.get('reason')}):")
            click.echo("\n".join(last.get("errors") or []))


def _unconfigured(app: App) -> dict[str, dict[str, Any]]:
    """Channels with no endpoint configured, and how many messages wait for each."""
    import httpx

    from ..service.channels import build_channels
    from ..service.dispatcher import unconfigured_channels
    from ..service.outbox import Outbox

    with httpx.Client() as client:
        missing = unconfigured_channels(build_channels(app.workspace.config.service.channels,
                                                       client))
    box = Outbox(app.store.engine)
    return {kind: {"reason": reason, "waiting": box.waiting([kind])}
            for kind, reason in sorted(missing.items())}


def _node_row(n: dict[str, Any], tz: str) -> list[Any]:
    live = n.get("live") or {}
    last = n.get("last_reload") or {}
    since = _parse(live.get("since"))
    return [n["node"], n.get("mode"), "up" if n["alive"] else "gone",
            "yes" if n.get("leader") else "", live.get("rules"), live.get("flows"),
            local(since, tz) if since else "",
            ("ok" if last.get("ok") else "FAILED") + f" ({last.get('reason')})" if last else "",
            (n.get("counters") or {}).get("events", 0)]


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@click.group("outbox")
def outbox_group() -> None:
    """Outgoing messages (WeCom, SMS, WMS, logistics): list and retry.

    \b
    Examples:
      orderhub outbox list --status dead
      orderhub outbox retry 42
    """


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sending", "sent", "dead"]))
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def outbox_list(app: App, status: str | None, limit: int, fmt: str) -> None:
    """Messages, newest first.

    \b
    Examples:
      orderhub outbox list
      orderhub outbox list --status dead --format json
    """
    from ..service.outbox import Outbox

    box = Outbox(app.store.engine)
    found = box.list(status=status, limit=limit)
    total = box.count(status=status) if len(found) >= limit else len(found)
    title = shown(len(found), total, "message(s)", limit)
    if fmt == "json":
        for m in found:
            echo_json({k: getattr(m, k) for k in m.__dataclass_fields__})
        if len(found) < total:
            note(title)
        return
    tz = app.workspace.config.timezone
    table(title,
          ["id", "kind", "status", "attempts", "next attempt", "order", "key", "last error"],
          [[m.id, m.kind, m.status, m.attempts,
            local(m.next_attempt_at, tz) if m.status == "pending" else "", m.order_id,
            m.idempotency_key, (m.last_error or "")[:80]] for m in found])


@outbox_group.command("retry")
@click.argument("message_id", type=int)
@pass_app
def outbox_retry(app: App, message_id: int) -> None:
    """Send a dead message again now, with a fresh set of attempts.

    \b
    Examples:
      orderhub outbox list --status dead
      orderhub outbox retry 42
    """
    from ..service.outbox import Outbox

    m = Outbox(app.store.engine).retry(message_id, datetime.now(UTC))
    note(f"outbox {m.id} ({m.kind}) is pending again; a running service sends it shortly")


COMMANDS = [run_command, worker_command, reload_command, status_command, outbox_group]
