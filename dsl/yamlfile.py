"""YAML files that people edit, loaded so that every mistake points at its line and column.

ruamel.yaml's round-trip loader keeps each key's and item's position (0-based); pydantic reports
a ``loc`` path for each validation error.  :func:`load_model` joins the two, so a wrong key in a
flow or mapping file is reported as ``file:line:col`` with the line and a caret, all errors of
the file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ..errors import SourceError, SourceErrors, SourceSpan
from .sourcetext import read_source

M = TypeVar("M", bound=BaseModel)


def read_text(path: Path) -> str:
    """The file's text: UTF-8, or GBK as Windows editors save it (see :mod:`.sourcetext`);
    SourceErrors at the first byte that is neither."""
    try:
        return read_source(path)[0]
    except SourceError as exc:
        raise SourceErrors([exc]) from None


def parse(text: str, filename: str) -> Any:
    """Parse YAML text, keeping positions; syntax errors become a positioned SourceError."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = SourceSpan(filename)
        if mark:
            span = SourceSpan(filename, mark.line + 1, mark.column + 1)
        raise SourceErrors(
            [SourceError(f"YAML syntax: {exc.problem or exc.context}", span, source=text,
                         hint=_quoting_hint(exc, text))]
        ) from None


def _quoting_hint(exc: MarkedYAMLError, text: str) -> str | None:
    """An expression with ``: `` in it (``when: any item in items: item.cold_chain``) reads as a
    nested mapping in YAML; say to quote it."""
    mark = exc.problem_mark
    if mark is None or "mapping values are not allowed" not in str(exc.problem):
        return None
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    key, sep, value = line.partition(": ")
    if not sep or not value.strip():
        return None
    quoted = value.strip().replace("'", "''")
    return (f"quote a value that contains ': ', e.g. {key.strip()}: '{quoted}' "
            "(or write it on the next line after `|`)")


def position(data: Any, loc: Sequence[int | str]) -> tuple[int, int] | None:
    """The 1-based (line, column) of the node at ``loc``, or of its nearest ancestor."""
    node, best = data, None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, col = node.lc.key(key)
            best = (line + 1, col + 1)
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line, col = node.lc.item(key)
            best = (line + 1, col + 1)
            node = node[key]
        else:
            break
    if best is None and hasattr(data, "lc"):
        best = (data.lc.line + 1, data.lc.col + 1)
    return best


def value_position(data: Any, loc: Sequence[int | str]) -> tuple[int, int] | None:
    """The 1-based position of the *value* at ``loc`` (where an embedded expression starts)."""
    parent = data
    for key in loc[:-1]:
        parent = parent[key]
    key = loc[-1]
    if isinstance(parent, CommentedMap):
        line, col = parent.lc.value(key)
        return line + 1, col + 1
    if isinstance(parent, CommentedSeq):
        line, col = parent.lc.item(key)
        return line + 1, col + 1
    return None


def span_at(data: Any, loc: Sequence[int | str], filename: str) -> SourceSpan:
    pos = position(data, loc)
    return SourceSpan(filename, *pos) if pos else SourceSpan(filename)


def validation_errors(
    exc: ValidationError, data: Any, filename: str, text: str
) -> list[SourceError]:
    """One positioned SourceError per pydantic error, with a did-you-mean for unknown keys."""
    out = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and "[" in p)]
        where = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden" and loc:
            message = f"unknown key {loc[-1]!r} in {'.'.join(map(str, loc[:-1])) or 'the file'}"
        else:
            message = f"{where}: {err['msg']}"
        out.append(SourceError(message, span_at(data, loc, filename), source=text))
    return out


def load_model(model: type[M], path: Path, *, context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; raise SourceErrors with every mistake."""
    text = read_text(path)
    data = parse(text, str(path))
    return validate(model, data, str(path), text, context=context)


def validate(
    model: type[M], data: Any, filename: str, text: str, *, context: dict[str, Any] | None = None
) -> M:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = validation_errors(exc, data, filename, text)
        for err, detail in zip(errors, exc.errors(), strict=True):
            if detail["type"] == "extra_forbidden" and err.hint is None:
                err.hint = suggest(str(detail["loc"][-1]), _known_keys(model, detail["loc"][:-1]))
        raise SourceErrors(errors) from None


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """'did you mean' the closest choice, for every misspelt name (a YAML key, a rule field, a
    function, a node id): fewest edits first (``payed`` -> ``paid``, not ``updated``), then
    difflib's similarity, ignoring case when nothing is close otherwise; None when nothing is
    close at all."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=5, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered))]
    if not close:
        return None
    best = min(close, key=lambda c: (_edits(word.lower(), c.lower()), close.index(c)))
    return f"did you mean {best!r}?"


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _known_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """Field names (and aliases) of the sub-model at ``loc``, for suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", {})
        info = fields.get(part) or next(
            (f for f in fields.values() if f.alias == part), None
        )
        current = _model_of(info.annotation) if info else None
    if current is None or not hasattr(current, "model_fields"):
        return []
    names = []
    for name, info in current.model_fields.items():
        names.append(info.alias or name)
    return names


def _model_of(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
