"""Named recipients: who a rule or a flow tells (``notify wecom to "店长" "..."``).

People, groups and WeCom group robots are named once in ``orderhub.yaml``::

    recipients:
      店长: {wecom: zhang.dian, phone: "13800000009"}
      风控: {wecom: [li.feng, wang.kong]}
      客服群: {webhook: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."}
      值班: {members: [店长, 风控], webhook: "https://..."}

A rule or flow names the recipient; the message that reaches the outbox carries what that
name means: the WeCom user ids @-mentioned, the robot's webhook (else the service's robot),
the phones an SMS goes to.  A name that is not configured, or a channel that does not exist,
is an error when the rules or flows are checked, never a message that silently goes nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..model import CONFIG_NAME

#: The channels ``notify`` may use (rules and flows).
NOTIFY_CHANNELS = ("wecom", "sms")


class Recipient(BaseModel):
    """One entry of ``recipients:`` in ``orderhub.yaml``: a person, a group or a robot."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="display name (default: the key)")
    wecom: str | list[str] | None = Field(
        None, description="WeCom user id(s), @-mentioned in robot messages")
    phone: str | list[str] | None = Field(None, description="mobile number(s) for SMS")
    webhook: str | None = Field(
        None, description="the WeCom group robot to post to (default: the service's robot, "
                          "service.channels.wecom)")
    members: list[str] = Field(
        default_factory=list, description="a group: other recipients (by name) it includes")


@dataclass(frozen=True)
class Address:
    """What a recipient's name resolves to: everyone a group includes, flattened."""

    name: str
    mentions: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    webhook: str | None = None

    def params(self) -> dict[str, Any]:
        """What a planned notify action carries (JSON)."""
        return {"to": self.name, "mention": list(self.mentions), "phones": list(self.phones),
                "webhook": self.webhook}


class Recipients:
    """The configured recipients, by name."""

    def __init__(self, config: Mapping[str, Recipient | Mapping[str, Any]] | None = None,
                 source: str | None = None) -> None:
        self.config = {name: r if isinstance(r, Recipient) else Recipient.model_validate(r)
                       for name, r in (config or {}).items()}
        self.source = source or CONFIG_NAME

    @property
    def names(self) -> list[str]:
        return sorted(self.config)

    def __contains__(self, name: object) -> bool:
        return name in self.config

    def problems(self) -> list[str]:
        """Groups naming recipients that do not exist, or including themselves."""
        out = []
        for name, r in self.config.items():
            for member in r.members:
                if member not in self.config:
                    out.append(f"recipient {name!r}: member {member!r} is not a recipient")
            try:
                self.resolve(name)
            except ValueError as exc:
                out.append(str(exc))
        return out

    def resolve(self, name: str) -> Address:
        """The address of ``name``: a group's own webhook, its members' mentions and phones."""
        mentions: list[str] = []
        phones: list[str] = []
        self._collect(name, mentions, phones, ())
        return Address(name, tuple(dict.fromkeys(mentions)), tuple(dict.fromkeys(phones)),
                       self.config[name].webhook)

    def _collect(self, name: str, mentions: list[str], phones: list[str],
                 path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"recipient {path[0]!r}: group includes itself "
                             f"({' -> '.join((*path, name))})")
        r = self.config.get(name)
        if r is None:
            return
        mentions += _many(r.wecom)
        phones += _many(r.phone)
        for member in r.members:
            self._collect(member, mentions, phones, (*path, name))


def did_you_mean(name: str, names: list[str]) -> str | None:
    """'did you mean' for a recipient: names are short and often Chinese, where one wrong
    character of two ('店张' for '店长') is already half the name, so the bar is lower than
    for field names."""
    import difflib

    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?" if close else None


def _many(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def read_recipients(folder: str | Path | None) -> Recipients:
    """The ``recipients:`` of the ``orderhub.yaml`` in ``folder`` (none when there is no such
    file, or it names none).  Used when rules or flows are loaded on their own: a workspace's
    ``rules/`` reads the recipients of the workspace beside it."""
    if folder is None:
        return Recipients()
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        return Recipients()
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, YAMLError, UnicodeDecodeError):
        return Recipients(source=str(path))  # the workspace's own loading reports it
    section = data.get("recipients") if isinstance(data, dict) else None
    try:
        return Recipients(section if isinstance(section, dict) else None, source=str(path))
    except ValueError:
        return Recipients(source=str(path))


def wecom_payload(text: str, address: Address | None) -> dict[str, Any]:
    """A WeCom robot markdown message to ``address``: its people @-mentioned, posted to its
    own robot when it has one (``to``), else the service's."""
    mentions = " ".join(f"<@{m}>" for m in address.mentions) if address else ""
    content = f"{text}\n{mentions}" if mentions else text
    payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"content": content}}
    if address is not None:
        payload["recipient"] = address.name
        payload["mentioned_list"] = list(address.mentions)
        if address.webhook:
            payload["to"] = address.webhook
    return payload
