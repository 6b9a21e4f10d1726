"""Risk rules: load ``*.rules`` files, evaluate orders, explain decisions.

``load_rules(path)`` parses and checks every file (all errors of all files at once, raised as
:class:`SourceErrors`) and runs each rule's embedded examples; the rule language's compiler
(:class:`orderhub.dsl.compiler.RuleCode`) generates the Python, one function per set of active
rules.  :class:`RuleSet` evaluates with it: ``evaluate_batch`` fetches the history every rule of
the batch needs in one query per window, runs the matcher on each order, and builds decisions
only for what fired: actions planned (texts rendered once), explanations when asked for.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ..dsl import nodes as n
from ..dsl.checker import Checker
from ..dsl.compiler import ExplainPart, Matcher, RuleCode, python_value, rule_error
from ..dsl.context import EvalContext, HistorySource
from ..dsl.lists import EMPTY as EMPTY_LISTS
from ..dsl.lists import ListSet, load_lists
from ..dsl.parser import parse_rulefile
from ..dsl.sourcetext import read_source
from ..dsl.types import ExprType, RecordType, order_record
from ..dsl.yamlfile import suggest
from ..errors import SourceError, SourceErrors, SourceSpan
from ..gcpause import paused_gc
from ..model import DEFAULT_TZ
from .recipients import NOTIFY_CHANNELS, Address, Recipients, did_you_mean, read_recipients
from .rule_actions import ActionSpec, PlannedAction, order_time


class _Why:
    """A fired rule's ``why``, built on first read.  A batch plans every fired rule's actions
    at once (the outbox needs their texts), but most explanations are never read (the service
    records actions; ``rules diff``, the demo and a migration sample count hits): the lines are
    made when read, once, and kept.  Reading any field (``repr``, ``==``,
    ``dataclasses.replace``) builds them, so a copy holds the lines, not the promise."""

    @overload
    def __get__(self, obj: None, owner: Any = None) -> None: ...

    @overload
    def __get__(self, obj: FiredRule, owner: Any = None) -> list[str]: ...

    def __get__(self, obj: FiredRule | None, owner: Any = None) -> list[str] | None:
        if obj is None:
            return None  # the field's default: nothing to explain
        state = obj.__dict__
        lines = state.get("_why")
        if lines is None:
            explain = state.pop("_explain", None)
            lines = state["_why"] = explain() if explain is not None else []
        return lines  # type: ignore[no-any-return]

    def __set__(self, obj: FiredRule, value: list[str] | None) -> None:
        obj.__dict__["_why"] = value


@dataclass(eq=True)
class FiredRule:
    """A rule that fired on an order: its planned actions and why (see :class:`_Why`)."""

    rule: str
    name: str
    priority: int = 0
    mode: str = "live"
    actions: list[PlannedAction] = field(default_factory=list)
    why: _Why = _Why()

    def explain_later(self, explain: Callable[[], list[str]]) -> None:
        """Build ``why`` with ``explain()`` when it is first read."""
        self.__dict__["_why"] = None
        self.__dict__["_explain"] = explain


@dataclass(slots=True)
class Decision:
    """What the rules decided for one order: the rules that fired, in priority order.

    Plain data (a slotted dataclass, not a validated model): a batch makes one per order, and
    most orders fire nothing."""

    platform: str | None = None
    platform_order_no: str | None = None
    order_id: str | None = None
    fired: list[FiredRule] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: the version (hash) of the lists/ folder that judged the order (None: no lists)
    lists_version: str | None = None

    @property
    def actions(self) -> list[PlannedAction]:
        return [a for f in self.fired for a in f.actions]


@dataclass(eq=False)
class Rule:
    """One checked rule.  Times are aware datetimes in the shop's timezone."""

    id: str
    name: str
    node: n.RuleNode
    filename: str
    source: str
    priority: int = 0
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    enabled_until: datetime | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None
    mode: str = "live"
    description: str | None = None
    actions: list[ActionSpec] = field(default_factory=list)

    @property
    def condition(self) -> n.Expr:
        assert self.node.when is not None
        return self.node.when

    @property
    def span(self) -> SourceSpan:
        return SourceSpan(self.filename, self.node.pos.line, self.node.pos.column)

    def text(self, node: n.Expr | n.Pos) -> str:
        pos = node if isinstance(node, n.Pos) else node.pos
        return " ".join(self.source[pos.start:pos.end].split())

    def switched_on(self, now: datetime) -> bool:
        """The enabled flag, with its optional ``until`` applied."""
        if self.enabled_until is None:
            return self.enabled
        return self.enabled if now < self.enabled_until else not self.enabled

    def in_window(self, now: datetime) -> bool:
        if self.active_from is not None and now < self.active_from:
            return False
        return not (self.active_until is not None and now >= self.active_until)

    def active_at(self, now: datetime) -> bool:
        return self.switched_on(now) and self.in_window(now)

    def window_text(self) -> str:
        if self.active_from is None and self.active_until is None:
            return "always"
        fmt = "%Y-%m-%d %H:%M"
        start = self.active_from.strftime(fmt) if self.active_from else "…"
        end = self.active_until.strftime(fmt) if self.active_until else "…"
        return f"{start} → {end}"


class RuleSet:
    """Checked, compiled rules.  ``version`` is a hash of the sources and of the lists they
    read: two loads of the same files give the same version, and a changed list is a new one."""

    def __init__(self, rules: list[Rule], *, root: RecordType, tz: tzinfo,
                 sources: dict[str, str], lists: ListSet | None = None) -> None:
        self.rules = sorted(rules, key=lambda r: -r.priority)
        self.root = root
        self.tz = tz
        self.sources = sources
        self.lists = lists if lists is not None else EMPTY_LISTS
        digest = hashlib.sha256()
        for name in sorted(sources):
            digest.update(Path(name).name.encode() + b"\0" + sources[name].encode() + b"\0")
        if self.lists.version is not None:
            digest.update(b"lists\0" + self.lists.version.encode())
        self.version = digest.hexdigest()[:12]
        self._by_id = {r.id: r for r in self.rules}
        self._index = {r.id: i for i, r in enumerate(self.rules)}
        self.code = RuleCode(root, [r.id for r in self.rules], [r.condition for r in self.rules],
                             [[a.node for a in r.actions] for r in self.rules])
        self._lines: dict[str, list[_Line]] = {}

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def context(self, *, now: datetime | None = None, history: HistorySource | None = None,
                variables: dict[str, Any] | None = None) -> EvalContext:
        return EvalContext(now=now, history=history, variables=variables or {}, timezone=self.tz,
                           lists=self.lists)

    def active(self, now: datetime) -> tuple[int, ...]:
        """The indexes of the rules switched on and in their window at ``now``."""
        return tuple(i for i, r in enumerate(self.rules) if r.active_at(now))

    def matcher(self, now: datetime) -> Matcher:
        """One generated function testing every rule active at ``now``: ``match(order, ctx,
        errors=None)`` returns the ids of the rules that fired (see
        :data:`orderhub.dsl.compiler.Matcher`)."""
        return self.code.matcher(self.active(now))

    # ---- evaluation
    def prefetch(self, orders: Sequence[Any], ctx: EvalContext, rules: Iterable[int],
                 clocks: Sequence[datetime] | None = None) -> None:
        """One history query per (function, window) for the whole batch (``orders_today``:
        one per calendar day the batch's orders were placed on).  ``clocks``: each order's
        own clock (a replayed dry-run), which ``upto_now=true`` windows end at."""
        wanted = set(rules)
        windows: dict[str, dict[str, list[tuple[datetime, datetime | None]]]] = {
            "times": defaultdict(list), "orders": defaultdict(list)}
        now = ctx.now
        for call in self.code.history:
            if call.rule not in wanted:
                continue
            by_phone, plan, args_of = windows[call.builtin.fetch], call.builtin.plan, call.args
            for k, order in enumerate(orders):
                if clocks is not None:
                    ctx.now = clocks[k]
                try:
                    args = args_of(order, ctx)
                    if args and args[0]:
                        by_phone[args[0]].append(plan(ctx, order, *args))
                except Exception:  # noqa: BLE001 - the rule reports it when it runs
                    continue
        ctx.now = now
        times, found = windows["times"], windows["orders"]
        if times and found and ctx.times_with_orders(dict(times), dict(found)):
            return
        for kind, by_phone in windows.items():
            if by_phone and not ctx.prefetch_history(kind, dict(by_phone)) and kind == "times":
                groups: dict[tuple[datetime, datetime | None], set[str]] = defaultdict(set)
                for phone, spans in by_phone.items():  # a source of counts only
                    for span in spans:
                        groups[span].add(phone)
                for (since, until), phones in groups.items():
                    ctx.prefetch(since, until, phones)

    def evaluate(self, order: Any, ctx: EvalContext | None = None, **kw: Any) -> Decision:
        return self.evaluate_batch([order], ctx, **kw)[0]

    def evaluate_batch(self, orders: Sequence[Any], ctx: EvalContext | None = None, *,
                       now: datetime | None = None, history: HistorySource | None = None,
                       explain: bool = True) -> list[Decision]:
        """Decisions for many orders at one clock; history comes in one query per window.

        ``explain=False`` leaves every ``why`` empty (the service, ``rules diff``): the
        explanation is what costs most once a rule fires, and only people read it."""
        ctx = ctx or self.context(now=now, history=history)
        assert ctx.now is not None
        if ctx.lists is EMPTY_LISTS:
            ctx.lists = self.lists
        active = self.active(ctx.now)
        match = self.code.matcher(active)
        # a batch's history records and decisions all live until it returns and make no
        # cycles: the cyclic collector would only re-scan them (as in ingest and routing)
        with paused_gc():
            self.prefetch(orders, ctx, active)
            return [self._decide(order, ctx, match, explain) for order in orders]

    def evaluate_replay(self, orders: Sequence[Any], ctx: EvalContext, *,
                        explain: bool = True) -> list[Decision]:
        """Each order judged at its own time, as the service would have judged it when it
        arrived: windows (``active from ... until``), ``now()``, ``today()`` and ``upto_now``
        history follow the order's creation time (``ctx.now`` for an order without one).
        History still comes in one query per window for the whole batch; the decisions are in
        the order given (pass the orders in arrival order, see :func:`arrival_order`).
        Explanations are built at once, at each order's own clock."""
        assert ctx.now is not None
        if ctx.lists is EMPTY_LISTS:
            ctx.lists = self.lists
        fallback = ctx.now
        clocks = [order_clock(o, fallback) for o in orders]
        active = sorted({i for t in set(clocks) for i, r in enumerate(self.rules)
                         if r.active_at(t)})
        self.prefetch(orders, ctx, active, clocks)
        out = []
        try:
            for order, clock in zip(orders, clocks, strict=True):
                ctx.now = clock
                out.append(self._decide(order, ctx, self.matcher(clock), explain,
                                        later=False))
        finally:
            ctx.now = fallback
        return out

    def _decide(self, order: Any, ctx: EvalContext, match: Matcher, explain: bool,
                later: bool = True) -> Decision:
        """One order's decision: the rules ``match`` finds, their actions planned, their why
        (built on first read when ``later``), and every failure in the decision's errors."""
        errors: list[str] = []
        fired = match(order, ctx, errors)
        platform, number, order_id = _identity(order)
        decision = Decision(platform, number, order_id, [], errors, ctx.lists.version)
        for rule_id in fired:
            decision.fired.append(self._fire(self._index[rule_id], order, ctx, errors,
                                             explain, later))
        return decision

    def _fire(self, i: int, order: Any, ctx: EvalContext, errors: list[str],
              explain: bool, later: bool) -> FiredRule:
        rule = self.rules[i]
        fired = FiredRule(rule.id, rule.name, rule.priority, rule.mode,
                          self._plan(i, order, ctx, errors))
        if explain and later:
            fired.explain_later(partial(self.explain, rule.id, order, ctx))
        elif explain:
            fired.why = self.explain(rule.id, order, ctx)
        return fired

    def _plan(self, i: int, order: Any, ctx: EvalContext, errors: list[str]
              ) -> list[PlannedAction]:
        """Rule ``i``'s actions for ``order``.  An action that cannot be planned for this order
        (its template fails on this order's data) is left out and reported in ``errors`` (the
        decision's), so one bad order never stops a batch."""
        rule = self.rules[i]
        out = []
        for j, action in enumerate(rule.actions):
            dedup_fn = self.code.dedup.get((i, j))
            value_fn = self.code.values.get((i, j))
            try:
                out.append(action.plan(order, ctx, rule,
                                       dedup_fn(order, ctx) if dedup_fn else None,
                                       value_fn(order, ctx) if value_fn else None))
            except Exception as exc:  # noqa: BLE001 - reported with the order, batch goes on
                errors.append(rule_error(f"{rule.id} (action {j + 1}, {action.kind})", exc))
        return out

    def test(self, rule_id: str, order: Any, ctx: EvalContext) -> bool:
        """Whether the rule's condition holds, whatever its enabled flag and window say."""
        return bool(self.code.tests[self._index[rule_id]](order, ctx))

    def explain(self, rule_id: str, order: Any, ctx: EvalContext) -> list[str]:
        """The values that decided each test of the rule's condition, e.g.
        ``orders_today(receiver.phone) = 1, needs >= 2 → no``."""
        return [line for line, _, _ in self._explain(rule_id, order, ctx, False)]

    def explain_tests(self, rule_id: str, order: Any, ctx: EvalContext
                      ) -> list[tuple[str, bool, bool | None]]:
        """:meth:`explain`'s lines, each with whether its test held (an error: False) and,
        for a comparison of numbers, whether it is close: at most 1 or 10% of the bound away
        (None for other tests).  Dry-run's ``--why-not`` lists near misses from it."""
        return self._explain(rule_id, order, ctx, True)

    def _explain(self, rule_id: str, order: Any, ctx: EvalContext, near: bool
                 ) -> list[tuple[str, bool, bool | None]]:
        lines = self._lines.get(rule_id)
        if lines is None:
            rule = self._by_id[rule_id]
            lines = self._lines[rule_id] = [_Line.of(rule, part) for part in
                                            self.code.explainer(self._index[rule_id])]
        return [line.explain(order, ctx, near) for line in lines]


@dataclass(frozen=True)
class _Line:
    """How one test of a rule's condition is explained: its compiled parts and the rule's
    texts around the values, cut out of the source once."""

    part: ExplainPart
    rule: Rule
    shape: str  # "test" | "list" | "literal" | "let" | "fields"
    whole: str
    left: str = ""
    right: str = ""

    @staticmethod
    def of(rule: Rule, part: ExplainPart) -> _Line:
        atom = part.atom
        if part.left is None or part.right is None or not isinstance(atom, n.Compare):
            return _Line(part, rule, "test", rule.text(atom))
        shape = ("list" if _list_side(atom.right) is not None
                 else "literal" if isinstance(atom.right, n.Literal | n.ListLit)
                 else "let" if _is_let(atom.right) else "fields")
        return _Line(part, rule, shape, rule.text(atom), rule.text(atom.left),
                     rule.text(atom.right))

    def explain(self, order: Any, ctx: EvalContext, near: bool
                ) -> tuple[str, bool, bool | None]:
        """The line for ``order``; ``near``: also whether numbers were close (see
        :meth:`RuleSet.explain_tests`)."""
        part = self.part
        try:
            held = bool(part.test(order, ctx))
            ok = "yes" if held else "no"
            if self.shape == "test":
                return f"{self.whole} → {ok}", held, None
            assert isinstance(part.atom, n.Compare) and part.left and part.right
            if self.shape == "list":
                table = _list_side(part.atom.right)
                assert table is not None
                return (_explain_list(self.rule, part.atom, table, part.left(order, ctx), held,
                                      ctx), held, None)
            raw_left, raw_right = part.left(order, ctx), part.right(order, ctx)
            lv = python_value(raw_left)
            close = _close(raw_left, raw_right) if near else None
            op = part.atom.op
            if self.shape == "literal":
                return f"{self.left} = {lv}, needs {op} {self.right} → {ok}", held, close
            rv = python_value(raw_right)
            if self.shape == "let":
                return f"{self.left} = {lv}, needs {op} {self.right} {rv} → {ok}", held, close
            return (f"{self.left} = {lv}, {self.right} = {rv}, needs {self.whole} → {ok}", held,
                    close)
        except Exception as exc:  # noqa: BLE001 - an explanation must not break a decision
            return f"{self.whole}: error {exc}", False, None


def order_clock(order: Any, fallback: datetime) -> datetime:
    """The time a replayed dry-run judges ``order`` at: when it was placed (``fallback``, the
    ``--at`` clock, for an order without a creation time)."""
    return order_time(order) or fallback


def arrival_order(orders: Sequence[Any], fallback: datetime) -> list[Any]:
    """``orders`` in the order they arrived (placed), ties kept as given."""
    return sorted(orders, key=lambda o: order_clock(o, fallback))


def mark_suppressed(decisions: Sequence[Decision]) -> int:
    """Mark the actions a dedup window would suppress: a key already planned by an earlier
    decision (in the order given: arrival order) is dropped by the outbox, so the action
    gets ``suppressed_by`` (the order that holds the key).  Returns how many."""
    holders: dict[str, str] = {}
    suppressed = 0
    for d in decisions:
        label = f"{d.platform}:{d.platform_order_no}"
        for action in d.actions:
            holder = holders.setdefault(action.idempotency_key, label)
            if holder != label:
                action.suppressed_by = holder
                suppressed += 1
    return suppressed


def _list_side(node: n.Expr) -> str | None:
    """The list a comparison tests against (``... in list("blacklist")``), if any."""
    if isinstance(node, n.Call) and node.name == "list":
        return getattr(node, "table", None)
    return None


def _explain_list(rule: Rule, atom: n.Compare, table: str, left: Any, held: bool,
                  ctx: EvalContext) -> str:
    """``receiver.phone = 13800000000, in list("blacklist") → yes (blacklist.csv:3)``: the
    value and the entry it matched, never the list itself."""
    data = ctx.lists.get(table)
    ok = "yes" if held else "no"
    head = f"{rule.text(atom.left)} = {python_value(left)}, needs {atom.op} {rule.text(atom.right)}"
    if data is None:
        return f"{head} → {ok}"
    if atom.op in ("in", "not in"):
        if isinstance(left, str) and left in data.entries:
            return f"{head} → {ok} (entry {left!r}, {data.where(left)})"
        return f"{head} → {ok} (not among {len(data.entries)} entries)"
    if isinstance(left, str | list | tuple):
        found = [e for e in sorted(data.entries) if e in left][:3]
        if found:
            where = ", ".join(f"{e!r} {data.where(e)}" for e in found)
            return f"{rule.text(atom.left)} {atom.op} {rule.text(atom.right)} → {ok} ({where})"
    return f"{rule.text(atom.left)} {atom.op} {rule.text(atom.right)} → {ok}"


def _identity(order: Any) -> tuple[Any, Any, Any]:
    """(platform, platform order no, internal id) of a model order or a plain dict."""
    if isinstance(order, dict):
        return (order.get("platform"), order.get("platform_order_no"),
                order.get("id") or order.get("order_id"))
    platform = getattr(order, "platform", None)
    return (getattr(platform, "value", platform), getattr(order, "platform_order_no", None),
            getattr(order, "id", None))


def _is_let(node: n.Expr) -> bool:
    return isinstance(node, n.Name) and getattr(node, "ref", ("",))[0] == "let"


# ---- loading ---------------------------------------------------------------------------------


def rule_files(path: str | Path) -> list[Path]:
    """``*.rules`` files of a directory (sorted), or the file itself."""
    p = Path(path)
    if p.is_dir():
        return sorted(f for f in p.rglob("*.rules") if f.is_file())
    return [p]


def load_rules(
    path: str | Path | Sequence[str | Path],
    *,
    timezone: str | None = None,
    schema: RecordType | None = None,
    run_examples: bool = True,
    lists: str | Path | ListSet | None = None,
    recipients: Recipients | None = None,
) -> RuleSet:
    """Load, check and compile rule files.  Raises :class:`SourceErrors` with every error of
    every file (syntax, types, templates, duplicate ids, failing examples, bad lists, unknown
    notify channels and recipients).

    ``lists``: the folder of lists and lookup tables (default: ``lists/`` beside a rules
    folder, i.e. the workspace's), or a loaded :class:`ListSet`.  ``recipients``: who
    ``notify ... to "NAME"`` may name (default: those of the ``orderhub.yaml`` beside a rules
    folder)."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    files = [f for p in paths for f in rule_files(p)]
    sources: dict[str, str] = {}
    errors: list[SourceError] = []
    if not isinstance(lists, ListSet):
        folder = lists if lists is not None else default_lists_folder(paths)
        try:
            lists = load_lists(folder)
        except SourceErrors as exc:
            errors += exc.errors
            lists = ListSet(folder=str(folder))
    for f in files:
        try:
            sources[str(f)] = read_source(f)[0]
        except SourceError as exc:
            errors.append(exc)
        except OSError as exc:
            errors.append(SourceError(f"cannot read rule file: {exc.strerror or exc}",
                                      SourceSpan(str(f))))
    if recipients is None:
        folder = default_lists_folder(paths)
        recipients = read_recipients(folder.parent if folder is not None else None)
    return build_ruleset(sources, timezone=timezone, schema=schema, run_examples=run_examples,
                         errors=errors, lists=lists, recipients=recipients)


def default_lists_folder(paths: Sequence[str | Path]) -> Path | None:
    """``lists/`` beside the (first) rules folder: ``ws/rules`` reads ``ws/lists``."""
    for p in paths:
        if Path(p).is_dir():
            return Path(p).parent / "lists"
    return None


def load_rules_text(text: str, filename: str = "<rules>", **kw: Any) -> RuleSet:
    """Rules from a string (tests, the benchmark, the API)."""
    return build_ruleset({filename: text}, **kw)


def build_ruleset(
    sources: dict[str, str],
    *,
    timezone: str | None = None,
    schema: RecordType | None = None,
    run_examples: bool = True,
    errors: list[SourceError] | None = None,
    lists: ListSet | None = None,
    recipients: Recipients | None = None,
) -> RuleSet:
    errors = list(errors or [])
    recipients = recipients if recipients is not None else Recipients()
    lists = lists if lists is not None else EMPTY_LISTS
    root = schema or order_record()
    rules: list[Rule] = []
    tz_name = timezone
    parsed = []
    for filename, text in sources.items():
        rf, syntax = parse_rulefile(text, filename)
        errors += syntax
        if rf.timezone is not None and _zone(rf.timezone) is None:
            errors.append(_bad_zone(rf))
        elif tz_name is None:
            tz_name = rf.timezone
        parsed.append(rf)
    tz = _zone(tz_name or DEFAULT_TZ)
    if tz is None:
        raise SourceErrors([SourceError(f"unknown timezone {tz_name!r}",
                                        hint="e.g. Asia/Shanghai")])
    seen: dict[str, Rule] = {}
    shared: dict[str, tuple[n.LetDef, n.RuleFile]] = {}
    checkers = [_file_checker(rf, root, tz, lists, shared) for rf in parsed]
    for checker in checkers:  # the rules of every file see every file's lets
        for name, (let, _) in shared.items():
            checker.lets.setdefault(name, let.value)
    for rf, checker in zip(parsed, checkers, strict=True):
        for rule in _check_file(rf, root, tz, errors, checker, recipients):
            if rule.id in seen:
                errors.append(SourceError(f"duplicate rule id '{rule.id}'", rule.span,
                                          source=rule.source,
                                          hint=f"first defined at {seen[rule.id].span}"))
                continue
            seen[rule.id] = rule
            rules.append(rule)
    if errors:
        raise SourceErrors(errors)
    ruleset = RuleSet(rules, root=root, tz=tz, sources=sources, lists=lists)
    if run_examples and root is order_record():
        from .examples import run_examples as run

        errors += run(ruleset)
        if errors:
            raise SourceErrors(errors)
    return ruleset


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _bad_zone(rf: n.RuleFile) -> SourceError:
    pos = rf.timezone_pos or n.NOWHERE
    return SourceError(f"unknown timezone {rf.timezone!r}",
                       SourceSpan(rf.filename, pos.line, pos.column), source=rf.source,
                       hint=suggest(str(rf.timezone).strip(), sorted(available_timezones()))
                       or "e.g. timezone \"Asia/Shanghai\"")


def _file_checker(rf: n.RuleFile, root: RecordType, tz: tzinfo, lists: ListSet,
                  shared: dict[str, tuple[n.LetDef, n.RuleFile]]) -> Checker:
    """A checker for one file, with its ``let``s checked and added to ``shared``.

    A ``let`` is shared by every file of the rule set: it may use the lets above it and those
    of files sorted before its own (``00-shared.rules``), and the rules of every file see all
    of them once every file's lets are checked.  A name defined twice is an error at both."""
    def span(pos: n.Pos) -> SourceSpan:
        return SourceSpan(rf.filename, pos.line, pos.column)

    checker = Checker(root, span=span, source=rf.source, tz=tz, lists=lists,
                      lets={name: let.value for name, (let, _) in shared.items()})
    for let in rf.lets:
        if let.name in shared:
            first, where = shared[let.name]
            checker.error(let.pos, f"'{let.name}' is already defined",
                          f"first at {where.filename}:{first.pos.line}; a let is shared by "
                          "every rule file, so give this one another name")
            continue
        checker.check(let.value)
        checker.lets[let.name] = let.value
        shared[let.name] = (let, rf)
    return checker


def _check_file(rf: n.RuleFile, root: RecordType, tz: tzinfo,
                errors: list[SourceError], checker: Checker,
                recipients: Recipients) -> list[Rule]:
    out = []
    for node in rf.rules:
        if node.when is None:
            checker.error(node.pos, f"rule '{node.id}' has no 'when' condition",
                          "add: when <condition>")
            continue
        checker.check(node.when, ExprType.BOOL)
        for action in node.actions:
            value_type = None
            for key in ("phone", "value"):
                value = action.params.get(key)
                if isinstance(value, n.Expr):
                    t = value_type = checker.check(value)
                    if key == "phone" and not ExprType.STRING.accepts(t):
                        checker.error(value.pos, f"an SMS goes to a phone number (text), not {t}")
            if action.kind == "set":
                _check_set_path(action, value_type, checker)
            if action.kind == "notify":
                _check_notify(action, checker, recipients)
            if action.dedup is not None and action.dedup.key is not None:
                _check_path(action.dedup.key, action.dedup.pos, root, checker)
        for example in node.examples:
            checker.check(example.order)
            if example.history is not None:
                checker.check(example.history)
            if example.at is not None:
                checker.check(example.at)
        times = {}
        for key in ("enabled_until", "active_from", "active_until"):
            lit = getattr(node, key)
            if lit is not None:
                checker.check(lit)
                times[key] = _as_datetime(lit.value, tz)
        rule = Rule(id=node.id, name=node.name or node.id, node=node, filename=rf.filename,
                    source=rf.source, priority=node.priority, tags=node.tags,
                    enabled=node.enabled, mode=node.mode, description=node.description,
                    enabled_until=times.get("enabled_until"),
                    active_from=times.get("active_from"), active_until=times.get("active_until"))
        samples = _template_samples(node, tz) if root is order_record() else []
        rule.actions = [ActionSpec(node.id, j, a, root=root, filename=rf.filename,
                                   source=rf.source, errors=checker.errors, samples=samples,
                                   address=_address(a, recipients))
                        for j, a in enumerate(node.actions)]
        out.append(rule)
    errors += checker.errors
    return out


def _template_samples(node: n.RuleNode, tz: tzinfo) -> list[dict[str, Any]]:
    """What an action template is tried on when checked: an order with every field filled."""
    from .examples import probe_order

    order = probe_order(tz)
    return [{"order": order, "rule": {"id": node.id, "name": node.name or node.id},
             "now": order.created_at}]


def _as_datetime(value: Any, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return datetime(value.year, value.month, value.day, tzinfo=tz)


def _check_path(path: list[str], pos: n.Pos, root: RecordType, checker: Checker) -> None:
    node: n.Expr = n.Name(pos, path[0])
    for part in path[1:]:
        node = n.Member(pos, node, part, pos)
    checker.check(node)


def _check_notify(action: n.ActionNode, checker: Checker, recipients: Recipients) -> None:
    """``notify CHANNEL [to "NAME"]``: a channel that exists, a recipient of orderhub.yaml."""
    channel = action.params["channel"]
    if channel not in NOTIFY_CHANNELS:
        checker.error(action.params.get("channel_pos", action.pos),
                      f"unknown notify channel '{channel}'",
                      suggest(channel, list(NOTIFY_CHANNELS))
                      or "channels: " + ", ".join(NOTIFY_CHANNELS))
    name = action.params.get("to")
    if channel == "sms" and name is None:
        checker.error(action.pos, "an SMS notify needs a recipient",
                      'write notify sms to "NAME" "...", or sms PHONE "..." for a phone')
    if name is not None and name not in recipients:
        where = f"recipients in {Path(recipients.source).name}"
        checker.error(action.params.get("to_pos", action.pos), f"unknown recipient '{name}'",
                      did_you_mean(name, recipients.names)
                      or (f"{where}: {', '.join(recipients.names)}" if recipients.names else
                          f"name it under recipients: in {recipients.source}"))


def _address(action: n.ActionNode, recipients: Recipients) -> Address | None:
    name = action.params.get("to") if action.kind == "notify" else None
    return recipients.resolve(name) if name is not None and name in recipients else None


def _check_set_path(action: n.ActionNode, value_type: ExprType | None,
                    checker: Checker) -> None:
    from .fields import check_set, settable_names

    problem = check_set(action.params["field"], value_type)
    if problem is not None:
        checker.error(action.pos, problem, "rules may set: " + ", ".join(settable_names()))


def _close(left: Any, right: Any) -> bool | None:
    """Numbers at most 1 or 10% of the bound apart, durations 10%; None for other values."""
    from datetime import timedelta
    from decimal import Decimal

    if isinstance(left, timedelta) and isinstance(right, timedelta):  # 10m: 1m either side
        return abs(left - right) <= abs(right) / 10
    numbers = (int, float, Decimal)
    if not (isinstance(left, numbers) and isinstance(right, numbers)) \
            or isinstance(left, bool) or isinstance(right, bool):
        return None
    gap = abs(Decimal(str(left)) - Decimal(str(right)))
    return gap <= max(Decimal(1), abs(Decimal(str(right))) / 10)
