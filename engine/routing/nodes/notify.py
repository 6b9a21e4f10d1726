"""``notify``: a WeCom group-robot markdown message or an SMS, queued as an outgoing message.

The text is a Jinja2 template rendered in a sandbox (no attribute tricks, no file access) with
``order``, ``receiver``, ``items``, ``warehouse`` (code, name, lead), ``region``, ``reasons``,
``path``, ``diverted_from``, ``load``, ``threshold`` and ``vars`` (every flow variable).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from pydantic import Field

from ...recipients import Address, wecom_payload
from ..compiler import TEMPLATE_NAMES, NodeCompiler
from ..model import LinearNode
from ..runtime import OutgoingMessage, RunState, Step
from . import register


def template_context(rs: RunState) -> dict[str, Any]:
    """What templates see (notify messages, task titles), as of now: lists are copied, so a
    template rendered later (see :class:`NotifyNode`) sees the run as it was at this node."""
    code = rs.vars.get("warehouse")
    w = rs.network.warehouses.get(code) if code else None
    wh = None
    if w is not None:
        lead = w.config.lead
        wh = {"code": w.code, "name": w.name, "city": w.config.city,
              "lead": lead.model_dump() if lead else {}}
    load = rs.routing.load.load(code) if code else None
    return {"order": rs.order, "receiver": rs.order.receiver, "items": rs.order.items,
            "warehouse": wh, "region": rs.vars.get("region"),
            "reasons": list(rs.result.reasons), "path": list(rs.result.path),
            "diverted_from": rs.vars.get("diverted_from"),
            "load": load, "threshold": w.threshold if w else None, "vars": dict(rs.vars),
            "flow": rs.result.flow}


@register
class NotifyNode(LinearNode):
    """Queue a WeCom robot message (markdown) or an SMS; ``to: lead`` is the lead of the
    assigned warehouse, ``to: receiver`` the buyer's phone (SMS), else a phone or webhook URL.

    The text is rendered when the message's payload is first read (the outbox, a dry-run's
    JSON), from a snapshot of what the template sees taken here: routing a big batch does
    not pay for rendering messages nobody reads yet, and the text is the same either way."""

    type: Literal["notify"]
    channel: Literal["wecom", "sms"] = "wecom"
    to: str = Field("lead", description="lead | receiver | a phone number | a webhook URL | "
                                        "a name under recipients: in orderhub.yaml")
    template: str = Field(description="Jinja2 template of the message text")

    def compile(self, c: NodeCompiler) -> Step:
        names = set(TEMPLATE_NAMES) | set(c.env.variables)
        template = c.template(("template",), self.template, names)
        node, nxt, channel, to = c.node, self.next, self.channel, self.to
        address = c.recipient(("to",), to, ("lead", "receiver"))

        def render(context: dict[str, Any]) -> str:
            if template is None:
                return ""
            try:
                return template.render(context)
            except Exception as exc:  # noqa: BLE001 - reported with the node's place
                raise c.runtime_error(f"template: {type(exc).__name__}: {exc}") from exc

        def addressed(rs: RunState, address: Address) -> str | None:
            """To a named recipient: WeCom @-mentions on its robot, or an SMS a phone."""
            code = rs.vars.get("warehouse")
            context = template_context(rs)
            if channel == "wecom":
                targets: list[str | None] = [address.webhook]
            else:
                targets = list(address.phones)
            for target in targets:
                build = partial(_addressed_payload, render, context, channel, target, address)
                rs.result.messages.append(OutgoingMessage(channel, target, code, None,
                                                          rs.order.id, build=_call_source,
                                                          source=build))
            rs.step(node, "notify", f"{channel} message to {to} queued")
            return nxt

        def notify(rs: RunState) -> str | None:
            if address is not None:
                return addressed(rs, address)
            code = rs.vars.get("warehouse")
            w = rs.network.warehouses.get(code) if code else None
            lead = w.config.lead if w else None
            mention = lead.wecom if to == "lead" and lead and lead.wecom else None
            if channel == "wecom":
                target = (w.config.wecom_webhook if w else None) if to == "lead" else to
            elif to == "lead":
                target = lead.phone if lead else None
            elif to == "receiver":
                target = rs.order.receiver.phone
            else:
                target = to
            build = partial(_payload, render, template_context(rs), channel, target, mention)
            rs.result.messages.append(OutgoingMessage(channel, target, code, None, rs.order.id,
                                                      build=_call_source, source=build))
            rs.step(node, "notify", f"{channel} message to {to} queued")
            return nxt

        return notify


def _call_source(m: OutgoingMessage) -> dict[str, Any]:
    return m.source()


def _payload(render: Callable[[dict[str, Any]], str], context: dict[str, Any], channel: str,
             target: str | None, mention: str | None) -> dict[str, Any]:
    """The message body: WeCom markdown (with the lead @-mentioned) or an SMS."""
    text = render(context)
    if channel == "wecom":
        content = f"{text}\n<@{mention}>" if mention else text
        return {"msgtype": "markdown", "markdown": {"content": content}}
    return {"phone": target, "text": text}


def _addressed_payload(render: Callable[[dict[str, Any]], str], context: dict[str, Any],
                       channel: str, target: str | None, address: Address) -> dict[str, Any]:
    """The body of a message to a named recipient (see orderhub.engine.recipients)."""
    text = render(context)
    if channel == "wecom":
        return wecom_payload(text, address)
    return {"phone": target, "text": text, "recipient": address.name}
