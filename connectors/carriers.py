"""The carrier table: orderhub's carrier codes and what each platform calls the same carrier.

Every platform names carriers its own way when a shipment is written back: Taobao a
``company_code`` (``ZTO``), JD a numeric ``logiCoprId`` (1499), PDD a numeric ``logistics_id``
(115), Douyin a ``company_code`` (``zhongtong``).  The table is data (``carriers.yaml`` beside
this module, plus an optional ``carriers.yaml`` in the workspace that adds or replaces rows), so
a new carrier or a corrected id needs no code.  A bad row is reported with its file, line and
column; a carrier a platform cannot take is refused naming both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..dsl import yamlfile
from ..errors import OrderhubError, SourceError, SourceErrors

BUILTIN = Path(__file__).with_name("carriers.yaml")
PLATFORMS = ("taobao", "jd", "pdd", "douyin")


class UnknownCarrier(OrderhubError):
    """A carrier the table does not know, or one without a code on the platform asked for."""

    def __init__(self, message: str, *, carrier: str, platform: str | None) -> None:
        super().__init__(message)
        self.carrier, self.platform = carrier, platform


class CarrierRow(BaseModel):
    """One carrier: our code, its Chinese name, and each platform's code or id (if any)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="orderhub's code, e.g. ZTO")
    name: str = Field(min_length=1, description="the Chinese name on waybills")
    taobao: str | None = Field(None, min_length=1, description="TOP company_code")
    jd: int | None = Field(None, gt=0, description="JOS logiCoprId")
    pdd: int | None = Field(None, gt=0, description="PDD logistics_id")
    douyin: str | None = Field(None, min_length=1, description="Douyin company_code")

    @field_validator("taobao", "douyin", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class CarrierFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carriers: list[CarrierRow]


class CarrierTable:
    """Carrier rows by code; later files replace earlier rows of the same code."""

    def __init__(self, rows: Iterable[CarrierRow] = ()) -> None:
        self.rows: dict[str, CarrierRow] = {}
        for row in rows:
            self.rows[row.code] = row

    @classmethod
    def load(cls, *paths: Path) -> CarrierTable:
        """The built-in table, then each existing file of ``paths`` over it."""
        table = cls(read_file(BUILTIN))
        for path in paths:
            if path.is_file():
                table.rows.update({r.code: r for r in read_file(path)})
        return table

    @classmethod
    def for_workspace(cls, root: Path | None) -> CarrierTable:
        return cls.load(root / "carriers.yaml") if root is not None else cls.load()

    def row(self, carrier: str, platform: str | None = None) -> CarrierRow:
        row = self.rows.get(carrier.strip().upper())
        if row is None:
            known = ", ".join(sorted(self.rows))
            purpose = f" (shipping a {platform} order)" if platform else ""
            raise UnknownCarrier(f"carrier {carrier!r} is not in the carrier table{purpose}; "
                                 f"known: {known}", carrier=carrier, platform=platform)
        return row

    def platform_code(self, carrier: str, platform: str) -> str | int:
        """What ``platform`` calls ``carrier`` (TOP/Douyin company_code, JD/PDD numeric id)."""
        row = self.row(carrier, platform)
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        value: str | int | None = getattr(row, platform)
        if value is None:
            raise UnknownCarrier(
                f"carrier {row.code} ({row.name}) has no {platform} code in the carrier table; "
                f"add `{platform}:` to its row in carriers.yaml", carrier=row.code,
                platform=platform)
        return value


def read_file(path: Path) -> list[CarrierRow]:
    """The rows of one carrier file; every mistake (and a repeated code) with its position."""
    text = yamlfile.read_text(path)
    data = yamlfile.parse(text, str(path))
    parsed = yamlfile.validate(CarrierFile, data, str(path), text)
    seen: dict[str, int] = {}
    errors = []
    for i, row in enumerate(parsed.carriers):
        if row.code in seen:
            errors.append(SourceError(
                f"carriers[{i}]: carrier code {row.code} is already given in row {seen[row.code]}",
                yamlfile.span_at(data, ["carriers", i, "code"], str(path)), source=text))
        seen.setdefault(row.code, i)
    if errors:
        raise SourceErrors(errors)
    return parsed.carriers
