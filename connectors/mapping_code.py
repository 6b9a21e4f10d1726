"""A mapping's fields read by one generated function, instead of a closure call per field.

Every record calls ~25 field readers (``field_getter`` closures) and each line ~10 more: the
calls, and the loop handing their values out, cost about as much as the reading itself.  The
plain fields (one or several dotted paths, no wildcard, index or reduce: nearly all of them)
are written out as straight-line Python here, from the very parts the closure uses (its memo,
transform, ``missing`` and ``refuse``), so a value reads, converts, is remembered and fails
exactly as through the closure; the other fields call their closure.  Fields are read in the
mapping's order, so the first bad one is still the one a reject names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

Getter = Callable[[Any], Any]

#: A memo's "not there": memos may hold None (a field's default).
UNSEEN = object()
#: How many values a field's memo keeps (see ``mapping.field_read``).
MEMO_SIZE = 1024
#: What a transform may raise on a hostile value; each becomes a reject naming the field.
VALUE_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError)


@dataclass(frozen=True, slots=True)
class FieldRead:
    """One field reader's parts: its closure ``get``, and for a plain field what the closure
    does, for :func:`compile_reader` to write out."""

    get: Getter
    #: the dotted paths, first present wins; None: a const, or a general field (call ``get``)
    paths: list[tuple[str, ...]] | None = None
    const: Any = None
    memo: dict[Any, Any] | None = None
    #: None, or the default; raises for a required field
    missing: Callable[[], Any] | None = None
    required: bool = False
    default: Any = None
    transform: Callable[[Any, Any], Any] | None = None
    tz: Any = None
    #: raises the reject of a value the transform refused
    refuse: Callable[[Exception, Any], NoReturn] | None = None


def compile_reader(fields: list[tuple[str, FieldRead]], params: str,
                   name: str) -> Callable[..., Any]:
    """``def name(record, <params>)`` storing each field's value (unless None) at its place:
    ``fields`` pairs the place (a Python target such as ``data['payment']``, naming
    ``params``) with its reader."""
    ns: dict[str, Any] = {"_UNSEEN": UNSEEN, "_ERRORS": VALUE_ERRORS, "_KEEP": MEMO_SIZE}
    body: list[str] = []
    for i, (place, read) in enumerate(fields):
        body += _field(i, place, read, ns)
    src = f"def {name}(record, {params}):\n" + "".join(f"    {line}\n" for line in body)
    src += "    return None\n"
    exec(compile(src, f"<mapping reader {name}>", "exec"), ns)  # noqa: S102 - our own source
    return ns[name]  # type: ignore[no-any-return]


def _field(i: int, place: str, read: FieldRead, ns: dict[str, Any]) -> list[str]:
    if read.paths is None:
        if read.const is not None:
            ns[f"k{i}"] = read.const
            return [f"{place} = k{i}"]
        ns[f"g{i}"] = read.get
        return [f"v = g{i}(record)", "if v is not None:", f"    {place} = v"]
    ns[f"m{i}"], ns[f"x{i}"] = read.memo, read.missing
    ns[f"f{i}"], ns[f"z{i}"], ns[f"r{i}"] = read.transform, read.tz, read.refuse
    lines: list[str] = []
    for k, path in enumerate(read.paths):  # the first non-blank value of the paths
        if k:
            lines.append("if raw is None or raw == '':")
        lines += [("    " if k else "") + line for line in _walk(path)]
    lines.append("if raw is None or raw == '':")
    if read.required:
        lines.append(f"    x{i}()")
    elif read.default is not None:
        ns[f"d{i}"] = read.default
        lines.append(f"    {place} = d{i}")
    else:
        lines.append("    pass")
    return lines + [  # the closure's memo lookup, and its convert() for a value not there
        "else:",
        "    t = type(raw)",
        f"    v = m{i}.get(raw, _UNSEEN) if t is str or t is int else _UNSEEN",
        "    if v is _UNSEEN:",
        "        try:",
        f"            v = f{i}(raw, z{i})",
        "        except _ERRORS as exc:",
        f"            r{i}(exc, raw)",
        "        if v is None:",
        f"            v = x{i}()",
        f"        if (t is str or t is int) and len(m{i}) < _KEEP:",
        f"            m{i}[raw] = v",
        "    if v is not None:",
        f"        {place} = v",
    ]


def _walk(path: tuple[str, ...]) -> list[str]:
    """``raw`` = the value at ``path`` of ``record`` (a dict), None where a step is not an
    object or the key is absent."""
    lines = [f"raw = record.get({path[0]!r})"]
    lines += [f"raw = raw.get({key!r}) if isinstance(raw, dict) else None" for key in path[1:]]
    return lines
