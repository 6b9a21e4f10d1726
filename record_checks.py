"""Checks every record passes before it is mapped: values the store could not keep as they are.

A NUL character (PostgreSQL text refuses it; SQLite would keep it), bytes that are not text in
the file's encoding (kept as lone surrogates by the readers, so only the record holding them is
lost), and nesting deeper than any order has (the JSON writers give up, and so would a
person).  Each becomes a reject naming the field, identically on every database.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import orjson

#: Deeper than this, a record is not an order (and the stored order document, which holds
#: the record, must stay readable: pydantic's JSON parser stops at 200 levels).
MAX_DEPTH = 64
#: How much of a bad value a reject reason quotes (the position says where the rest is).
SHOWN = 80

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_DEEP_INDENT = b"\n" + b" " * (2 * MAX_DEPTH)
_NUL = "contains a NUL character (\\u0000)"
_UNDECODED = "holds bytes that are not text in the file's encoding (JSON files are UTF-8)"


def needs_scan(text: str) -> bool:
    """Whether a file's text may hold a NUL or undecodable text at all: when not, a record
    needs only the cheap depth test of :func:`too_deep` (most files, at C speed)."""
    return "\x00" in text or "\\u0000" in text or has_undecoded(text) \
        or _SURROGATE_ESCAPE.search(text) is not None


def may_nest_deeper(record: Any) -> bool:
    """Whether ``record`` may nest :data:`MAX_DEPTH` levels or more, at C speed: orjson
    indents each level by two spaces, so no line indented ``2 * MAX_DEPTH`` spaces means no
    value that deep.  True only says "walk it" (:func:`record_problem` decides); orjson also
    gives up on integers beyond 64 bits, which the walk reads fine."""
    try:
        text = orjson.dumps(record, option=orjson.OPT_INDENT_2, default=str)
    except TypeError:
        return True
    return _DEEP_INDENT in text


def canonical(record: Any) -> bytes | None:
    """The record as compact JSON with sorted keys (what a record's fingerprint hashes), or
    None where orjson cannot write it (an integer beyond 64 bits, text that is not UTF-8)."""
    try:
        return orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:
        return None


def shallow(body: bytes) -> bool:
    """Whether a record whose :func:`canonical` form is ``body`` surely nests less than
    :data:`MAX_DEPTH` levels: a value that deep needs that many ``{`` or ``[`` before it (text
    holding those characters only makes the count larger, so False only says "walk it").
    One C-speed count over the serialization the fingerprint needs anyway."""
    return body.count(b"{") + body.count(b"[") < MAX_DEPTH


def has_undecoded(text: str) -> bool:
    """Whether ``text`` holds bytes a reader could not decode (kept as lone surrogates)."""
    return _SURROGATE.search(text) is not None


def record_problem(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """(field path, reason) of the first value in a record that cannot be stored, or None."""
    if isinstance(value, str):
        return _text_problem(value, path)
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return path, f"nested more than {MAX_DEPTH} levels deep"
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            found = _text_problem(key, where) if isinstance(key, str) else None
            if found is None and isinstance(inner, str | dict | list):
                found = record_problem(inner, where, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        if depth >= MAX_DEPTH:
            return path, f"nested more than {MAX_DEPTH} levels deep"
        for i, inner in enumerate(value):
            if isinstance(inner, str | dict | list):
                found = record_problem(inner, f"{path}.{i}" if path else str(i), depth + 1)
                if found is not None:
                    return found
    return None


def _text_problem(text: str, where: str) -> tuple[str, str] | None:
    if "\x00" in text:
        return where, _NUL
    if not text.isascii() and _SURROGATE.search(text):
        return where, _UNDECODED
    return None


def shown(value: Any) -> str:
    """``repr(value)`` for a reject reason, cut to :data:`SHOWN` characters with the length
    said: a 10 MB value is named, not echoed."""
    if isinstance(value, Decimal):
        return str(value)
    text = repr(value) if len(str(value)) < 100_000 else repr(str(value)[:SHOWN])
    if len(text) <= SHOWN:
        return text
    size = len(value) if isinstance(value, str | list | dict) else len(text)
    return f"{text[:SHOWN]}... ({size:,} characters)"


def cut(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, saying how long it was; NULs and undecodable
    bytes written as ``\\u`` escapes (no database's text can hold them)."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if not text.isascii() and has_undecoded(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    if len(text) <= limit:
        return text
    marker = f"... [cut: {len(text):,} characters]"
    return text[: max(limit - len(marker), 0)] + marker
