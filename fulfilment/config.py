"""``fulfilment:`` in ``orderhub.yaml``: the review queues with their SLA, and which rule and
flow actions block an order.

```yaml
fulfilment:
  queues:
    cs: {sla_minutes: 30, aliases: [客服审核, 人工审核]}
    warehouse: {sla_minutes: 60}
```

A task names its queue by key or by any alias (rules say ``task queue "客服审核"``); a queue
nobody configured gets ``default_sla_minutes``.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


class QueueConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="shown to people, e.g. 客服")
    sla_minutes: float = Field(60, gt=0, description="a task is overdue this long after it opens")
    aliases: list[str] = Field(default_factory=list, description="other names rules use for it")


def _default_queues() -> dict[str, QueueConfig]:
    return {
        "cs": QueueConfig(name="客服", sla_minutes=30,
                          aliases=["客服审核", "人工审核", "客服", "审单"]),
        "warehouse": QueueConfig(name="仓库", sla_minutes=60, aliases=["仓库", "仓库组长"]),
        "purchasing": QueueConfig(name="采购", sla_minutes=240, aliases=["采购", "补货"]),
        "finance": QueueConfig(name="财务", sla_minutes=1440, aliases=["财务"]),
    }


class FulfilmentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queues: dict[str, QueueConfig] = Field(default_factory=_default_queues)
    default_sla_minutes: float = Field(120, gt=0)

    def queue(self, name: str | None) -> str:
        """The queue key a task named ``name`` belongs to (unknown names are kept as given)."""
        if not name:
            return "cs"
        if name in self.queues:
            return name
        for key, q in self.queues.items():
            if name in q.aliases or name == q.name:
                return key
        return name

    def sla(self, queue: str) -> timedelta:
        q = self.queues.get(queue)
        return timedelta(minutes=q.sla_minutes if q else self.default_sla_minutes)
