"""Receivers' personal data (PII): what a platform delivers, what orderhub may keep, masks.

All four platforms deliver the receiver encrypted or masked (Taobao OAID, PDD ciphertext with
``*_mask`` fields, JD TDE, Douyin ``encrypt_post_*``).  orderhub stores exactly that and
decrypts *on demand* (:mod:`.decrypt`): the clear receiver lives in memory for one evaluation
and, unless a shop's policy says ``pii: store``, never reaches the database, a log line, the
outbox or a decision's explanation.  A person sees masked forms (``138****1234``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

#: Ciphertexts as the platforms write them: PDD/Douyin ``$index$cipher$v$$`` (phones) and
#: ``~index~cipher~v~~`` (names, addresses) [U: the exact layout of the middle part]; JD TDE
#: base64 starting with its version byte.  Used to tell ciphertext from text.
_SEARCHABLE = re.compile(r"^([$~#])([^$~#]+)\1([^$~#]+)\1\d+\1\1?$")


class PiiSettings(BaseModel):
    """A shop's ``pii:`` policy (``pii: store`` is the short form of ``{storage: store}``)."""

    storage: Literal["memory", "store"] = Field(
        "memory", description="memory: clear text never written; store: the hosting allows it")
    decrypt: bool = Field(True, description="call the platform's decrypt API (else: tokens)")
    per_minute: int | None = Field(
        None, ge=1, description="our own cap on decrypt calls per minute (platform quota aside)")
    taobao_scene: str = Field("1005", description="taobao.top.oaid.decrypt scene [U: which]")
    delay_seconds: float = Field(60, gt=0, description="retry an order after a quota error")

    @model_validator(mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"storage": value}
        return value


@dataclass(frozen=True, slots=True)
class ClearReceiver:
    """A decrypted receiver: held in memory for one evaluation, never persisted by default."""

    name: str | None = None
    phone: str | None = None
    address: str | None = None


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` -> ``138****1234``; what is not a plain number is returned unchanged."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7 or not phone.replace("+", "").replace("-", "").replace(" ", "").isdigit():
        return phone
    return f"{digits[:3]}****{digits[-4:]}"


def mask_name(name: str | None) -> str | None:
    """``张三丰`` -> ``张**``, as the platforms' masks show a name."""
    if not name or is_cipher(name):
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_address(address: str | None) -> str | None:
    """Keep the first six characters (province and city, usually) and hide the rest."""
    if not address or is_cipher(address):
        return address
    return address[:6] + "****" if len(address) > 6 else "****"


def is_cipher(value: str | None) -> bool:
    """Whether ``value`` looks like a platform ciphertext rather than text or a mask."""
    if not value:
        return False
    if _SEARCHABLE.match(value):
        return True
    if len(value) < 64 or not value.isascii() or " " in value:
        return False
    try:  # JD TDE: version byte 1, then key id, IV and body (simplified layout, [U])
        return base64.b64decode(value, validate=True)[:1] == b"\x01"
    except ValueError:
        return False


def search_index(value: str | None) -> str | None:
    """The searchable part of a PDD/Douyin ciphertext (stable for one clear value), or None."""
    if not value:
        return None
    m = _SEARCHABLE.match(value)
    return m.group(2) if m else None
