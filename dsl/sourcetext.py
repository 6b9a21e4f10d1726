"""Reading files people write (rule files): UTF-8, or GBK/GB18030 as Windows editors save them.

A rule file saved by Notepad on a Chinese Windows is GBK.  It is read as such rather than failing
with a codec error; a file that is neither is an error at the line and column of the first byte
that does not decode.  The encoding is returned too, so a tool that edits the file in place
(``rules enable``) writes it back the way it found it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import SourceError, SourceSpan

_ENCODINGS = ("utf-8-sig", "gb18030")


def read_source(path: Path) -> tuple[str, str]:
    """(text, encoding) of ``path``; SourceError (with position) when it is not text."""
    data = path.read_bytes()
    first: UnicodeDecodeError | None = None
    for encoding in _ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first = first or exc
            continue
        if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
            encoding = "utf-8"
        return text, encoding
    assert first is not None
    line = data.count(b"\n", 0, first.start) + 1
    column = first.start - (data.rfind(b"\n", 0, first.start) + 1) + 1
    raise SourceError(f"not text: byte 0x{data[first.start]:02x} is neither UTF-8 nor GBK",
                      SourceSpan(str(path), line, column),
                      source=data.decode("utf-8", "replace"), hint="save the file as UTF-8 text"
                      ) from None
