"""Photos from the warehouse: resized, EXIF (GPS included) stripped, stored by name.

:class:`LocalMedia` keeps them in the workspace's ``media/`` folder (the default).  Anything with
``put(name, data)`` / ``get(name)`` is a :class:`MediaStore`; an S3-compatible bucket would be
one more class behind this interface (not built yet).
"""

from __future__ import annotations

import io
import re
import secrets
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import NotFound
from .errors import FulfilmentError

#: the longest side of a stored photo, in pixels
MAX_SIDE = 1600
MAX_UPLOAD = 15 * 1024 * 1024
_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


class MediaStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes: ...


class LocalMedia:
    """Photos as files under ``root`` (the workspace's ``media`` folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / (name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(self.root / name)

    def get(self, name: str) -> bytes:
        if not _NAME.match(name) or not (self.root / name).is_file():
            raise NotFound(f"no photo {name!r}")
        return (self.root / name).read_bytes()


def media_of(ws: object) -> MediaStore:
    return LocalMedia(Path(getattr(ws, "root", ".")) / "media")


def clean_photo(data: bytes, *, filename: str = "photo") -> bytes:
    """The photo as a JPEG no larger than :data:`MAX_SIDE`, turned upright, with no EXIF
    (no GPS, no camera serial) and no other metadata."""
    if len(data) > MAX_UPLOAD:
        raise FulfilmentError(f"{filename}: {len(data)} bytes is more than a photo may be "
                              f"({MAX_UPLOAD} bytes)")
    try:
        with Image.open(io.BytesIO(data)) as src:
            upright = ImageOps.exif_transpose(src)
            image = upright.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise FulfilmentError(f"{filename}: not an image ({exc})") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def store_photo(store: MediaStore, data: bytes, *, filename: str = "photo") -> str:
    """Clean ``data`` and store it; returns its name."""
    name = secrets.token_hex(16) + ".jpg"
    store.put(name, clean_photo(data, filename=filename))
    return name
