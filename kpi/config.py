"""``kpi:`` in ``orderhub.yaml``: ship deadlines per platform, what counts as a mis-shipment
after-sales record, and when the weekly digest goes out.

```yaml
kpi:
  ship_deadline_hours: {taobao: 48, jd: 24, pdd: 48, douyin: 48}
  digest: {enabled: true, day: mon, time: "09:00"}
```
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: 48 h after payment is the commonly cited default (unverified: rule pages were title-only).
DEFAULT_DEADLINE_HOURS = 48.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DigestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="send the weekly digest through the WeCom channel")
    day: str = Field("mon", description="day of the week it goes out (mon..sun), shop time")
    time: str = Field("09:00", description="HH:MM, shop time; it reports the week before")

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        if value not in DAYS:
            raise ValueError(f"day must be one of {', '.join(DAYS)}, not {value!r}")
        return value

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        hour, _, minute = value.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"time must be HH:MM, not {value!r}")
        return value


class KpiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ship_deadline_hours: dict[str, float] = Field(
        default_factory=dict,
        description="hours from payment to the ship deadline per platform (default 48)")
    default_deadline_hours: float = Field(DEFAULT_DEADLINE_HOURS, gt=0)
    mis_shipment_reasons: list[str] = Field(
        default_factory=lambda: ["错发", "发错", "漏发", "少发", "少件", "缺件", "错货",
                                 "wrong item", "missing item"],
        description="an after-sales reason containing one of these is a mis-shipment")
    digest: DigestConfig = Field(default_factory=DigestConfig)

    def deadline_hours(self, platform: str) -> float:
        return self.ship_deadline_hours.get(platform, self.default_deadline_hours)
