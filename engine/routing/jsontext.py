"""JSON text for what routing stores (decisions, traces): orjson, json where orjson cannot.

Routing stores two JSON documents per order; with the standard library's encoder they cost
more than routing the order.  orjson writes the same documents (compact, UTF-8 kept) about ten
times faster.  Values orjson would write differently from ``json.dumps(default=str)`` (dates,
dataclasses, big integers) go through ``str`` or fall back to json, so what is read back is the
same either way.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


def dumps(value: Any) -> str:
    """``value`` as JSON text; anything JSON has no type for is written as ``str(value)``."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return _encode(value)  # e.g. an integer beyond 64 bits: json writes it


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
