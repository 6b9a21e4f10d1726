"""Mappings are data: one YAML file per source turns its records into normalized orders.

A mapping names, for each field of :class:`~orderhub.model.Order`, where the value sits in the
source record (``from``, a dotted path; a list means "first one present"), how to read it
(``as``, a transform from :mod:`.transforms`), the status table (ordered ``rules`` over raw
fields, or a plain ``map``), and how refunds overlay the status.  The file is validated once and
compiled to closures, so applying it costs little more than hand-written code.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import tzinfo
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, NoReturn, Protocol, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from .. import cachedir
from ..dsl import yamlfile
from ..errors import RecordError, SourceError, SourceErrors
from ..model import Order, OrderStatus, Platform, RefundStatus
from ..record_checks import shown
from .cleaning import CleanSpec, cleaner
from .mapping_code import MEMO_SIZE, UNSEEN, VALUE_ERRORS, FieldRead, compile_reader
from .transforms import TRANSFORMS, zone

Getter = Callable[[Any], Any]
_T = TypeVar("_T")


class StrictSpec(BaseModel):
    """A section of a mapping file (orders or settlements): an unknown key is a mistake to
    report, and ``from``/``as`` may be written as such."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


#: One path or several: ``from: a.b`` is short for ``from: [a.b]``.
PathList = Annotated[list[str], BeforeValidator(_listify)]


class FieldSpec(StrictSpec):
    """Where one value comes from and how it is read."""

    from_: PathList = Field(default_factory=list, alias="from")
    as_: str = Field("str", alias="as")
    required: bool = False
    default: Any = None
    const: Any = None
    reduce: Literal["sum", "first", "join"] | None = None

    @field_validator("as_")
    @classmethod
    def _known_transform(cls, v: str) -> str:
        if v not in TRANSFORMS:
            hint = yamlfile.suggest(v, TRANSFORMS) or f"known: {', '.join(TRANSFORMS)}"
            raise ValueError(f"unknown transform {v!r} ({hint})")
        return v


def _shorthand(value: Any) -> Any:
    """``field: path`` and ``field: [path, other]`` are short for ``field: {from: ...}``."""
    return {"from": value} if isinstance(value, str | list) else value


FieldLike = Annotated[FieldSpec, BeforeValidator(_shorthand)]


class ItemsSpec(StrictSpec):
    """Line items: a list inside the record (``from``), or one line made of the record itself."""

    from_: str | None = Field(None, alias="from")
    fields: dict[str, FieldLike]


class StatusRule(StrictSpec):
    """``when`` all raw fields equal one of the given values, the rule applies."""

    when: dict[str, Any]
    status: OrderStatus | None = None
    refund: Literal["requested", "refunded"] | None = None


class StatusSpec(StrictSpec):
    """The status table.  A ``map`` entry whose status is empty (``~``) is listed but not yet
    decided: records with that value are rejected as unknown, never guessed.  ``table`` names
    an XLSX or CSV file (old value, new status), relative to the mapping file."""

    from_: str | None = Field(None, alias="from")
    map: dict[str, OrderStatus | None] = Field(default_factory=dict)
    table: str | None = None
    rules: list[StatusRule] = Field(default_factory=list)


class LineRefundSpec(StrictSpec):
    field: str
    requested: list[str] = Field(default_factory=list)
    refunded: list[str] = Field(default_factory=list)


class RefundSpec(StrictSpec):
    rules: list[StatusRule] = Field(default_factory=list)
    lines: LineRefundSpec | None = None
    amount: FieldLike | None = None
    requested_at: FieldLike | None = None


class DetectSpec(StrictSpec):
    keys: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)


class MappingSpec(StrictSpec):
    name: str
    platform: Platform
    kind: Literal["api", "export", "legacy"] = "api"
    description: str = ""
    timezone: str = "Asia/Shanghai"
    detect: DetectSpec = Field(default_factory=DetectSpec)
    clean: CleanSpec | None = None
    envelopes: list[str] = Field(default_factory=list)
    order: dict[str, FieldLike]
    items: ItemsSpec | None = None
    status: StatusSpec
    refund: RefundSpec | None = None


_ORDER_TARGETS = {
    name for name in Order.model_fields if name not in ("receiver", "items", "refund", "raw")
} | {f"receiver.{n}" for n in ("name", "phone", "province", "city", "district", "town",
                                 "address")}
_ITEM_TARGETS = {
    "line_id", "platform_sku_id", "sku", "outer_item_id", "title", "properties", "quantity",
    "unit_price", "paid", "refund_status",
}


class _Detectable(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def platform(self) -> Platform: ...
    @property
    def timezone(self) -> str: ...
    @property
    def detect(self) -> DetectSpec: ...


_S = TypeVar("_S", bound=_Detectable)


class DetectedMapping(Generic[_S]):
    """What order and settlement mappings share: the file they came from, the platform and
    timezone they read, and how a record or a file's header is recognised as theirs."""

    def __init__(self, spec: _S, origin: str) -> None:
        self.spec = spec
        self.name = spec.name
        self.origin = origin
        self.platform = spec.platform
        self.tz: tzinfo = zone(spec.timezone)

    def matches_record(self, record: Any) -> bool:
        keys = self.spec.detect.keys
        return bool(keys) and isinstance(record, dict) and all(k in record for k in keys)

    def matches_columns(self, header: list[str]) -> bool:
        cols = self.spec.detect.columns
        return bool(cols) and set(cols) <= set(header)


class Mapping(DetectedMapping[MappingSpec]):
    """A compiled mapping.  ``apply(record)`` returns an :class:`Order` or raises RecordError."""

    def __init__(self, spec: MappingSpec, origin: str = "<mapping>") -> None:
        super().__init__(spec, origin)
        reads = {t: field_read(t, f, self.tz) for t, f in spec.order.items()}
        self._order_no = reads["platform_order_no"].get if "platform_order_no" in reads \
            else None
        #: every field into ``data`` or ``receiver``, in the file's order (the first bad field
        #: is the one a reject names)
        self._read = compile_reader(
            [(f"receiver[{t[9:]!r}]" if t.startswith("receiver.") else f"data[{t!r}]", read)
             for t, read in reads.items()], "data, receiver", "read_order")
        self.version = hashlib.blake2b(spec.model_dump_json().encode(), digest_size=8).hexdigest()
        self._items_path = split_path(spec.items.from_) if spec.items and spec.items.from_ else None
        self._items = bool(spec.items and spec.items.fields)
        self._read_line = compile_reader(
            [(f"item[{t!r}]", field_read(t, f, self.tz)) for t, f in spec.items.fields.items()]
            if spec.items else [], "item", "read_line")
        self._status = _status_fn(spec.status)
        self._clean = cleaner(spec.clean) if spec.clean else None
        self._status_fields = list(dict.fromkeys(
            [k for r in spec.status.rules for k in r.when]
            + ([spec.status.from_] if spec.status.from_ else [])))
        #: (test, refund state or None): the states made once (an enum call is slow)
        self._refund_rules = [(_when_fn(r.when), RefundStatus(r.refund) if r.refund else None)
                              for r in spec.refund.rules] if spec.refund else []
        lines = spec.refund.lines if spec.refund else None
        #: the line refund states meaning "requested" and "refunded", as sets
        self._line_refunds = (frozenset(lines.requested), frozenset(lines.refunded)) \
            if lines else None
        self._refund_amount = field_getter("refund.amount", spec.refund.amount, self.tz) \
            if spec.refund and spec.refund.amount else None
        self._refund_at = field_getter("refund.requested_at", spec.refund.requested_at, self.tz) \
            if spec.refund and spec.refund.requested_at else None

    def __repr__(self) -> str:
        return f"<Mapping {self.name} ({self.origin})>"

    def order_no(self, record: Any) -> str | None:
        """Just the order number, or None where it is missing or bad (apply() will say why)."""
        if self._order_no is None or not isinstance(record, dict):
            return None
        try:
            return self._order_no(record)  # type: ignore[no-any-return]
        except RecordError:
            return None

    def apply(self, record: dict[str, Any], *, shop_id: str | None = None) -> Order:
        """Normalize one source record.  Raises :class:`RecordError` naming the field."""
        if not isinstance(record, dict):
            raise RecordError(f"expected an object, got {type(record).__name__}")
        data: dict[str, Any] = {"platform": self.platform, "source": self.name,
                                "timezone": self.spec.timezone, "raw": record}
        if self._clean is not None:
            record = self._clean(record)
        receiver: dict[str, Any] = {}
        self._read(record, data, receiver)
        data["receiver"] = receiver
        if shop_id and "shop_id" not in data:
            data["shop_id"] = shop_id
        items = self._read_items(record)
        data["items"] = items
        base = self._status(record)
        if base is None:
            fields = self._status_fields
            seen = ", ".join(f"{f}={dig(record, split_path(f))!r}" for f in fields)
            raise RecordError(f"unknown status ({seen})", field="/".join(fields),
                              order_no=data.get("platform_order_no"))
        refund_state, whole = self._refund_state(record, items, base)
        data["status"] = _overlay(base, refund_state, whole)
        if refund_state is not None:
            data["refund"] = {
                "status": refund_state,
                "requested_at": (self._refund_at(record) if self._refund_at else None)
                or data.get("modified_at") or data.get("created_at"),
                "amount": self._refund_amount(record) if self._refund_amount else None,
            }
        try:  # model_validate(data) without its wrapper's frame (once per record)
            return _VALIDATE(data)  # type: ignore[no-any-return]
        except ValidationError as exc:
            err = exc.errors()[0]
            raise RecordError(reason_of(err), field=self._source_of(err["loc"]),
                              order_no=_text_or_none(data.get("platform_order_no"))) from None

    def _source_of(self, loc: tuple[Any, ...]) -> str:
        """Where an order field's value came from: ``payment`` -> ``pay_amount``, and
        ``items.1.unit_price`` -> ``orders.order.1.price``."""
        parts = [str(p) for p in loc]
        if parts[:1] == ["items"] and len(parts) >= 3 and self.spec.items:
            spec = self.spec.items.fields.get(parts[2])
            inner = "/".join(spec.from_) if spec and spec.from_ else parts[2]
            outer = f"{self.spec.items.from_}.{parts[1]}." if self.spec.items.from_ else ""
            return outer + inner
        target = ".".join(parts)
        spec = self.spec.order.get(target) or (self.spec.refund.amount if target ==
                                               "refund.amount" and self.spec.refund else None)
        return "/".join(spec.from_) if spec and spec.from_ else target

    def _read_items(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The order's lines.  A container that is not a list of objects (``orders: "abc"``,
        a null or a number among the lines) is refused naming the line, never read as no
        lines."""
        if not self._items:
            return []
        if self._items_path is None:
            lines = [record]
        else:
            found = dig(record, self._items_path)
            where = self.spec.items.from_ if self.spec.items else ""
            if found is None and self._items_path and len(self._items_path) > 1:
                parent = dig(record, self._items_path[:1])
                if parent is not None and not isinstance(parent, dict):
                    raise RecordError(f"expected an object of lines, got {_kind(parent)}: "
                                      f"{shown(parent)}", field=self._items_path[0])
            if found is None or isinstance(found, dict):
                lines = [found] if found else []
            elif isinstance(found, list):
                lines = found
            else:
                raise RecordError(f"expected a list of lines, got {_kind(found)}: "
                                  f"{shown(found)}", field=where)
        items = []
        for i, line in enumerate(lines):
            if not isinstance(line, dict):
                raise RecordError(f"line {i + 1} is {_kind(line)}, not an object: {shown(line)}",
                                  field=f"{self.spec.items.from_}.{i}"  # type: ignore[union-attr]
                                  if self._items_path else None)
            item: dict[str, Any] = {}
            self._read_line(line, item)
            items.append(item)
        return items

    def _refund_state(
        self, record: dict[str, Any], items: list[dict[str, Any]], base: OrderStatus
    ) -> tuple[RefundStatus | None, bool]:
        """The refund state and whether it covers the whole order (only then is the order
        ``refunded``; a partial refund leaves the base status)."""
        if base == OrderStatus.refunded:
            return RefundStatus.refunded, True
        if base == OrderStatus.refunding:
            return RefundStatus.requested, True
        for when, state in self._refund_rules:
            if when(record):  # a rule whose refund is null means "no refund, look no further"
                return state, True
        if self._line_refunds is None or not items:
            return None, False
        requested, done = self._line_refunds
        states = [str(i.get("refund_status")) for i in items]
        if not requested.isdisjoint(states):
            return RefundStatus.requested, True
        refunded = [s in done for s in states]
        if any(refunded):
            return RefundStatus.refunded, all(refunded)
        return None, False


_VALIDATE = Order.__pydantic_validator__.validate_python


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def reason_of(err: Any) -> str:
    """A pydantic error as a person reads it, quoting (a cut of) the value."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "string_too_long":
        return f"longer than the {ctx.get('max_length')} characters the store keeps " \
               f"({len(value):,} characters): {shown(value)}"
    if kind == "greater_than_equal":
        return f"negative value {shown(value)}: must be {ctx.get('ge')} or more"
    if kind == "less_than_equal":
        return f"value {shown(value)} is over the largest accepted, {ctx.get('le')}"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _overlay(base: OrderStatus, refund: RefundStatus | None, whole: bool) -> OrderStatus:
    if refund == RefundStatus.requested and base != OrderStatus.pending_payment:
        return OrderStatus.refunding
    if refund == RefundStatus.refunded and whole and base != OrderStatus.pending_payment:
        return OrderStatus.refunded
    return base


# -- compiling a spec ------------------------------------------------------------------------


def split_path(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def dig(record: Any, path: tuple[str, ...]) -> Any:
    value = record
    for i, key in enumerate(path):
        if key == "*":
            if not isinstance(value, list):
                return None
            rest = path[i + 1 :]
            return [dig(v, rest) for v in value]
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.isdigit():
            idx = int(key)
            value = value[idx] if idx < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value


# Text and whole-number values already read, per field: shops, statuses, SKUs, prices and
# quantities repeat on most rows of a file (Douyin writes amounts and statuses as numbers), so
# each distinct value is transformed once.  Transforms are pure and return immutable values
# (str, Decimal, datetime, int), so sharing a result is safe; errors are never remembered.
# Text and ints never share a key (a bool or a float is never kept: True == 1 == 1.0).
# Bounded (MEMO_SIZE), because order numbers and times never repeat: their memos fill up with
# values never asked again (at 4,096 a memo, 20-30 MB of an ingest's memory; 1,024 cost no
# measurable CPU in bench/mapping.py and read the same orders).


def field_getter(target: str, spec: FieldLike, tz: tzinfo) -> Getter:
    """A closure reading one field.  Plain paths (the common case) get a lookup without the
    general path walker, since this runs for every field of every record."""
    return field_read(target, spec, tz).get


def field_read(target: str, spec: FieldLike, tz: tzinfo) -> FieldRead:
    """:func:`field_getter`'s closure, with the parts a generated reader inlines
    (:mod:`.mapping_code`): both share the memo."""
    transform = TRANSFORMS[spec.as_]
    paths = [split_path(p) for p in spec.from_]
    names = "/".join(spec.from_)
    const, default, required, reduce = spec.const, spec.default, spec.required, spec.reduce
    if const is not None:
        return FieldRead(lambda record: const, const=const)
    general = reduce is not None or any("*" in p or any(k.isdigit() for k in p) for p in paths)
    fetch = _fetcher(paths) if not general else None

    def missing() -> Any:
        if required:
            raise RecordError(f"missing required {target} (from {names})", field=names)
        return default

    def refuse(exc: Exception, raw: Any) -> NoReturn:
        raise RecordError(_why(exc, raw), field=names) from None

    def convert(raw: Any, memo: dict[str | int, Any]) -> Any:
        """The transformed value of a raw value not in the memo; text and ints are
        remembered."""
        try:
            value = transform(raw, tz)
        except VALUE_ERRORS as exc:
            refuse(exc, raw)
        value = missing() if value is None else value
        if (type(raw) is str or type(raw) is int) and len(memo) < MEMO_SIZE:
            memo[raw] = value
        return value

    if fetch is not None:
        memo: dict[str | int, Any] = {}

        def get(record: Any) -> Any:
            raw = fetch(record)
            if raw is None:
                return missing()
            if type(raw) is str or type(raw) is int:
                found = memo.get(raw, UNSEEN)
                if found is not UNSEEN:
                    return found
            return convert(raw, memo)

        return FieldRead(get, paths, None, memo, missing, required, default, transform, tz,
                         refuse)

    def get_general(record: Any) -> Any:
        for path in paths:
            raw = dig(record, path)
            if raw is None:
                continue
            try:
                value = _reduce(raw, reduce, transform, tz) if isinstance(raw, list) and reduce \
                    else transform(raw, tz)
            except VALUE_ERRORS as exc:
                raise RecordError(_why(exc, raw), field=names) from None
            if value is not None:
                return value
        return missing()

    return FieldRead(get_general)


def _why(exc: Exception, raw: Any) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    return f"cannot read {shown(raw)}: {type(exc).__name__}"


def _fetcher(paths: list[tuple[str, ...]]) -> Callable[[Any], Any]:
    """First non-blank raw value among plain dotted ``paths`` (no wildcards or indexes)."""
    if len(paths) == 1 and len(paths[0]) == 1:
        (key,) = paths[0]

        def one(record: Any) -> Any:
            raw = record.get(key)
            return None if raw == "" else raw

        return one

    def first(record: Any) -> Any:
        for path in paths:
            value = record
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
                if value is None:
                    break
            if value is not None and value != "":
                return value
        return None

    return first


def _reduce(values: list[Any], how: str, transform: Any, tz: tzinfo) -> Any:
    parts = [transform(v, tz) for v in values if v is not None]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if how == "sum":
        return sum(parts, Decimal(0) if isinstance(parts[0], Decimal) else 0)
    if how == "join":
        return " ".join(str(p) for p in parts)
    return parts[0]


def _when_fn(when: dict[str, Any]) -> Callable[[Any], bool]:
    tests = []
    for key, expected in when.items():
        allowed = {_norm(v) for v in (expected if isinstance(expected, list) else [expected])}
        path = split_path(key)
        tests.append((_one_key(path), path, allowed))

    def check(record: Any) -> bool:  # every record, every rule: dig and _norm written out
        for key, path, allowed in tests:
            value = record.get(key) if key is not None and type(record) is dict \
                else dig(record, path)
            if ("" if value is None else str(value).strip()) not in allowed:
                return False
        return True

    return check


def _one_key(path: tuple[str, ...]) -> str | None:
    """The key of a one-step path, which :func:`dig` reads off a dict as ``.get(key)``."""
    return path[0] if len(path) == 1 and path[0] != "*" else None


def _norm(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _status_fn(spec: StatusSpec) -> Callable[[Any], OrderStatus | None]:
    rules = [(_when_fn(r.when), r.status) for r in spec.rules if r.status]
    path = split_path(spec.from_) if spec.from_ else None
    key = _one_key(path) if path else None
    table = {_norm(k): v for k, v in spec.map.items()}

    def status(record: Any) -> OrderStatus | None:
        for when, value in rules:
            if when(record):
                return value
        if path is not None:
            raw = record.get(key) if key is not None and type(record) is dict \
                else dig(record, path)
            return table.get("" if raw is None else str(raw).strip())
        return None

    return status


# -- finding mappings ------------------------------------------------------------------------


def load_mapping(path: Path, roots: Sequence[Path] = ()) -> Mapping:
    """Load and check one mapping file; raises SourceErrors with positions.

    Files it names (``status.table``) must lie inside the mapping's own folder or one of
    ``roots`` (the workspace): a mapping cannot read ``../../../../etc/shadow``.
    """
    text = yamlfile.read_text(path)
    cached = _cached_spec(text)
    if cached is not None:
        return Mapping(cached, str(path))
    data = yamlfile.parse(text, str(path))
    spec = yamlfile.validate(MappingSpec, data, str(path), text)
    errors = []
    for target in spec.order:
        if target not in _ORDER_TARGETS:
            errors.append(_bad_target(target, _ORDER_TARGETS, data, ["order", target], path, text))
    for target in spec.items.fields if spec.items else ():
        if target not in _ITEM_TARGETS:
            errors.append(
                _bad_target(target, _ITEM_TARGETS, data, ["items", "fields", target], path, text)
            )
    if errors:
        raise SourceErrors(errors)
    if spec.status.table:
        from .tables import read_status_table

        table_path = inside(path.parent / spec.status.table, [path.parent, *roots])
        if table_path is None:
            raise SourceErrors([SourceError(
                f"status table {spec.status.table!r} is outside the mapping's folder and the "
                "workspace; keep it beside the mapping",
                yamlfile.span_at(data, ["status", "table"], str(path)), source=text)])
        table = read_status_table(table_path)
        spec.status.map = {**spec.status.map, **table}
    else:
        _keep_spec(text, spec)
    return Mapping(spec, str(path))


# -- the checked specs of mapping files, kept by their text ---------------------------------
# Parsing YAML with positions (ruamel's round-trip loader) costs ~9 ms a file, every run:
# more than a re-ingest of a few thousand unchanged orders.  A file that passed every check is
# kept as its spec's JSON under the hash of its text (and of the spec's schema), so the next
# run with the same text reads that instead.  Only files without a status table (whose
# content lives in another file) are kept; a cache that cannot be read or written is skipped.


@cache
def _schema_key() -> bytes:
    return json.dumps(MappingSpec.model_json_schema(), sort_keys=True).encode()


def _cache_file(text: str) -> Path | None:
    folder = cachedir.cache_dir("mappings")
    if folder is None:
        return None
    key = hashlib.blake2b(_schema_key() + b"\0" + text.encode("utf-8", "surrogatepass"),
                          digest_size=16).hexdigest()
    return folder / f"{key}.json"


def _cached_spec(text: str) -> MappingSpec | None:
    try:
        file = _cache_file(text)
        body = cachedir.read(file) if file is not None else None
        return MappingSpec.model_validate_json(body) if body is not None else None
    except ValueError:
        return None


def _keep_spec(text: str, spec: MappingSpec) -> None:
    """Keep ``spec`` for :func:`_cached_spec`, when its JSON reads back as the same spec
    (a YAML date or other value JSON would turn into text is not kept)."""
    file = _cache_file(text)
    if file is None:
        return
    body = spec.model_dump_json()
    try:
        again = MappingSpec.model_validate_json(body)
    except ValueError:
        return
    if again == spec and again.model_dump_json() == body:
        cachedir.keep(file, body.encode())


def inside(target: Path, roots: Sequence[Path]) -> Path | None:
    """``target`` resolved (symbolic links and ``..`` followed), when it lies inside one of
    ``roots``; else None."""
    resolved = target.resolve()
    for folder in roots:
        if resolved.is_relative_to(Path(folder).resolve()):
            return resolved
    return None


def _bad_target(
    target: str, known: set[str], data: Any, loc: list[str], path: Path, text: str
) -> SourceError:
    return SourceError(
        f"{target!r} is not a field of the normalized order",
        yamlfile.span_at(data, loc, str(path)),
        source=text,
        hint=yamlfile.suggest(target, known),
    )


def load_dir(folder: Path, load: Callable[[Path], _T]) -> dict[str, _T]:
    """Every ``*.yaml`` in ``folder`` (none if it does not exist), loaded with ``load`` and
    keyed by its ``name``.  Order and settlement mappings are both kept this way."""
    out: dict[str, _T] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        loaded = load(path)
        out[loaded.name] = loaded  # type: ignore[attr-defined]
    return out


def package_dir(package: str) -> Path:
    return Path(str(resources.files(package)))


@cache
def builtin_mappings() -> dict[str, Mapping]:
    """The mappings shipped with orderhub, by name."""
    return load_dir(package_dir("orderhub.connectors.mappings"), load_mapping)


def _load_within(path: Path, roots: list[Path]) -> Mapping:
    return load_mapping(path, roots)


def mappings(extra_dirs: list[Path] | None = None) -> dict[str, Mapping]:
    """Built-in mappings plus any in ``extra_dirs`` (a workspace's ``mappings/``), which win."""
    out = dict(builtin_mappings())
    for folder in extra_dirs or []:
        root = folder.parent  # the workspace holding this mappings/ folder
        out.update(load_dir(folder, functools.partial(_load_within, roots=[root])))
    return out
