"""``notify``: a WeCom group-robot markdown message or an SMS, queued as an outgoing message.

The text is a Jinja2 template rendered in a sandbox (no attribute tricks, no file access) with
``order``, ``receiver``, ``items``, ``warehouse`` (code, name, lead), ``region``, ``reasons``,
``path``, ``diverted_from``, ``load``, ``threshold`` and ``vars`` (every flow variable).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...engine.flows.compiler import TEMPLATE_NAMES, NodeCompiler
from ...engine.flows.model import LinearNode
from ...engine.flows.runtime import OutgoingMessage, RunState, Step
from . import register


def template_context(rs: RunState) -> dict[str, Any]:
    """What templates see (notify messages, task titles)."""
    code = rs.vars.get("warehouse")
    w = rs.network.warehouses.get(code) if code else None
    wh = None
    if w is not None:
        lead = w.config.lead
        wh = {"code": w.code, "name": w.name, "city": w.config.city,
              "lead": lead.model_dump() if lead else {}}
    load = rs.routing.load.load(code) if code else None
    return {"order": rs.order, "receiver": rs.order.receiver, "items": rs.order.items,
            "warehouse": wh, "region": rs.vars.get("region"), "reasons": rs.result.reasons,
            "path": rs.result.path, "diverted_from": rs.vars.get("diverted_from"),
            "load": load, "threshold": w.threshold if w else None, "vars": dict(rs.vars),
            "flow": rs.result.flow}


@register
class NotifyNode(LinearNode):
    """Queue a WeCom robot message (markdown) or an SMS; ``to: lead`` is the lead of the
    assigned warehouse, ``to: receiver`` the buyer's phone (SMS), else a phone or webhook URL."""

    type: Literal["notify"]
    channel: Literal["wecom", "sms"] = "wecom"
    to: str = Field("lead", description="lead | receiver | a phone number | a webhook URL")
    template: str = Field(description="Jinja2 template of the message text")

    def compile(self, c: NodeCompiler) -> Step:
        names = set(TEMPLATE_NAMES) | set(c.env.variables)
        template = c.template(("template",), self.template, names)
        node, nxt, channel, to = c.node, self.next, self.channel, self.to

        def notify(rs: RunState) -> str | None:
            code = rs.vars.get("warehouse")
            w = rs.network.warehouses.get(code) if code else None
            lead = w.config.lead if w else None
            text = template.render(template_context(rs)) if template else ""
            if channel == "wecom":
                target = (w.config.wecom_webhook if w else None) if to == "lead" else to
                payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": text}}
                if to == "lead" and lead and lead.wecom:
                    payload["markdown"]["content"] = f"{text}\n<@{lead.wecom}>"
            else:
                if to == "lead":
                    target = lead.phone if lead else None
                elif to == "receiver":
                    target = rs.order.receiver.phone
                else:
                    target = to
                payload = {"phone": target, "text": text}
            rs.result.messages.append(OutgoingMessage(channel, target, code, payload,
                                                      rs.order.id))
            rs.step(node, "notify", f"{channel} message to {to} queued")
            return nxt

        return notify
