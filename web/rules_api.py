"""What the Rules page does, as plain functions over the engine (the routes only render).

Switching reuses :func:`orderhub.engine.rulefile.set_enabled`, the CLI's comment-preserving
edit (and its ``.audit.log``); saving a file runs the service's hot-reload check
(:func:`orderhub.service.rules_and_flows.rules_and_flows`) on a copy of the rules folder with
the new text, and writes the file only when that passes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..engine.rulefile import Change, parse_time, set_enabled
from ..engine.ruleset import Decision, RuleSet, build_ruleset, load_rules, rule_files
from ..errors import NotFound, OrderhubError, SourceError, SourceErrors


class InputError(OrderhubError):
    """A value typed into a form that cannot be used (a time, a number); 400 with the reason."""


def when(text: str | None, tz: ZoneInfo) -> datetime | None:
    """A time typed by a person (shop time without an offset), or None for an empty field."""
    if not text or not text.strip():
        return None
    try:
        return parse_time(text, tz)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Problem:
    """One error, placed: file, line and column, message and hint."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str | None = None

    @property
    def where(self) -> str:
        return ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)


def problems(exc: OrderhubError) -> list[Problem]:
    errors = exc.errors if isinstance(exc, SourceErrors) else [exc]
    out = []
    for e in errors:
        if isinstance(e, SourceError) and e.span is not None:
            out.append(Problem(Path(e.span.filename).name, e.span.line, e.span.column,
                               e.message, e.hint))
        else:
            out.append(Problem("", None, None, str(e)))
    return out


def rules_folder(ws: Any) -> Path:
    return Path(ws.content_dir("rules"))


def now_in(ws: Any) -> datetime:
    return datetime.now(ZoneInfo(ws.config.timezone))


def rule_rows(ruleset: RuleSet, now: datetime) -> list[dict[str, Any]]:
    """The columns of ``orderhub rules list``."""
    return [{
        "id": r.id, "name": r.name, "enabled": r.switched_on(now), "window": r.window_text(),
        "mode": r.mode, "active": r.active_at(now), "priority": r.priority, "tags": r.tags,
        "file": Path(r.filename).name,
    } for r in ruleset]


@dataclass
class RulesView:
    rows: list[dict[str, Any]] = field(default_factory=list)
    version: str | None = None
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def overview(ws: Any) -> RulesView:
    """The rules and their state now; a broken folder gives its errors instead."""
    folder = rules_folder(ws)
    files = [f.name for f in rule_files(folder)]
    try:
        ruleset = load_rules(folder, timezone=ws.config.timezone, run_examples=False)
    except SourceErrors as exc:
        return RulesView(files=files, problems=problems(exc))
    return RulesView(rule_rows(ruleset, now_in(ws)), ruleset.version, files)


def switch(ws: Any, rule_id: str, enabled: bool, until: str | None, who: str) -> Change:
    """``orderhub rules enable|disable RULE [--until T]``, as user ``who``."""
    return set_enabled(rules_folder(ws), rule_id, enabled,
                       until=when(until, ZoneInfo(ws.config.timezone)), who=who,
                       timezone=ws.config.timezone)


def file_path(ws: Any, name: str) -> Path:
    """A rule file of the workspace by its name (never a path outside the rules folder)."""
    for f in rule_files(rules_folder(ws)):
        if f.name == name:
            return f
    raise NotFound(f"no rule file {name!r}")


def read_file(ws: Any, name: str) -> str:
    return file_path(ws, name).read_text(encoding="utf-8")


def check_edit(ws: Any, name: str, text: str) -> list[Problem]:
    """The hot-reload check on the rules folder as it would be with ``name`` = ``text``."""
    from ..service.rules_and_flows import rules_and_flows

    target = file_path(ws, name)
    with tempfile.TemporaryDirectory(prefix="orderhub-rules-") as tmp:
        copy = Path(tmp) / "rules"
        shutil.copytree(rules_folder(ws), copy)
        (copy / target.relative_to(rules_folder(ws))).write_text(text, encoding="utf-8")
        try:
            rules_and_flows(_RulesOverride(ws, copy))
        except OrderhubError as exc:
            return problems(exc)  # names without their folder: the copy does not show
    return []


class _RulesOverride:
    """The workspace, but with its rules folder elsewhere (the check's scratch copy)."""

    def __init__(self, ws: Any, rules: Path) -> None:
        self._ws = ws
        self._rules = rules

    def content_dir(self, kind: str) -> Path:
        return self._rules if kind == "rules" else Path(self._ws.content_dir(kind))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


def save_file(ws: Any, name: str, text: str) -> tuple[str, list[Problem]]:
    """Write ``text`` to rule file ``name`` when the check passes; returns (old text, problems).
    Nothing is written when there are problems."""
    text = text.replace("\r\n", "\n")
    found = check_edit(ws, name, text)
    path = file_path(ws, name)
    before = path.read_text(encoding="utf-8")
    if not found:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return before, found


@dataclass
class DryRun:
    orders: int
    at: datetime
    version: str
    hits: dict[str, int]
    rules: list[tuple[str, str]]
    rows: list[tuple[Any, Decision]]
    why_not: list[tuple[Any, list[str]]] = field(default_factory=list)


def dry_run(ws: Any, store: Any, *, last: int = 200, at: str | None = None,
            edited: dict[str, str] | None = None, why_not: str | None = None) -> DryRun:
    """The live (or edited) rules over the last ``last`` stored orders; writes nothing.
    Raises :class:`SourceErrors` for an edited set that does not check."""
    tz = ZoneInfo(ws.config.timezone)
    folder = rules_folder(ws)
    if edited:
        sources = {str(f): f.read_text(encoding="utf-8") for f in rule_files(folder)}
        for name, text in edited.items():
            sources[str(file_path(ws, name))] = text.replace("\r\n", "\n")
        ruleset = build_ruleset(sources, timezone=ws.config.timezone)
    else:
        ruleset = load_rules(folder, timezone=ws.config.timezone)
    if why_not and why_not not in {r.id for r in ruleset}:
        raise NotFound(f"no rule {why_not!r}")
    total = store.count()
    orders = store.list(offset=max(0, total - last), limit=last)
    ctx = ruleset.context(now=when(at, tz) or now_in(ws), history=store)
    decisions = ruleset.evaluate_batch(orders, ctx)
    now = ctx.now
    assert now is not None
    hits: dict[str, int] = {}
    for d in decisions:
        for f in d.fired:
            hits[f.rule] = hits.get(f.rule, 0) + 1
    result = DryRun(len(orders), now, ruleset.version, hits,
                    [(r.id, r.name) for r in ruleset],
                    [(o, d) for o, d in zip(orders, decisions, strict=True) if d.fired])
    if why_not:
        rule = ruleset.get(why_not)
        for o, d in zip(orders, decisions, strict=True):
            if any(f.rule == why_not for f in d.fired):
                continue
            reason = ruleset.explain(why_not, o, ctx)
            if not rule.active_at(now):
                reason.insert(0, f"rule not active at {now:%Y-%m-%d %H:%M} "
                              f"(enabled: {rule.switched_on(now)}, window: "
                              f"{rule.window_text()})")
            result.why_not.append((o, reason))
    return result
