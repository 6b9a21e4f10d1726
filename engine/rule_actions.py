"""Rule actions: declared in rule files, planned per order, executed later by the service.

A rule never does anything itself.  When it fires, each of its actions is rendered into a
:class:`PlannedAction`: plain data with an idempotency key, so that evaluating the same order
again (a re-pull, a restart, a second dry-run) can never repeat an SMS or a task.  A dedup
window ("at most once per receiver.phone per 1d") replaces the order in the key by the dedup
value and the window's bucket, so a second order of the same phone that day maps to the same key.
The bucket is taken from the order's own time (``created_at``, in the shop's timezone), so the
key does not depend on when the service gets to the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from jinja2 import TemplateSyntaxError
from pydantic import TypeAdapter

from ..dsl import nodes as n
from ..dsl.parser import parse_duration
from ..dsl.types import RecordType
from ..dsl.yamlfile import suggest
from ..errors import SourceError, SourceSpan
from .recipients import Address
from .templates import ENV as _ENV
from .templates import check_template, template_paths

ActionKind = Literal["hold", "release", "flag", "freeze", "task", "notify", "sms", "set"]


@dataclass(slots=True)
class PlannedAction:
    """One thing a fired rule wants done.  ``index``: the action's position in the rule's
    then-block; ``shadow``: the rule is in shadow mode; log it, do not execute it.

    Plain data (built for every action of every fired rule of a batch): texts are rendered
    once, when the action is planned, and :meth:`as_json` is the row the service records and
    dry-run prints."""

    kind: ActionKind
    rule: str
    index: int
    params: dict[str, Any]
    idempotency_key: str
    dedup_window: str | None = None
    shadow: bool = False
    #: a replayed dry-run: the earlier order whose action holds this key in its dedup window,
    #: so the outbox would drop this one (never set by the service, which just drops it)
    suppressed_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The action as JSON-ready data (numbers and times in ``params`` as text)."""
        params = self.params
        if not all(v is None or type(v) in _JSON_PLAIN for v in params.values()):
            params = _PARAMS.dump_python(params, mode="json")
        return {"kind": self.kind, "rule": self.rule, "index": self.index,
                "params": dict(params), "idempotency_key": self.idempotency_key,
                "dedup_window": self.dedup_window, "shadow": self.shadow,
                "suppressed_by": self.suppressed_by}

    def summary(self) -> str:
        """One line for tables: ``sms 13800000000: 请确认地址``."""
        p = self.params
        detail = {
            "hold": lambda: p.get("target", ""),
            "release": lambda: p.get("target", ""),
            "freeze": lambda: p.get("target", ""),
            "flag": lambda: p.get("flag", ""),
            "task": lambda: f"[{p.get('queue')}] {p.get('title')}",
            "notify": lambda: f"{p.get('channel')}"
                              + (f" to {p['to']}" if p.get("to") else "") + f": {p.get('text')}",
            "sms": lambda: f"{p.get('phone')}: {p.get('text')}",
            "set": lambda: f"{p.get('field')} = {p.get('value')!r}",
        }[self.kind]()
        line = f"{self.kind} {detail}".strip()
        if self.suppressed_by:
            line += (f" [suppressed: at most once per {self.dedup_window}, already by "
                     f"{self.suppressed_by}]")
        return line


_JSON_PLAIN = (str, int, bool)
#: What ``params`` were as a pydantic field: numbers and times to JSON the same way.
_PARAMS: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


class ActionSpec:
    """A declared action, with its templates compiled and checked against the order schema."""

    def __init__(self, rule_id: str, index: int, node: n.ActionNode, *, root: RecordType,
                 filename: str, source: str, errors: list[SourceError],
                 samples: list[dict[str, Any]] | None = None,
                 address: Address | None = None) -> None:
        self.rule_id = rule_id
        #: ``notify ... to "NAME"``: who the name stands for (orderhub.yaml's recipients)
        self.address = address
        self.index = index
        self.kind = node.kind
        self.node = node
        self.templates: dict[str, Any] = {}
        self.window = parse_duration(node.dedup.window_text) if node.dedup else None
        for key in ("title", "text"):
            if key in node.params:
                pos: n.Pos = node.params[f"{key}_pos"]
                self.templates[key] = self._template(node.params[key], pos, root, filename,
                                                     source, errors, samples or [])
        self._layout = [self._slot(key, raw) for key, raw in node.params.items()
                        if not key.endswith("_pos")]
        self._window_text = node.dedup.window_text if node.dedup else None
        self._keyed = node.dedup is not None and node.dedup.key is not None

    def _slot(self, key: str, raw: Any) -> tuple[str, str, Any]:
        """How parameter ``key`` is filled for an order: ("template", compiled template),
        ("value", None: computed by the rule's code) or ("fixed", its value)."""
        template = self.templates.get(key)
        if template is not None:
            return key, "template", template
        if key == "field":
            return key, "fixed", ".".join(raw)
        if key in ("phone", "value"):
            return key, "value", None
        return key, "fixed", raw

    @staticmethod
    def _template(text: str, pos: n.Pos, root: RecordType, filename: str, source: str,
                  errors: list[SourceError], samples: list[dict[str, Any]]) -> Any:
        """The compiled template, or None after adding its errors: syntax, refused tags,
        unknown fields of ``order``, and failures of a trial render on a sample order.

        A quoted text is one line of the rule file (a newline in it is an escape), so every
        error points at the text's opening quote."""
        try:
            tree = _ENV.parse(text)
        except TemplateSyntaxError as exc:
            errors.append(SourceError(f"template: {exc.message}",
                                      SourceSpan(filename, pos.line, pos.column),
                                      source=source))
            return None
        before = len(errors)
        for _root, path, _line in template_paths(tree, ("order",)):
            record: RecordType | None = root
            for i, part in enumerate(path):
                if record is None:
                    break
                spec = record.get(part)
                if spec is None:
                    where = ".".join(["order", *path[:i]])
                    col = pos.column + max(text.find(".".join(path[: i + 1])), 0)
                    errors.append(SourceError(
                        f"template: unknown field '{part}' of {where}",
                        SourceSpan(filename, pos.line, col), source=source,
                        hint=suggest(part, sorted(record.fields))))
                    break
                t = spec.type.item if spec.type.kind == "list" else spec.type
                record = t.record if t is not None and t.kind == "record" else None
        if len(errors) > before:
            return None
        template, problems = check_template(text, samples)
        for p in problems:
            errors.append(SourceError(f"template: {p.message}",
                                      SourceSpan(filename, pos.line, pos.column),
                                      source=source, hint=p.hint))
        return None if problems else template

    def plan(self, order: Any, ctx: Any, rule: Any, dedup_value: Any,
             value: Any = None) -> PlannedAction:
        """The rendered action for ``order``; ``dedup_value`` and ``value`` were computed by the
        rule's compiled code (the dedup key path and the ``set`` value)."""
        env: dict[str, Any] | None = None
        params: dict[str, Any] = {}
        for key, how, payload in self._layout:
            if how == "template":
                if env is None:
                    env = {"order": order, "rule": {"id": rule.id, "name": rule.name},
                           "now": ctx.now}
                params[key] = payload.render(env)
            elif how == "value":
                params[key] = value
            else:
                params[key] = payload
        if self.address is not None:
            params.update(self.address.params())
        if self.window is not None:
            # the order's day, not the day it happens to be processed: an order placed at
            # 23:59 and evaluated after midnight shares its day's message
            bucket = _bucket(order_time(order) or ctx.now, self.window, ctx.tz)
            subject = str(dedup_value) if self._keyed else "*"
            key = f"{self.rule_id}#{self.index}:{subject}@{bucket}"
        else:
            key = f"{self.rule_id}#{self.index}:{order_ref(order)}"
        return PlannedAction(self.kind, self.rule_id, self.index, params,  # type: ignore[arg-type]
                             key, self._window_text, rule.mode == "shadow")


def _bucket(now: datetime, window: timedelta, tz: tzinfo) -> str:
    """Which window ``now`` falls in.  Whole-day windows follow the shop's calendar days."""
    if window.total_seconds() % 86400 == 0 and window.days >= 1:
        day = now.astimezone(tz).date()
        start = day.toordinal() // window.days * window.days
        return f"{type(day).fromordinal(start).isoformat()}/{window.days}d"
    seconds = max(int(window.total_seconds()), 1)
    return f"{int(now.timestamp()) // seconds * seconds}/{seconds}s"


def order_time(order: Any) -> datetime | None:
    """When the order was placed (``created_at``), for dedup windows; None when unknown."""
    value = order.get("created_at") if isinstance(order, dict) else \
        getattr(order, "created_at", None)
    return value if isinstance(value, datetime) and value.tzinfo is not None else None


def order_ref(order: Any) -> str:
    """How an order is named in keys: its internal ID, else ``platform:number``."""
    if isinstance(order, dict):
        return str(order.get("id") or order.get("order_id") or
                   f"{order.get('platform')}:{order.get('platform_order_no')}")
    return str(getattr(order, "id", None) or getattr(order, "label", None) or id(order))
