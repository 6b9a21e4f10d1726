"""Settlement mappings: one YAML file per bill format turns its records into settlement lines.

The file names where the line id, order number, time and amounts sit (paths and transforms as in
order mappings, :mod:`orderhub.connectors.mapping`), a regular expression that finds the order
number inside free text (Alipay puts it in ``备注``), rules that classify a line by its text
(``技术服务费`` -> service_fee), and, for sources whose one record carries several amounts
(Douyin: income, platform fee, commission, shipping...), the ``parts`` it is split into.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from ..connectors.mapping import (
    DetectedMapping,
    DetectSpec,
    FieldLike,
    PathList,
    StrictSpec,
    dig,
    field_getter,
    load_dir,
    package_dir,
    reason_of,
    split_path,
)
from ..connectors.transforms import TRANSFORMS
from ..dsl import yamlfile
from ..errors import RecordError
from ..model import Platform
from .model import LineKind, SettlementLine


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


class OrderNoSpec(StrictSpec):
    """Where the order number is.  With ``pattern``, each field in ``from`` is searched in turn
    and the first match wins (its first group if the pattern has one)."""

    from_: PathList = Field(alias="from")
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        return None if v is None else _regex(v)


class AmountSpec(StrictSpec):
    """A signed sum: ``plus`` fields as given, minus the absolute value of ``minus`` fields.

    Bills write expenses either as ``1.50`` in an expense column or as ``-1.50``; taking the
    absolute value of expense columns reads both the same way.
    """

    plus: list[str] = Field(default_factory=list)
    minus: list[str] = Field(default_factory=list)
    as_: Literal["yuan", "fen"] = Field("yuan", alias="as")


class Rule(StrictSpec):
    """``when`` every named field's text matches its regex (searched), the rule applies."""

    when: dict[str, str]
    kind: LineKind | None = None
    skip: bool = Field(False, description="not a settlement line (withdrawals, transfers)")
    single: bool = Field(False, description="the whole record is one line of this kind")

    @field_validator("when")
    @classmethod
    def _compile(cls, v: dict[str, str]) -> dict[str, str]:
        for pattern in v.values():
            _regex(str(pattern))
        return {k: str(p) for k, p in v.items()}


class PartSpec(StrictSpec):
    kind: LineKind | None = Field(None, description="fixed kind; else the matching rule's")
    amount: AmountSpec
    suffix: str | None = Field(None, description="added to the line id; default: the kind")


class DirectionSpec(StrictSpec):
    """A column saying income or expense (JD ``收支方向``); expenses are made negative."""

    from_: str = Field(alias="from")
    expense: list[str] = Field(default_factory=lambda: ["支出"])


class SettlementMappingSpec(StrictSpec):
    name: str
    platform: Platform
    kind: Literal["api", "export"] = "export"
    description: str = ""
    timezone: str = "Asia/Shanghai"
    detect: DetectSpec = Field(default_factory=DetectSpec)
    envelopes: list[str] = Field(default_factory=list)
    line_id: FieldLike | None = Field(
        None, description="the line's own id; without it, a stable hash of the record"
    )
    order_no: OrderNoSpec
    sub_ref: FieldLike | None = None
    shop: FieldLike | None = None
    occurred_at: FieldLike
    text: list[str] = Field(default_factory=list, description="fields shown as the description")
    direction: DirectionSpec | None = None
    rules: list[Rule] = Field(default_factory=list)
    default_kind: LineKind = LineKind.other
    parts: list[PartSpec] = Field(min_length=1)
    net: AmountSpec | None = Field(
        None, description="the payout as the platform states it; what the parts miss is 'other'"
    )


class SettlementMapping(DetectedMapping[SettlementMappingSpec]):
    """A compiled settlement mapping: ``lines(record, ...)`` returns its settlement lines."""

    def __init__(self, spec: SettlementMappingSpec, origin: str = "<mapping>") -> None:
        super().__init__(spec, origin)
        self._line_id = field_getter("line_id", spec.line_id, self.tz) if spec.line_id else None
        self._sub = field_getter("sub_ref", spec.sub_ref, self.tz) if spec.sub_ref else None
        self._shop = field_getter("shop", spec.shop, self.tz) if spec.shop else None
        self._at = field_getter("occurred_at", spec.occurred_at, self.tz)
        self._order_no = _order_no_fn(spec.order_no)
        self._rules = [(_when(r.when), r) for r in spec.rules]
        self._parts = [(p, _amount_fn(p.amount)) for p in spec.parts]
        self._net = _amount_fn(spec.net) if spec.net else None
        self._text = [split_path(t) for t in spec.text]

    def __repr__(self) -> str:
        return f"<SettlementMapping {self.name} ({self.origin})>"

    def lines(
        self, record: dict[str, Any], *, shop: str | None = None, occurrence: int = 0
    ) -> list[SettlementLine]:
        """The settlement lines of one record ([] for skipped records); raises RecordError."""
        if not isinstance(record, dict):
            raise RecordError(f"expected an object, got {type(record).__name__}")
        rule = next((r for when, r in self._rules if when(record)), None)
        if rule is not None and rule.skip:
            return []
        order_no = self._order_no(record)
        at = self._at(record)
        if not isinstance(at, datetime):
            raise RecordError("missing the time of the line", field="/".join(
                self.spec.occurred_at.from_), order_no=order_no)
        base_id = self._line_id(record) if self._line_id else None
        if base_id is None:
            base_id = "h" + _record_hash(record, occurrence)
        common = {
            "platform": self.platform,
            "shop": (self._shop(record) if self._shop else None) or shop or "default",
            "order_no": order_no,
            "sub_ref": self._sub(record) if self._sub else None,
            "occurred_at": at,
            "description": self._description(record),
            "source": self.name,
            "raw": record,
        }
        amounts = self._amounts(record, rule)
        single = len(self._parts) == 1 or (rule is not None and rule.single)
        out = []
        for kind, suffix, amount in amounts:
            if amount == 0 and not single:
                continue
            line_id = str(base_id) if single else f"{base_id}:{suffix}"
            try:
                out.append(SettlementLine(line_id=line_id, kind=kind, amount=amount, **common))
            except ValidationError as exc:
                err = exc.errors()[0]
                raise RecordError(reason_of(err), field=".".join(map(str, err["loc"])),
                                  order_no=order_no) from None
        return out

    def _amounts(self, record: dict[str, Any], rule: Rule | None) -> list[tuple[LineKind, str,
                                                                                   Decimal]]:
        rule_kind = rule.kind if rule and rule.kind else None
        if rule is not None and rule.single:
            total = self._net(record) if self._net else sum(
                (fn(record) for _, fn in self._parts), Decimal(0))
            return [(rule_kind or self.spec.default_kind, "", self._signed(record, total))]
        out = []
        for part, fn in self._parts:
            kind = part.kind or rule_kind or self.spec.default_kind
            out.append((kind, part.suffix or kind.value, self._signed(record, fn(record))))
        if self._net is not None:
            rest = self._net(record) - sum((a for _, _, a in out), Decimal(0))
            if rest:
                out.append((LineKind.other, "rest", rest))
        return out

    def _signed(self, record: dict[str, Any], amount: Decimal) -> Decimal:
        spec = self.spec.direction
        if spec is None:
            return amount
        said = str(dig(record, split_path(spec.from_)) or "").strip()
        return -abs(amount) if said in spec.expense else abs(amount)

    def _description(self, record: dict[str, Any]) -> str | None:
        parts = [str(v).strip() for p in self._text if (v := dig(record, p)) not in (None, "")]
        return " / ".join(parts) or None


def _when(when: dict[str, str]) -> Callable[[Any], bool]:
    tests = [(split_path(k), re.compile(p)) for k, p in when.items()]

    def check(record: Any) -> bool:
        for path, pattern in tests:
            value = dig(record, path)
            if pattern.search("" if value is None else str(value).strip()) is None:
                return False
        return True

    return check


def _order_no_fn(spec: OrderNoSpec) -> Callable[[Any], str | None]:
    paths = [split_path(p) for p in spec.from_]
    pattern = re.compile(spec.pattern) if spec.pattern else None
    clean = TRANSFORMS["order_no"]

    def get(record: Any) -> str | None:
        for path in paths:
            value = dig(record, path)
            if value in (None, ""):
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # a spreadsheet cell; long numbers are read as text upstream
            try:
                text = clean(value, None)  # type: ignore[arg-type]  # text transforms: no zone
            except ValueError as exc:
                raise RecordError(str(exc), field=".".join(path)) from None
            if text is None:
                continue
            if pattern is None:
                return text
            found = pattern.search(text)
            if found:
                return next((g for g in found.groups() if g), found.group(0))
        return None

    return get


def _amount_fn(spec: AmountSpec) -> Callable[[Any], Decimal]:
    read = TRANSFORMS[spec.as_]
    plus = [(p, split_path(p)) for p in spec.plus]
    minus = [(p, split_path(p)) for p in spec.minus]

    def value(record: Any, name: str, path: tuple[str, ...]) -> Decimal:
        raw = dig(record, path)
        try:
            got = read(raw, None)  # type: ignore[arg-type]  # no zone: dates read naive
        except ValueError as exc:
            raise RecordError(str(exc), field=name) from None
        return got if got is not None else Decimal(0)

    def total(record: Any) -> Decimal:
        out = Decimal(0)
        for name, path in plus:
            out += value(record, name, path)
        for name, path in minus:
            out -= abs(value(record, name, path))
        return out.quantize(Decimal("0.01"))

    return total


def _record_hash(record: dict[str, Any], occurrence: int) -> str:
    """A stable id for a line that has none: its content, plus how many identical lines came
    before it in the same file (so two genuinely identical lines stay two lines)."""
    body = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
    digest = hashlib.blake2b(body.encode(), digest_size=12).hexdigest()
    return f"{digest}-{occurrence}" if occurrence else digest


def record_key(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)


# -- loading -----------------------------------------------------------------------------------


def load_settlement_mapping(path: Path) -> SettlementMapping:
    """Load and check one settlement mapping file; raises SourceErrors with positions."""
    spec = yamlfile.load_model(SettlementMappingSpec, path)
    return SettlementMapping(spec, str(path))


@cache
def builtin_settlement_mappings() -> dict[str, SettlementMapping]:
    return load_dir(package_dir("orderhub.finance.mappings"), load_settlement_mapping)


def settlement_mappings(extra_dirs: list[Path] | None = None) -> dict[str, SettlementMapping]:
    """Built-in settlement mappings plus a workspace's own (which win on a name clash)."""
    out = dict(builtin_settlement_mappings())
    for folder in extra_dirs or []:
        out.update(load_dir(folder, load_settlement_mapping))
    return out
