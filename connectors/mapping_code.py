"""A mapping's fields read by one generated function, instead of a closure call per field.

Every record calls ~25 field readers (``field_getter`` closures) and each line ~10 more: the
calls, and the loop handing their values out, cost about as much as the reading itself.  The
plain fields (one or several dotted paths, no wildcard, index or reduce: nearly all of them)
are written out as straight-line Python here, from the very parts the closure uses (its memo,
its ``convert`` and ``missing``), so a value reads, converts, is remembered and fails exactly
as through the closure; the other fields call their closure.  Fields are read in the
mapping's order, so the first bad one is still the one a reject names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Getter = Callable[[Any], Any]

#: A memo's "not there": memos may hold None (a field's default).
UNSEEN = object()


@dataclass(frozen=True, slots=True)
class FieldRead:
    """One field reader's parts: its closure ``get``, and for a plain field what the closure
    does, for :func:`compile_reader` to write out."""

    get: Getter
    #: the dotted paths, first present wins; None: a const, or a general field (call ``get``)
    paths: list[tuple[str, ...]] | None = None
    const: Any = None
    memo: dict[Any, Any] | None = None
    convert: Callable[[Any, dict[Any, Any]], Any] | None = None
    missing: Callable[[], Any] | None = None
    required: bool = False
    default: Any = None


def compile_reader(fields: list[tuple[str, FieldRead]], params: str,
                   name: str) -> Callable[..., Any]:
    """``def name(record, <params>)`` storing each field's value (unless None) at its place:
    ``fields`` pairs the place (a Python target such as ``data['payment']``, naming
    ``params``) with its reader."""
    ns: dict[str, Any] = {"_UNSEEN": UNSEEN}
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
    ns[f"m{i}"], ns[f"c{i}"] = read.memo, read.convert
    lines: list[str] = []
    for k, path in enumerate(read.paths):  # the first non-blank value of the paths
        if k:
            lines.append("if raw is None or raw == '':")
        lines += [("    " if k else "") + line for line in _walk(path)]
    lines.append("if raw is None or raw == '':")
    if read.required:
        ns[f"x{i}"] = read.missing
        lines.append(f"    x{i}()")
    elif read.default is not None:
        ns[f"d{i}"] = read.default
        lines.append(f"    {place} = d{i}")
    else:
        lines.append("    pass")
    return lines + [
        "else:",
        "    if type(raw) is str or type(raw) is int:",
        f"        v = m{i}.get(raw, _UNSEEN)",
        "        if v is _UNSEEN:",
        f"            v = c{i}(raw, m{i})",
        "    else:",
        f"        v = c{i}(raw, m{i})",
        "    if v is not None:",
        f"        {place} = v",
    ]


def _walk(path: tuple[str, ...]) -> list[str]:
    """``raw`` = the value at ``path`` of ``record`` (a dict), None where a step is not an
    object or the key is absent."""
    lines = [f"raw = record.get({path[0]!r})"]
    lines += [f"raw = raw.get({key!r}) if isinstance(raw, dict) else None" for key in path[1:]]
    return lines
