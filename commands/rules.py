"""``orderhub rules check|list|enable|disable|diff`` and ``orderhub dry-run``.

All of them are thin: the work is in :mod:`orderhub.engine.ruleset` and
:mod:`orderhub.engine.rulefile`.  ``dry-run`` and ``diff`` never write anything.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..cli import App, pass_app
from ..engine.dryrun import diff_decisions, dry_run_routes, order_label, sample_orders
from ..engine.fields import with_outcomes
from ..engine.rulefile import find_rule, lint, parse_time, set_enabled
from ..engine.ruleset import (
    Decision,
    RuleSet,
    arrival_order,
    load_rules,
    mark_suppressed,
    order_clock,
    rule_files,
)
from ..errors import SourceErrors
from ._output import FORMAT_OPTION, echo_json, flag, note, table
from ._reports import routes_table


def _rules_path(app: App, path: Path | str | None) -> Path:
    if path:
        return Path(path)
    return Path(app.workspace.content_dir("rules"))


def _tz(app: App) -> str:
    try:
        return str(app.workspace.config.timezone)
    except Exception:  # noqa: BLE001 - no workspace config: the default zone
        return "Asia/Shanghai"


def _recipients(app: App) -> Any:
    """The workspace's named recipients (``notify ... to "NAME"``); None without a workspace
    (then those of an orderhub.yaml beside the rules folder)."""
    from ..engine.recipients import Recipients

    try:
        return Recipients(app.workspace.config.recipients)
    except Exception:  # noqa: BLE001 - no workspace config
        return None


def _time(text: str | None, tz: str) -> datetime:
    if not text:
        return datetime.now(ZoneInfo(tz))
    try:
        return parse_time(text, ZoneInfo(tz))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("rules")
def rules_group() -> None:
    """Check, list and switch the risk rules (rules/*.rules).

    \b
    Examples:
      orderhub rules check
      orderhub rules list
      orderhub rules disable refund_within_10min
    """


@rules_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--at", "at", metavar="TIME", help="Judge windows at this time (default: now).")
@FORMAT_OPTION
@pass_app
def check_command(app: App, path: Path | None, at: str | None, fmt: str) -> None:
    """Check rule files: syntax, types, templates, embedded examples, and lint.

    Every error of every file is reported; the exit code is 1 when there is any.
    --format json prints one object: ok, errors and warnings (each with file, line, column,
    message, hint), and the rule, file and example counts.

    \b
    Examples:
      orderhub rules check
      orderhub rules check rules/risk.rules --at "2025-11-11 00:00"
      orderhub rules check --format json | jq -r '.errors[].message'
    """
    folder = _rules_path(app, path)
    tz = _tz(app)
    try:
        ruleset = load_rules(folder, timezone=tz, recipients=_recipients(app))
    except SourceErrors as exc:
        if fmt != "json":
            raise  # rendered by the CLI
        echo_json({"ok": False, "errors": [e.as_json() for e in exc.errors], "warnings": []})
        click.get_current_context().exit(exc.exit_code)
    warnings = lint(ruleset, _time(at, tz))
    examples = sum(len(r.node.examples) for r in ruleset)
    files = len(rule_files(folder))
    from ..fulfilment.holds import effects

    if fmt == "json":
        echo_json({"ok": True, "errors": [], "warnings": [w.as_json("warning") for w in warnings],
                   "rules": len(ruleset), "files": files, "examples": examples,
                   "version": ruleset.version, "effects": {r.id: effects(r) for r in ruleset}})
        return
    for w in warnings:
        flag("warning", "yellow", w.render().replace(": error: ", ": ", 1))
    for r in ruleset:  # which actions stop the order (blocks) and which only mark it
        note(f"  {r.id}: {effects(r)}")
    flag("ok", "green", f"{len(ruleset)} rule(s) in {files} file(s), {examples} example(s) "
         f"passed, {len(warnings)} warning(s); version {ruleset.version}")


@rules_group.command("list")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--at", "at", metavar="TIME", help="'active' at this time (default: now).")
@FORMAT_OPTION
@pass_app
def list_command(app: App, path: Path | None, at: str | None, fmt: str) -> None:
    """List rules: id, name, enabled, window, mode, and whether it is active now.

    \b
    Examples:
      orderhub rules list
      orderhub rules list --at "2025-11-11 10:00" --format json
    """
    tz = _tz(app)
    ruleset = load_rules(_rules_path(app, path), timezone=tz, run_examples=False)
    now = _time(at, tz)
    rows: list[dict[str, Any]] = [{
        "id": r.id, "name": r.name, "enabled": r.switched_on(now), "window": r.window_text(),
        "mode": r.mode, "active": r.active_at(now), "priority": r.priority,
        "tags": r.tags, "file": r.filename,
    } for r in ruleset]
    if fmt == "json":
        for row in rows:
            echo_json(row)
        return
    table(f"{len(rows)} rule(s), version {ruleset.version}",
          ["id", "name", "enabled", "window", "mode", "active now", "priority", "tags"],
          [[r["id"], r["name"], "yes" if r["enabled"] else "no", r["window"], r["mode"],
            "yes" if r["active"] else "no", r["priority"], ", ".join(r["tags"])]
           for r in rows])


@rules_group.command("reference")
@FORMAT_OPTION
@pass_app
def reference_command(app: App, fmt: str) -> None:
    """Every field and function rules may use, with its meaning (markdown tables).

    Printed from the tables the checker uses, so it lists exactly what `rules check`
    accepts; docs/rules.md carries the same tables (a test keeps them equal).  --format json
    prints {"fields": [...], "functions": [...]}.

    \b
    Examples:
      orderhub rules reference
      orderhub rules reference --format json | jq -r '.fields[].field'
    """
    from ..dsl.reference import field_rows, function_rows, markdown

    if fmt == "json":
        echo_json({"fields": field_rows(), "functions": function_rows()})
        return
    click.echo(markdown(), nl=False)


_RELATIVE = re.compile(r"^\+(\d+)\s*([dhm])$")


def _until(text: str, tz: str, now: datetime) -> datetime:
    """``--until``: a time, or ``+3d`` / ``+12h`` / ``+30m`` from now (docs age, offsets don't)."""
    rel = _RELATIVE.match(text.strip())
    if rel:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[rel.group(2)]
        return now + timedelta(**{unit: int(rel.group(1))})
    return _time(text, tz)


def switch_warnings(rule_id: str, enabled: bool, until: datetime | None, window_end: Any,
                    now: datetime) -> list[str]:
    """What makes a switch not do what it says: an ``--until`` already past (the rule is
    back to the opposite at once), or, switching on, a window that has ended."""
    found = []
    if until is not None and until <= now:
        state = "off" if enabled else "on"
        found.append(f"warning: --until {until:%Y-%m-%d %H:%M} is already past: rule {rule_id} "
                     f"stays {state} (give a later time, or e.g. --until +3d)")
    if enabled and isinstance(window_end, datetime):
        end = window_end if window_end.tzinfo else window_end.replace(tzinfo=now.tzinfo)
        if end <= now:
            found.append(f"warning: rule {rule_id}'s window ended {end:%Y-%m-%d %H:%M} "
                         "(`active ... until` in its file): it will not fire until that moves")
    return found


def _switch(app: App, rule_id: str, enabled: bool, until: str | None, path: Path | None) -> None:
    tz = _tz(app)
    now = datetime.now(ZoneInfo(tz))
    folder = _rules_path(app, path)
    when = _until(until, tz, now) if until else None
    _, rule, _ = find_rule(folder, rule_id)
    change = set_enabled(folder, rule_id, enabled, until=when, timezone=tz)
    note(f"{change.file}: rule {rule_id}: {change.before or '(default: enabled yes)'} -> "
         f"{change.after}")
    window_end = rule.active_until.value if rule.active_until is not None else None
    for warning in switch_warnings(rule_id, enabled, when, window_end, now):
        note(warning)


@rules_group.command("enable")
@click.argument("rule_id")
@click.option("--until", metavar="TIME",
              help="Only until then (e.g. the end of the promo; or +3d, +12h from now).")
@click.option("--rules", "path", type=click.Path(exists=True, path_type=Path))
@pass_app
def enable_command(app: App, rule_id: str, until: str | None, path: Path | None) -> None:
    """Switch a rule on (in its file, keeping comments; recorded in the audit log).

    \b
    Examples:
      orderhub rules enable vague_address
      orderhub rules enable promo_big_cold_order --until +3d
    """
    _switch(app, rule_id, True, until, path)


@rules_group.command("disable")
@click.argument("rule_id")
@click.option("--until", metavar="TIME", help="Only until then (or +2h, +1d); on again afterwards.")
@click.option("--rules", "path", type=click.Path(exists=True, path_type=Path))
@pass_app
def disable_command(app: App, rule_id: str, until: str | None, path: Path | None) -> None:
    """Switch a rule off (in its file, keeping comments; recorded in the audit log).

    \b
    Examples:
      orderhub rules disable vague_address
      orderhub rules disable vague_address --until +2h
    """
    _switch(app, rule_id, False, until, path)


# ---- dry runs ------------------------------------------------------------------------------


def _reveal(app: App, orders: list[Any]) -> Any:
    """Stored orders' receivers decrypted on demand (docs/pii.md), when shops are configured."""
    shops = app.workspace.config.shops
    if not shops or not orders:
        return None
    from ..service.pii import PiiGuard

    pii = PiiGuard(shops).reveal(orders)
    if pii.delayed:
        note(f"{len(pii.delayed)} order(s) not decrypted (decrypt quota): judged on the stored "
             "forms")
    return pii


def _samples(app: App, files: tuple[Path, ...], filters: dict[str, Any] | None
             ) -> tuple[list[Any], Any]:
    """The sample orders and their history; unreadable records are listed, not judged."""
    orders, history, rejects = sample_orders(app.workspace, files, filters)
    for r in rejects:
        flag("skipped", "red", f"{r.file}, record {r.record}: {r.reason}")
    return orders, history


def order_files(values: Iterable[str]) -> tuple[Path, ...]:
    """``--orders`` values as files: a glob (``"samples/orders/*.json"``, quoted so the shell
    left it alone) is expanded here, sorted; a name that is no file is refused."""
    import glob

    out: list[Path] = []
    for value in values:
        if glob.has_magic(value):
            found = sorted(Path(p) for p in glob.glob(value) if Path(p).is_file())
            if not found:
                raise click.BadParameter(f"no file matches {value!r}", param_hint="--orders")
            out += found
        elif Path(value).is_file():
            out.append(Path(value))
        else:
            raise click.BadParameter(f"file {value!r} does not exist", param_hint="--orders")
    return tuple(out)


def warn_unknown_skus(app: App, orders: list[Any]) -> None:
    """A warning per SKU the catalog does not have: its lines weigh nothing and are not cold
    chain for the rules (null), which an analyst adding weights must know."""
    catalog = app.workspace.catalog
    for sku, labels in sorted(catalog.unknown(orders).items()):
        more = f" and {len(labels) - 1} more" if len(labels) > 1 else ""
        flag("warning", "yellow",
             f"SKU {sku!r} is not in {app.workspace.config.catalog} ({labels[0]}{more}): "
             "its lines have no weight_kg, cold_chain or other catalog attribute (null, "
             "not 0)")


def _print_decisions(decisions: list[Decision], fmt: str, ruleset: RuleSet,
                     routes: list[Any] | None = None, *, show_all: bool = False,
                     suppressed: int = 0) -> None:
    """JSON Lines: one object per order.  Table: a one-line summary, hits per rule, and the
    orders where something fired or failed (every order with ``show_all``)."""
    if fmt == "json":
        for i, d in enumerate(decisions):
            route = {"route": routes[i].as_json()} if routes else {}
            echo_json({**route,
                "platform": d.platform, "platform_order_no": d.platform_order_no,
                "order_id": d.order_id,
                "fired": [{"rule": f.rule, "name": f.name, "mode": f.mode,
                           "actions": [a.as_json() for a in f.actions],
                           "why": f.why} for f in d.fired],
                "errors": d.errors,
            })
        return
    hits = hit_counts(decisions)
    errors = sum(len(d.errors) for d in decisions)
    shown = [d for d in decisions if show_all or d.fired or d.errors]
    rows = []
    for d in shown:
        if not d.fired and not d.errors:
            rows.append([order_label(d), "", "", ""])
        for f in d.fired:
            shadow = " (shadow)" if f.mode == "shadow" else ""
            rows.append([order_label(d), f"{f.name} ({f.rule}){shadow}",
                         "\n".join(a.summary() for a in f.actions), "\n".join(f.why)])
        for e in d.errors:
            rows.append([order_label(d), "[error]", e, ""])
    quiet = len(decisions) - len(shown)
    title = (f"dry-run: {len(shown)} order(s) listed" if show_all else
             f"dry-run: the {len(shown)} order(s) where a rule fired"
             + (f" ({quiet} without hits not listed; --all lists them)" if quiet else ""))
    if rows:
        table(title, ["order", "rule", "would do", "why"], rows)
    table("hits per rule", ["rule", "name", "hits"],
          [[r.id, r.name, hits.get(r.id, 0)] for r in ruleset])
    click.echo(f"{len(decisions)} orders, {sum(hits.values())} hits, {len(hits)} of "
               f"{len(ruleset)} rules fired" + (f", {errors} errors" if errors else "")
               + (f", {suppressed} action(s) a dedup window would suppress" if suppressed
                  else "")
               + f" (rules {ruleset.version}; nothing was written)")


def hit_counts(decisions: Iterable[Decision]) -> Counter[str]:
    """How many orders each rule fired on."""
    return Counter(f.rule for d in decisions for f in d.fired)


def near_misses(decisions: list[Decision], orders: list[Any], ruleset: RuleSet, rule_id: str,
                ctx: Any, *, every_miss: bool = False, replay: bool = False
                ) -> tuple[list[tuple[Decision, list[str]]], int]:
    """The orders ``rule_id`` nearly fired on, each with the values of every test, and the
    number of orders it missed.  Near: every test of its condition held but one (the rule's
    window counts as a test); that one, when it compares numbers, missed by at most 1 or 10%,
    and otherwise at least one other test held (a one-test rule's plain "no" is no near
    miss).  ``every_miss``: every order it missed."""
    rule = ruleset.get(rule_id)
    fallback = ctx.now
    found, misses = [], 0
    for d, order in zip(decisions, orders, strict=True):
        if any(f.rule == rule_id for f in d.fired):
            continue
        misses += 1
        ctx.now = order_clock(order, fallback) if replay else fallback
        active = rule.active_at(ctx.now)
        tests = ruleset.explain_tests(rule_id, order, ctx)
        reason = [line for line, _, _ in tests]
        failed = [close for _, held, close in tests if not held]
        held = len(tests) - len(failed)
        if not active:
            state = f"enabled: {rule.switched_on(ctx.now)}, window: {rule.window_text()}"
            reason.insert(0, f"rule not active at {ctx.now:%Y-%m-%d %H:%M} ({state})")
            failed.append(None)
        near = len(failed) == 1 and (failed[0] is True or (failed[0] is None and held > 0))
        if every_miss or near:
            found.append((d, reason))
    ctx.now = fallback
    return found, misses


def _why_not(decisions: list[Decision], orders: list[Any], ruleset: RuleSet, rule_id: str,
             ctx: Any, fmt: str, every_miss: bool = False, replay: bool = False) -> None:
    rule = ruleset.get(rule_id)
    found, misses = near_misses(decisions, orders, ruleset, rule_id, ctx, every_miss=every_miss,
                                replay=replay)
    if fmt == "json":
        for d, reason in found:
            echo_json({"platform": d.platform, "platform_order_no": d.platform_order_no,
                       "order_id": d.order_id, "rule": rule_id, "why_not": reason})
        return
    table(f"why rule {rule_id} ({rule.name}) did not fire", ["order", "why not"],
          [[order_label(d), "\n".join(reason)] for d, reason in found])
    click.echo(f"every one of the {misses} order(s) it missed" if every_miss else
               f"{len(found)} near miss(es) (every test but one held) of the {misses} order(s) "
               "it missed; --all lists every miss")


DRY_RUN_HELP = """Run the rules over sample orders and show what they would do, and why.

Writes nothing: not the store, not the outbox, not the rule files.

\b
Examples (from the repository root; no workspace needed, the packaged rules are used):
  orderhub dry-run --orders examples/orders/*.json --at "2025-11-26 09:00"
  orderhub dry-run --orders examples/orders/taobao.json --why-not purchase_limit
  orderhub -w myshop dry-run --store --since 2025-11-25 --format json > hits.jsonl
  orderhub -w myshop dry-run --orders "samples/orders/*.json" --no-flows

The table lists the orders where a rule fired (--all: every order), hits per rule, and a
summary line.  --format json prints one JSON object per order (platform, platform_order_no,
order_id, fired: [{rule, name, actions, why}]).

With a flows/ folder (or --flows) the orders are routed too, as the rules left them (what
they set, their flags and holds); --no-flows judges with the rules only.

History functions (orders by this phone that day...) count the sample orders together with the
workspace's stored orders, each (platform, order number) once.

Time is replayed: each order is judged at its own time (when it was placed), in arrival order,
as the service would have judged it.  Promo windows, "today", now() and once-per-window keys
follow that time, an action whose dedup window an earlier order already used is marked
"suppressed" (JSON: "suppressed_by"), and routing's daily load starts afresh each day.
--at TIME judges every order at that one clock instead ("judge all now").
"""


@click.command("dry-run", help=DRY_RUN_HELP)
@click.argument("more_files", nargs=-1, metavar="[FILE]...",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--orders", "files", multiple=True, callback=lambda _c, _p, v: order_files(v),
              help="Order files (platform JSON/CSV/xlsx exports); repeatable, and a glob, "
                   "quoted or not (--orders \"examples/orders/*.json\"): further files may "
                   "follow.")
@click.option("--store", "use_store", is_flag=True, help="Use orders from the store instead.")
@click.option("--platform", help="With --store: only this platform.")
@click.option("--since", metavar="TIME", help="With --store: created at or after.")
@click.option("--until", metavar="TIME", help="With --store: created before.")
@click.option("--limit", type=int, default=1000, show_default=True, help="With --store.")
@click.option("--rules", "rules_path", type=click.Path(exists=True, path_type=Path),
              help="Rule file or folder (default: the workspace's rules, else the packaged "
                   "ones).")
@click.option("--at", "at", metavar="TIME",
              help="Judge every order at this one clock, e.g. \"2025-11-26 09:00\" in the "
                   "shop's timezone (default: each order at its own time).")
@click.option("--why-not", "why_not", metavar="RULE",
              help="Explain RULE's near misses: orders where every test but one held.")
@click.option("--all", "show_all", is_flag=True,
              help="Table: list every order, not only those where a rule fired.")
@click.option("--flows", "flows_path", type=click.Path(exists=True, path_type=Path),
              help="Also route the orders through these flows (default: the workspace's own "
                   "flows/, when it has one).")
@click.option("--no-flows", "no_flows", is_flag=True,
              help="Judge with the rules only: route nothing, even with a flows/ folder.")
@FORMAT_OPTION
@pass_app
def dry_run_command(app: App, more_files: tuple[Path, ...], files: tuple[Path, ...],
                    use_store: bool, platform: str | None, since: str | None, until: str | None,
                    limit: int, rules_path: Path | None, at: str | None, why_not: str | None,
                    show_all: bool, flows_path: Path | None, no_flows: bool, fmt: str) -> None:
    files = files + more_files
    if flows_path is not None and (no_flows or not flows_path.is_dir()
                                   and not flows_path.is_file()):
        raise click.UsageError("to route nothing, give --no-flows (not --flows); --flows "
                               "takes a flow file or folder")
    if bool(files) == use_store:
        raise click.UsageError("give --orders FILE... or --store (one of them)")
    tz = _tz(app)
    ruleset = load_rules(_rules_path(app, rules_path), timezone=tz,
                         recipients=_recipients(app))
    if why_not and why_not not in {r.id for r in ruleset}:
        raise click.BadParameter(f"no rule {why_not!r}", param_hint="--why-not")
    filters = {"platform": platform, "since": _time(since, tz) if since else None,
               "until": _time(until, tz) if until else None, "limit": limit}
    orders, history = _samples(app, files, filters if use_store else None)
    warn_unknown_skus(app, orders)
    pii = _reveal(app, orders) if use_store else None
    if pii is not None:  # receivers decrypted in memory; what is printed is masked
        orders = [pii.clear_order(o) for o in orders]
        history = pii.history(history)
    ctx = ruleset.context(now=_time(at, tz), history=history)
    assert ctx.now is not None  # ruleset.context sets the clock
    replay = at is None  # each order at its own time; --at: every order at that one clock
    if replay:
        orders = arrival_order(orders, ctx.now)
        decisions = ruleset.evaluate_replay(orders, ctx)
    else:
        decisions = ruleset.evaluate_batch(orders, ctx)
    suppressed = mark_suppressed(decisions)
    if pii is not None:
        decisions = [pii.scrub_model(o.id, d) for o, d in zip(orders, decisions, strict=True)]
    clock = "each order at its own time" if replay else f"clock {ctx.now:%Y-%m-%d %H:%M %Z}"
    note(f"{len(orders)} order(s), {len(ruleset)} rule(s), {clock}, "
         f"{ctx.queries} history quer{'y' if ctx.queries == 1 else 'ies'}")
    if why_not:
        _why_not(decisions, orders, ruleset, why_not, ctx, fmt, every_miss=show_all,
                 replay=replay)
        return
    from ..fulfilment.holds import kind_for

    routes = None if no_flows else dry_run_routes(
        app.workspace, [with_outcomes(o, d.actions, kind_for)
                        for o, d in zip(orders, decisions, strict=True)],
        flows_path, ctx.now, history, replay=replay)
    if pii is not None and routes:
        routes = [pii.scrub_model(o.id, r) for o, r in zip(orders, routes, strict=True)]
    _print_decisions(decisions, fmt, ruleset, routes, show_all=show_all, suppressed=suppressed)
    if routes and fmt != "json":
        routes_table(routes)


@rules_group.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--orders", "files", multiple=True, type=click.Path(exists=True, path_type=Path))
@click.option("--store", "use_store", is_flag=True)
@click.option("--since", metavar="TIME")
@click.option("--until", metavar="TIME")
@click.option("--limit", type=int, default=10000, show_default=True)
@click.option("--at", "at", metavar="TIME",
              help="One clock for every order (default: each order at its own time).")
@FORMAT_OPTION
@pass_app
def diff_command(app: App, old: Path, new: Path, files: tuple[Path, ...], use_store: bool,
                 since: str | None, until: str | None, limit: int, at: str | None,
                 fmt: str) -> None:
    """Run two versions of the rules over the same orders; show what changes. Writes nothing.

    \b
    Examples:
      orderhub rules diff rules-old/ rules/ --orders last-week.json
      orderhub rules diff rules-old/ rules/ --store --since "2025-11-01" --format json
    """
    if bool(files) == use_store:
        raise click.UsageError("give --orders FILE... or --store (one of them)")
    tz = _tz(app)
    before, after = load_rules(old, timezone=tz), load_rules(new, timezone=tz)
    filters = {"platform": None, "since": _time(since, tz) if since else None,
               "until": _time(until, tz) if until else None, "limit": limit}
    orders, history = _samples(app, files, filters if use_store else None)
    now = _time(at, tz)
    if at is None:  # each order at its own time, as dry-run does
        orders = arrival_order(orders, now)
        a = before.evaluate_replay(orders, before.context(now=now, history=history),
                                   explain=False)
        b = after.evaluate_replay(orders, after.context(now=now, history=history), explain=False)
    else:
        a = before.evaluate_batch(orders, before.context(now=now, history=history),
                                  explain=False)
        b = after.evaluate_batch(orders, after.context(now=now, history=history), explain=False)
    result = diff_decisions(a, b)
    if fmt == "json":
        for row in result["orders"]:
            echo_json(row)
        echo_json({"hits": result["hits"]})
        return
    table(f"{len(result['orders'])} order(s) change ({before.version} -> {after.version})",
          ["order", "no longer fires", "newly fires"],
          [[r["order"], ", ".join(r["removed"]), ", ".join(r["added"])]
           for r in result["orders"]])
    table("hits per rule", ["rule", "old", "new", "change"],
          [[k, v["old"], v["new"], f"{v['new'] - v['old']:+d}"]
           for k, v in sorted(result["hits"].items())])


COMMANDS = [rules_group, dry_run_command]

__all__ = ["COMMANDS", "SourceErrors", "dry_run_command", "rules_group"]
