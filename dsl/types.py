"""Types of the expression language, and the record schemas expressions are checked against.

A :class:`RecordType` describes what a name like ``receiver.phone`` means: its type, whether it
can be null, and how the compiled code reads it (attribute of a pydantic object, or key of a
plain dict).  The Order schema is derived from :mod:`orderhub.model` itself, so a field added to
the model is usable in rules at once.
"""

from __future__ import annotations

import enum
import types as pytypes
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Literal

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class ExprType:
    """An expression's type.  Compare with ``==``; use the class constants (``ExprType.BOOL``)
    and :meth:`list_of` / :meth:`of_record` for the composite kinds."""

    kind: str
    item: ExprType | None = None
    record: RecordType | None = field(default=None, compare=False)

    BOOL: ClassVar[ExprType]
    NUMBER: ClassVar[ExprType]
    STRING: ClassVar[ExprType]
    DATETIME: ClassVar[ExprType]
    DATE: ClassVar[ExprType]
    TIME: ClassVar[ExprType]
    DURATION: ClassVar[ExprType]
    NULL: ClassVar[ExprType]
    ANY: ClassVar[ExprType]

    @staticmethod
    def list_of(item: ExprType) -> ExprType:
        return ExprType("list", item)

    @staticmethod
    def map_of(item: ExprType) -> ExprType:
        return ExprType("map", item)

    @staticmethod
    def of_record(record: RecordType) -> ExprType:
        return ExprType("record", None, record)

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list of {self.item}"
        if self.kind == "record" and self.record is not None:
            return self.record.name
        return _NAMES.get(self.kind, self.kind)

    def accepts(self, other: ExprType) -> bool:
        """Whether a value of type ``other`` may stand where this type is expected."""
        if self.kind == "any" or other.kind in ("any", "null"):
            return True
        if self.kind != other.kind:
            return False
        if self.item is not None and other.item is not None:
            return self.item.accepts(other.item)
        return True


_NAMES = {
    "bool": "true/false",
    "number": "number",
    "string": "text",
    "datetime": "date-time",
    "date": "date",
    "time": "time of day",
    "duration": "duration",
    "null": "null",
    "any": "any value",
    "map": "key/value map",
}

ExprType.BOOL = ExprType("bool")
ExprType.NUMBER = ExprType("number")
ExprType.STRING = ExprType("string")
ExprType.DATETIME = ExprType("datetime")
ExprType.DATE = ExprType("date")
ExprType.TIME = ExprType("time")
ExprType.DURATION = ExprType("duration")
ExprType.NULL = ExprType("null")
ExprType.ANY = ExprType("any")

ORDERED_KINDS = {"number", "string", "datetime", "date", "time", "duration"}


@dataclass(eq=False)
class FieldSpec:
    """One readable field of a record.

    ``key``: the attribute or dict key the generated code reads.  ``encoding="iso"`` marks a
    datetime stored as an ISO-8601 string (plain-dict orders); it is parsed only when read.
    ``choices``: the allowed values of an enumerated text field, to catch ``platform == "tmal"``.
    """

    name: str
    type: ExprType
    nullable: bool = True
    key: str | None = None
    encoding: str | None = None
    choices: tuple[str, ...] | None = None
    doc: str | None = None
    #: the smallest value a number field takes (amounts and quantities: 0), from the model's
    #: ``ge`` constraint; decision-table checks never probe below it
    minimum: Decimal | None = None


@dataclass(eq=False)
class RecordType:
    """A record's fields and how to read them: ``access="attr"`` (objects) or ``"key"`` (dicts)."""

    name: str
    fields: dict[str, FieldSpec]
    access: Literal["attr", "key"] = "attr"

    def get(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)


def _python_type(annotation: Any) -> tuple[ExprType, bool, tuple[str, ...] | None, Any]:
    """Map a model annotation to (type, nullable, choices, nested model)."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, pytypes.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else Any
        origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        item_type, _, _, nested = _python_type(item)
        return ExprType.list_of(item_type), nullable, None, nested
    if origin is dict:
        return ExprType.map_of(ExprType.ANY), nullable, None, None
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return ExprType.of_record(record_from_model(annotation)), nullable, None, annotation
        if issubclass(annotation, enum.Enum):
            return ExprType.STRING, nullable, tuple(str(m.value) for m in annotation), None
        for py, et in _SCALARS:
            if issubclass(annotation, py):
                return et, nullable, None, None
    return ExprType.ANY, True, None, None


_SCALARS: list[tuple[type, ExprType]] = [
    (bool, ExprType.BOOL),
    (int, ExprType.NUMBER),
    (float, ExprType.NUMBER),
    (Decimal, ExprType.NUMBER),
    (str, ExprType.STRING),
    (datetime, ExprType.DATETIME),
    (date, ExprType.DATE),
    (time, ExprType.TIME),
    (timedelta, ExprType.DURATION),
]


@cache
def record_from_model(model: type[BaseModel]) -> RecordType:
    """The schema of a pydantic model: its fields plus its typed read-only properties."""
    hints = typing.get_type_hints(model)
    fields: dict[str, FieldSpec] = {}
    for name, info in model.model_fields.items():
        et, nullable, choices, _ = _python_type(hints.get(name, Any))
        fields[name] = FieldSpec(name, et, nullable, name, choices=choices,
                                 doc=info.description,
                                 minimum=_minimum(info.metadata, info.annotation))
    for name, member in vars(model).items():
        if isinstance(member, property) and not name.startswith("_"):
            ret = typing.get_type_hints(member.fget).get("return", Any)
            et, nullable, choices, _ = _python_type(ret)
            doc = (member.__doc__ or "").strip().split("\n\n")[0]
            fields[name] = FieldSpec(name, et, nullable, name, choices=choices,
                                     doc=" ".join(doc.split()) or None)
    return RecordType(model.__name__, fields, "attr")


def _minimum(metadata: list[Any], annotation: Any) -> Decimal | None:
    """The ``ge`` bound of a field (``Money | None`` keeps it inside the union)."""
    found = list(metadata)
    for arg in typing.get_args(annotation) or ():
        for meta in getattr(arg, "__metadata__", ()):
            found.extend(getattr(meta, "metadata", [meta]))
    for meta in found:
        ge = getattr(meta, "ge", None)
        if ge is not None:
            return Decimal(str(ge))
    return None


def order_record() -> RecordType:
    """The schema rules are checked against by default: :class:`orderhub.model.Order`."""
    from ..model import Order

    return record_from_model(Order)


def dict_record(name: str, spec: dict[str, Any]) -> RecordType:
    """A schema for plain-dict records, e.g. ``{"created_at": ("datetime", "iso"),
    "refund_requested_at": ("datetime", "iso", "nullable"), "items": [{"cold_chain": "bool"}]}``.

    Fields are required (read with ``d[key]``) unless marked ``nullable`` (then ``d.get(key)``).
    """
    fields: dict[str, FieldSpec] = {}
    for key, desc in spec.items():
        if isinstance(desc, list):
            item = dict_record(f"{name}.{key}", desc[0])
            fields[key] = FieldSpec(key, ExprType.list_of(ExprType.of_record(item)), False, key)
            continue
        if isinstance(desc, dict):
            rec = dict_record(f"{name}.{key}", desc)
            fields[key] = FieldSpec(key, ExprType.of_record(rec), False, key)
            continue
        words = desc if isinstance(desc, tuple) else (desc,)
        kind = words[0]
        fields[key] = FieldSpec(
            key,
            ExprType(kind) if kind not in ("list",) else ExprType.list_of(ExprType.ANY),
            "nullable" in words,
            key,
            encoding="iso" if "iso" in words else None,
        )
    return RecordType(name, fields, "key")


def type_of_value(value: Any) -> ExprType:
    """The language type of a Python value (for caller-supplied variables)."""
    if value is None:
        return ExprType.NULL
    for py, et in _SCALARS:
        if isinstance(value, py):
            return et
    if isinstance(value, list | tuple):
        return ExprType.list_of(type_of_value(value[0]) if value else ExprType.ANY)
    return ExprType.ANY
